package chorus

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind says what the caller of a failed call should do.
type Kind int

// Kinds of failure.
const (
	// Transient: nothing was applied; trying again later may work (5xx on a
	// read, 429, 503, network failure before sending, flaky invalid_client).
	Transient Kind = iota + 1
	// Permanent: Chorus Pro refused the request (a 4xx, or a business error
	// with codeRetour ≠ 0); sending it again will fail the same way.
	Permanent
	// Uncertain: the request may have been applied (timeout, reset or 5xx
	// after a deposit was sent). Search Chorus Pro for the invoice number
	// before depositing again.
	Uncertain
	// Auth: the credentials are refused (401 after a token refresh, or the
	// token endpoint refusing them): a human must fix the configuration,
	// e.g. renew the technical account's password.
	Auth
	// Configuration: the platform refused the route itself, not this request: the
	// PISTE application is not subscribed to the API (HTTP 403), the route
	// does not exist (404 « API non trouvée », 405), or the request's format
	// is not the one the API takes (415). Nothing was applied, and every
	// call of that kind fails the same way until an operator fixes the
	// configuration: it says nothing of the invoice being sent.
	//
	// (Named Configuration, not Config: Config is the client's settings.)
	Configuration
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	case Uncertain:
		return "uncertain"
	case Auth:
		return "authentication"
	case Configuration:
		return "configuration"
	}
	return "unknown"
}

// Error is a failed Chorus Pro call. It never carries a secret: no token, no
// cpro-account value, no client secret.
type Error struct {
	// Op is the call, e.g. "deposer/flux".
	Op   string
	Kind Kind
	// Status is the HTTP status (0 when no answer came).
	Status int
	// CodeRetour and Libelle are Chorus Pro's business error: the envelope
	// of an HTTP 200 answer, or the JSON body of a 4xx when it has one
	// (fidelity D-1: go-choruspro parses 400 bodies the same way).
	CodeRetour int
	Libelle    string
	// Reason is the WWW-Authenticate header of a 401, or a short excerpt of
	// an error body.
	Reason string
	// RetryAfter is the server's Retry-After, when it gave one.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("chorus pro %s: %s error", e.Op, e.Kind)
	if e.Status != 0 && e.Status != http.StatusOK {
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.CodeRetour != 0 {
		msg += fmt.Sprintf(": codeRetour %d: %s", e.CodeRetour, e.Libelle)
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a Chorus Pro error, or 0 for other errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// IsTransient reports whether err may succeed if tried again later.
func IsTransient(err error) bool { return KindOf(err) == Transient }

// IsUncertain reports whether a change may have been applied despite err.
func IsUncertain(err error) bool { return KindOf(err) == Uncertain }

// IsPermanent reports whether Chorus Pro refused the request for good.
func IsPermanent(err error) bool { return KindOf(err) == Permanent }

// IsAuth reports whether the credentials were refused.
func IsAuth(err error) bool { return KindOf(err) == Auth }

// IsConfig reports whether the platform refused the route (the PISTE
// application's subscription, the API's address): nothing was applied, and
// an operator must act before any call of that kind can succeed.
func IsConfig(err error) bool { return KindOf(err) == Configuration }

// Business returns the codeRetour and libelle of a business error.
func Business(err error) (code int, libelle string, ok bool) {
	var e *Error
	if errors.As(err, &e) && e.CodeRetour != 0 {
		return e.CodeRetour, e.Libelle, true
	}
	return 0, "", false
}

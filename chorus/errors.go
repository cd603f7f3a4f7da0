package chorus

import (
	"errors"
	"fmt"
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
	// CodeRetour and Libelle are Chorus Pro's business error (HTTP 200).
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
	switch {
	case e.CodeRetour != 0:
		msg += fmt.Sprintf(": codeRetour %d: %s", e.CodeRetour, e.Libelle)
	case e.Status != 0:
		msg += fmt.Sprintf(": HTTP %d", e.Status)
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

// Business returns the codeRetour and libelle of a business error.
func Business(err error) (code int, libelle string, ok bool) {
	var e *Error
	if errors.As(err, &e) && e.CodeRetour != 0 {
		return e.CodeRetour, e.Libelle, true
	}
	return 0, "", false
}

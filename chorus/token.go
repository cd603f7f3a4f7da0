package chorus

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenCache holds the PISTE access token shared by every goroutine of the
// client. The lock is held while a token is fetched, so however many calls
// find it expired at once, one request goes to the token endpoint.
type tokenCache struct {
	mu      sync.Mutex
	cc      clientcredentials.Config
	http    *http.Client
	margin  time.Duration
	now     func() time.Time
	tok     *oauth2.Token
	fetches int
	backoff func(attempt int) time.Duration
	// failed, when set, is told of each failed fetch that will be tried
	// again (Client's WithFailedAttempts).
	failed func(ctx context.Context, err error)
}

func newTokenCache(c Config, httpClient *http.Client, now func() time.Time, backoff func(int) time.Duration) *tokenCache {
	return &tokenCache{
		cc: clientcredentials.Config{
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL,
			Scopes: []string{ScopeOpenID},
			// PISTE reads the credentials as form fields (chorus-pro.md §1.2).
			AuthStyle: oauth2.AuthStyleInParams,
		},
		http: httpClient, margin: c.RefreshMargin, now: now, backoff: backoff,
	}
}

// flakyInvalidClientRetries: PISTE answers invalid_client to valid
// credentials about one call in ten; clients retry up to 5 times
// (chorus-pro.md §1.2, field report [FR2]).
const flakyInvalidClientRetries = 5

// token returns a valid access token, fetching one when there is none or it
// expires within the refresh margin.
func (t *tokenCache) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.Expiry.After(t.now().Add(t.margin)) {
		return t.tok.AccessToken, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, t.http)
	var last error
	for attempt := 0; attempt <= flakyInvalidClientRetries; attempt++ {
		if attempt > 0 {
			if t.failed != nil {
				t.failed(ctx, t.typed(last))
			}
			if err := sleep(ctx, t.backoff(attempt)); err != nil {
				return "", err
			}
		}
		t.fetches++
		tok, err := t.cc.Token(ctx)
		if err == nil {
			// oauth2 dates the expiry on the real clock; re-date it on ours
			// (the same instant unless a test injects a clock).
			if tok.Expiry.IsZero() {
				tok.Expiry = t.now().Add(time.Hour)
			} else {
				tok.Expiry = t.now().Add(time.Until(tok.Expiry))
			}
			t.tok = tok
			return tok.AccessToken, nil
		}
		last = err
		var re *oauth2.RetrieveError
		switch {
		case ctx.Err() != nil:
			return "", ctx.Err()
		case errors.As(err, &re) && re.ErrorCode == "invalid_client":
			continue // flaky or wrong: only repetition tells
		case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 && re.Response.StatusCode != http.StatusTooManyRequests:
			return "", &Error{Op: "token", Kind: Auth, Status: re.Response.StatusCode, Reason: re.ErrorCode}
		default:
			continue // network or 5xx: try again
		}
	}
	return "", t.typed(last)
}

// typed turns a failed fetch into the client's typed error, the client
// secret scrubbed from its text.
func (t *tokenCache) typed(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		kind := Transient
		if re.ErrorCode == "invalid_client" {
			kind = Auth
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return &Error{Op: "token", Kind: kind, Status: status, Reason: re.ErrorCode}
	}
	return &Error{Op: "token", Kind: Transient, Err: scrub(err, t.cc.ClientSecret)}
}

// invalidate forgets the token if it is still the one that was refused, so
// that a burst of 401s leads to one new token, not one each.
func (t *tokenCache) invalidate(access string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.AccessToken == access {
		t.tok = nil
	}
}

// Fetches counts the token requests made (tests, metrics).
func (t *tokenCache) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fetches
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

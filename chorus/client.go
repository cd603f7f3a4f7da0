package chorus

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls Chorus Pro. It knows Chorus Pro, not chorusbill's invoices:
// it sends files and returns typed results and typed errors. It is safe
// for concurrent use; all goroutines share one token.
type Client struct {
	cfg     Config
	http    *http.Client
	tokens  *tokenCache
	limiter Limiter
	log     *slog.Logger
	account string // base64 login:password, sent as cpro-account; never logged
	now     func() time.Time
	observe Observer
	failed  func(ctx context.Context, err error)
	// noResultCodes holds the (operation, codeRetour) pairs already logged
	// as an unexpected "no result" code; shared by SingleAttempt copies.
	noResultCodes *sync.Map
}

// SingleAttempt is the same client (same token, limiter and connections)
// making one attempt per call: for callers that have their own way to
// retry, such as the pipeline's batches, which hand a failed call to a
// task that retries it later rather than wait inside the batch.
func (c *Client) SingleAttempt() *Client {
	cp := *c
	cp.cfg.MaxAttempts = 1
	return &cp
}

// Observer is told of every HTTP exchange with Chorus Pro: the call, how it
// ended (0 for success, else the kind of error), the HTTP status, and how
// long it took. Metrics hang here.
type Observer func(op string, outcome Kind, status int, took time.Duration)

// WithObserver reports every exchange to o.
func WithObserver(o Observer) Option { return func(c *Client) { c.observe = o } }

// LabelObserver is an Observer reporting each exchange's outcome as a label:
// "ok" for success, else the Kind's name ("transient", "permanent",
// "uncertain", "authentication", "configuration"), for observers that know
// no Kind (e.g. the dashboard's metrics).
func LabelObserver[O ~string](f func(op string, outcome O, status int, took time.Duration)) Observer {
	return func(op string, outcome Kind, status int, took time.Duration) {
		label := "ok"
		if outcome != 0 {
			label = outcome.String()
		}
		f(op, O(label), status, took)
	}
}

// WithFailedAttempts has f told of every failed attempt the client will
// make again (a token fetch or a call), with the call's context, before it
// waits: a call retried for minutes is otherwise silent, and the caller
// can say why its work is not moving meanwhile.
func WithFailedAttempts(f func(ctx context.Context, err error)) Option {
	return func(c *Client) { c.failed = f }
}

// Option changes a client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (its Timeout is left alone; each call
// is bounded by Config.CallTimeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithLimiter shares a rate limit, e.g. a RedisLimiter across workers.
func WithLimiter(l Limiter) Option { return func(c *Client) { c.limiter = l } }

// WithLogger sets the logger for retries and warnings.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock sets the clock used for token expiry (tests).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New makes a client.
func New(cfg Config, opts ...Option) (*Client, error) {
	cfg = cfg.withDefaults()
	if cfg.BaseURL == "" || cfg.TokenURL == "" {
		return nil, fmt.Errorf("chorus: base and token URLs are required")
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.TechLogin == "" || cfg.TechPassword == "" {
		return nil, fmt.Errorf("chorus: PISTE client id and secret and the technical account's login and password are required")
	}
	// Keep as many idle connections as workers call at once: the default
	// two per host would open a new TCP (and TLS) connection per call.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns, transport.MaxIdleConnsPerHost = 128, 64
	c := &Client{
		cfg:     cfg,
		http:    &http.Client{Transport: transport},
		limiter: noLimit{},
		log:     slog.New(slog.DiscardHandler),
		account: base64.StdEncoding.EncodeToString([]byte(cfg.TechLogin + ":" + cfg.TechPassword)),
		now:     time.Now,
		// One set for the client and its SingleAttempt copies.
		noResultCodes: &sync.Map{},
	}
	if cfg.RatePerSecond > 0 {
		c.limiter = NewLocalLimiter(cfg.RatePerSecond)
	}
	for _, o := range opts {
		o(c)
	}
	c.tokens = newTokenCache(cfg, c.http, c.now, c.backoff)
	c.tokens.failed = c.failed
	return c, nil
}

// idempotence says whether a call may be sent again when its outcome is
// unknown: reads may, a deposit may not (Chorus Pro would see it twice).
type idempotence bool

const (
	safe   idempotence = true
	unsafe idempotence = false
)

// retour is implemented by every response type through the embedded Retour.
type retour interface{ retour() Retour }

func (r Retour) retour() Retour { return r }

// call POSTs in as JSON to path and decodes the answer into out, retrying
// what can be retried with jittered exponential backoff. A business error
// (codeRetour ≠ 0) is a Permanent *Error; out is filled all the same.
func (c *Client) call(ctx context.Context, op, path string, in any, out retour, idem idempotence) error {
	body, err := json.Marshal(in)
	if err != nil {
		return &Error{Op: op, Kind: Permanent, Err: err}
	}
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, op, path, body, out, idem)
		if err == nil {
			return nil
		}
		var e *Error
		if !errors.As(err, &e) {
			return err
		}
		retry := e.Kind == Transient || (e.Kind == Uncertain && idem == safe)
		if !retry || attempt >= c.cfg.MaxAttempts || ctx.Err() != nil {
			if e.Kind == Uncertain && idem == safe {
				e.Kind = Transient // a read that kept failing changed nothing
			}
			return err
		}
		wait := c.backoff(attempt)
		if e.RetryAfter > wait {
			wait = e.RetryAfter
		}
		if c.failed != nil {
			c.failed(ctx, err)
		}
		// Debug: the caller is told of each failed attempt
		// (WithFailedAttempts) and says once that its work is not moving.
		c.log.LogAttrs(ctx, slog.LevelDebug, "chorus pro call failed, retrying",
			slog.String("op", op), slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", err.Error()))
		if err := sleep(ctx, wait); err != nil {
			return &Error{Op: op, Kind: e.Kind, Err: err}
		}
	}
}

// noResult reports whether a search's answer means "nothing found": a
// business refusal (codeRetour ≠ 0, HTTP 200) with an empty or absent list.
// The code differs per service (Pastell: 20000 for one search, 20007 for
// another; fidelity B-2), so any code counts; a code other than
// CodeRetourAucunResultat is logged once per operation and code, so that a
// refusal read as "nothing found" does not go unseen.
func (c *Client) noResult(ctx context.Context, op string, err error, r Retour, listed int) bool {
	var e *Error
	if err == nil || r.OK() || listed > 0 || !errors.As(err, &e) || e.CodeRetour == 0 || e.Status != http.StatusOK {
		return false
	}
	if r.CodeRetour != CodeRetourAucunResultat {
		if _, said := c.noResultCodes.LoadOrStore(fmt.Sprintf("%s %d", op, r.CodeRetour), true); !said {
			c.log.LogAttrs(ctx, slog.LevelWarn, "chorus pro search answered an unexpected code with no result: read as no result",
				slog.String("op", op), slog.Int("codeRetour", r.CodeRetour), slog.String("libelle", r.Libelle))
		}
	}
	return true
}

// backoff is full-jitter exponential: a random wait up to min(max, min·2^n).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.cfg.MinBackoff << min(attempt, 20)
	if ceiling > c.cfg.MaxBackoff || ceiling <= 0 {
		ceiling = c.cfg.MaxBackoff
	}
	return c.cfg.MinBackoff/2 + rand.N(ceiling)
}

// once makes one exchange; a 401 refreshes the token and tries once more.
func (c *Client) once(ctx context.Context, op, path string, body []byte, out retour, idem idempotence) error {
	for refreshed := false; ; refreshed = true {
		if err := c.limiter.Wait(ctx); err != nil {
			return &Error{Op: op, Kind: Transient, Err: err}
		}
		tok, err := c.tokens.token(ctx)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Op = op + " (token)"
				return e
			}
			return &Error{Op: op, Kind: Transient, Err: err}
		}
		began := c.now()
		status, header, data, err := c.post(ctx, path, tok, body)
		if err != nil {
			err = c.transportError(op, err, idem)
			c.observed(op, err, 0, began)
			return err
		}
		err = c.classify(op, status, header, data, out, idem, tok, refreshed)
		c.observed(op, err, status, began)
		if errors.Is(err, errRetryWithNewToken) {
			continue
		}
		return err
	}
}

// errRetryWithNewToken asks once to send the call again with a new token.
var errRetryWithNewToken = errors.New("401: retry with a new token")

func (c *Client) observed(op string, err error, status int, began time.Time) {
	if c.observe == nil {
		return
	}
	var kind Kind
	if err != nil && !errors.Is(err, errRetryWithNewToken) {
		kind = KindOf(err)
		if kind == 0 {
			kind = Transient
		}
	} else if errors.Is(err, errRetryWithNewToken) {
		kind = Auth
	}
	c.observe(op, kind, status, c.now().Sub(began))
}

// classify turns one HTTP answer into nil, a typed error, or
// errRetryWithNewToken after a first 401.
func (c *Client) classify(op string, status int, header http.Header, data []byte, out retour, idem idempotence, tok string, refreshed bool) error {
	switch {
	case status == http.StatusUnauthorized && !refreshed:
		c.tokens.invalidate(tok)
		return errRetryWithNewToken
	case status == http.StatusUnauthorized:
		// chorus-pro.md §2.11: the reason is in WWW-Authenticate.
		return &Error{Op: op, Kind: Auth, Status: status, Reason: header.Get("WWW-Authenticate")}
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		return &Error{Op: op, Kind: Transient, Status: status, RetryAfter: retryAfter(header, c.now())}
	case status >= 500:
		kind := Transient
		if idem == unsafe {
			kind = Uncertain // the server may have applied it before failing
		}
		return &Error{Op: op, Kind: kind, Status: status, RetryAfter: retryAfter(header, c.now()), Reason: excerpt(data)}
	case status == http.StatusForbidden, status == http.StatusNotFound,
		status == http.StatusMethodNotAllowed, status == http.StatusUnsupportedMediaType:
		// The route, not this request, is refused: a PISTE application not
		// subscribed to the API answers 403 (fidelity B-4, TS live probe);
		// the Swagger's 404 is « API non trouvée ». Every invoice would be
		// refused the same way, so none of them is to blame.
		e := &Error{Op: op, Kind: Configuration, Status: status, Reason: excerpt(data)}
		e.CodeRetour, e.Libelle = bodyRetour(data)
		return e
	case status != http.StatusOK:
		// 400, 413 and other 4xx refuse this request's content: sending it
		// again fails the same way.
		e := &Error{Op: op, Kind: Permanent, Status: status, Reason: excerpt(data)}
		e.CodeRetour, e.Libelle = bodyRetour(data)
		return e
	}
	if err := json.Unmarshal(data, out); err != nil {
		kind := Transient
		if idem == unsafe {
			kind = Uncertain
		}
		return &Error{Op: op, Kind: kind, Status: status, Err: fmt.Errorf("decode answer: %w", err), Reason: excerpt(data)}
	}
	if r := out.retour(); !r.OK() {
		return &Error{Op: op, Kind: Permanent, Status: status, CodeRetour: r.CodeRetour, Libelle: r.Libelle}
	}
	return nil
}

func (c *Client) post(ctx context.Context, path, token string, body []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(HeaderCproAccount, c.account)
	req.Header.Set("Content-Type", ContentTypeJSON)
	req.Header.Set("Accept", ContentTypeJSON)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, data, nil
}

// transportError classifies a failure with no HTTP answer. A connection that
// was never made sent nothing; anything else may have reached Chorus Pro.
func (c *Client) transportError(op string, err error, idem idempotence) error {
	var op2 *net.OpError
	if errors.As(err, &op2) && op2.Op == "dial" {
		return &Error{Op: op, Kind: Transient, Err: err}
	}
	kind := Transient
	if idem == unsafe {
		kind = Uncertain
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// bodyRetour reads {codeRetour, libelle} from an error answer's JSON body,
// which Chorus Pro sends with some 4xx (fidelity D-1); zero values when the
// body is not such an object.
func bodyRetour(data []byte) (int, string) {
	var r struct {
		CodeRetour json.Number `json:"codeRetour"`
		Libelle    string      `json:"libelle"`
	}
	if json.Unmarshal(data, &r) != nil {
		return 0, ""
	}
	code, err := strconv.Atoi(r.CodeRetour.String())
	if err != nil {
		code = 0
	}
	return code, r.Libelle
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// scrub replaces any occurrence of the secrets in an error's text.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return errors.New(msg)
}

// Package sandbox is a local Chorus Pro: the PISTE token endpoint and the
// /cpro/... calls chorusbill makes, with Chorus Pro's paths, methods, JSON
// field names, return codes and HTTP errors, a scripted buyer directory, a
// business clock that can be sped up or advanced, and fault injection. The
// demo and every test use it instead of the real platform.
//
// It is a test double of an outside system, so it only does what the
// reference (../shared/research/chorus-pro.md) says Chorus Pro does: each
// behaviour cites its section ("chorus-pro.md §…") or is marked
// "assumption:". By default it plays the happy platform; Quirks select,
// one by one, what third-party sources saw the real platform do
// (chorus-pro-fidelity.md). Admin endpoints under /_sandbox/ (not part of
// Chorus Pro) let tests and the demo list deposits and invoices, advance the
// clock, set a buyer's behaviour, set faults and quirks, read the calls
// received and reset; they are off unless Config.Admin is set.
//
// Clocks: tokens expire on the wall clock (Config.Now), because the client
// measures their lifetime on its own clock; flows and invoice lifecycles
// follow the business clock, which runs Config.ClockSpeed times faster and
// jumps forward with Advance.
package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Paris, for the timestamps Chorus Pro returns

	"github.com/chorusbill/chorusbill/chorus"
)

// Server is a local Chorus Pro. It is an http.Handler: serve it on a
// loopback address (httptest.NewServer in tests, `chorusbill sandbox` in
// the demo). All its state is in memory, guarded by one mutex.
type Server struct {
	cfg    Config
	paris  *time.Location
	routes map[string]route
	admin  http.Handler

	mu sync.Mutex
	st *state
	// The business clock reads bizStart + (wall − wallStart) × speed +
	// st.offset; SetClockSpeed moves the two starts to the present.
	wallStart, bizStart time.Time
	speed               float64
	// faultCount tallies the faults actually played (FaultCounts).
	faultCount faultCount
}

// route is a /cpro call: its HTTP method and handler.
type route struct {
	method  string
	handler func(s *Server, body []byte) (int, any)
}

// maxRequestBody bounds a /cpro request body: a 10 MB file is about 13.4 MB
// in base64. Beyond, 413 (chorus-pro.md §2.11: 413 for payloads too large).
const maxRequestBody = 32 << 20

// New returns a sandbox configured by cfg (zero fields take their
// defaults; see Config).
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Server{cfg: cfg, paris: paris, wallStart: cfg.Now(), speed: cfg.ClockSpeed}
	s.bizStart = s.wallStart
	if !cfg.Start.IsZero() {
		s.bizStart = cfg.Start
	}
	s.routes = cproRoutes()
	s.admin = s.adminHandler()
	s.st = s.newState()
	return s, nil
}

// Config returns the configuration in effect (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP routes the token endpoint, the /cpro calls and, when enabled,
// the /_sandbox admin endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == chorus.PathToken:
		s.countCall("")
		s.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, "/cpro/"):
		s.countCall(r.URL.Path)
		s.serveCpro(w, r)
	case strings.HasPrefix(r.URL.Path, "/_sandbox/") && s.cfg.Admin:
		s.admin.ServeHTTP(w, r)
	default:
		// chorus-pro.md §2.11: 404 « API non trouvée ».
		writeJSON(w, http.StatusNotFound, httpError{Error: "API non trouvée"})
	}
}

// ---------------------------------------------------------------------------
// Call counting.

// CallCounts counts the calls the sandbox received since it started, or
// since the last Reset or ResetCalls, whatever their answer (faults, 401,
// 403, 404 and lost responses included). Admin calls are not counted.
type CallCounts struct {
	// Calls counts the /cpro calls by path.
	Calls map[string]int64 `json:"calls"`
	// Token counts the requests to the PISTE token endpoint.
	Token int64 `json:"token"`
	// Total is the number of /cpro calls (the sum of Calls): token requests
	// are not included.
	Total int64 `json:"total"`
}

// countCall counts a call to the token endpoint (path "") or to a /cpro
// path.
func (s *Server) countCall(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "" {
		s.st.tokenCalls++
		return
	}
	s.st.calls[path]++
}

// Calls returns the call counts.
func (s *Server) Calls() CallCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := CallCounts{Calls: make(map[string]int64, len(s.st.calls)), Token: s.st.tokenCalls}
	for p, n := range s.st.calls {
		c.Calls[p] = n
		c.Total += n
	}
	return c
}

// ResetCalls sets every call count back to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.calls, s.st.tokenCalls = map[string]int64{}, 0
}

// ---------------------------------------------------------------------------
// Clock.

// Now returns the business clock: the instant flows and lifecycles are
// computed at.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time {
	wall := s.cfg.Now()
	if s.speed == 1 {
		return s.bizStart.Add(wall.Sub(s.wallStart)).Add(s.st.offset)
	}
	elapsed := float64(wall.Sub(s.wallStart)) * s.speed
	if elapsed > math.MaxInt64/2 {
		elapsed = math.MaxInt64 / 2
	}
	return s.bizStart.Add(time.Duration(elapsed)).Add(s.st.offset)
}

// SetClockSpeed makes the business clock run speed times as fast as the
// wall clock from now on, from where it stands (speed must be positive):
// the demo slows it to real time once its buyers have paid.
func (s *Server) SetClockSpeed(speed float64) error {
	if speed <= 0 || math.IsNaN(speed) || math.IsInf(speed, 0) {
		return fmt.Errorf("sandbox: clock speed %v must be positive", speed)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	s.wallStart, s.bizStart, s.speed = s.cfg.Now(), now.Add(-s.st.offset), speed
	return nil
}

// Advance moves the business clock forward by d (d must not be negative):
// flows and lifecycles progress as if d had passed. Tokens are not affected.
func (s *Server) Advance(d time.Duration) error {
	if d < 0 {
		return errors.New("sandbox: the clock does not go backwards")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.offset += d
	return nil
}

// ---------------------------------------------------------------------------
// Faults.

// Faults returns the faults in effect.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.st.faults
	f.Paths = append([]string(nil), f.Paths...)
	return f
}

// SetFaults replaces the faults in effect.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	f.Paths = append([]string(nil), f.Paths...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = f
	return nil
}

// latency waits the configured latency (plus jitter), or until the request
// is cancelled.
func (s *Server) latency(r *http.Request) {
	s.mu.Lock()
	d := time.Duration(s.st.faults.Latency)
	if j := s.st.faults.LatencyJitter; j > 0 {
		d += time.Duration(s.st.rng.Int64N(int64(j) + 1))
	}
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// faultFor draws the fault of a /cpro call: 0 (none), 429, 500 or 503.
func (s *Server) faultFor(path string) (status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.st.faults
	if f.RateLimitRate == 0 && f.ErrorRate == 0 || !f.applies(path) {
		return 0, 0
	}
	u := s.st.rng.Float64()
	switch {
	case u < f.RateLimitRate:
		return http.StatusTooManyRequests, time.Duration(f.RetryAfter)
	case u < f.RateLimitRate+f.ErrorRate:
		if s.st.rng.IntN(2) == 0 {
			return http.StatusInternalServerError, 0
		}
		return http.StatusServiceUnavailable, 0
	}
	return 0, 0
}

// loseResponse draws whether the response of an applied call is lost.
func (s *Server) loseResponse(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.st.faults
	if f.LostResponseRate == 0 || !f.applies(path) {
		return false
	}
	return s.st.rng.Float64() < f.LostResponseRate
}

func (f Faults) applies(path string) bool {
	if len(f.Paths) == 0 {
		return true
	}
	for _, p := range f.Paths {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// PISTE token endpoint. chorus-pro.md §1.2.

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	// Read the body before waiting, so that the server notices a client
	// that gives up (net/http watches the connection once the body is read).
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	formErr := r.ParseForm()
	s.latency(r)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, chorus.TokenError{Error: "invalid_request", ErrorDescription: "POST only"})
		return
	}
	if formErr != nil {
		writeJSON(w, http.StatusBadRequest, chorus.TokenError{Error: "invalid_request", ErrorDescription: "form-encoded body expected"})
		return
	}
	// RFC 6749 §2.3.1: the client authenticates with HTTP Basic or with
	// form fields; PISTE clients send the form fields (chorus-pro.md §1.2).
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	valid := subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) == 1
	s.mu.Lock()
	flaky := valid && s.st.faults.InvalidClientRate > 0 && s.st.rng.Float64() < s.st.faults.InvalidClientRate
	s.mu.Unlock()
	if !valid || flaky {
		// chorus-pro.md §1.2 [FR1]: bad credentials give 400
		// {"error":"invalid_client",...}, byte-identical for an unknown
		// client id and a wrong secret; [FR2]: PISTE sometimes gives it for
		// valid credentials. assumption: the error_description wording.
		writeJSON(w, http.StatusBadRequest, chorus.TokenError{Error: chorus.TokenErrorInvalidClient, ErrorDescription: "Client authentication failed"})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != chorus.GrantTypeClientCredentials {
		writeJSON(w, http.StatusBadRequest, chorus.TokenError{Error: "unsupported_grant_type", ErrorDescription: "client_credentials only"})
		return
	}
	// chorus-pro.md §1.2: the only scope is openid; clients that send no
	// scope appear to work (UNCONFIRMED; accepted here). assumption: any
	// other scope is refused.
	if sc := r.PostForm.Get("scope"); sc != "" && !containsWord(sc, chorus.ScopeOpenID) {
		writeJSON(w, http.StatusBadRequest, chorus.TokenError{Error: "invalid_scope", ErrorDescription: "scope openid expected"})
		return
	}
	token := newToken()
	wall := s.cfg.Now()
	s.mu.Lock()
	s.st.tokens[token] = wall.Add(s.cfg.TokenLifetime)
	if len(s.st.tokens) > 4096 {
		for t, exp := range s.st.tokens {
			if !wall.Before(exp) {
				delete(s.st.tokens, t)
			}
		}
	}
	s.mu.Unlock()
	// expires_in is whole seconds, at least 1 (0 would mean "no expiry" to
	// OAuth2 clients). A sub-second lifetime therefore expires before the
	// client expects it, which exercises its 401 → refresh path.
	secs := int64(math.Ceil(s.cfg.TokenLifetime.Seconds()))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, chorus.TokenResponse{
		AccessToken: token, TokenType: "Bearer", ExpiresIn: max(secs, 1), Scope: chorus.ScopeOpenID,
	})
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func containsWord(list, word string) bool {
	for f := range strings.FieldsSeq(list) {
		if f == word {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// /cpro calls.

// httpError is the body of an HTTP error answer (not a business error).
// assumption: Chorus Pro's error bodies are not documented; the error
// labels are those of the Swagger's HTTP codes (chorus-pro.md §2.11).
type httpError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// pisteError is the body of the gateway's 403 (the forbidden-routes
// quirk). assumption: PISTE's JSON {"error": …, "message": …} shape; no
// source shows a 403 body.
type pisteError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// authFailure is why a /cpro call is refused with 401.
type authFailure struct {
	err, description string
}

// checkToken verifies the bearer token (chorus-pro.md §1.3): the PISTE
// gateway's check.
func (s *Server) checkToken(r *http.Request) *authFailure {
	authz := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		// assumption: the wording of a missing or invalid token; only the
		// cpro-account refusal is documented.
		return &authFailure{"invalid_request", "missing bearer token"}
	}
	wall := s.cfg.Now()
	s.mu.Lock()
	exp, known := s.st.tokens[strings.TrimSpace(token)]
	if known && !wall.Before(exp) {
		delete(s.st.tokens, strings.TrimSpace(token))
	}
	s.mu.Unlock()
	switch {
	case !known:
		return &authFailure{"invalid_token", "invalid access token"}
	case !wall.Before(exp):
		return &authFailure{"invalid_token", "access token expired"}
	}
	return nil
}

// checkAccount verifies the cpro-account header (chorus-pro.md §0-2,
// §1.3): Chorus Pro's check, behind the gateway's.
func (s *Server) checkAccount(r *http.Request) *authFailure {
	now := s.Now()
	account := r.Header.Get(chorus.HeaderCproAccount)
	if account == "" {
		// assumption: the header is required by the Swagger; the exact
		// refusal of a missing header is not documented.
		return &authFailure{"Unauthorized", "cpro-account header missing"}
	}
	// chorus-pro.md §0-8, §2.11: a wrong or expired technical-account
	// password gives 401 with this exact WWW-Authenticate ([S2h]).
	incorrect := &authFailure{"Unauthorized", "login or password incorrects"}
	raw, err := base64.StdEncoding.DecodeString(account)
	if err != nil {
		return incorrect
	}
	login, password, ok := strings.Cut(string(raw), ":")
	if !ok ||
		subtle.ConstantTimeCompare([]byte(login), []byte(s.cfg.TechLogin)) != 1 ||
		subtle.ConstantTimeCompare([]byte(password), []byte(s.cfg.TechPassword)) != 1 {
		return incorrect
	}
	if !s.cfg.TechPasswordExpires.IsZero() && !now.Before(s.cfg.TechPasswordExpires) {
		return incorrect
	}
	return nil
}

func (s *Server) serveCpro(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now() // a deposit's, kept with its flow (Deposit.ReceivedAt)
	// Read the body before waiting (see serveToken).
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	s.latency(r)
	path := r.URL.Path
	if status, retryAfter := s.faultFor(path); status != 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retryAfter.Seconds())), 10))
			// assumption: PISTE's 429 body is not documented.
			writeJSON(w, status, httpError{Error: "Too Many Requests", Description: "quota exceeded"})
			return
		}
		// chorus-pro.md §2.11: 500 « Erreur interne du serveur ». 503:
		// assumption (a gateway answer).
		label := "Erreur interne du serveur"
		if status == http.StatusServiceUnavailable {
			label = "Service indisponible"
		}
		writeJSON(w, status, httpError{Error: label})
		return
	}
	unauthorized := func(f *authFailure) {
		// chorus-pro.md §1.3, §2.11: 401 with the reason in WWW-Authenticate.
		w.Header().Set("WWW-Authenticate",
			fmt.Sprintf(`Bearer realm="PISTE",error=%q,error_description=%q`, f.err, f.description))
		writeJSON(w, http.StatusUnauthorized, httpError{Error: "Problème d'authentification", Description: f.description})
	}
	if f := s.checkToken(r); f != nil {
		unauthorized(f)
		return
	}
	if s.forbidden(path) {
		// The forbidden-routes quirk: the PISTE application is not
		// subscribed to this API. fidelity.md B-4, chorus-pro.md §1.4,
		// §2.11: 403; the live probe [FR1] got it with a valid token and a
		// bogus cpro-account, so the gateway answers it before Chorus Pro
		// checks the account. assumption: the body.
		writeJSON(w, http.StatusForbidden, pisteError{Error: "Accès refusé",
			Message: "L'application n'est pas autorisée à appeler cette API (abonnement absent) : " + path})
		return
	}
	if f := s.checkAccount(r); f != nil {
		unauthorized(f)
		return
	}
	rt, ok := s.routes[path]
	if !ok {
		// chorus-pro.md §2.11: 404 « API non trouvée ».
		writeJSON(w, http.StatusNotFound, httpError{Error: "API non trouvée"})
		return
	}
	if r.Method != rt.method {
		// assumption: the gateway's answer to a wrong method.
		w.Header().Set("Allow", rt.method)
		writeJSON(w, http.StatusMethodNotAllowed, httpError{Error: "Méthode non autorisée"})
		return
	}
	if rt.method == http.MethodPost {
		// chorus-pro.md §1.4, §2.11: JSON only, else 415.
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/json") {
			writeJSON(w, http.StatusUnsupportedMediaType, httpError{Error: "Format de la requête non supporté"})
			return
		}
		if err := readErr; err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, httpError{Error: "Requête trop volumineuse"})
				return
			}
			writeJSON(w, http.StatusBadRequest, httpError{Error: "Requête mal formulée"})
			return
		}
	}
	status, payload := rt.handler(s, body)
	out, err := json.Marshal(payload)
	if q := s.Quirks(); err == nil && (q.SingleObjects || q.SingleObjectsAll) {
		out, err = collapseSingletons(out, q.SingleObjectsAll)
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, httpError{Error: "Erreur interne du serveur", Description: err.Error()})
		return
	}
	if status == http.StatusOK && s.loseResponse(path) {
		if d, ok := payload.(chorus.DeposerFluxResponse); ok {
			s.markAnswerLost(d.NumeroFluxDepot, arrived)
		}
		s.faultCount.lost.Add(1)
		dropConnection(w)
		return
	}
	w.Header().Set("Content-Type", chorus.ContentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(out)
	if d, ok := payload.(chorus.DeposerFluxResponse); ok {
		s.markAnswered(d.NumeroFluxDepot, arrived)
	}
}

// dropConnection closes the client's connection without an answer: the
// call was applied but its response is lost.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
		return
	}
	// HTTP/2 or a writer that cannot hijack: abort the stream instead.
	panic(http.ErrAbortHandler)
}

// badRequest is the answer to a body that is not the expected JSON.
// chorus-pro.md §2.11: 400 « Requête mal formulée ».
func badRequest(err error) (int, any) {
	return http.StatusBadRequest, httpError{Error: "Requête mal formulée", Description: err.Error()}
}

// decode reads a JSON body into v; an empty body is an empty object.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return json.Unmarshal(body, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		status, out = http.StatusInternalServerError, []byte(`{"error":"Erreur interne du serveur"}`)
	}
	w.Header().Set("Content-Type", chorus.ContentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// newRNG returns the fault-injection generator for seed.
func newRNG(seed uint64) *mrand.Rand {
	return mrand.New(mrand.NewPCG(seed, 0x63686f7275737062)) // "choruspb"
}

package dashboard

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/hibiken/asynq"
)

// The stylesheet and script are served to anyone, so that the login page
// is styled; directories are not listed, and the pages stay closed.
func TestStaticAssetsArePublic(t *testing.T) {
	e := newEnv(t)
	css, err := fs.ReadFile(staticFS, "static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	js, err := fs.ReadFile(staticFS, "static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		code  int
		ctype string
		body  []byte
	}{
		{"/static/style.css", http.StatusOK, "text/css; charset=utf-8", css},
		{"/static/app.js", http.StatusOK, "text/javascript; charset=utf-8", js},
		{"/static/", http.StatusNotFound, "text/html; charset=utf-8", nil},
		{"/static/absent.css", http.StatusNotFound, "text/html; charset=utf-8", nil},
		{"/static/style.css/", http.StatusNotFound, "text/html; charset=utf-8", nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := e.do("GET", tc.path, nil, nil, "Accept", "*/*")
			if w.Code != tc.code || w.Header().Get("Content-Type") != tc.ctype {
				t.Fatalf("status %d, %q; want %d, %q\n%s", w.Code, w.Header().Get("Content-Type"), tc.code, tc.ctype, w.Body.String())
			}
			if tc.body != nil && w.Body.String() != string(tc.body) {
				t.Fatal("the asset served is not the embedded file")
			}
			if strings.Contains(w.Body.String(), `href="style.css"`) {
				t.Fatal("a directory was listed")
			}
			h := w.Header()
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
				h.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("security headers missing: %v", h)
			}
		})
	}
	// The login page an anonymous visitor gets links the stylesheet he may
	// fetch; the pages themselves still need a session.
	if w := e.do("GET", "/connexion", nil, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<link rel="stylesheet" href="/static/style.css">`) {
		t.Fatalf("login page: %d\n%s", w.Code, w.Body.String())
	}
	if w := e.do("GET", "/retards", nil, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("a page without a session: %d", w.Code)
	}
}

// safeNext keeps a redirect on this site whatever a browser would make of
// it: controls removed (browsers drop tabs and newlines from URLs) and
// backslashes read as slashes (as browsers do) before it is judged.
func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Hostile: each would leave the site, or land on the login page.
		{"//evil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"/\n/evil.example/", "/"},
		{"/\r\n/evil.example/", "/"},
		{"\t//evil.example/", "/"},
		{"/\x00/evil.example/", "/"},
		{"\x00//evil.example/", "/"},
		{"/\x7f/evil.example/", "/"},
		{"/\u0085/evil.example/", "/"},
		{"/\u009f/evil.example/", "/"},
		{`/\evil.example/`, "/"},
		{`\\evil.example/`, "/"},
		{`/\/evil.example/`, "/"},
		{`\/evil.example/`, "/"},
		{"/\t\\evil.example/", "/"},
		{"///evil.example/", "/"},
		{"https://evil.example/", "/"},
		{"http:evil.example", "/"},
		{"HTTPS:\\\\evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"data:text/html,<script>alert(1)</script>", "/"},
		{"evil.example", "/"},
		{" /retards", "/"},
		{"", "/"},
		{"//", "/"},
		{"/connexion?suite=//evil.example/", "/"},
		{"/connexion", "/"},
		{"/" + strings.Repeat("a", maxNextLength), "/"},
		// Paths of this site, kept (their controls removed).
		{"/retards", "/retards"},
		{"/factures/CT2025-000001?onglet=audit#piste", "/factures/CT2025-000001?onglet=audit#piste"},
		{"/courrier?a_envoyer=1&q=a+b", "/courrier?a_envoyer=1&q=a+b"},
		{"/re\ttards", "/retards"},
		{"/%09/evil.example/", "/%09/evil.example/"}, // still encoded: a path here
		{"/", "/"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%.80q) = %.80q, want %q", tc.in, got, tc.want)
		}
	}
}

// Neither the login form's suite nor the postal form's retour sends the
// browser elsewhere through a control character.
func TestNoOpenRedirectThroughControls(t *testing.T) {
	const evil = "/\t/evil.example/"
	e := newEnv(t)
	// The login page keeps only a safe destination in its form.
	w := e.do("GET", "/connexion?suite="+url.QueryEscape(evil), nil, nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="suite" value="/"`) {
		t.Fatalf("login page: %d\n%s", w.Code, w.Body.String())
	}
	for _, tc := range []struct {
		name   string
		path   string
		cookie *http.Cookie
		form   url.Values
	}{
		{"login", "/connexion", nil, url.Values{"utilisateur": {"olivia"}, "mot_de_passe": {testPassword}, "suite": {evil}}},
		{"login backslash", "/connexion", nil, url.Values{"utilisateur": {"olivia"}, "mot_de_passe": {testPassword}, "suite": {`/\evil.example/`}}},
		{"postal", "/courrier/envoi", e.operator, url.Values{"facture": {e.postal}, "date": {"2026-03-01"}, "retour": {evil}}},
		{"postal refused", "/courrier/envoi", e.operator, url.Values{"date": {"2026-03-01"}, "retour": {"/\n/evil.example/"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("POST", tc.path, tc.cookie, tc.form)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
				t.Fatalf("%d to %q, want 303 to /", w.Code, w.Header().Get("Location"))
			}
		})
	}
}

// clock is a settable clock for the tests of delays.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// from is the dashboard as reached from a TCP peer: the request's
// RemoteAddr is the X-Test-Peer header (httptest gives every request the
// same one).
func from(e *env) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.Header.Get("X-Test-Peer"); p != "" {
			r.RemoteAddr = p
		}
		e.srv.ServeHTTP(w, r)
	})
}

// loginFrom posts the login form from a peer, headers in pairs after.
func loginFrom(e *env, peer, user, password string, hdr ...string) *httptest.ResponseRecorder {
	form := url.Values{"utilisateur": {user}, "mot_de_passe": {password}, "suite": {"/retards"}}
	return send(from(e), "POST", "/connexion", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil,
		append([]string{"X-Test-Peer", peer}, hdr...)...)
}

// Failed logins slow down the next attempts of that user from that
// address, more at each failure, without locking the account: the
// password is not even checked while waiting, a success forgets the
// failures, and the user elsewhere is not affected.
func TestLoginDelaysGrowPerUserAndAddress(t *testing.T) {
	clk := &clock{now: today}
	e := newEnv(t, func(c *Config) { c.Now = clk.Now })
	const attacker, office = "203.0.113.9:5000", "198.51.100.7:6000"
	type step struct {
		wait       time.Duration // advanced before the attempt
		peer, pass string
		code       int
		retryAfter string
	}
	wrong := "mauvais mot de passe"
	for i, s := range []step{
		{0, attacker, wrong, http.StatusUnauthorized, ""},
		{0, attacker, wrong, http.StatusUnauthorized, ""},
		{0, attacker, wrong, http.StatusUnauthorized, ""},
		// From now on each attempt waits: 1 s, then 2 s, 4 s…
		{0, attacker, testPassword, http.StatusTooManyRequests, "1"},
		{time.Second, attacker, wrong, http.StatusUnauthorized, ""},
		{time.Second, attacker, testPassword, http.StatusTooManyRequests, "1"},
		{time.Second, attacker, wrong, http.StatusUnauthorized, ""},
		{0, attacker, wrong, http.StatusTooManyRequests, "4"},
		// The user at the office signs in meanwhile.
		{0, office, testPassword, http.StatusSeeOther, ""},
		{4 * time.Second, attacker, wrong, http.StatusUnauthorized, ""},
		{0, attacker, wrong, http.StatusTooManyRequests, "8"},
	} {
		clk.Add(s.wait)
		w := loginFrom(e, s.peer, "olivia", s.pass)
		if w.Code != s.code || w.Header().Get("Retry-After") != s.retryAfter {
			t.Fatalf("step %d: %d, Retry-After %q; want %d, %q", i, w.Code, w.Header().Get("Retry-After"), s.code, s.retryAfter)
		}
		if s.code == http.StatusTooManyRequests && !strings.Contains(w.Body.String(), "réessayez dans "+s.retryAfter+"\u00a0s") {
			t.Fatalf("step %d: the page does not say how long to wait:\n%s", i, w.Body.String())
		}
	}
	// The delay grows to 15 minutes, never more.
	for i := 0; i < 20; i++ {
		clk.Add(time.Hour)
		loginFrom(e, attacker, "olivia", wrong)
	}
	if w := loginFrom(e, attacker, "olivia", wrong); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "900" ||
		!strings.Contains(w.Body.String(), "réessayez dans 15\u00a0min") {
		t.Fatalf("capped delay: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// Once waited, the right password opens a session and forgets the
	// failures: the next mistake is not delayed.
	clk.Add(15 * time.Minute)
	if w := loginFrom(e, attacker, "olivia", testPassword); w.Code != http.StatusSeeOther {
		t.Fatalf("login after the wait: %d", w.Code)
	}
	if w := loginFrom(e, attacker, "olivia", wrong); w.Code != http.StatusUnauthorized {
		t.Fatalf("a mistake after a success: %d", w.Code)
	}
}

// One address trying many names (password spraying) is slowed down too,
// much later than one name, and never locked.
func TestLoginDelaysPasswordSprayingPerAddress(t *testing.T) {
	clk := &clock{now: today}
	e := newEnv(t, func(c *Config) {
		c.Now = clk.Now
		c.LoginLimits = LoginLimits{AddressFree: 5}
	})
	const sprayer = "203.0.113.9:5000"
	for i := range 5 {
		if w := loginFrom(e, sprayer, fmt.Sprintf("agent%d", i), "Printemps2026!"); w.Code != http.StatusUnauthorized {
			t.Fatalf("name %d: %d", i, w.Code)
		}
	}
	if w := loginFrom(e, sprayer, "victor", testPassword); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("sixth name from the address: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := loginFrom(e, "198.51.100.7:6000", "victor", testPassword); w.Code != http.StatusSeeOther {
		t.Fatalf("another address: %d", w.Code)
	}
	clk.Add(time.Second)
	if w := loginFrom(e, sprayer, "victor", testPassword); w.Code != http.StatusSeeOther {
		t.Fatalf("after the wait: %d", w.Code)
	}
}

// X-Forwarded-For is believed only from a trusted proxy: a client
// reaching the dashboard directly cannot choose its address, and behind
// the proxy each client has its own delays.
func TestLoginClientAddressBehindTrustedProxy(t *testing.T) {
	clk := &clock{now: today}
	const proxy = "10.0.0.2:40000"
	fail := func(e *env, xff string) {
		for range 3 {
			loginFrom(e, proxy, "olivia", "mauvais mot de passe", "X-Forwarded-For", xff)
		}
	}
	// No trusted proxy: the header is the client's word, ignored.
	direct := newEnv(t, func(c *Config) { c.Now = clk.Now })
	fail(direct, "203.0.113.9")
	if w := loginFrom(direct, proxy, "olivia", testPassword, "X-Forwarded-For", "198.51.100.7"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("a spoofed X-Forwarded-For escaped the delay: %d", w.Code)
	}
	// The proxy trusted: its clients are told apart.
	proxied := newEnv(t, func(c *Config) {
		c.Now = clk.Now
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	fail(proxied, "203.0.113.9")
	if w := loginFrom(proxied, proxy, "olivia", testPassword, "X-Forwarded-For", "203.0.113.9"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the client behind the proxy is not delayed: %d", w.Code)
	}
	if w := loginFrom(proxied, proxy, "olivia", testPassword, "X-Forwarded-For", "198.51.100.7"); w.Code != http.StatusSeeOther {
		t.Fatalf("another client behind the proxy: %d", w.Code)
	}
	// A client prepending an address of its choice is still itself.
	if w := loginFrom(proxied, proxy, "olivia", testPassword, "X-Forwarded-For", "198.51.100.8, 203.0.113.9"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("a prepended address escaped the delay: %d", w.Code)
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"no proxy trusted: header ignored", nil, "10.0.0.2:1", []string{"203.0.113.9"}, "10.0.0.2"},
		{"peer not trusted: header ignored", trusted, "192.0.2.5:1", []string{"203.0.113.9"}, "192.0.2.5"},
		{"trusted proxy, no header", trusted, "10.0.0.2:1", nil, "10.0.0.2"},
		{"trusted proxy", trusted, "10.0.0.2:1", []string{"203.0.113.9"}, "203.0.113.9"},
		{"rightmost untrusted wins", trusted, "10.0.0.2:1", []string{"198.51.100.1, 203.0.113.9, 10.0.0.3"}, "203.0.113.9"},
		{"several header lines", trusted, "10.0.0.2:1", []string{"198.51.100.1", "203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
		{"only proxies", trusted, "10.0.0.2:1", []string{"10.9.9.9, 10.0.0.3"}, "10.9.9.9"},
		{"garbage from the client", trusted, "10.0.0.2:1", []string{"not-an-ip, 10.0.0.3"}, "10.0.0.3"},
		{"with a port", trusted, "10.0.0.2:1", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6 peer and client", trusted, "[2001:db8:ffff::1]:443", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"IPv4-mapped peer", trusted, "[::ffff:10.0.0.2]:1", []string{"203.0.113.9"}, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tc.trusted); got.String() != tc.want {
				t.Fatalf("clientIP = %s, want %s", got, tc.want)
			}
		})
	}
}

// The failures remembered are bounded: forgotten after a while, and never
// more than MaxEntries of each kind, whatever the flood of names.
func TestLoginLimiterMemoryIsBounded(t *testing.T) {
	clk := &clock{now: today}
	for _, tc := range []struct {
		name      string
		names     int
		after     time.Duration
		wantPairs int
	}{
		{"a flood of names", 1000, 0, 100},
		{"forgotten", 50, 25 * time.Hour, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoginLimiter(LoginLimits{MaxEntries: 100}, clk.Now)
			addr := netip.MustParseAddr("203.0.113.9")
			for i := range tc.names {
				l.fail(addr, fmt.Sprintf("nom%d", i))
			}
			clk.Add(tc.after)
			if w := l.wait(addr, "nom0"); tc.after > 0 && w != 0 {
				t.Fatalf("still waiting %s after %s", w, tc.after)
			}
			l.fail(netip.MustParseAddr("198.51.100.7"), "victor") // a failure sweeps when over the bound
			if len(l.pairs) > tc.wantPairs || len(l.addrs) > 2 {
				t.Fatalf("%d pairs and %d addresses remembered, want at most %d and 2", len(l.pairs), len(l.addrs), tc.wantPairs)
			}
		})
	}
}

// The queue console shows a failed task's error message redacted as its
// payload is: an error may quote a token, a URL with its secret, a name.
func TestQueueConsoleRedactsErrorMessages(t *testing.T) {
	const secret = "jeton-Zx81-secret"
	redis := asynq.RedisClientOpt{Addr: redistest.Start(t)}
	e := newEnv(t, func(c *Config) { c.Redis = redis })
	client := asynq.NewClient(redis)
	defer client.Close()
	failing := []struct{ queue, id string }{{"default", "archivee"}, {"default", "a-reessayer"}}
	for i, f := range failing {
		if _, err := client.Enqueue(asynq.NewTask("invoice:deliver", []byte(`{"invoice_id":42,"iban":"FR7630001007941234567890185"}`)),
			asynq.Queue(f.queue), asynq.TaskID(f.id), asynq.MaxRetry(i)); err != nil {
			t.Fatal(err)
		}
	}
	srv := asynq.NewServer(redis, asynq.Config{Concurrency: 1, Queues: map[string]int{"default": 1}, Logger: quietLogger{},
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return time.Hour }})
	err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		return fmt.Errorf("POST https://chorus.example/cpro?access_token=%s: refusé pour Jean Dupont", secret)
	}))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(redis)
	defer insp.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		archived, _ := insp.ListArchivedTasks("default")
		retry, _ := insp.ListRetryTasks("default")
		if len(archived) == 1 && len(retry) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tasks did not fail: %d archived, %d to retry", len(archived), len(retry))
		}
	}
	srv.Shutdown()

	for _, path := range []string{
		"/queues/api/queues/default/archived_tasks",
		"/queues/api/queues/default/retry_tasks",
		"/queues/api/queues/default/tasks/archivee",
		"/queues/api/queues/default/tasks/a-reessayer",
	} {
		for _, who := range []*http.Cookie{e.viewer, e.operator} {
			w := e.do("GET", path, who, nil, "Accept", "application/json")
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, `"error_message":"[masqué`) || !strings.Contains(body, `\"invoice_id\":42`) {
				t.Fatalf("%s: %d\n%s", path, w.Code, body)
			}
			for _, leak := range []string{secret, "Jean Dupont", "FR7630001007941234567890185"} {
				if strings.Contains(body, leak) {
					t.Fatalf("%s shows %q:\n%s", path, leak, body)
				}
			}
		}
	}
}

// quietLogger keeps the asynq server of a test silent.
type quietLogger struct{}

func (quietLogger) Debug(...any) {}
func (quietLogger) Info(...any)  {}
func (quietLogger) Warn(...any)  {}
func (quietLogger) Error(...any) {}
func (quietLogger) Fatal(...any) {}

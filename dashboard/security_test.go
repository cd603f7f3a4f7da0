package dashboard

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
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

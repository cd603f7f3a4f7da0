package dashboard

import (
	"io/fs"
	"net/http"
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

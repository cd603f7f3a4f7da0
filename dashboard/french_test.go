package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestErrorPagesAreFrench(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, method, path string
		operator           bool
		form               url.Values
		status             int
		want               []string
		allow              string
	}{
		{"unknown page", "GET", "/nulle-part", false, nil, http.StatusNotFound, []string{"Page introuvable", "Cette page n&#39;existe pas."}, ""},
		{"unknown invoice", "GET", "/factures/XX0000-000000", false, nil, http.StatusNotFound, []string{"Page introuvable", "Facture introuvable."}, ""},
		{"post on a page", "POST", "/a-completer", true, url.Values{}, http.StatusMethodNotAllowed,
			[]string{"Méthode non autorisée", "méthode POST refusée"}, "GET, HEAD"},
		{"get on an action", "GET", "/courrier/envoi", true, nil, http.StatusMethodNotAllowed,
			[]string{"Méthode non autorisée", "méthode GET refusée"}, "POST"},
		{"nothing to resubmit", "GET", "/factures/" + e.overdue + "/resoumettre", true, nil, http.StatusConflict,
			[]string{"Action impossible", "n&#39;a rien à re-soumettre"}, ""},
		{"viewer acting", "POST", "/factures/" + e.rejected + "/resoumettre", false, url.Values{"confirmer": {"oui"}}, http.StatusForbidden,
			[]string{"Accès refusé", "Action réservée aux opérateurs"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cookie := e.viewer
			if tc.operator {
				cookie = e.operator
			}
			w := e.do(tc.method, tc.path, cookie, tc.form)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("the page lacks %q:\n%s", s, body)
				}
			}
			if english := http.StatusText(tc.status); strings.Contains(body, english) {
				t.Errorf("the page says %q", english)
			}
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow: %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestStatusTitlesAreFrench(t *testing.T) {
	for code := 400; code < 600; code++ {
		english := http.StatusText(code)
		if english == "" {
			continue
		}
		if got := statusTitle(code); got == english || got == "" {
			t.Errorf("%d: %q", code, got)
		}
	}
}

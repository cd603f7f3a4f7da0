package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// The corrections page lists the proposals with what they correct; only
// operators decide, through the pipeline, with their name and comment.
func TestCorrectionsPage(t *testing.T) {
	nb := "\u00a0"
	for _, tc := range []struct {
		name string
		// as is the user; post, when set, is the action posted (confirmer
		// or ecarter) with the comment.
		as      func(e *env) *http.Cookie
		post    string
		comment string
		err     error
		// status of the answer; flash the message the list then shows
		// (error when flashErr); call the pipeline call expected, if any.
		status   int
		flash    string
		flashErr bool
		call     *resubmitCall
		page     []string
		notPage  []string
	}{
		{name: "viewer sees the proposal, read-only", as: func(e *env) *http.Cookie { return e.viewer }, status: http.StatusOK,
			page: []string{"Corrections à confirmer", "Collège Surcouf", "19359964400021", "2025", "Contribution", "/factures/", "1" + nb + "234,56" + nb + "€",
				"2" + nb + "012,50" + nb + "€", "777,94" + nb + "€", "effectif 2025 corrigé : 30 → 45", "Aucune décision"},
			notPage: []string{"/confirmer\"", "/ecarter\""}},
		{name: "operator sees the forms", as: func(e *env) *http.Cookie { return e.operator }, status: http.StatusOK,
			page: []string{"/confirmer\"", "/ecarter\"", "Motif du refus (requis)"}},
		{name: "viewer cannot confirm", as: func(e *env) *http.Cookie { return e.viewer }, post: "confirmer", comment: "ok", status: http.StatusForbidden},
		{name: "viewer cannot dismiss", as: func(e *env) *http.Cookie { return e.viewer }, post: "ecarter", comment: "non", status: http.StatusForbidden},
		{name: "operator confirms with a comment", as: func(e *env) *http.Cookie { return e.operator }, post: "confirmer", comment: " vu avec la mairie ",
			status: http.StatusSeeOther, flash: "confirm", call: &resubmitCall{Reason: "confirm: vu avec la mairie", Actor: "user:olivia"}},
		{name: "operator confirms without a comment", as: func(e *env) *http.Cookie { return e.operator }, post: "confirmer",
			status: http.StatusSeeOther, flash: "confirm", call: &resubmitCall{Reason: "confirm: ", Actor: "user:olivia"}},
		{name: "operator dismisses with a comment", as: func(e *env) *http.Cookie { return e.operator }, post: "ecarter", comment: "convention particulière",
			status: http.StatusSeeOther, flash: "dismiss", call: &resubmitCall{Reason: "dismiss: convention particulière", Actor: "user:olivia"}},
		{name: "dismiss without a comment is refused", as: func(e *env) *http.Cookie { return e.operator }, post: "ecarter", comment: "  ",
			status: http.StatusSeeOther, flash: "un commentaire est requis", flashErr: true},
		{name: "changed since proposed", as: func(e *env) *http.Cookie { return e.operator }, post: "confirmer",
			err:    &worker.CorrectionChangedError{ID: 1, Proposal: &store.Correction{ID: 7, Reason: "effectif 2025 corrigé : 30 → 60"}},
			status: http.StatusSeeOther, flash: "plus à jour", flashErr: true,
			page: []string{"La correction #7 la remplace : effectif 2025 corrigé : 30 → 60"}},
		{name: "changed to nothing to correct", as: func(e *env) *http.Cookie { return e.operator }, post: "confirmer",
			err: &worker.CorrectionChangedError{ID: 1}, status: http.StatusSeeOther, flash: "plus rien à corriger", flashErr: true},
		{name: "already decided", as: func(e *env) *http.Cookie { return e.operator }, post: "ecarter", comment: "non",
			err: fmt.Errorf("dismiss: %w", store.ErrCorrectionDecided), status: http.StatusSeeOther, flash: "déjà été traitée", flashErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.actions.correctionErr = tc.err
			cookie := tc.as(e)
			var w = e.do("GET", "/corrections", cookie, nil)
			if tc.post != "" {
				w = e.do("POST", fmt.Sprintf("/corrections/%d/%s", e.correction, tc.post), cookie, url.Values{"commentaire": {tc.comment}})
			}
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", w.Code, tc.status, w.Body.String())
			}
			calls := e.actions.Calls()
			if tc.call == nil && len(calls) != 0 {
				t.Fatalf("the pipeline was called: %+v", calls)
			}
			if tc.call != nil {
				want := *tc.call
				want.Number = fmt.Sprintf("correction #%d", e.correction)
				if len(calls) != 1 || calls[0] != want {
					t.Fatalf("calls %+v, want %+v", calls, want)
				}
			}
			body := w.Body.String()
			if w.Code == http.StatusSeeOther {
				if loc := w.Header().Get("Location"); loc != "/corrections" {
					t.Fatalf("redirected to %q", loc)
				}
				// Follow the redirect with the flash cookie.
				next := e.do("GET", "/corrections", cookie, nil, "Cookie", flashCookieOf(t, w.Result().Cookies()))
				body = next.Body.String()
				class := "flash ok"
				if tc.flashErr {
					class = "flash err"
				}
				if !strings.Contains(body, class) || !strings.Contains(body, tc.flash) {
					t.Errorf("the list after the action lacks the %s %q:\n%s", class, tc.flash, body)
				}
			}
			for _, s := range tc.page {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tc.notPage {
				if strings.Contains(body, s) {
					t.Errorf("page shows %q", s)
				}
			}
		})
	}
}

// flashCookieOf is the flash cookie set by a response, as a Cookie header.
func flashCookieOf(t *testing.T, cookies []*http.Cookie) string {
	t.Helper()
	for _, c := range cookies {
		if c.Name == flashCookie {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("no flash set")
	return ""
}

// The overview counts the proposals and links to the list; the decided
// ones are listed with who decided and when.
func TestCorrectionsOverviewAndDecided(t *testing.T) {
	e := newEnv(t)
	if w := e.do("GET", "/", e.viewer, nil); !strings.Contains(w.Body.String(), `<a href="/corrections" class="act"><strong>1</strong> correction(s) à confirmer`) {
		t.Errorf("the overview does not count the proposal:\n%s", w.Body.String())
	}
	if _, err := e.books.DismissCorrection(t.Context(), e.correction, "user:olivia", "convention particulière"); err != nil {
		t.Fatal(err)
	}
	w := e.do("GET", "/corrections", e.viewer, nil)
	for _, s := range []string{"Aucune correction à confirmer", "écartée", "user:olivia", "convention particulière"} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("the list lacks %q", s)
		}
	}
	if w := e.do("GET", "/", e.viewer, nil); !strings.Contains(w.Body.String(), `<strong>0</strong> correction(s) à confirmer`) {
		t.Error("the overview still counts the dismissed proposal")
	}
}

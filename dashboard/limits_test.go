package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/store"
)

func TestCheckLength(t *testing.T) {
	for _, tc := range []struct {
		field, value string
		tooLong      bool
	}{
		{"motif", strings.Repeat("é", fieldLimits["motif"].Max), false},
		{"motif", strings.Repeat("é", fieldLimits["motif"].Max+1), true},
		{"commentaire", "", false},
		{"commentaire", strings.Repeat("x", 200_000), true},
		{"engagement", strings.Repeat("E", chorus.MaxLongueurReference), false},
		{"engagement", strings.Repeat("E", chorus.MaxLongueurReference+1), true},
		{"utilisateur", strings.Repeat("a", 64), true},
		{"mot_de_passe", strings.Repeat("a", MaxPasswordLength+1), true},
	} {
		err := checkLength(tc.field, tc.value)
		var le *LengthError
		if tc.tooLong != errors.As(err, &le) || (!tc.tooLong && err != nil) {
			t.Errorf("%s of %d characters: %v", tc.field, len([]rune(tc.value)), err)
		}
		if tc.tooLong && !strings.Contains(err.Error(), "« "+fieldLimits[tc.field].Label+" »") {
			t.Errorf("%s: the message does not name the field: %v", tc.field, err)
		}
	}
	if err := checkLength("champ_inconnu", "x"); err == nil {
		t.Error("a field without a limit passed")
	}
}

// The bounds agree with the rules they stand for: what is sent to Chorus
// Pro, with the user's name the dashboard adds, fits its limit; a name
// the users' rule accepts fits the login form.
func TestLimitsAgreeWithTheirRules(t *testing.T) {
	name := strings.Repeat("a", fieldLimits["utilisateur"].Max)
	if err := store.ValidUsername(name); err != nil {
		t.Errorf("the longest name the login takes is refused by the users' rule: %v", err)
	}
	if store.ValidUsername(name+"a") == nil {
		t.Error("the users' rule takes a name the login refuses")
	}
	sent := resubmitReason(strings.Repeat("é", fieldLimits["motif"].Max), name)
	if err := chorus.CheckComment(sent); err != nil {
		t.Errorf("the longest comment the form takes is refused by Chorus Pro's bound: %v", err)
	}
	if err := CheckPasswordStrength(strings.Repeat("a", MaxPasswordLength+1)); err == nil {
		t.Error("a password the login form refuses can be set")
	}
}

// Every free-text field the forms post is bounded on the server: too long,
// it is refused with a French message naming it, and nothing is written
// or sent; at the bound it passes whole.
func TestOverlongFieldsAreRefused(t *testing.T) {
	e := newEnv(t)
	over := func(field string) string { return strings.Repeat("x", fieldLimits[field].Max+1) }
	corr := fmt.Sprintf("/corrections/%d/", e.correction)
	for _, tc := range []struct {
		name      string
		path      string
		cookie    *http.Cookie
		form      url.Values
		multipart bool
		code      int
		label     string
	}{
		{"login name", "/connexion", nil, url.Values{"utilisateur": {over("utilisateur")}, "mot_de_passe": {testPassword}}, false, http.StatusUnprocessableEntity, "Identifiant"},
		{"login password", "/connexion", nil, url.Values{"utilisateur": {"olivia"}, "mot_de_passe": {over("mot_de_passe")}}, false, http.StatusUnprocessableEntity, "Mot de passe"},
		{"resubmit reason", "/factures/" + e.rejected + "/resoumettre", e.operator,
			url.Values{"confirmer": {"oui"}, "etat": {"rejected/REJETEE"}, "motif": {strings.Repeat("x", 200_000)}}, false, http.StatusUnprocessableEntity, "Commentaire"},
		{"completion reason", "/factures/" + e.suspended + "/resoumettre", e.operator,
			url.Values{"confirmer": {"oui"}, "etat": {"delivered/SUSPENDUE"}, "motif": {over("motif")}}, true, http.StatusUnprocessableEntity, "Commentaire"},
		{"code service", "/factures/" + e.awaiting + "/references", e.operator, url.Values{"code_service": {over("code_service")}, "engagement": {"EJ-1"}}, false, http.StatusUnprocessableEntity, "Code service"},
		{"engagement", "/factures/" + e.awaiting + "/references", e.operator, url.Values{"engagement": {over("engagement")}}, false, http.StatusUnprocessableEntity, "N° d&#39;engagement"},
		{"correction confirmed", corr + "confirmer", e.operator, url.Values{"commentaire": {over("commentaire")}}, false, http.StatusSeeOther, "Commentaire"},
		{"correction dismissed", corr + "ecarter", e.operator, url.Values{"commentaire": {over("commentaire")}}, false, http.StatusSeeOther, "Commentaire"},
		{"postal invoice number", "/courrier/envoi", e.operator, url.Values{"facture": {e.postal, over("facture")}, "date": {"2026-03-01"}}, false, http.StatusSeeOther, "N° de facture"},
		{"print batch filter", "/courrier/lot.pdf", e.operator, url.Values{"q": {over("q")}}, false, http.StatusUnprocessableEntity, "Filtre"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.actions.reset()
			before := len(e.audit(e.postal)) + len(e.audit(e.awaiting)) + len(e.audit(e.rejected))
			var w interface {
				Result() *http.Response
			}
			var code int
			var body string
			if tc.multipart {
				r := postFiles(t, e.srv, tc.path, tc.cookie, tc.form, nil)
				w, code, body = r, r.Code, r.Body.String()
			} else {
				r := e.do("POST", tc.path, tc.cookie, tc.form)
				w, code, body = r, r.Code, r.Body.String()
			}
			if code == http.StatusSeeOther {
				body = flashOf(w)
			}
			if code != tc.code || !strings.Contains(body, "« "+tc.label+" »") || !strings.Contains(body, "caractères") {
				t.Fatalf("%d, want %d naming « %s »:\n%.2000s", code, tc.code, tc.label, body)
			}
			after := len(e.audit(e.postal)) + len(e.audit(e.awaiting)) + len(e.audit(e.rejected))
			if calls := e.actions.Calls(); len(calls) != 0 || after != before {
				t.Fatalf("something was written: %d pipeline calls, %d → %d audit rows", len(calls), before, after)
			}
		})
	}
	// At the bound, the text goes whole to the pipeline.
	e.actions.reset()
	motif := strings.Repeat("m", fieldLimits["motif"].Max)
	w := e.do("POST", "/factures/"+e.rejected+"/resoumettre", e.operator, url.Values{"confirmer": {"oui"}, "etat": {"rejected/REJETEE"}, "motif": {motif}})
	if calls := e.actions.Calls(); w.Code != http.StatusSeeOther || len(calls) != 1 || calls[0].Reason != resubmitReason(motif, "olivia") {
		t.Fatalf("a reason at the bound: %d %+v", w.Code, calls)
	}
	comment := strings.Repeat("c", fieldLimits["commentaire"].Max)
	e.do("POST", corr+"confirmer", e.operator, url.Values{"commentaire": {comment}})
	if calls := e.actions.Calls(); len(calls) != 2 || calls[1].Reason != "confirm: "+comment {
		t.Fatalf("a comment at the bound: %+v", calls)
	}
}

// flashOf is the one-time message a redirect leaves.
// The forms say the same bounds as maxlength, from the same table.
func TestFormsShowTheLimits(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path   string
		fields []string
	}{
		{"/connexion", []string{"utilisateur", "mot_de_passe"}},
		{"/factures/" + e.awaiting, []string{"code_service", "engagement"}},
		{"/factures/" + e.rejected + "/resoumettre", []string{"motif"}},
		{"/factures/" + e.suspended + "/resoumettre", []string{"motif"}},
		{"/corrections", []string{"commentaire"}},
		{"/courrier", []string{"q"}},
	} {
		cookie := e.operator
		if tc.path == "/connexion" {
			cookie = nil
		}
		body := e.do("GET", tc.path, cookie, nil).Body.String()
		for _, f := range tc.fields {
			tags := regexp.MustCompile(`<(?:input|textarea)[^>]*\sname="`+f+`"[^>]*>`).FindAllString(body, -1)
			tags = slices.DeleteFunc(tags, func(tag string) bool { return strings.Contains(tag, `type="hidden"`) })
			if len(tags) == 0 {
				t.Errorf("%s: no field %s", tc.path, f)
			}
			for _, tag := range tags {
				if want := fmt.Sprintf(`maxlength="%d"`, fieldLimits[f].Max); !strings.Contains(tag, want) {
					t.Errorf("%s: %s lacks %s", tc.path, tag, want)
				}
			}
		}
	}
}

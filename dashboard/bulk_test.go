package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/worker"
)

// flashOf is the one-time message a response sets, "ok:" or "err:" then
// the text ("" when none).
func flashOf(w interface{ Result() *http.Response }) string {
	for _, c := range w.Result().Cookies() {
		if c.Name == flashCookie && c.Value != "" {
			return decodeFlash(c.Value)
		}
	}
	return ""
}

func idOf(e *env, number string) string { return strconv.FormatInt(e.invoice(number).ID, 10) }

// TestBulkRedepositToVerify selects the invoices to verify on a page,
// confirms once, and each is deposited again through the real pipeline,
// audited with the operator and the comment; one that changed since the
// confirmation is left, and the result says which and why.
func TestBulkRedepositToVerify(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Actions = c.Actions.(*fakeActions).p })
	deposited, delivering, searching := e.toVerify()

	// Viewers see no selection; operators get a box per invoice and one
	// for the whole page.
	if body := e.do("GET", "/a-verifier", e.viewer, nil).Body.String(); strings.Contains(body, `name="facture"`) || strings.Contains(body, "/a-verifier/lot") {
		t.Error("the viewer is shown the selection")
	}
	body := e.do("GET", "/a-verifier", e.operator, nil).Body.String()
	for _, want := range []string{`<form id="lot" method="post" action="/a-verifier/lot"`, `data-select-all="facture"`,
		`name="facture" value="` + idOf(e, deposited) + `" form="lot"`, `name="sur_la_page" value="` + idOf(e, delivering) + `" form="lot"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the operator's list lacks %q", want)
		}
	}

	// « Tout sélectionner » takes the page's invoices (without script).
	w := e.do("POST", "/a-verifier/lot", e.operator, url.Values{"tout": {"page"}, "sur_la_page": {idOf(e, deposited), idOf(e, delivering), idOf(e, searching)}})
	body = w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("confirmation: %d\n%s", w.Code, body)
	}
	for _, want := range []string{"Déposer à nouveau : 2 facture(s) ?", deposited, delivering, "Vérifiez sur le portail Chorus Pro",
		searching + `</a></td>`, "<strong>Ignorée :</strong> n&#39;est plus dans la liste « À vérifier sur Chorus Pro »",
		`name="etat_` + idOf(e, deposited) + `" value="deposited/A_VERIFIER"`, `name="etat_` + idOf(e, delivering) + `" value="delivering/A_VERIFIER"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
	if strings.Contains(body, `name="facture" value="`+idOf(e, searching)+`"`) {
		t.Error("the confirmation would act on an invoice not in the list")
	}

	confirmed := url.Values{"confirmer": {"oui"}, "facture": {idOf(e, deposited), idOf(e, delivering)}, "motif": {"absentes du portail"},
		"etat_" + idOf(e, deposited): {"deposited/A_VERIFIER"}, "etat_" + idOf(e, delivering): {"delivering/IN_INTEGRE"}}
	before := map[string]int{deposited: len(e.audit(deposited)), delivering: len(e.audit(delivering))}
	tooLong := url.Values{}
	for k, v := range confirmed {
		tooLong[k] = v
	}
	tooLong.Set("motif", strings.Repeat("é", fieldLimits["motif"].Max+1))
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
		form   url.Values
		code   int
		flash  string
	}{
		{"viewer", e.viewer, confirmed, http.StatusForbidden, ""},
		{"not confirmed", e.operator, url.Values{"facture": {idOf(e, deposited)}}, http.StatusSeeOther, "err:Action non confirmée : rien n'a été fait."},
		{"nothing selected", e.operator, url.Values{"confirmer": {"oui"}}, http.StatusSeeOther, "err:Aucune facture sélectionnée : cochez les factures à traiter."},
		{"unreadable", e.operator, url.Values{"confirmer": {"oui"}, "facture": {"12;DROP"}}, http.StatusSeeOther, "err:Sélection illisible : rien n'a été fait."},
		{"comment too long", e.operator, tooLong, http.StatusUnprocessableEntity, ""},
	} {
		w := e.do("POST", "/a-verifier/lot/executer", tc.cookie, tc.form)
		if w.Code != tc.code || flashOf(w) != tc.flash {
			t.Errorf("%s: %d %q, want %d %q", tc.name, w.Code, flashOf(w), tc.code, tc.flash)
		}
		if tc.code == http.StatusUnprocessableEntity && !strings.Contains(w.Body.String(), fmt.Sprintf("« Commentaire » : %d caractères, %d au plus.", fieldLimits["motif"].Max+1, fieldLimits["motif"].Max)) {
			t.Errorf("%s: the confirmation does not say why", tc.name)
		}
		for n, b := range before {
			if len(e.audit(n)) != b {
				t.Fatalf("%s changed %s", tc.name, n)
			}
		}
	}
	if w := e.do("POST", "/a-verifier/lot", e.viewer, url.Values{"facture": {idOf(e, deposited)}}); w.Code != http.StatusForbidden {
		t.Errorf("viewer's selection: %d", w.Code)
	}

	w = e.do("POST", "/a-verifier/lot/executer", e.operator, confirmed)
	want := "err:Déposer à nouveau : 1 facture(s) sur 2. Échecs : " + delivering + " : La facture" +
		" a changé depuis l'affichage de la confirmation : vérifiez de nouveau avant d'agir."
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/a-verifier" || flashOf(w) != want {
		t.Fatalf("run: %d %s %q\nwant %q", w.Code, w.Header().Get("Location"), flashOf(w), want)
	}
	if inv := e.invoice(deposited); inv.State != invoice.StateDelivering || inv.ChorusStatus != "" {
		t.Errorf("deposited after the run: %s/%s", inv.State, inv.ChorusStatus)
	}
	trail := e.audit(deposited)
	if last := trail[len(trail)-1]; len(trail) != before[deposited]+1 || last.Actor != "user:olivia" || last.Reason != "absentes du portail (olivia)" ||
		last.To != string(invoice.StateDelivering) {
		t.Errorf("audit of %s: %+v", deposited, last)
	}
	if inv := e.invoice(delivering); inv.ChorusStatus != worker.StatusToVerify || len(e.audit(delivering)) != before[delivering] {
		t.Errorf("the changed invoice was acted on: %s", inv.ChorusStatus)
	}
}

// TestBulkRejected offers the platform's rejections only (a buyer's
// rejection needs a credit note, one at a time), and runs the single
// re-submission for each confirmed.
func TestBulkRejected(t *testing.T) {
	e := newEnv(t)
	body := e.do("GET", "/rejets", e.operator, nil).Body.String()
	if !strings.Contains(body, `name="facture" value="`+idOf(e, e.platformRejected)+`"`) || strings.Contains(body, `name="facture" value="`+idOf(e, e.rejected)+`"`) {
		t.Error("the boxes are not those of the platform's rejections")
	}
	if body := e.do("GET", "/rejets", e.viewer, nil).Body.String(); strings.Contains(body, `type="checkbox"`) || strings.Contains(body, "Re-soumettre…") {
		t.Error("the viewer is shown operator controls")
	}
	w := e.do("POST", "/rejets/lot", e.operator, url.Values{"facture": {idOf(e, e.platformRejected), idOf(e, e.rejected), idOf(e, e.platformRejected)}})
	body = w.Body.String()
	for _, want := range []string{"Déposer à nouveau : 1 facture(s) ?", "la même facture " + e.platformRejected + " (même numéro) sera déposée à nouveau",
		"<strong>Ignorée :</strong> se traite une par une, depuis sa page", "Déposer à nouveau (1 facture(s))"} {
		if !strings.Contains(body, want) {
			t.Errorf("the confirmation lacks %q\n%s", want, body)
		}
	}
	// A selection larger than a page is refused whole.
	many := url.Values{}
	for i := 1; i <= maxBulk+1; i++ {
		many.Add("facture", fmt.Sprint(i))
	}
	if w := e.do("POST", "/rejets/lot", e.operator, many); flashOf(w) != "err:Sélection trop grande : 501 factures, 500 au plus (une page). Rien n'a été fait." {
		t.Errorf("501 selected: %d %q", w.Code, flashOf(w))
	}

	w = e.do("POST", "/rejets/lot/executer", e.operator, url.Values{"confirmer": {"oui"}, "facture": {idOf(e, e.platformRejected), idOf(e, e.rejected)},
		"etat_" + idOf(e, e.platformRejected): {"rejected/IN_REJETE"}, "etat_" + idOf(e, e.rejected): {"rejected/REJETEE"}})
	calls := e.actions.Calls()
	if len(calls) != 1 || calls[0] != (resubmitCall{Number: e.platformRejected, Reason: "re-soumission depuis le tableau de bord (olivia)", Actor: "user:olivia"}) {
		t.Errorf("pipeline calls %+v", calls)
	}
	if want := "err:Déposer à nouveau : 1 facture(s) sur 2. Échecs : " + e.rejected + " : se traite une par une, depuis sa page."; flashOf(w) != want {
		t.Errorf("result %q, want %q", flashOf(w), want)
	}
	// Nobody but an operator of this site reaches the bulk routes.
	sel := url.Values{"confirmer": {"oui"}, "facture": {idOf(e, e.platformRejected)}, "etat_" + idOf(e, e.platformRejected): {"rejected/IN_REJETE"}}
	for _, path := range []string{"/rejets/lot", "/rejets/lot/executer", "/a-verifier/lot", "/a-verifier/lot/executer"} {
		for _, tc := range []struct {
			name   string
			cookie *http.Cookie
			hdr    []string
			code   int
		}{
			{"anonymous", nil, nil, http.StatusUnauthorized},
			{"viewer", e.viewer, nil, http.StatusForbidden},
			{"cross-origin", e.operator, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
		} {
			if w := e.do("POST", path, tc.cookie, sel, tc.hdr...); w.Code != tc.code {
				t.Errorf("%s POST %s: %d, want %d", tc.name, path, w.Code, tc.code)
			}
		}
	}
	if n := len(e.actions.Calls()); n != 1 {
		t.Fatalf("%d pipeline calls after the refused requests, want 1", n)
	}
	// All done: the result is no error.
	w = e.do("POST", "/rejets/lot/executer", e.operator, url.Values{"confirmer": {"oui"}, "facture": {idOf(e, e.platformRejected)},
		"etat_" + idOf(e, e.platformRejected): {"rejected/IN_REJETE"}, "motif": {"SIRET corrigé"}})
	if flashOf(w) != "ok:Déposer à nouveau : 1 facture(s) sur 1." || len(e.actions.Calls()) != 2 || e.actions.Calls()[1].Reason != "SIRET corrigé (olivia)" {
		t.Errorf("result %q, calls %+v", flashOf(w), e.actions.Calls())
	}
}

// TestResubmitCommentIsBounded: the single re-submission refuses the
// comment the bulk one refuses, and sends nothing.
func TestResubmitCommentIsBounded(t *testing.T) {
	e := newEnv(t)
	w := e.do("POST", "/factures/"+e.rejected+"/resoumettre", e.operator, url.Values{"confirmer": {"oui"}, "etat": {"rejected/REJETEE"},
		"motif": {strings.Repeat("x", fieldLimits["motif"].Max+1)}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), fmt.Sprintf("« Commentaire » : %d caractères, %d au plus.", fieldLimits["motif"].Max+1, fieldLimits["motif"].Max)) || len(e.actions.Calls()) != 0 {
		t.Errorf("%d, %d calls", w.Code, len(e.actions.Calls()))
	}
}

package dashboard

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// toRecycle makes an invoice its buyer sent back (A_RECYCLER) from the
// service ANCIEN-SERVICE; with yearCode, the books hold that code service
// for the establishment's 2026.
func (e *env) toRecycle(yearCode string) string {
	e.t.Helper()
	s := func(v string) *string { return &v }
	id := int64(4242)
	est := e.ests[6]
	n := e.mk(est, "500.00", time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC),
		store.Change{To: invoice.StateDelivering, Channel: s("chorus"), CodeService: s("ANCIEN-SERVICE")},
		store.Change{To: invoice.StateDeposited, ChorusInvoiceID: &id},
		store.Change{To: invoice.StateDelivered, ChorusStatus: s("A_RECYCLER"),
			StatusReason: s("A_RECYCLER : merci d'adresser la facture au service COMPTABILITE — action : corriger le destinataire et recycler (chorusbill resubmit)")})
	if yearCode != "" {
		if err := e.books.SetReferences(context.Background(), est.ID, 2026, yearCode, "", "test"); err != nil {
			e.t.Fatal(err)
		}
	}
	return n
}

// The confirmation of a recycle shows and requires the service the buyer
// asks for; an empty or malformed code is refused before anything is sent,
// the confirmation shown again; a good one is sent and said.
func TestRecycleAsksForTheService(t *testing.T) {
	e := newEnv(t)
	number := e.toRecycle("")
	w := e.do("GET", "/factures/"+number+"/resoumettre", e.operator, nil)
	body := html.UnescapeString(w.Body.String())
	for _, want := range []string{`<input name="code_service" value="" maxlength="100" required`, "Code service demandé par l'acheteur (obligatoire)",
		"aujourd'hui adressée au service ANCIEN-SERVICE", "merci d'adresser la facture au service COMPTABILITE", "Recycler vers ce service",
		"vers le code service qu'il demande"} {
		if w.Code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("confirmation (%d) lacks %q", w.Code, want)
		}
	}
	confirmed := func(code string) url.Values {
		return url.Values{"confirmer": {"oui"}, "etat": {"delivered/A_RECYCLER"}, "motif": {"service corrigé"}, "code_service": {code}}
	}
	for _, tc := range []struct{ code, says string }{
		{"", "La facture " + number + " est à recycler : le code service demandé par l'acheteur est obligatoire. Rien n'a été envoyé."},
		{"   ", "le code service demandé par l'acheteur est obligatoire"},
		{"SERVICE FINANCIER", "Code service « SERVICE FINANCIER » invalide : 100 caractères au plus, sans espace ni caractère de contrôle. Rien n'a été envoyé."},
		{strings.Repeat("S", 101), "invalide : 100 caractères au plus"},
	} {
		w := e.do("POST", "/factures/"+number+"/resoumettre", e.operator, confirmed(tc.code))
		body := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) || !strings.Contains(body, ">service corrigé</textarea>") {
			t.Errorf("code %q: %d, want 422 saying %q with the comment kept", tc.code, w.Code, tc.says)
		}
		if calls := e.actions.Calls(); len(calls) != 0 {
			t.Fatalf("code %q reached the pipeline: %+v", tc.code, calls)
		}
	}
	w = e.do("POST", "/factures/"+number+"/resoumettre", e.operator, confirmed(" COMPTABILITE "))
	calls := e.actions.Calls()
	if w.Code != http.StatusSeeOther || len(calls) != 1 || calls[0].Service != "COMPTABILITE" || calls[0].Actor != "user:olivia" || calls[0].Reason != "service corrigé (olivia)" {
		t.Fatalf("recycle: %d %+v", w.Code, calls)
	}
	page := e.do("GET", "/factures/"+number, e.operator, nil, "Cookie", flashCookieOf(t, w.Result().Cookies()))
	if want := number + " : recyclée vers le service COMPTABILITE, suivi relancé"; !strings.Contains(html.UnescapeString(page.Body.String()), want) {
		t.Errorf("the invoice page does not say %q", want)
	}
	if w := e.do("POST", "/factures/"+number+"/resoumettre", e.viewer, confirmed("COMPTABILITE")); w.Code != http.StatusForbidden || len(e.actions.Calls()) != 1 {
		t.Errorf("viewer's recycle: %d", w.Code)
	}
}

// The books' code for the year, corrected since the invoice went out, is
// offered; the code the buyer sent the invoice back from is not.
func TestRecycleOffersTheCorrectedCode(t *testing.T) {
	for _, tc := range []struct{ year, offered string }{
		{"COMPTABILITE", "COMPTABILITE"},
		{"ANCIEN-SERVICE", ""},
	} {
		e := newEnv(t)
		number := e.toRecycle(tc.year)
		w := e.do("GET", "/factures/"+number+"/resoumettre", e.operator, nil)
		if want := `<input name="code_service" value="` + tc.offered + `"`; !strings.Contains(w.Body.String(), want) {
			t.Errorf("books' code %s: the confirmation lacks %q", tc.year, want)
		}
	}
}

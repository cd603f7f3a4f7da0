package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// toVerify adds to the books what the worker leaves for a person to look
// for on Chorus Pro: an integrated flow no search finds (deposited), and a
// number Chorus Pro said already deposited that no search finds
// (delivering); and a refused deposit the worker is still searching for
// (DEPOT_A_VERIFIER), which is not a person's business yet.
func (e *env) toVerify() (deposited, delivering, searching string) {
	e.t.Helper()
	s := func(v string) *string { return &v }
	day := time.Date(2026, 2, 25, 0, 0, 0, 0, time.UTC)
	deposited = e.mk(e.ests[6], "1500.00", day, store.Change{To: invoice.StateDelivering, Channel: s("chorus")},
		store.Change{To: invoice.StateDeposited, ChorusFlowNumber: s("FL-2026-0042")},
		store.Change{ChorusStatus: s(worker.StatusToVerify), StatusReason: s("à vérifier sur Chorus Pro : flux FL-2026-0042 intégré, facture introuvable par rechercher/fournisseur")})
	delivering = e.mk(e.ests[7], "700.00", day, store.Change{To: invoice.StateDelivering, Channel: s("chorus"),
		ChorusStatus: s(worker.StatusToVerify), StatusReason: s("à vérifier sur Chorus Pro : numéro dit déjà déposé, facture introuvable")})
	searching = e.mk(e.ests[8], "300.00", day, store.Change{To: invoice.StateDelivering, Channel: s("chorus"),
		ChorusStatus: s("DEPOT_A_VERIFIER"), StatusReason: s("dépôt refusé dans la réponse, recherché")})
	return deposited, delivering, searching
}

// The list « À vérifier sur Chorus Pro » shows the invoices a person must
// look for on the portal, with what the worker tried; operators get
// « Déposer à nouveau », viewers only read; the overview counts them.
func TestToVerifyList(t *testing.T) {
	e := newEnv(t)
	if w := e.do("GET", "/", e.viewer, nil); !strings.Contains(w.Body.String(), `<a href="/a-verifier" class=""><strong>0</strong> à vérifier sur Chorus Pro</a>`) {
		t.Errorf("overview without any to verify:\n%s", w.Body.String())
	}
	deposited, delivering, searching := e.toVerify()
	nb := "\u00a0"

	w := e.do("GET", "/a-verifier", e.viewer, nil)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("viewer: %d\n%s", w.Code, body)
	}
	for _, want := range []string{"À vérifier sur Chorus Pro", "2 facture(s)", deposited, delivering, e.ests[6].Name, e.ests[7].SIRET,
		"1" + nb + "800,00" + nb + "€", "840,00" + nb + "€", "Déposée", "Dépôt en cours",
		"flux FL-2026-0042 intégré, facture introuvable par rechercher/fournisseur", "numéro dit déjà déposé, facture introuvable",
		`<a href="/a-verifier" class="on">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	for _, not := range []string{searching, e.rejected, e.suspended, "Déposer à nouveau", "/resoumettre"} {
		if strings.Contains(body, not) {
			t.Errorf("the viewer's list shows %q", not)
		}
	}
	body = e.do("GET", "/a-verifier", e.operator, nil).Body.String()
	for _, n := range []string{deposited, delivering} {
		if !strings.Contains(body, `<a class="button" href="/factures/`+n+`/resoumettre">Déposer à nouveau…</a>`) {
			t.Errorf("the operator has no « Déposer à nouveau » for %s", n)
		}
	}
	// Filtered like the other lists.
	body = e.do("GET", "/a-verifier?q="+url.QueryEscape(delivering), e.viewer, nil).Body.String()
	if !strings.Contains(body, delivering) || strings.Contains(body, deposited) {
		t.Error("the filter does not filter")
	}
	if w := e.do("GET", "/", e.viewer, nil); !strings.Contains(w.Body.String(), `<a href="/a-verifier" class="act"><strong>2</strong> à vérifier sur Chorus Pro</a>`) {
		t.Errorf("overview:\n%s", w.Body.String())
	}
	// The invoice page says the status and what to do.
	body = e.do("GET", "/factures/"+deposited, e.operator, nil).Body.String()
	for _, want := range []string{"Chorus Pro : À vérifier sur Chorus Pro", "Vérifiez sur le portail Chorus Pro", "Déposer à nouveau…"} {
		if !strings.Contains(body, want) {
			t.Errorf("the invoice page lacks %q", want)
		}
	}
}

// « Déposer à nouveau » goes through the confirmation, the cross-origin
// check and the operator role like every re-submission; confirmed, the
// pipeline deposits the same number again, and the audit trail names the
// operator.
func TestToVerifyRedeposit(t *testing.T) {
	// The real pipeline (its Chorus Pro a fake that is never called here:
	// the deposit itself is a task, queued to nowhere).
	e := newEnv(t, func(c *Config) { c.Actions = c.Actions.(*fakeActions).p })
	deposited, delivering, _ := e.toVerify()
	path := "/factures/" + deposited + "/resoumettre"

	w := e.do("GET", path, e.operator, nil)
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "Vérifiez sur le portail Chorus Pro qu&#39;elle n&#39;y est pas") ||
		!strings.Contains(body, `<button class="primary">Déposer à nouveau</button>`) || !strings.Contains(body, `value="deposited/A_VERIFIER"`) {
		t.Fatalf("confirmation: %d\n%s", w.Code, body)
	}
	confirmed := url.Values{"confirmer": {"oui"}, "etat": {"deposited/A_VERIFIER"}, "motif": {"absente du portail"}}
	before := len(e.audit(deposited))
	refused := []struct {
		name   string
		cookie *http.Cookie
		form   url.Values
		hdr    []string
		code   int
	}{
		{"viewer", e.viewer, confirmed, nil, http.StatusForbidden},
		{"cross-origin", e.operator, confirmed, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"not confirmed", e.operator, url.Values{"etat": {"deposited/A_VERIFIER"}}, nil, http.StatusSeeOther},
		{"confirmed for another state", e.operator, url.Values{"confirmer": {"oui"}, "etat": {"deposited/IN_INTEGRE"}}, nil, http.StatusSeeOther},
	}
	for _, tc := range refused {
		if w := e.do("POST", path, tc.cookie, tc.form, tc.hdr...); w.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.code)
		}
		if inv := e.invoice(deposited); inv.State != invoice.StateDeposited || inv.ChorusStatus != worker.StatusToVerify || len(e.audit(deposited)) != before {
			t.Fatalf("%s changed the invoice: %s/%s", tc.name, inv.State, inv.ChorusStatus)
		}
	}

	w = e.do("POST", path, e.operator, confirmed)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/factures/"+deposited {
		t.Fatalf("confirmed: %d %s", w.Code, w.Header().Get("Location"))
	}
	inv := e.invoice(deposited)
	if inv.State != invoice.StateDelivering || inv.ChorusStatus != "" || inv.StatusReason != "" {
		t.Errorf("after the re-deposit: %s/%s %q", inv.State, inv.ChorusStatus, inv.StatusReason)
	}
	trail := e.audit(deposited)
	last := trail[len(trail)-1]
	if last.Actor != "user:olivia" || last.From != string(invoice.StateDeposited) || last.To != string(invoice.StateDelivering) ||
		!strings.Contains(last.Reason, "absente du portail (olivia)") {
		t.Errorf("audit row %+v", last)
	}
	if body := e.do("GET", "/factures/"+deposited, e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")).Body.String(); !strings.Contains(body, "nouveau dépôt du même numéro") {
		t.Error("no confirmation shown after the re-deposit")
	}
	body := e.do("GET", "/a-verifier", e.viewer, nil).Body.String()
	if strings.Contains(body, deposited) || !strings.Contains(body, delivering) || !strings.Contains(body, "1 facture(s)") {
		t.Errorf("the list after the re-deposit:\n%s", body)
	}
	// The one still delivering is deposited again too, its state kept.
	if w := e.do("POST", "/factures/"+delivering+"/resoumettre", e.operator,
		url.Values{"confirmer": {"oui"}, "etat": {"delivering/A_VERIFIER"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("delivering: %d", w.Code)
	}
	if inv := e.invoice(delivering); inv.State != invoice.StateDelivering || inv.ChorusStatus != "" {
		t.Errorf("delivering after the re-deposit: %s/%s", inv.State, inv.ChorusStatus)
	}
	if ev := e.audit(delivering); ev[len(ev)-1].Actor != "user:olivia" {
		t.Errorf("audit row %+v", ev[len(ev)-1])
	}
}

package dashboard

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// An operator records a payment from the invoice page, under the
// importer's rules: the postal invoice is 276,00 € TTC, issued on
// 20/02/2026, the overdue one (on Chorus Pro) 1 481,47 €; today is
// 02/03/2026. Each refusal names the field in French, shows the form again
// with what was typed, and records nothing.
func TestOperatorEntersAPayment(t *testing.T) {
	form := func(date, amount, ref, comment string) url.Values {
		return url.Values{"date": {date}, "montant": {amount}, "reference": {ref}, "commentaire": {comment}}
	}
	tests := []struct {
		name    string
		overdue bool // to the overdue invoice rather than the postal one
		form    url.Values
		// accepted
		received, flash string
		state           invoice.State
		// refused
		says string
	}{
		{name: "part of it, decimal comma", form: form("2026-02-25", "100,50", "VIR 2026-0042", "reçu sur le relevé"),
			received: "100.50", state: invoice.StatePostal, flash: "Paiement de 100,50\u00a0€ du 25/02/2026 (VIR 2026-0042) enregistré pour la facture %s. Reste dû : 175,50\u00a0€."},
		{name: "all of it, decimal point, typed date", form: form("02/03/2026", "276.00", "CHQ 1234567", ""),
			received: "276.00", state: invoice.StatePaid, flash: "Paiement de 276,00\u00a0€ du 02/03/2026 (CHQ 1234567) enregistré pour la facture %s. La facture est soldée (payée)."},
		{name: "a Chorus Pro invoice settled, thousands spaced", overdue: true, form: form("2026-02-27", "1 481,47 €", "VIR 99", ""),
			received: "1481.47", state: invoice.StatePaid, flash: "Paiement de 1\u00a0481,47\u00a0€ du 27/02/2026 (VIR 99) enregistré pour la facture %s. La facture est soldée (payée)."},
		{name: "not an amount", form: form("2026-02-25", "cent euros", "VIR 1", ""),
			says: "Montant : « cent euros » n'est pas un montant en euros (par exemple 1 234,56)."},
		{name: "negative", form: form("2026-02-25", "-10,00", "VIR 1", ""),
			says: "Montant : « -10,00 » n'est pas un montant en euros"},
		{name: "nothing", form: form("2026-02-25", "0,00", "VIR 1", ""),
			says: "Montant : 0 doit être un montant positif en euros et centimes."},
		{name: "a fraction of a cent", form: form("2026-02-25", "12,345", "VIR 1", ""),
			says: "Montant : 12,345 doit être un montant positif en euros et centimes."},
		{name: "a cent too much", form: form("2026-02-25", "276,01", "VIR 1", ""),
			says: "Montant : 276,01\u00a0€ dépasse le reste dû de 276,00\u00a0€ sur la facture %s (276,00\u00a0€ TTC, 0,00\u00a0€ déjà encaissés). Un trop-perçu n'est pas enregistré"},
		{name: "tomorrow", form: form("2026-03-03", "100,00", "VIR 1", ""),
			says: "Date du paiement : le 03/03/2026 est dans le futur (nous sommes le 02/03/2026)."},
		{name: "before the invoice", form: form("2026-02-19", "100,00", "VIR 1", ""),
			says: "Date du paiement : le 19/02/2026 est antérieur à la facture %s, émise le 20/02/2026."},
		{name: "not a date", form: form("31/02/2026", "100,00", "VIR 1", ""),
			says: "Date du paiement : « 31/02/2026 » n'est pas une date (jj/mm/aaaa)."},
		{name: "no reference", form: form("2026-02-25", "100,00", "  ", ""),
			says: "Référence : La référence du paiement (numéro de virement ou de chèque) est obligatoire."},
		{name: "a comment too long", form: form("2026-02-25", "100,00", "VIR 1", strings.Repeat("é", 501)),
			says: "Commentaire : Le commentaire est trop long : 501 caractères, 500 au plus."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			number := e.postal
			if tt.overdue {
				number = e.overdue
			}
			before := len(e.audit(number))
			w := e.do("POST", "/factures/"+number+"/paiements", e.operator, tt.form)
			payments, err := e.books.Payments(context.Background(), e.invoice(number).ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.says != "" {
				body := html.UnescapeString(w.Body.String())
				if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, strings.ReplaceAll(tt.says, "%s", number)) {
					t.Fatalf("status %d, want 422 saying %q:\n%s", w.Code, tt.says, body)
				}
				for _, typed := range []string{`name="montant" inputmode="decimal" value="` + tt.form.Get("montant") + `"`, `name="reference" value="` + strings.TrimSpace(tt.form.Get("reference")) + `"`} {
					if !strings.Contains(body, typed) {
						t.Errorf("the form shown again lacks %q", typed)
					}
				}
				if len(payments) != 0 || len(e.audit(number)) != before || len(e.actions.Calls()) != 0 || e.invoice(number).State == invoice.StatePaid {
					t.Fatalf("refused, yet %d payment(s), %d → %d audit rows", len(payments), before, len(e.audit(number)))
				}
				return
			}
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/factures/"+number+"#paiements" {
				t.Fatalf("status %d to %q, want 303 to the payments\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
			}
			if len(payments) != 1 || payments[0].Amount.StringFixed(2) != tt.received || payments[0].Source != store.PaymentDashboard ||
				payments[0].Reference != tt.form.Get("reference") || payments[0].Comment != tt.form.Get("commentaire") {
				t.Fatalf("payments %+v, want one of %s", payments, tt.received)
			}
			if got := e.invoice(number).State; got != tt.state {
				t.Errorf("state %s, want %s", got, tt.state)
			}
			var audited bool
			for _, ev := range e.audit(number) {
				audited = audited || (ev.Action == "payment" && ev.Actor == "user:olivia")
			}
			if !audited {
				t.Error("no payment row with the user in the audit trail")
			}
			page := e.do("GET", "/factures/"+number, e.operator, nil, "Cookie", flashCookieOf(t, w.Result().Cookies()))
			body := html.UnescapeString(page.Body.String())
			for _, want := range []string{strings.ReplaceAll(tt.flash, "%s", number), "<td>saisi au tableau de bord</td><td>" + tt.form.Get("reference") + "</td>"} {
				if !strings.Contains(body, want) {
					t.Errorf("the invoice page lacks %q", want)
				}
			}
			if settled := strings.Contains(body, `action="/factures/`+number+`/paiements"`); settled == (tt.state == invoice.StatePaid) {
				t.Errorf("payment form shown: %v, with the invoice %s", settled, tt.state)
			}
		})
	}
}

// The same form sent twice records one payment; the second answer says it
// was already there.
func TestPaymentSentTwiceIsRecordedOnce(t *testing.T) {
	e := newEnv(t)
	f := url.Values{"date": {"2026-02-25"}, "montant": {"100,00"}, "reference": {"VIR 7"}}
	first := e.do("POST", "/factures/"+e.postal+"/paiements", e.operator, f)
	second := e.do("POST", "/factures/"+e.postal+"/paiements", e.operator, f)
	if first.Code != http.StatusSeeOther || second.Code != http.StatusSeeOther {
		t.Fatalf("status %d then %d", first.Code, second.Code)
	}
	payments, _ := e.books.Payments(context.Background(), e.invoice(e.postal).ID)
	if len(payments) != 1 || payments[0].Amount.StringFixed(2) != "100.00" {
		t.Fatalf("payments %+v, want one of 100.00", payments)
	}
	var rows int
	for _, ev := range e.audit(e.postal) {
		if ev.Action == "payment" {
			rows++
		}
	}
	page := e.do("GET", "/factures/"+e.postal, e.operator, nil, "Cookie", flashCookieOf(t, second.Result().Cookies()))
	want := "Ce paiement est déjà enregistré (100,00\u00a0€ du 25/02/2026, saisi au tableau de bord VIR 7) : rien n'a été ajouté. Reste dû : 176,00\u00a0€."
	if rows != 1 || !strings.Contains(html.UnescapeString(page.Body.String()), want) {
		t.Fatalf("%d payment audit row(s); the page does not say %q", rows, want)
	}
}

// A viewer sees the payments but not the form, and may not post one.
func TestViewerCannotEnterAPayment(t *testing.T) {
	e := newEnv(t)
	page := e.do("GET", "/factures/"+e.postal, e.viewer, nil)
	if page.Code != http.StatusOK || strings.Contains(page.Body.String(), `/paiements"`) || !strings.Contains(page.Body.String(), "Aucun paiement reçu.") {
		t.Fatalf("viewer's page: %d, form shown: %v", page.Code, strings.Contains(page.Body.String(), `/paiements"`))
	}
	if op := e.do("GET", "/factures/"+e.postal, e.operator, nil); !strings.Contains(op.Body.String(), `action="/factures/`+e.postal+`/paiements"`) {
		t.Fatal("the operator is not shown the payment form")
	}
	w := e.do("POST", "/factures/"+e.postal+"/paiements", e.viewer, url.Values{"date": {"2026-02-25"}, "montant": {"100,00"}, "reference": {"VIR 1"}})
	payments, _ := e.books.Payments(context.Background(), e.invoice(e.postal).ID)
	if w.Code != http.StatusForbidden || len(payments) != 0 || len(e.actions.Calls()) != 0 {
		t.Fatalf("viewer's payment: %d, %d recorded", w.Code, len(payments))
	}
}

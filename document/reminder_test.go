package document

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// sampleReminder is a second reminder of the first sample invoice
// (1 811,26 € TTC), partly credited and paid.
func sampleReminder(t testing.TB) Reminder {
	t.Helper()
	d := sampleDocuments(t)[0].doc
	return Reminder{Invoice: d, Step: 2, Date: d.DueDate.AddDate(0, 0, 60), Previous: []time.Time{d.DueDate.AddDate(0, 0, 15)},
		Credited: decimal.RequireFromString("173.50"), Paid: decimal.RequireFromString("500.00")}
}

func TestRenderReminder(t *testing.T) {
	procurement := sampleReminder(t)
	procurement.Invoice.LatePaymentClause = LatePaymentClause(invoice.RegimeProcurement)
	procurement.Invoice.RecoveryClause = RecoveryClause(invoice.RegimeProcurement)
	first := sampleReminder(t)
	first.Step, first.Previous, first.Credited, first.Paid, first.Date = 1, nil, decimal.Zero, decimal.Zero, first.Invoice.DueDate.AddDate(0, 0, 15)
	for _, c := range []struct {
		name    string
		r       Reminder
		want    []string
		wantNot []string
	}{
		{"second, legal regime", sampleReminder(t), []string{
			"Relance n°2", "Objet : Relance n°2 — facture CT2025-000001", "Le 15/04/2025",
			"Malgré notre relance du 01/03/2025, la facture n° CT2025-000001 du 15/01/2025, échue le 14/02/2025, reste impayée à ce jour, 60 jour(s) après son échéance, pour un montant de 1 137,76 €.",
			"Montant TTC 1 811,26 €", "Avoirs -173,50 €", "Déjà réglé -500,00 €", "Reste dû 1 137,76 €", "Retard 60 jour(s) au 15/04/2025",
			LatePaymentClause(invoice.RegimeLegal), RecoveryClause(invoice.RegimeLegal),
			"Montant à régler 1 137,76 €", "IBAN FR76 3000 1000 6400 0003 5200 079", "BIC BDFEFRPPCCT", "Référence à rappeler CT2025-000001",
			"salutations distinguées", "Commune de Rennes-Exemple", "Code service SERV-FIN-01", "Page 1/1",
		}, []string{"40 €"}},
		{"procurement regime", procurement, []string{
			LatePaymentClause(invoice.RegimeProcurement), RecoveryClause(invoice.RegimeProcurement),
		}, []string{"non applicable"}},
		{"first, nothing paid", first, []string{
			"Relance n°1", "Sauf erreur ou omission de notre part, la facture n° CT2025-000001", "15 jour(s) après son échéance, pour un montant de 1 811,26 €.",
			"Déjà réglé 0,00 €", "Reste dû 1 811,26 €",
		}, []string{"Malgré", "Avoirs"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pdf, err := RenderReminder(c.r)
			if err != nil {
				t.Fatal(err)
			}
			again, err := RenderReminder(c.r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pdf, again) {
				t.Error("two renderings of the same letter differ")
			}
			// -layout keeps each label on the line of its value.
			text := extractText(t, pdf, "-layout")
			for _, w := range c.want {
				if !strings.Contains(text, normalizeSpace(w)) {
					t.Errorf("letter lacks %q", w)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(text, w) {
					t.Errorf("letter says %q", w)
				}
			}
			checkAddressWindow(t, pdf, c.r.Invoice)
			checkLayout(t, pdf)
			checkFontsEmbedded(t, pdf)
		})
	}
}

func TestRenderRemindersBatch(t *testing.T) {
	a := sampleReminder(t)
	b := sampleReminder(t)
	b.Invoice = sampleDocuments(t)[1].doc
	b.Step, b.Date, b.Previous = 1, b.Invoice.DueDate.AddDate(0, 0, 20), nil
	batch, err := RenderReminders([]Reminder{a, b})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := RenderReminders([]Reminder{a, b})
	if !bytes.Equal(batch, again) {
		t.Error("two renderings of the same batch differ")
	}
	// Each one-page letter starts on the front of a sheet: a blank back
	// between them.
	if n := pageCount(t, batch); n != 3 {
		t.Fatalf("%d pages, want 3", n)
	}
	for page, want := range map[int]string{1: a.Subject(), 2: "Page laissée intentionnellement blanche", 3: b.Subject()} {
		text := normalizeSpace(extractText(t, batch, "-f", strconv.Itoa(page), "-l", strconv.Itoa(page)))
		if !strings.Contains(text, want) {
			t.Errorf("page %d lacks %q: %.200s", page, want, text)
		}
	}
	if _, err := RenderReminders(nil); err == nil {
		t.Error("an empty batch rendered")
	}
}

func TestReminderValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*Reminder)
		want   string
	}{
		{"nothing due", func(r *Reminder) { r.Paid = r.Invoice.Totals.TTC.Sub(r.Credited) }, "nothing remains due"},
		{"dated on the due date", func(r *Reminder) { r.Date = r.Invoice.DueDate }, "not after the due date"},
		{"no step", func(r *Reminder) { r.Step = 0 }, "no step"},
		{"credit note", func(r *Reminder) { r.Invoice = sampleDocuments(t)[4].doc }, "credit note"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sampleReminder(t)
			c.change(&r)
			if _, err := RenderReminder(r); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

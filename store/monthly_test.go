package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// TestMonthly sums invoices and payments by month over the twelve months
// ending with the day's: the first and last days of the window in, the
// days just outside out, credit notes netted onto their invoice's month
// as Money nets them, cancelled invoices left out, empty months zero.
func TestMonthly(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := time.Date(2026, 3, 15, 23, 30, 0, 0, time.UTC)
		n := 0
		// issue finalises a year's contribution (2 415,00 € TTC, or months/12
		// of it) issued on that date, in state st.
		issue := func(on string, months int64, st invoice.State) Invoice {
			t.Helper()
			n++
			d := contributionDraft(t, addEstablishment(t, s, fmt.Sprintf("%014d", n)), 2025, months)
			d.IssueDate, d.DueDate = date(on), date(on).AddDate(0, 0, 30)
			inv, _, err := s.Finalise(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if st != invoice.StateFinalised {
				if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE invoices SET state = ? WHERE id = ?`), string(st), inv.ID); err != nil {
					t.Fatal(err)
				}
			}
			return inv
		}
		pay := func(inv Invoice, on, amount string) {
			t.Helper()
			if _, err := s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: date(on), Amount: decimal.RequireFromString(amount),
				Source: PaymentImported, Reference: "VIR-" + on}, time.Now(), "test"); err != nil {
				t.Fatal(err)
			}
		}
		before := issue("2025-03-31", 12, invoice.StateDelivered) // the day before the window
		first := issue("2025-04-01", 12, invoice.StateDelivered)
		dec := issue("2025-12-31", 6, invoice.StateDelivered) // 1 207,50 €
		march := issue("2026-03-15", 12, invoice.StateDelivered)
		issue("2026-01-10", 12, invoice.StateCancelled)
		issue("2026-04-01", 12, invoice.StateFinalised) // after the window
		cn := contributionDraft(t, march.EstablishmentID, 2025, 6)
		cn.Kind, cn.OriginalInvoiceID = invoice.KindCreditNote, &march.ID
		cn.IssueDate, cn.DueDate = date("2026-02-02"), date("2026-02-02")
		if _, _, err := s.Finalise(ctx, cn); err != nil {
			t.Fatal(err)
		}
		pay(before, "2025-03-31", "50.00") // before the window
		pay(before, "2025-04-01", "60.00")
		pay(first, "2025-05-31", "100.01")
		pay(dec, "2026-03-31", "1207.50") // later this month: still this month

		got, err := s.Monthly(ctx, day, 12)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]string{ // month → invoiced, collected
			"2025-04": {"2415.00", "60.00"},
			"2025-05": {"0.00", "100.01"},
			"2025-12": {"1207.50", "0.00"},
			"2026-03": {"1207.50", "1207.50"}, // 2 415,00 less the credit note's 1 207,50
		}
		if len(got) != 12 || got[0].Month != date("2025-04-01") || got[11].Month != date("2026-03-01") {
			t.Fatalf("%d months, from %v to %v", len(got), got[0].Month, got[len(got)-1].Month)
		}
		for i, m := range got {
			w, ok := want[m.Month.Format("2006-01")]
			if !ok {
				w = [2]string{"0.00", "0.00"}
			}
			if m.Month != date("2025-04-01").AddDate(0, i, 0) || m.Invoiced.StringFixed(2) != w[0] || m.Collected.StringFixed(2) != w[1] {
				t.Errorf("%s: invoiced %s, collected %s; want %s, %s", m.Month.Format("2006-01"), m.Invoiced.StringFixed(2), m.Collected.StringFixed(2), w[0], w[1])
			}
		}
		// The months and what lies outside them (an invoice and a payment
		// before, an invoice after) are Money's totals, to the cent.
		m, err := s.Money(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		invoiced, collected := before.TotalTTC.Add(decimal.RequireFromString("2415.00")), decimal.RequireFromString("50.00")
		for _, mt := range got {
			invoiced, collected = invoiced.Add(mt.Invoiced), collected.Add(mt.Collected)
		}
		if !invoiced.Equal(m.Invoiced) || !collected.Equal(m.Collected) {
			t.Errorf("months and outside: invoiced %s, collected %s; Money: %s, %s", invoiced, collected, m.Invoiced, m.Collected)
		}
		// One month: this month alone.
		if one, err := s.Monthly(ctx, day, 1); err != nil || len(one) != 1 || one[0].Invoiced.StringFixed(2) != "1207.50" {
			t.Errorf("one month: %+v, %v", one, err)
		}
	})
}

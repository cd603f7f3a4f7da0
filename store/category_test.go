package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// TestOverviewAgreesWithOverdueList seeds invoices in every state — unpaid,
// partly paid, settled by payments, due before, on and after the day,
// contributions, interest invoices and credit notes — and checks that the
// overview's overdue count and amount are the overdue list's, to the cent,
// and that both select exactly what invoice.Overdue says.
func TestOverviewAgreesWithOverdueList(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC) // a time of day: only the date counts
		issue := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
		past, onDay, future := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), invoice.CivilDay(day), time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
		variants := []struct {
			kind invoice.Kind
			due  time.Time
			paid string // "" nothing, "all" the whole total, else that amount
		}{
			{invoice.KindContribution, past, ""},
			{invoice.KindContribution, past, "123.45"},
			{invoice.KindContribution, past, "all"},
			{invoice.KindContribution, onDay, ""},
			{invoice.KindContribution, future, "10.01"},
			{invoice.KindInterest, past, "0.07"},
			{invoice.KindCreditNote, past, ""},
		}
		n := 0
		for _, st := range invoice.States() {
			for _, v := range variants {
				n++
				d := contributionDraft(t, addEstablishment(t, s, fmt.Sprintf("%014d", n)), 2026, 7)
				d.Kind, d.IssueDate, d.DueDate = v.kind, issue, v.due
				if v.kind == invoice.KindCreditNote {
					orig := d
					orig.Kind, orig.DueDate = invoice.KindContribution, future // not overdue itself
					o, _, err := s.Finalise(ctx, orig)
					if err != nil {
						t.Fatal(err)
					}
					d.OriginalInvoiceID = &o.ID
				}
				inv, _, err := s.Finalise(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				if v.paid != "" {
					amount := inv.TotalTTC
					if v.paid != "all" {
						amount = decimal.RequireFromString(v.paid)
					}
					if _, err := s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: issue.AddDate(0, 0, 5), Amount: amount,
						Source: PaymentImported, Reference: fmt.Sprint("VIR", n)}, time.Now(), "test"); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE invoices SET state = ? WHERE id = ?`), string(st), inv.ID); err != nil {
					t.Fatal(err)
				}
			}
		}

		// What invoice.Overdue says, invoice by invoice.
		var (
			wantCount int
			wantSum   = decimal.Zero
		)
		all, err := s.ListInvoices(ctx, InvoiceFilter{Year: 2026})
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range all {
			payments, err := s.Payments(ctx, inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			unpaid := inv.TotalTTC
			for _, p := range payments {
				unpaid = unpaid.Sub(p.Amount)
			}
			if invoice.Overdue(inv.State, inv.Kind, inv.DueDate, unpaid, day) {
				wantCount++
				wantSum = wantSum.Add(unpaid)
			}
		}
		// Per open state: the contribution unpaid, the one partly paid and
		// the interest invoice.
		if want := 3 * len(invoice.OpenStates()); wantCount != want {
			t.Fatalf("invoice.Overdue finds %d overdue invoices, the seeding made %d", wantCount, want)
		}

		m, err := s.Money(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.WorkList(ctx, WorkFilter{OverdueOn: day})
		if err != nil {
			t.Fatal(err)
		}
		listSum := decimal.Zero
		for _, r := range rows {
			listSum = listSum.Add(r.TotalTTC.Sub(r.Paid))
		}
		if m.OverdueCount != len(rows) || !m.Overdue.Equal(listSum) {
			t.Errorf("overview: %d overdue for %s; overdue list: %d for %s", m.OverdueCount, m.Overdue.StringFixed(2), len(rows), listSum.StringFixed(2))
		}
		if len(rows) != wantCount || !listSum.Equal(wantSum) {
			t.Errorf("overdue list: %d for %s; invoice.Overdue: %d for %s", len(rows), listSum.StringFixed(2), wantCount, wantSum.StringFixed(2))
		}
		for _, r := range rows {
			if !invoice.Overdue(r.State, r.Kind, r.DueDate, r.TotalTTC.Sub(r.Paid), day) {
				t.Errorf("%s (%s %s, due %s) is listed overdue", r.Number, r.State, r.Kind, r.DueDate.Format(time.DateOnly))
			}
		}
	})
}

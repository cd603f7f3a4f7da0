package store

import (
	"context"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// TestAgedBalance seeds invoices due on each boundary of the buckets
// (the day, day−1, −30, −31, −60, −61, −90, −91), one partly paid, one
// reduced by a credit note, one cancelled, one paid, one rejected, and
// checks each buyer's buckets to the cent, the grand totals against the
// overview's Outstanding and Overdue, the order and the paging.
func TestAgedBalance(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC) // a time of day: only the date counts
		civil := invoice.CivilDay(day)
		buyer := func(siret, name string) int64 {
			id := addEstablishment(t, s, siret)
			if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE establishments SET name = ? WHERE id = ?`), name, id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		// issue finalises a contribution of months/12 of 2 012,50 € HT for
		// year, due daysLate days before the day, and sets its state.
		year := 2000
		issue := func(est int64, months int64, daysLate int, st invoice.State) Invoice {
			t.Helper()
			year++
			d := contributionDraft(t, est, year, months)
			d.DueDate = civil.AddDate(0, 0, -daysLate)
			d.IssueDate = d.DueDate.AddDate(0, 0, -30)
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
		pay := func(inv Invoice, amount string) {
			t.Helper()
			if _, err := s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: civil.AddDate(0, 0, -1), Amount: decimal.RequireFromString(amount),
				Source: PaymentImported, Reference: "VIR-" + inv.Number}, time.Now(), "test"); err != nil {
				t.Fatal(err)
			}
		}

		alpha := buyer("21290001000011", "Commune d'Alpha")
		beta := buyer("21290002000012", "École de Bêta")
		gamma := buyer("21290003000013", "Syndicat Gamma")
		delta := buyer("21290004000014", "Département Delta")
		settled := buyer("21290005000015", "Mairie soldée")

		a0 := issue(alpha, 12, 0, invoice.StateDelivered)    // due on the day: not due
		a1 := issue(alpha, 11, 1, invoice.StateDelivered)    // 1 day late
		a30 := issue(alpha, 10, 30, invoice.StatePostal)     // 30 days
		a31 := issue(alpha, 9, 31, invoice.StateDeposited)   // 31 days
		afut := issue(alpha, 1, -10, invoice.StateFinalised) // due in 10 days
		b60 := issue(beta, 8, 60, invoice.StateDelivered)
		b61 := issue(beta, 7, 61, invoice.StateDelivered)
		b90 := issue(beta, 6, 90, invoice.StateAwaitingReference)
		b91 := issue(beta, 5, 91, invoice.StateDelivered)
		g91 := issue(gamma, 12, 91, invoice.StateDelivered) // partly paid
		pay(g91, "100.01")
		g45 := issue(gamma, 12, 45, invoice.StateDelivered) // reduced by a credit note
		cn := contributionDraft(t, gamma, g45.Year, 6)
		cn.Kind, cn.OriginalInvoiceID = invoice.KindCreditNote, &g45.ID
		credit, _, err := s.Finalise(ctx, cn)
		if err != nil {
			t.Fatal(err)
		}
		issue(gamma, 4, 100, invoice.StateCancelled)         // cancelled: nothing due
		d200 := issue(delta, 12, 200, invoice.StateRejected) // rejected: outstanding, not aged
		paid := issue(settled, 12, 50, invoice.StateDelivered)
		pay(paid, paid.TotalTTC.String()) // paid in full: not listed

		z := decimal.Zero
		amounts := func(notDue, l30, l60, l90, o90, rej decimal.Decimal) AgedAmounts {
			return AgedAmounts{NotDue: notDue, Late30: l30, Late60: l60, Late90: l90, Over90: o90, Rejected: rej,
				Total: notDue.Add(l30).Add(l60).Add(l90).Add(o90).Add(rej)}
		}
		want := map[string]AgedAmounts{
			"21290001000011": amounts(a0.TotalTTC.Add(afut.TotalTTC), a1.TotalTTC.Add(a30.TotalTTC), a31.TotalTTC, z, z, z),
			"21290002000012": amounts(z, z, b60.TotalTTC, b61.TotalTTC.Add(b90.TotalTTC), b91.TotalTTC, z),
			"21290003000013": amounts(z, z, g45.TotalTTC.Sub(credit.TotalTTC), z, g91.TotalTTC.Sub(decimal.RequireFromString("100.01")), z),
			"21290004000014": amounts(z, z, z, z, z, d200.TotalTTC),
		}
		// By hand, to the cent: a year is 2 012,50 € HT, 2 415,00 € TTC;
		// the credit note takes off six months, 1 207,50 € TTC.
		if g := want["21290003000013"]; g.Over90.StringFixed(2) != "2314.99" || g.Late60.StringFixed(2) != "1207.50" || g.Total.StringFixed(2) != "3522.49" {
			t.Fatalf("Syndicat Gamma's expectation: %s", showAged(g))
		}
		var grand AgedAmounts
		for _, w := range want {
			grand = AgedAmounts{NotDue: grand.NotDue.Add(w.NotDue), Late30: grand.Late30.Add(w.Late30), Late60: grand.Late60.Add(w.Late60),
				Late90: grand.Late90.Add(w.Late90), Over90: grand.Over90.Add(w.Over90), Rejected: grand.Rejected.Add(w.Rejected), Total: grand.Total.Add(w.Total)}
		}

		page, err := s.AgedBalance(ctx, AgedFilter{Day: day})
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != len(want) || len(page.Rows) != len(want) {
			t.Fatalf("%d buyers (%d rows), want %d", page.Count, len(page.Rows), len(want))
		}
		for _, r := range page.Rows {
			if w := want[r.SIRET]; !sameAmounts(r.AgedAmounts, w) {
				t.Errorf("%s %s:\n got %s\nwant %s", r.SIRET, r.Name, showAged(r.AgedAmounts), showAged(w))
			}
		}
		if !sameAmounts(page.Totals, grand) {
			t.Errorf("totals:\n got %s\nwant %s", showAged(page.Totals), showAged(grand))
		}
		// The overview's figures, to the cent: the grand total is its
		// Outstanding; the late buckets its Overdue; the difference the
		// rejected invoices, outstanding but not overdue.
		m, err := s.Money(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if !page.Totals.Total.Equal(m.Outstanding) || !page.Totals.Overdue().Equal(m.Overdue) {
			t.Errorf("aged balance %s, of which late %s; overview outstanding %s, overdue %s",
				page.Totals.Total, page.Totals.Overdue(), m.Outstanding, m.Overdue)
		}
		if !m.Outstanding.Sub(m.Overdue).Equal(page.Totals.NotDue.Add(page.Totals.Rejected)) {
			t.Errorf("outstanding − overdue = %s, want not due + rejected = %s", m.Outstanding.Sub(m.Overdue), page.Totals.NotDue.Add(page.Totals.Rejected))
		}

		// Order and paging: names as searches fold them (« École » among
		// the E), sums descending, pages that do not overlap.
		for _, tc := range []struct {
			sort          string
			limit, offset int
			want          []string
		}{
			{"", 50, 0, []string{"Commune d'Alpha", "Département Delta", "École de Bêta", "Syndicat Gamma"}},
			{"-name", 50, 0, []string{"Syndicat Gamma", "École de Bêta", "Département Delta", "Commune d'Alpha"}},
			{"-over90", 2, 0, []string{"Syndicat Gamma", "École de Bêta"}},
			{"-over90", 2, 2, []string{"Commune d'Alpha", "Département Delta"}},
			{"-total", 2, 0, []string{"Commune d'Alpha", "École de Bêta"}},
			{"total", 2, 2, []string{"École de Bêta", "Commune d'Alpha"}},
		} {
			p, err := s.AgedBalance(ctx, AgedFilter{Day: day, Sort: tc.sort, Limit: tc.limit, Offset: tc.offset})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range p.Rows {
				got = append(got, r.Name)
			}
			if p.Count != 4 || !sameAmounts(p.Totals, grand) || len(got) != len(tc.want) {
				t.Fatalf("sort %q %d+%d: count %d, rows %q", tc.sort, tc.offset, tc.limit, p.Count, got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("sort %q %d+%d: %q, want %q", tc.sort, tc.offset, tc.limit, got, tc.want)
					break
				}
			}
		}
		// The export reads them all, in the same order.
		var all []string
		if err := s.EachAged(ctx, AgedFilter{Day: day, Sort: "-name"}, func(r AgedRow) error { all = append(all, r.SIRET); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0] != "21290003000013" || all[3] != "21290001000011" {
			t.Errorf("EachAged: %q", all)
		}
		// A day with nothing outstanding: no buyer, zero totals.
		empty := openSQLite(t)
		if p, err := empty.AgedBalance(ctx, AgedFilter{Day: day}); err != nil || p.Count != 0 || len(p.Rows) != 0 || !p.Totals.Total.IsZero() {
			t.Errorf("empty books: %+v, %v", p, err)
		}
	})
}

func sameAmounts(a, b AgedAmounts) bool {
	return a.NotDue.Equal(b.NotDue) && a.Late30.Equal(b.Late30) && a.Late60.Equal(b.Late60) && a.Late90.Equal(b.Late90) &&
		a.Over90.Equal(b.Over90) && a.Rejected.Equal(b.Rejected) && a.Total.Equal(b.Total)
}

func showAged(a AgedAmounts) string {
	return "non échu " + a.NotDue.StringFixed(2) + " | 1–30 " + a.Late30.StringFixed(2) + " | 31–60 " + a.Late60.StringFixed(2) +
		" | 61–90 " + a.Late90.StringFixed(2) + " | >90 " + a.Over90.StringFixed(2) + " | rejetées " + a.Rejected.StringFixed(2) +
		" | total " + a.Total.StringFixed(2)
}

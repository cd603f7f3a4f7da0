package worker

import (
	"context"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// Issue 14, problem 1, the scenario: a year billed (one establishment
// failing, its headcount missing), then a termination (Ker Héol), a
// corrected headcount (CCAS de Lanester, 35 → 120), a late joiner and the
// failing establishment fixed. Asking for the run again bills the two gaps
// and proposes the two corrections (their invoices were delivered);
// confirmed, they issue a credit note and a complementary invoice; asking
// again converges: owed = invoiced for every establishment, nothing new,
// numbers gap-free in every series.
func TestE2ECorrectionsConverge(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, books *store.Store) {
		ctx := context.Background()
		s := newStack(t, books, sandbox.Faults{})
		const failing, lanester = "19290263300010", "26569104800010"
		lines := sampleRows(t)
		imp := func(rows []string) { importRows(t, books, rows) }
		imp(withFields(lines, failing, map[int]string{colHeadcount2026: ""}))
		today := invoice.CivilDay(s.p.now())
		if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, today); err != nil {
			t.Fatal(err)
		}
		s.settle(ctx, 0)

		// The facts change; the finance team asks for the run again.
		lines = withFields(lines, kerHeol, map[int]string{colTermination: "2026-03-16"})
		lines = withFields(lines, lanester, map[int]string{colHeadcount2026: "120"})
		joiner := validSIRET(t, "2129995200001")
		lines = append(lines, joiner+";Commune de Nouvelle-Adhésion;Mairie;;29000;Quimper;bouquet;non;2026-01-10;;non;legal;80;80")
		imp(lines)
		ask := func() {
			t.Helper()
			if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, invoice.CivilDay(s.p.now())); err != nil {
				t.Fatal(err)
			}
		}
		ask()
		var proposed []store.Correction
		for deadline := time.Now().Add(60 * time.Second); len(proposed) < 2; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("corrections proposed: %+v, want Ker Héol's and Lanester's", proposed)
			}
			proposed, _ = books.Corrections(ctx, store.CorrectionProposed)
		}
		s.settle(ctx, 0)
		for _, c := range proposed {
			if _, err := s.p.ConfirmCorrection(ctx, c.ID, "user:alice", "confirmé"); err != nil {
				t.Fatalf("confirm %s: %v", c.Reason, err)
			}
		}
		s.settle(ctx, 0)
		ask()
		s.settle(ctx, 0)
		time.Sleep(500 * time.Millisecond)
		if again, _ := books.Corrections(ctx, store.CorrectionProposed); len(again) != 0 {
			t.Errorf("asked again after the corrections: %d new proposals", len(again))
		}
		// Converged: owed = invoiced everywhere.
		all, _ := books.ListInvoices(ctx, store.InvoiceFilter{})
		ests := map[int64]bool{}
		series := map[string]int64{}
		for _, inv := range all {
			ests[inv.EstablishmentID] = true
			if series[inv.Series]++; inv.Seq != series[inv.Series] {
				t.Errorf("numbering: %s at position %d of %s", inv.Number, series[inv.Series], inv.Series)
			}
		}
		if series["AV2026"] != 1 || series["CT2026"] < 3 {
			t.Errorf("series %v: want one credit note (Ker Héol) and the complements", series)
		}
		for id := range ests {
			est, err := books.EstablishmentByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.p.assess(ctx, est, billedYear, invoice.KindContribution)
			if err != nil {
				t.Fatal(err)
			}
			if a.differs() {
				t.Errorf("%s: owed %s, invoiced %s", est.Name, a.c.Owed, a.c.Invoiced)
			}
			if est.SIRET == kerHeol && a.c.InvoicedTTC.StringFixed(2) != "1725.00" {
				t.Errorf("Ker Héol invoiced %s TTC, want 1725.00", a.c.InvoicedTTC)
			}
		}
	})
}

package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// A public health establishment given 50 days (CCP R2192-11) is due 50 days
// after the invoice date, for its contribution and its overage; the others
// keep the deliberation's 30 days; the amounts do not change.
func TestIssueDueAfterEstablishmentTerm(t *testing.T) {
	ctx := context.Background()
	cat := catalog(t)
	const hospital, commune = "26223144200035", "21299951000010"
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		loadSample(t, s)
		terms := "siret;name;offer;existing;late_payment_regime;payment_term_days;headcount_2026\n" +
			hospital + ";Centre hospitalier de Paimpol;bouquet;oui;procurement;50;652\n"
		if _, err := s.ImportEstablishments(ctx, "terms.csv", strings.NewReader(terms), cat, "test"); err != nil {
			t.Fatal(err)
		}
		issueDate := time.Date(2026, time.March, 12, 0, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			siret string
			kind  invoice.Kind
			year  int
			days  int
			due   string
		}{
			{hospital, invoice.KindContribution, 2026, 50, "2026-05-01"},
			{hospital, invoice.KindOverage, 2025, 50, "2026-05-01"},
			{commune, invoice.KindContribution, 2026, 30, "2026-04-11"},
		} {
			e, err := s.EstablishmentBySIRET(ctx, tc.siret)
			if err != nil {
				t.Fatal(err)
			}
			q, err := quote(ctx, s, cat, e, tc.year, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if q.PaymentTermDays != tc.days {
				t.Errorf("%s %s: quoted %d days, want %d", tc.siret, tc.kind, q.PaymentTermDays, tc.days)
			}
			// The same establishment without its own term: same figures.
			plain := e
			plain.PaymentTermDays = nil
			ref, err := quote(ctx, s, cat, plain, tc.year, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			outcome, inv, err := issueOne(ctx, s, cat, e, tc.year, tc.kind, issueDate)
			if err != nil || outcome != Issued {
				t.Fatalf("%s %s: %s, %v", tc.siret, tc.kind, outcome, err)
			}
			if got := inv.DueDate.Format(time.DateOnly); got != tc.due || !inv.IssueDate.Equal(issueDate) {
				t.Errorf("%s %s: %s dated %s due %s, want due %s", tc.siret, tc.kind, inv.Number, inv.IssueDate.Format(time.DateOnly), got, tc.due)
			}
			if !inv.TotalTTC.Equal(ref.Totals.TTC) || !inv.TotalHT.Equal(ref.Totals.HT) {
				t.Errorf("%s %s: %s HT %s TTC, without the term %s HT %s TTC", tc.siret, tc.kind, inv.TotalHT, inv.TotalTTC, ref.Totals.HT, ref.Totals.TTC)
			}
		}
	})
}

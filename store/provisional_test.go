package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/chorusbill/chorusbill/invoice"
)

// The provisional invoice of a draft is the invoice Finalise stores, but
// for what finalising gives (id, number, sequence, state, timestamps), and
// its number is of the longest length, in the series, and takes nothing
// from the counter.
func TestDraftProvisional(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		est := addEstablishment(t, s, "73282932000074")
		for _, tt := range []struct {
			name   string
			months int64
			want   string
		}{
			{"full year", 12, "CT2025-0000000000000"},
			{"prorated", 3, "CT2025-0000000000000"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				d := contributionDraft(t, est, 2025, tt.months)
				d.Year = 2025 + int(tt.months) // one invoice per year and kind
				p, err := d.Provisional()
				if err != nil {
					t.Fatal(err)
				}
				if p.Number != tt.want || len(p.Number) != invoice.MaxNumberLength || p.ID != 0 || p.Seq != 0 {
					t.Errorf("provisional number %q (id %d, seq %d), want %q of %d characters", p.Number, p.ID, p.Seq, tt.want, invoice.MaxNumberLength)
				}
				inv, _, err := s.Finalise(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				stored, err := s.InvoiceByID(ctx, inv.ID)
				if err != nil {
					t.Fatal(err)
				}
				p.ID, p.Number, p.Seq, p.State = stored.ID, stored.Number, stored.Seq, stored.State
				p.FinalisedAt, p.UpdatedAt = stored.FinalisedAt, stored.UpdatedAt
				if !reflect.DeepEqual(p, stored) {
					t.Errorf("provisional\n%+v\nstored\n%+v", p, stored)
				}
			})
		}
		// Only Finalise took numbers: 1 and 2.
		list, err := s.ListInvoices(ctx, InvoiceFilter{Kind: invoice.KindContribution})
		if err != nil || len(list) != 2 || list[0].Seq != 1 || list[1].Seq != 2 {
			t.Errorf("invoices %+v, %v", list, err)
		}
	})
}

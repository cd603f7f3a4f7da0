package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// TestWorkPageCountsEverything pages through more invoices than a page
// holds: every page but the last is full, the pages together hold each
// invoice once, and the count and totals are those of all, whatever the
// page.
func TestWorkPageCountsEverything(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 23
		want := decimal.Zero
		for i := range n {
			d := contributionDraft(t, addEstablishment(t, s, fmt.Sprintf("%014d", i+1)), 2026, int64(1+i%12))
			inv, _, err := s.Finalise(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			want = want.Add(inv.TotalTTC)
		}
		seen := map[string]bool{}
		for off := 0; off < n+5; off += 10 {
			p, err := s.WorkPage(ctx, WorkFilter{Year: 2026, Limit: 10, Offset: off, Sort: "-amount"})
			if err != nil {
				t.Fatal(err)
			}
			if p.Count != n || !p.TotalTTC.Equal(want) || !p.Due.Equal(want) {
				t.Fatalf("offset %d: count %d total %s due %s; want %d and %s", off, p.Count, p.TotalTTC, p.Due, n, want)
			}
			wantRows := min(10, max(n-off, 0))
			if len(p.Rows) != wantRows {
				t.Fatalf("offset %d: %d rows, want %d", off, len(p.Rows), wantRows)
			}
			for _, r := range p.Rows {
				if seen[r.Number] {
					t.Fatalf("%s on two pages", r.Number)
				}
				seen[r.Number] = true
			}
		}
		if len(seen) != n {
			t.Fatalf("pages held %d invoices, want %d", len(seen), n)
		}
		if p, err := s.WorkPage(ctx, WorkFilter{Limit: 100000}); err != nil || p.Limit != MaxPageSize {
			t.Fatalf("limit %d (%v), want the cap %d", p.Limit, err, MaxPageSize)
		}
		var each int
		if err := s.EachWork(ctx, WorkFilter{Year: 2026}, func(WorkRow) error { each++; return nil }); err != nil || each != n {
			t.Fatalf("EachWork: %d rows (%v), want %d", each, err, n)
		}
	})
}

// TestWorkFilters checks each register filter, and that search ignores
// case and accents on both sides.
func TestWorkFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		names := []string{"Collège Saint-Exupéry", "LYCÉE DE L’ŒUVRE", "Mairie de Plœmeur", "Ecole Jules Ferry"}
		ids := make([]int64, len(names))
		for i, name := range names {
			ids[i] = addEstablishment(t, s, fmt.Sprintf("%014d", i+1))
			if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE establishments SET name = ? WHERE id = ?`), name, ids[i]); err != nil {
				t.Fatal(err)
			}
			d := contributionDraft(t, ids[i], 2026, int64(3*(i+1)))
			d.IssueDate = time.Date(2026, time.Month(i+1), 10, 0, 0, 0, 0, time.UTC)
			d.DueDate = d.IssueDate.AddDate(0, 0, 30)
			if _, _, err := s.Finalise(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		amount := func(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }
		for _, tc := range []struct {
			name string
			f    WorkFilter
			want []string
		}{
			{"college", WorkFilter{Query: "college"}, names[:1]},
			{"exupery upper", WorkFilter{Query: "EXUPERY"}, names[:1]},
			{"typed accent finds plain", WorkFilter{Query: "école"}, names[3:]},
			{"ligature and apostrophe", WorkFilter{Query: "l'oeuvre"}, names[1:2]},
			{"ploemeur", WorkFilter{Query: "ploemeur"}, names[2:3]},
			{"siret", WorkFilter{SIRET: "00000000000002"}, names[1:2]},
			{"issued from", WorkFilter{IssuedFrom: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)}, names[2:]},
			{"issued to", WorkFilter{IssuedTo: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)}, names[:2]},
			// 3 months of 2012.50/12 ×1.2 = 603.75; 6 = 1207.50; 9 = 1811.25; 12 = 2415.
			{"min amount", WorkFilter{MinTTC: amount("1207.50")}, names[1:]},
			{"max amount", WorkFilter{MaxTTC: amount("1207.49")}, names[:1]},
			{"kind", WorkFilter{Kinds: []invoice.Kind{invoice.KindInterest}}, nil},
			{"channel", WorkFilter{Channel: "postal"}, nil},
			{"ids", WorkFilter{IDs: []int64{-1}}, nil},
		} {
			rows, err := s.WorkList(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.EstablishmentName)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
		ests, err := s.SearchEstablishments(ctx, "lycee", 10)
		if err != nil || len(ests) != 1 || ests[0].Name != names[1] {
			t.Errorf("establishments for lycee: %v (%v)", ests, err)
		}
	})
}

package chorus_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// FindChanged returns, page by page, the invoices whose current status was
// set within the period, and nothing else.
func TestFindChanged(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	t0 := e.clock.Now()
	// Five invoices at t0 for a buyer that makes them MISE_A_DISPOSITION an
	// hour later; three more two hours later, still DEPOSEE.
	for i := 1; i <= 5; i++ {
		if _, err := e.client.Deposit(ctx, deposit(fmt.Sprintf("CT2026-%06d", i), buyerFree, t)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(2 * time.Hour)
	for i := 6; i <= 8; i++ {
		if _, err := e.client.Deposit(ctx, deposit(fmt.Sprintf("CT2026-%06d", i), buyerFree, t)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(time.Minute)
	byNumber := func(fs []chorus.FactureFournisseur) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.NumeroFacture)
		}
		slices.Sort(out)
		return out
	}
	numbers := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprintf("CT2026-%06d", i))
		}
		return out
	}
	for _, tt := range []struct {
		name     string
		from, to time.Time
		pageSize int
		want     []string
		status   chorus.StatutFacture
	}{
		{"the status changes of the first hour", t0.Add(30 * time.Minute), t0.Add(90 * time.Minute), 0, numbers(1, 5), chorus.StatutMiseADisposition},
		{"the deposits of the third hour", t0.Add(2 * time.Hour), t0.Add(3 * time.Hour), 0, numbers(6, 8), chorus.StatutDeposee},
		{"all of it, three a page", t0.Add(-time.Minute), t0.Add(3 * time.Hour), 3, numbers(1, 8), ""},
		{"the bounds are included", t0.Add(time.Hour), t0.Add(time.Hour), 0, numbers(1, 5), chorus.StatutMiseADisposition},
		{"a quiet period", t0.Add(5 * time.Hour), t0.Add(6 * time.Hour), 0, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client
			if tt.pageSize > 0 {
				c = e.newClient(t, func(cfg *chorus.Config) { cfg.PageSize = tt.pageSize })
			}
			var got []chorus.FactureFournisseur
			first, err := c.FindChanged(ctx, tt.from, tt.to, 1)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, first.Invoices...)
			for page := 2; page <= first.Pages; page++ {
				p, err := c.FindChanged(ctx, tt.from, tt.to, page)
				if err != nil || p.Page != page || p.Pages != first.Pages {
					t.Fatalf("page %d: %+v %v", page, p, err)
				}
				got = append(got, p.Invoices...)
			}
			if !slices.Equal(byNumber(got), tt.want) || first.Total != len(tt.want) {
				t.Fatalf("changed: %v (total %d), want %v", byNumber(got), first.Total, tt.want)
			}
			size := tt.pageSize
			if size == 0 {
				size = chorus.DefaultPageSize
			}
			if wantPages := (len(tt.want) + size - 1) / size; first.Pages != wantPages || first.Page != 1 {
				t.Errorf("page %d of %d, want 1 of %d", first.Page, first.Pages, wantPages)
			}
			for _, f := range got {
				if tt.status != "" && f.Statut != tt.status {
					t.Errorf("%s is %s, want %s", f.NumeroFacture, f.Statut, tt.status)
				}
			}
		})
	}
	// What cannot be asked is refused before any call.
	for _, bad := range []struct {
		from, to time.Time
		page     int
	}{{t0, t0.Add(time.Hour), 0}, {t0, t0.Add(-time.Second), 1}, {time.Time{}, t0, 1}} {
		if _, err := e.client.FindChanged(ctx, bad.from, bad.to, bad.page); !chorus.IsPermanent(err) {
			t.Errorf("FindChanged(%s, %s, %d) = %v, want a permanent error", bad.from, bad.to, bad.page, err)
		}
	}
}

package worker

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// issueOne bills one establishment for a year and kind with the rules the
// batch follows (quote, outcome, references, draft) and finalises its
// invoice: the tests' way to fill the books without a queue.
func issueOne(ctx context.Context, s *store.Store, cat *tariff.Catalog, est store.Establishment, year int, kind invoice.Kind, issueDate time.Time) (Outcome, store.Invoice, error) {
	q, err := quote(ctx, s, cat, est, year, kind)
	if err != nil {
		return "", store.Invoice{}, err
	}
	if o := quoteOutcome(q); o != Issued {
		return o, store.Invoice{}, nil
	}
	refs, err := referencesFor(ctx, s, est.ID, issueDate.Year(), year)
	if err != nil {
		return "", store.Invoice{}, err
	}
	inv, _, err := s.Finalise(ctx, draft(est, year, kind, issueDate, q, refs, nil, "test"))
	return Issued, inv, err
}

func catalog(t testing.TB) *tariff.Catalog {
	t.Helper()
	c, err := tariff.LoadCatalog(fixtures.FS(), fixtures.DeliberationsDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func issuer(t testing.TB) document.Issuer {
	t.Helper()
	data, err := os.ReadFile("../fixtures/issuer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	is, err := document.ParseIssuer("issuer.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// loadSample imports the 40-establishment sample into the books.
func loadSample(t testing.TB, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, f := range []struct {
		name string
		imp  func(string, *os.File) error
	}{
		{"establishments.csv", func(n string, f *os.File) error {
			_, err := s.ImportEstablishments(ctx, n, f, catalog(t), "test")
			return err
		}},
		{"usage-2025.csv", func(n string, f *os.File) error { _, err := s.ImportUsage(ctx, n, f, catalog(t), "test"); return err }},
		{"references.csv", func(n string, f *os.File) error { _, err := s.ImportReferences(ctx, n, f, "test"); return err }},
	} {
		file, err := os.Open("../fixtures/sample/" + f.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.imp(f.name, file); err != nil {
			t.Fatal(err)
		}
		file.Close()
	}
}

// Issuing a year's contributions over the sample bills every due
// establishment once, at the tariff's figures, and a second pass changes
// nothing.
func TestIssueContributionsOverSample(t *testing.T) {
	ctx := context.Background()
	cat := catalog(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		loadSample(t, s)
		issueDate := time.Date(2026, time.January, 12, 0, 0, 0, 0, time.UTC)
		counts := map[Outcome]int{}
		want := decimal.Zero
		for pass := 0; pass < 2; pass++ {
			err := s.ForEachEstablishment(ctx, 2026, func(e store.Establishment) error {
				outcome, inv, err := issueOne(ctx, s, cat, e, 2026, invoice.KindContribution, issueDate)
				if err != nil {
					return err
				}
				if pass == 0 {
					counts[outcome]++
					if outcome == Issued {
						te, _ := e.Tariff(2026)
						q, _ := cat.Contribution(te, 2026)
						want = want.Add(q.Totals.TTC)
						if !inv.TotalTTC.Equal(q.Totals.TTC) || inv.DueDate.Sub(inv.IssueDate) != 30*24*time.Hour {
							t.Errorf("%s: %s TTC %s, tariff %s", e.SIRET, inv.Number, inv.TotalTTC, q.Totals.TTC)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.ListInvoices(ctx, store.InvoiceFilter{Year: 2026, Kind: invoice.KindContribution})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != counts[Issued] || counts[Free] != 2 || counts[Issued] < 30 {
			t.Errorf("%d invoices stored, outcomes %v", len(list), counts)
		}
		got := decimal.Zero
		for i, inv := range list {
			got = got.Add(inv.TotalTTC)
			if inv.Seq != int64(i+1) || inv.Series != "CT2026" {
				t.Errorf("invoice %d is %s", i+1, inv.Number)
			}
		}
		if !got.Equal(want) {
			t.Errorf("billed %s TTC, tariff says %s", got, want)
		}
		// The buyer references of the issue year are on the invoice.
		var withRefs int
		for _, inv := range list {
			if inv.CodeService != "" || inv.Engagement != "" {
				withRefs++
			}
		}
		if withRefs == 0 {
			t.Error("no invoice carries buyer references")
		}
	})
}

func TestIssueOverage(t *testing.T) {
	ctx := context.Background()
	cat := catalog(t)
	s := storetest.SQLite(t)
	loadSample(t, s)
	var issued, nothing int
	err := s.ForEachEstablishment(ctx, 2025, func(e store.Establishment) error {
		if e.Offer != "bouquet" {
			return nil
		}
		outcome, inv, err := issueOne(ctx, s, cat, e, 2025, invoice.KindOverage, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return err
		}
		switch outcome {
		case Issued:
			issued++
			if len(inv.Statement) == 0 || inv.Series != "OV2026" {
				t.Errorf("%s: statement %d rows, series %s", inv.Number, len(inv.Statement), inv.Series)
			}
		case NothingDue:
			nothing++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if issued == 0 || nothing == 0 {
		t.Errorf("issued %d, nothing due %d", issued, nothing)
	}
}

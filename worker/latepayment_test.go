package worker

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/shopspring/decimal"
)

func civil(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// lateBooks loads the sample and bills one establishment of the regime a
// 1 104 € contribution (920 € HT + 20 %), issued on issue, due 30 days later.
func lateBooks(t *testing.T, s *store.Store, regime invoice.Regime, issue time.Time) store.Invoice {
	t.Helper()
	ctx := context.Background()
	loadSample(t, s)
	var est *store.Establishment
	if err := s.ForEachEstablishment(ctx, issue.Year(), func(e store.Establishment) error {
		if est == nil && e.Regime() == regime {
			est = &e
		}
		return nil
	}); err != nil || est == nil {
		t.Fatalf("no %s establishment in the sample: %v", regime, err)
	}
	l, err := invoice.NewLine("contribution-bouquet", "Contribution", decimal.NewFromInt(12), invoice.UnitMonth,
		decimal.RequireFromString("920.00"), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := s.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: issue.Year(), EstablishmentID: est.ID,
		IssueDate: issue, DueDate: issue.AddDate(0, 0, 30), PeriodStart: civil("2025-01-01"), PeriodEnd: civil("2025-12-31"),
		Lines: []invoice.Line{l}, Actor: "test", CodeService: "SERV-1", LatePaymentRegime: regime})
	if err != nil {
		t.Fatal(err)
	}
	if inv.TotalTTC.StringFixed(2) != "1104.00" {
		t.Fatalf("total %s, want 1104.00", inv.TotalTTC)
	}
	return inv
}

func latePipeline(t *testing.T, s *store.Store, legal *invoice.RateTable, log *bytes.Buffer) *Pipeline {
	t.Helper()
	_, ecb := rateTables(t)
	cfg := DefaultConfig()
	cfg.InterestMinimum = decimal.RequireFromString("0.01") // every cent shows
	return NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: issuer(t), Queue: &recordingQueue{},
		LegalRates: legal, ECBRates: ecb, Now: func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) },
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))}, cfg)
}

type interestBill struct {
	interest, indemnity string // line amounts, "" when absent
}

func interestBills(t *testing.T, s *store.Store) ([]interestBill, []store.Invoice) {
	t.Helper()
	ctx := context.Background()
	list, err := s.ListInvoices(ctx, store.InvoiceFilter{Kind: invoice.KindInterest})
	if err != nil {
		t.Fatal(err)
	}
	var out []interestBill
	var full []store.Invoice
	for _, in := range list {
		inv, err := s.InvoiceByID(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		var b interestBill
		for _, l := range inv.Lines {
			if l.Code == invoice.LineCodeIndemnity {
				b.indemnity = l.Amount.StringFixed(2)
			} else {
				b.interest = l.Amount.StringFixed(2)
			}
		}
		out = append(out, b)
		full = append(full, inv)
	}
	return out, full
}

// Issue 14: the 40 € indemnity (procurement regime) was charged once per
// partial payment; it is owed once per invoice. Interest is charged on each
// payment, never on more than what remained due.
func TestInterestIndemnityOncePerInvoice(t *testing.T) {
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		inv := lateBooks(t, s, invoice.RegimeProcurement, civil("2025-01-15")) // due 2025-02-14
		for _, p := range []struct{ on, amount, ref string }{
			{"2025-03-10", "500.00", "VIR-1"},
			{"2025-04-10", "604.00", "VIR-2"},
		} {
			if _, err := s.RecordPayment(ctx, store.Payment{InvoiceID: inv.ID, PaidOn: civil(p.on), Amount: decimal.RequireFromString(p.amount),
				Source: store.PaymentImported, Reference: p.ref}, time.Now(), "test"); err != nil {
				t.Fatal(err)
			}
		}
		var log bytes.Buffer
		legal, _ := rateTables(t)
		p := latePipeline(t, s, legal, &log)
		for range 2 { // a second pass bills nothing twice
			if err := p.HandleInterest(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, full := interestBills(t, s)
		// ECB 2025-S1 3.15 % + 8 = 11.15 %: 500 × 11.15 % × 24/365 = 3.67;
		// 604 × 11.15 % × 55/365 = 10.15; the indemnity on the first only.
		want := []interestBill{{"3.67", "40.00"}, {"10.15", ""}}
		if len(got) != len(want) {
			t.Fatalf("interest invoices = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("interest invoice %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		if !strings.Contains(full[0].Note, "du 15/02/2025 au 10/03/2025, 24 jours à 11,15\u00a0% (taux BCE 2025-S1 + 8 points) = 3,6658 €") ||
			!strings.Contains(full[0].Note, "indemnité forfaitaire de recouvrement : 40,00 €") {
			t.Errorf("first note %q does not show its computation", full[0].Note)
		}
		if strings.Contains(full[1].Note, "indemnité") {
			t.Errorf("second note %q mentions the indemnity", full[1].Note)
		}
	})
}

// Issue 14: the unofficial 2026-S2 legal rate was used on real interest
// invoices. A semester whose rate is unofficial (or missing) makes the
// interest pending — said once per semester — until the table is updated.
func TestInterestPendingOnUnofficialRate(t *testing.T) {
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		inv := lateBooks(t, s, invoice.RegimeLegal, civil("2026-05-15")) // due 2026-06-14
		for _, p := range []struct{ on, amount, ref string }{
			{"2026-07-20", "500.00", "VIR-1"},
			{"2026-08-20", "604.00", "VIR-2"},
		} {
			if _, err := s.RecordPayment(ctx, store.Payment{InvoiceID: inv.ID, PaidOn: civil(p.on), Amount: decimal.RequireFromString(p.amount),
				Source: store.PaymentImported, Reference: p.ref}, time.Now(), "test"); err != nil {
				t.Fatal(err)
			}
		}
		var log bytes.Buffer
		legal, _ := rateTables(t) // the fixture: 2026-S2 marked unofficial
		p := latePipeline(t, s, legal, &log)
		for range 3 {
			if err := p.HandleInterest(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := interestBills(t, s); len(got) != 0 {
			t.Errorf("interest invoices on an unofficial rate: %+v", got)
		}
		if n := strings.Count(log.String(), "late-payment interest pending"); n != 1 || !strings.Contains(log.String(), "2026-S2") {
			t.Errorf("%d log lines, want 1 for 2026-S2:\n%s", n, log.String())
		}
		late, err := s.LatePaymentsWithoutInterest(ctx)
		if err != nil || len(late) != 2 {
			t.Fatalf("late payments still waiting = %d, %v; want 2", len(late), err)
		}

		// The table is updated: the row marked official.
		f, err := fixtures.FS().Open(fixtures.LegalInterestRates)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		updated := strings.Replace(string(data), "2026-12-31,6.84,2.75,unofficial", "2026-12-31,6.84,2.75,official", 1)
		official, err := invoice.ParseLegalRates("legal-interest-rates.csv", strings.NewReader(updated))
		if err != nil {
			t.Fatal(err)
		}
		p = latePipeline(t, s, official, &log)
		if err := p.HandleInterest(ctx, nil); err != nil {
			t.Fatal(err)
		}
		got, full := interestBills(t, s)
		// 500 × (2.62 % × 16 + 2.75 % × 20)/365 = 0.5742 + 0.7534 = 1.33;
		// 604 × (2.62 % × 16 + 2.75 % × 51)/365 = 0.6937 + 2.3208 = 3.01.
		want := []interestBill{{"1.33", ""}, {"3.01", ""}}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("interest invoices = %+v, want %+v", got, want)
		}
		wantNote := "Intérêts de retard sur la facture " + inv.Number + ". Calcul : 500,00 € × taux × jours / 365" +
			" ; du 15/06/2026 au 30/06/2026, 16 jours à 2,62\u00a0% = 0,5742 €" +
			" ; du 01/07/2026 au 20/07/2026, 20 jours à 2,75\u00a0% = 0,7534 € ; total arrondi au centime : 1,33 €."
		if full[0].Note != wantNote {
			t.Errorf("note =\n%q\nwant\n%q", full[0].Note, wantNote)
		}
	})
}

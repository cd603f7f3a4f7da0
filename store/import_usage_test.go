package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// combourg is a bouquet establishment of the sample, 20 staff in 2025
// (bracket 20-49), with no signature-sms of its own in the sample's usage.
const combourg = "21350549800013"

// Each quantity as a spreadsheet writes it, for a count (SMS, documents) and
// a measure (GB): stored as read, or the file refused with the line, the
// field and the exact message. Where it is stored, the overage it bills is
// checked to the cent.
func TestImportUsageQuantities(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, service, qty string
		stored             string // the quantity in the books, when accepted
		problem            string // the whole error line, when refused
		ht                 string // the overage HT of the stored usage
	}{
		{"1500 SMS", "signature-sms", "1500", "1500", "", "130.00"},
		{"1,500 SMS is ambiguous, not 1.5", "signature-sms", "1,500", "",
			`q.csv:2: quantity: "1,500" is ambiguous: signature-sms is a count of SMS, a whole number, and 1,500 could be read 1500 or 1.5; write 1500 (digits only, no separator)`, ""},
		{"1.500 SMS is ambiguous", "signature-sms", "1.500", "",
			`q.csv:2: quantity: "1.500" is ambiguous: signature-sms is a count of SMS, a whole number, and 1.500 could be read 1500 or 1.5; write 1500 (digits only, no separator)`, ""},
		{"1 500 SMS: digits only", "signature-sms", "1 500", "",
			`q.csv:2: quantity: "1 500": signature-sms is a count of SMS, written with digits only (no thousands or decimal separator); write 1500`, ""},
		{"a fraction of an SMS", "signature-sms", "1.5", "",
			`q.csv:2: quantity: 1.5 is not a whole number: signature-sms is a count of SMS, whole numbers only`, ""},
		{"a fraction of an SMS, decimal comma", "signature-sms", "250,5", "",
			`q.csv:2: quantity: 250,5 is not a whole number: signature-sms is a count of SMS, whole numbers only`, ""},
		{"negative SMS", "signature-sms", "-15", "", `q.csv:2: quantity: -15 is negative`, ""},
		{"the largest quantity of SMS", "signature-sms", "1000000000000", "1000000000000", "", "99999999980.00"},
		{"one SMS more than the largest quantity", "signature-sms", "1000000000001", "",
			`q.csv:2: quantity: 1000000000001 is more than the largest quantity accepted, 1000000000000 (10^12) SMS`, ""},
		{"documents that overflowed the block count", "opendata-docs", "100000000000000000000000", "",
			`q.csv:2: quantity: 100000000000000000000000 is more than the largest quantity accepted, 1000000000000 (10^12) document`, ""},
		{"GB with a decimal comma", "partage-storage", "612,5", "612.5", "", "780.00"},
		{"GB with a decimal point", "partage-storage", "612.5", "612.5", "", "780.00"},
		{"1,500 GB is 1.5 GB, as before", "partage-storage", "1,500", "1.5", "", "0.00"},
		{"GB with spaces between thousands", "partage-storage", "1 250,5", "1250.5", "", "1740.00"},
		{"the largest quantity of GB", "partage-storage", "1000000000000", "1000000000000", "", "1499999999850.00"},
		{"GB beyond the largest quantity", "partage-storage", "1000000000000,5", "",
			`q.csv:2: quantity: 1000000000000.5 is more than the largest quantity accepted, 1000000000000 (10^12) Go`, ""},
		{"GB not a number", "partage-storage", "12 Go", "", `q.csv:2: quantity: "12 Go" is not a number`, ""},
	}
	forEachEngine(t, func(t *testing.T, s *Store) {
		if _, err := importFile(t, s, "establishments", "../fixtures/sample/establishments.csv"); err != nil {
			t.Fatal(err)
		}
		e, err := s.EstablishmentBySIRET(ctx, combourg)
		if err != nil {
			t.Fatal(err)
		}
		cat := testCatalog(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.db.ExecContext(ctx, `DELETE FROM usage_quantities`); err != nil {
					t.Fatal(err)
				}
				in := "siret;year;service;quantity\n" + combourg + ";2025;" + tt.service + ";" + tt.qty + "\n"
				_, err := s.ImportUsage(ctx, "q.csv", strings.NewReader(in), cat, "test")
				got, uerr := s.Usage(ctx, e.ID, 2025)
				if uerr != nil {
					t.Fatal(uerr)
				}
				if tt.problem != "" {
					var ie *ImportError
					if !errors.As(err, &ie) || len(ie.Errors) != 1 || ie.Errors[0].Error() != tt.problem {
						t.Fatalf("err = %v\nwant %s", err, tt.problem)
					}
					if len(got) != 0 {
						t.Errorf("usage stored after a refused file: %v", got)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if q := got[tt.service]; q.String() != tt.stored {
					t.Fatalf("stored %s, want %s", q, tt.stored)
				}
				quote, err := cat.Overage(tariff.Establishment{Offer: tariff.OfferBouquet, Headcount: e.Headcounts[2025], Existing: true}, 2025, got)
				if err != nil {
					t.Fatal(err)
				}
				if ht := quote.Totals.HT.StringFixed(2); ht != tt.ht {
					t.Errorf("overage HT %s, want %s", ht, tt.ht)
				}
			})
		}
	})
}

// A file with several wrong quantities is refused whole, every problem
// listed, its good lines not imported.
func TestImportUsageQuantitiesAtomic(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		importSample(t, s)
		before := snapshot(t, s)
		in := "siret;year;service;quantity\n" +
			combourg + ";2025;signature-sms;1,500\n" +
			combourg + ";2025;rdv-sms;400\n" +
			combourg + ";2025;convocation-sms;12.5\n" +
			combourg + ";2025;archive-storage;2000000000000\n" +
			combourg + ";2025;opendata-docs;1 200\n"
		_, err := s.ImportUsage(ctx, "many.csv", strings.NewReader(in), testCatalog(t), "test")
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v", err)
		}
		var got []string
		for _, re := range ie.Errors {
			got = append(got, re.Error())
		}
		want := []string{
			`many.csv:2: quantity: "1,500" is ambiguous: signature-sms is a count of SMS, a whole number, and 1,500 could be read 1500 or 1.5; write 1500 (digits only, no separator)`,
			`many.csv:4: quantity: 12.5 is not a whole number: convocation-sms is a count of SMS, whole numbers only`,
			`many.csv:5: quantity: 2000000000000 is more than the largest quantity accepted, 1000000000000 (10^12) Go`,
			`many.csv:6: quantity: "1 200": opendata-docs is a count of document, written with digits only (no thousands or decimal separator); write 1200`,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("problems:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if after := snapshot(t, s); !reflect.DeepEqual(before, after) {
			t.Errorf("the books changed after a rejected file")
		}
	})
}

// Usage at the largest quantity for every service bills, and the books keep
// its statement, block counts and amounts exactly: nothing wraps round.
func TestOverageAtLargestQuantityInBooks(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		if _, err := importFile(t, s, "establishments", "../fixtures/sample/establishments.csv"); err != nil {
			t.Fatal(err)
		}
		cat := testCatalog(t)
		d, err := cat.For(2025)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("siret;year;service;quantity\n")
		for _, code := range d.ServiceCodes(tariff.OfferBouquet) {
			b.WriteString(combourg + ";2025;" + code + ";1000000000000\n")
		}
		if _, err := s.ImportUsage(ctx, "max.csv", strings.NewReader(b.String()), cat, "test"); err != nil {
			t.Fatal(err)
		}
		e, err := s.EstablishmentBySIRET(ctx, combourg)
		if err != nil {
			t.Fatal(err)
		}
		usage, err := s.Usage(ctx, e.ID, 2025)
		if err != nil {
			t.Fatal(err)
		}
		q, err := cat.Overage(tariff.Establishment{Offer: tariff.OfferBouquet, Headcount: e.Headcounts[2025], Existing: true}, 2025, usage)
		if err != nil {
			t.Fatal(err)
		}
		issue := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
		inv, _, err := s.Finalise(ctx, Draft{Kind: invoice.KindOverage, Year: 2025, EstablishmentID: e.ID, IssueDate: issue,
			DueDate: issue.AddDate(0, 0, 30), PeriodStart: q.From, PeriodEnd: q.To, Lines: q.Lines, Statement: q.Statement,
			Actor: "test", CodeService: "SERV-1"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.InvoiceByNumber(ctx, inv.Number)
		if err != nil {
			t.Fatal(err)
		}
		// Bracket 20-49: allowances 5 circuits, 25 users, 100 GB (blocks of
		// 10), 200/500/300 SMS, 50 GB, 2500 documents (blocks of 1000),
		// 25 accounts, 250 GB (blocks of 100).
		want := map[string][2]string{ // blocks, amount
			"parapheur-circuits": {"999999999995", "59999999999700.00"},
			"partage-users":      {"999999999975", "11999999999700.00"},
			"partage-storage":    {"99999999990", "1499999999850.00"},
			"signature-sms":      {"999999999800", "99999999980.00"},
			"convocation-sms":    {"999999999500", "79999999960.00"},
			"rdv-sms":            {"999999999700", "79999999976.00"},
			"archive-storage":    {"999999999950", "7999999999600.00"},
			"opendata-docs":      {"999999998", "24999999950.00"},
			"vault-accounts":     {"999999999975", "14999999999625.00"},
			"backup-storage":     {"9999999998", "199999999960.00"},
		}
		if len(got.Statement) != len(want) || len(got.Lines) != len(want) {
			t.Fatalf("%d statement rows, %d lines, want %d", len(got.Statement), len(got.Lines), len(want))
		}
		for i, r := range got.Statement {
			w := want[r.Code]
			if b := decimal.NewFromInt(r.Usage.Blocks).String(); b != w[0] || r.Amount.StringFixed(2) != w[1] ||
				r.Usage.Observed.String() != "1000000000000" {
				t.Errorf("%s: observed %s, %s blocks, %s; want %s blocks, %s", r.Code, r.Usage.Observed, b, r.Amount.StringFixed(2), w[0], w[1])
			}
			if l := got.Lines[i]; l.Quantity.String() != w[0] || l.Amount.StringFixed(2) != w[1] || l.Usage == nil || l.Usage.Blocks != r.Usage.Blocks {
				t.Errorf("line %s: %s × %s = %s (%+v)", l.Code, l.Quantity, l.UnitPrice, l.Amount, l.Usage)
			}
		}
		if got.TotalHT.StringFixed(2) != "96984999998301.00" || got.TotalVAT.StringFixed(2) != "19396999999660.20" ||
			got.TotalTTC.StringFixed(2) != "116381999997961.20" {
			t.Errorf("totals %s %s %s", got.TotalHT, got.TotalVAT, got.TotalTTC)
		}
	})
}

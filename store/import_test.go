package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

func testCatalog(t testing.TB) *tariff.Catalog {
	t.Helper()
	c, err := tariff.LoadCatalog(fixtures.FS(), fixtures.DeliberationsDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func importFile(t testing.TB, s *Store, kind, path string) (ImportResult, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	name := filepath.Base(path)
	switch kind {
	case "establishments":
		return s.ImportEstablishments(ctx, name, f, testCatalog(t), "test")
	case "usage":
		return s.ImportUsage(ctx, name, f, testCatalog(t), "test")
	case "references":
		return s.ImportReferences(ctx, name, f, "test")
	case "payments":
		return s.ImportPayments(ctx, name, f, "test")
	}
	t.Fatalf("unknown import %s", kind)
	return ImportResult{}, nil
}

func importSample(t testing.TB, s *Store) {
	t.Helper()
	for _, step := range [][2]string{
		{"establishments", "establishments.csv"}, {"usage", "usage-2025.csv"}, {"references", "references.csv"},
	} {
		if _, err := importFile(t, s, step[0], filepath.Join("..", "fixtures", "sample", step[1])); err != nil {
			t.Fatalf("import %s: %v", step[1], err)
		}
	}
}

// snapshot dumps the imported tables in a form independent of the engine
// (ids replaced by SIRETs, dates as YYYY-MM-DD), to compare engines and to
// check that a rejected file changed nothing.
func snapshot(t testing.TB, s *Store) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	err := s.ForEachEstablishment(ctx, 2025, func(e Establishment) error {
		out = append(out, fmt.Sprintf("E %s|%s|%s|%s|%s|%s|%s|%v|%s|%s|%v|%s|%v", e.SIRET, e.Name, e.AddressLine1, e.AddressLine2,
			e.Postcode, e.City, e.Offer, e.Existing, day(e.ConventionReceived), day(e.TerminationReceived), e.OnChorus, e.LatePaymentRegime, e.Headcounts))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, q := range []string{
		`SELECT 'H ' || e.siret || '|' || h.year || '|' || h.headcount FROM headcounts h JOIN establishments e ON e.id = h.establishment_id`,
		`SELECT 'U ' || e.siret || '|' || u.year || '|' || u.service || '|' || u.quantity FROM usage_quantities u JOIN establishments e ON e.id = u.establishment_id`,
		`SELECT 'R ' || e.siret || '|' || r.year || '|' || r.code_service || '|' || r.engagement FROM buyer_references r JOIN establishments e ON e.id = r.establishment_id`,
		`SELECT 'P ' || i.number || '|' || p.amount_cents || '|' || p.reference FROM payments p JOIN invoices i ON i.id = p.invoice_id`,
	} {
		rows = nil
		if err := s.db.Select(&rows, q); err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	sort.Strings(out)
	return out
}

func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func TestImportSampleSameOnBothEngines(t *testing.T) {
	snaps := map[string][]string{}
	forEachEngine(t, func(t *testing.T, s *Store) {
		importSample(t, s)
		snaps[t.Name()] = snapshot(t, s)
		n, _ := s.CountEstablishments(context.Background())
		if n != 40 {
			t.Errorf("%d establishments, want 40", n)
		}
		// A known row, read back exactly.
		e, err := s.EstablishmentBySIRET(context.Background(), "21299951000010")
		if err != nil {
			t.Fatal(err)
		}
		if e.Name == "" || e.Offer == "" || len(e.Headcounts) == 0 {
			t.Errorf("establishment = %+v", e)
		}
		// Re-importing changes nothing and says so.
		for _, step := range [][3]string{{"establishments", "establishments.csv", "40"}, {"usage", "usage-2025.csv", "38"}, {"references", "references.csv", "9"}} {
			res, err := importFile(t, s, step[0], filepath.Join("..", "fixtures", "sample", step[1]))
			if err != nil || strconv.Itoa(res.Unchanged) != step[2] || res.Added+res.Changed != 0 {
				t.Errorf("re-import %s: %s, %v", step[1], res, err)
			}
		}
	})
	pg, lite := snaps["TestImportSampleSameOnBothEngines/postgres"], snaps["TestImportSampleSameOnBothEngines/sqlite"]
	if len(pg) < 100 || !reflect.DeepEqual(pg, lite) {
		for i := range pg {
			if i >= len(lite) || pg[i] != lite[i] {
				t.Fatalf("engines differ at row %d:\npostgres %s\nsqlite   %v", i, pg[i], lite[min(i, len(lite)-1)])
			}
		}
		t.Fatalf("engines differ: %d and %d rows", len(pg), len(lite))
	}
}

// badCase is one row of the table in fixtures/README.md.
type badCase struct {
	file, field string
	line        int
}

func badCases(t *testing.T) []badCase {
	f, err := os.Open("../fixtures/README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []badCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 5 || !strings.HasSuffix(strings.TrimSpace(cells[1]), ".csv") {
			continue
		}
		line, err := strconv.Atoi(strings.TrimSpace(cells[2]))
		if err != nil {
			continue
		}
		out = append(out, badCase{file: strings.Trim(strings.TrimSpace(cells[1]), "`"), line: line, field: strings.Trim(strings.TrimSpace(cells[3]), "`")})
	}
	if len(out) < 13 {
		t.Fatalf("found %d bad cases in fixtures/README.md", len(out))
	}
	return out
}

// Each malformed sample is refused with the right line and field, and the
// books are exactly as before.
func TestImportRejectsBadFiles(t *testing.T) {
	ctx := context.Background()
	cases := badCases(t)
	forEachEngine(t, func(t *testing.T, s *Store) {
		importSample(t, s)
		// The payments files pay CT2025-000001..3 in full: 1 104, 4 140 and
		// 2 415 € TTC (more would be an overpayment).
		for i, siret := range []string{"21299951000010", "19290263300010", "19560820300012"} {
			e, err := s.EstablishmentBySIRET(ctx, siret)
			if err != nil {
				t.Fatal(err)
			}
			d := contributionDraft(t, e.ID, 2025, 12)
			unit := []string{"920.00", "3450.00", "2012.50"}[i]
			if d.Lines[0], err = invoice.NewLine("contribution-bouquet", "Contribution", decimal.NewFromInt(12), invoice.UnitMonth,
				decimal.RequireFromString(unit), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)}); err != nil {
				t.Fatal(err)
			}
			d.IssueDate = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
			d.DueDate = d.IssueDate.AddDate(0, 0, 30)
			if _, _, err := s.Finalise(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		before := snapshot(t, s)
		for _, c := range cases {
			t.Run(c.file, func(t *testing.T) {
				kind, _, _ := strings.Cut(c.file, "-")
				_, err := importFile(t, s, kind, filepath.Join("..", "fixtures", "bad", c.file))
				var ie *ImportError
				if !errors.As(err, &ie) {
					t.Fatalf("err = %v, want an *ImportError", err)
				}
				if len(ie.Errors) != 1 {
					t.Errorf("%d problems, want exactly 1: %v", len(ie.Errors), err)
				}
				got := ie.Errors[0]
				if got.File != c.file || got.Line != c.line || got.Field != c.field {
					t.Errorf("problem at %s:%d %s, want %s:%d %s (%s)", got.File, got.Line, got.Field, c.file, c.line, c.field, got.Problem)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%s:%d: %s: ", c.file, c.line, c.field)) {
					t.Errorf("message %q does not name file:line: field", err)
				}
				if after := snapshot(t, s); !reflect.DeepEqual(before, after) {
					t.Errorf("the books changed after a rejected file")
				}
			})
		}
	})
}

func TestImportCountsChanges(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		importSample(t, s)
		data, err := os.ReadFile("../fixtures/sample/establishments.csv")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		// Rename the first establishment, drop the others but one, add a new one,
		// and write it with ',' separators, a BOM and CRLF line ends.
		header := strings.Split(lines[0], ";")
		first := strings.Split(lines[1], ";")
		second := strings.Split(lines[2], ";")
		first[1] = "Nouveau nom"
		fresh := append([]string(nil), second...)
		fresh[0] = "73282932000074"
		var b bytes.Buffer
		b.WriteString("\ufeff")
		for _, rec := range [][]string{header, first, second, fresh} {
			b.WriteString(strings.Join(quoteAll(rec), ",") + "\r\n")
		}
		res, err := s.ImportEstablishments(ctx, "edit.csv", &b, testCatalog(t), "test")
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 3 || res.Added != 1 || res.Changed != 1 || res.Unchanged != 1 {
			t.Errorf("result = %s", res)
		}
		e, err := s.EstablishmentBySIRET(ctx, strings.ReplaceAll(first[0], " ", ""))
		if err != nil || e.Name != "Nouveau nom" {
			t.Errorf("renamed: %q %v", e.Name, err)
		}
		if n, _ := s.CountEstablishments(ctx); n != 41 {
			t.Errorf("%d establishments, want 41", n)
		}
		trail, _ := s.AuditTrail(ctx, "establishment", e.ID)
		if len(trail) != 1 || trail[0].Action != "import" {
			t.Errorf("audit = %+v", trail)
		}

		// Usage with a decimal comma, changed quantity.
		usage := "siret;year;service;quantity\n" + strings.ReplaceAll(first[0], " ", "") + ";2025;partage-storage;\"1 234,5\"\n"
		if first[6] == "bouquet" {
			res, err := s.ImportUsage(ctx, "u.csv", strings.NewReader(usage), testCatalog(t), "test")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := s.Usage(ctx, e.ID, 2025)
			if !got["partage-storage"].Equal(decimal.RequireFromString("1234.5")) || res.Added+res.Changed != 1 {
				t.Errorf("usage = %v, %s", got, res)
			}
		}
	})
}

func quoteAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, f := range rec {
		out[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
	}
	return out
}

func TestImportRejectsEveryProblemAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		in := "siret;name;offer;existing;convention_received;headcount_2025\n" +
			"12345678912345;A;bouquet;oui;;10\n" + // bad SIRET
			"73282932000074;;bouquet;oui;;10\n" + // no name
			"21299951000010;C;teletransmission;oui;;25\n" + // no tariff for 25
			"19290263300010;D;bouquet;oui;;10\n" +
			"19290263300010;D;bouquet;oui;;10\n" + // duplicate
			"19560820300012;E;bouquet;non;;10\n" + // no received date
			"20007983800021;F;bouquet;peut-être;;x\n" // bad boolean, bad headcount
		_, err := s.ImportEstablishments(context.Background(), "many.csv", strings.NewReader(in), testCatalog(t), "test")
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v", err)
		}
		var got []string
		for _, e := range ie.Errors {
			got = append(got, fmt.Sprintf("%d:%s", e.Line, e.Field))
		}
		want := []string{"2:siret", "3:name", "4:headcount_2025", "6:siret", "7:convention_received", "8:existing", "8:headcount_2025"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("problems = %v\nwant       %v\n%v", got, want, err)
		}
		if n, _ := s.CountEstablishments(context.Background()); n != 0 {
			t.Errorf("%d establishments stored", n)
		}
		if _, err := s.ImportUsage(context.Background(), "h.csv", strings.NewReader("siret;year\n"), testCatalog(t), "t"); err == nil ||
			!strings.Contains(err.Error(), "h.csv:1: service: required column is missing") {
			t.Errorf("missing column: %v", err)
		}
	})
}

// A malformed quote is reported with its line, not a crash (found by FuzzCSV).
func TestImportBareQuote(t *testing.T) {
	s := openSQLite(t)
	in := "siret;name;offer;existing;headcount_2025\n73282932000074;\"Mairie\" de X;bouquet;oui;10\n"
	_, err := s.ImportEstablishments(context.Background(), "quote.csv", strings.NewReader(in), testCatalog(t), "test")
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Errors[0].Line != 2 || !strings.Contains(err.Error(), "quote.csv:2:") {
		t.Fatalf("err = %v", err)
	}
}

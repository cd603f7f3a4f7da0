package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// The books commands end to end on an SQLite file: migrate, import the
// sample (twice), reject a bad file, list and show an invoice.
func TestBooksCommands(t *testing.T) {
	dir := t.TempDir()
	environ := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(dir, "books.db")}
	sample := "../../fixtures/sample/"

	if code, out, errOut := runCLI(t, environ, "migrate"); code != 0 || !strings.Contains(out, "sqlite database migrated: ") || strings.Contains(out, ": 0 step(s)") {
		t.Fatalf("migrate: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, environ, "migrate"); code != 0 || !strings.Contains(out, ": 0 step(s) applied") {
		t.Fatalf("second migrate: %d %q", code, out)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"import", "establishments", sample + "establishments.csv"}, "40 rows — 40 added, 0 changed, 0 unchanged"},
		{[]string{"import", "establishments", sample + "establishments.csv"}, "40 rows — 0 added, 0 changed, 40 unchanged"},
		{[]string{"import", "usage", sample + "usage-2025.csv"}, "38 rows — 38 added"},
		{[]string{"import", "references", sample + "references.csv"}, "9 rows — 9 added"},
	}
	for _, st := range steps {
		if code, out, errOut := runCLI(t, environ, st.args...); code != 0 || !strings.Contains(out, st.want) {
			t.Fatalf("%v: exit %d, %q %q", st.args, code, out, errOut)
		}
	}
	code, _, errOut := runCLI(t, environ, "import", "usage", "../../fixtures/bad/usage-unknown-service.csv")
	if code != 1 || !strings.Contains(errOut, "usage-unknown-service.csv:3: service: unknown service code") {
		t.Errorf("bad file: exit %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, environ, "import", "invoices", "x.csv"); code != 2 {
		t.Errorf("unknown import: exit %d %q", code, errOut)
	}

	// An invoice, finalised through the store as the pipeline will.
	ctx := context.Background()
	s, err := store.OpenAndMigrate(ctx, environ[envDatabaseURL])
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.EstablishmentBySIRET(ctx, "21299951000010")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := invoice.NewLine("contribution-bouquet", "Contribution 2025", decimal.NewFromInt(12), invoice.UnitMonth,
		decimal.RequireFromString("920"), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
	issue := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	if _, _, err := s.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: e.ID, IssueDate: issue,
		DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{l}, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	payments := filepath.Join(dir, "payments.csv")
	os.WriteFile(payments, []byte("invoice_number;paid_on;amount;reference\nCT2025-000001;20/02/2025;1104,00;VIR-1\n"), 0o644)
	if code, out, errOut := runCLI(t, environ, "import", "payments", payments); code != 0 || !strings.Contains(out, "1 added") {
		t.Errorf("payments: %d %q %q", code, out, errOut)
	}

	code, out, _ := runCLI(t, environ, "invoices", "list", "--year", "2025")
	// The establishment by SIRET and name, not by the books' internal id.
	if code != 0 || !strings.Contains(out, "CT2025-000001") || !strings.Contains(out, "1\u00a0104,00\u00a0€") || !strings.Contains(out, "1 facture(s)") ||
		!strings.Contains(out, "21299951000010  "+shorten(e.Name, 40)) || strings.Contains(out, fmt.Sprintf("#%d", e.ID)) {
		t.Errorf("list: %d %q", code, out)
	}
	code, out, _ = runCLI(t, environ, "invoices", "show", "CT2025-000001", "--json")
	var v invoiceJSON
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil {
		t.Fatalf("show: %d %v %q", code, err, out)
	}
	if v.TotalTTC != "1104.00" || v.SIRET != "21299951000010" || len(v.Lines) != 1 || len(v.Payments) != 1 || v.Payments[0].Amount != "1104.00" || len(v.Audit) != 2 {
		t.Errorf("show = %+v", v)
	}
	if code, _, errOut := runCLI(t, environ, "invoices", "show", "CT2025-000099"); code != 1 || !strings.Contains(errOut, "no invoice CT2025-000099") {
		t.Errorf("unknown invoice: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, map[string]string{envDatabaseURL: "mysql://x"}, "invoices", "list"); code != 1 || !strings.Contains(errOut, "want postgres://… or sqlite://PATH") {
		t.Errorf("bad URL: %d %q", code, errOut)
	}
}

func TestFixturesCommands(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCLI(t, nil, "fixtures", "generate", "--establishments", "250", "--seed", "7", "--out", dir)
	if code != 0 {
		t.Fatalf("generate: %d %q", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "establishments.csv"))
	if err != nil || strings.Count(string(data), "\n") != 251 {
		t.Errorf("generated %d lines, %v", strings.Count(string(data), "\n"), err)
	}
	environ := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(dir, "books.db")}
	if code, out, errOut := runCLI(t, environ, "import", "establishments", filepath.Join(dir, "establishments.csv")); code != 0 || !strings.Contains(out, "250 added") {
		t.Errorf("import generated: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, environ, "import", "usage", filepath.Join(dir, "usage-2025.csv")); code != 0 || !strings.Contains(out, "added") {
		t.Errorf("import generated usage: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "fixtures", "sample", "--out", dir); code != 0 {
		t.Fatalf("sample: %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "references.csv")); err != nil {
		t.Error(err)
	}
	if code, _, _ := runCLI(t, nil, "fixtures", "generate"); code != 2 {
		t.Errorf("generate without N: exit %d", code)
	}
}

func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "url")
	os.WriteFile(f, []byte("sqlite://"+filepath.Join(dir, "b.db")+"\n"), 0o600)
	if code, out, errOut := runCLI(t, map[string]string{envDatabaseURL + "_FILE": f}, "migrate"); code != 0 || !strings.Contains(out, "sqlite") {
		t.Errorf("_FILE: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, map[string]string{envDatabaseURL + "_FILE": f, envDatabaseURL: "sqlite://x"}, "migrate"); code != 1 || !strings.Contains(errOut, "not both") {
		t.Errorf("both: %d %q", code, errOut)
	}
}

// Unpaid invoices past due are listed with the interest accrued to date;
// paid ones are not.
func TestOverdue(t *testing.T) {
	dir := t.TempDir()
	environ := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(dir, "books.db")}
	if code, _, errOut := runCLI(t, environ, "import", "establishments", "../../fixtures/sample/establishments.csv"); code != 0 {
		t.Fatal(errOut)
	}
	ctx := context.Background()
	s, err := store.OpenAndMigrate(ctx, environ[envDatabaseURL])
	if err != nil {
		t.Fatal(err)
	}
	issue := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	var numbers []string
	for _, siret := range []string{"21299951000010", "19290263300010"} {
		e, _ := s.EstablishmentBySIRET(ctx, siret)
		l, _ := invoice.NewLine("contribution-bouquet", "Contribution 2025", decimal.NewFromInt(12), invoice.UnitMonth,
			decimal.RequireFromString("920"), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
		inv, _, err := s.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: e.ID, IssueDate: issue,
			DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{l}, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, inv.ID, invoice.StateFinalised, store.Change{To: invoice.StatePostal, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, inv.Number)
	}
	s.Close()
	payments := filepath.Join(dir, "p.csv")
	os.WriteFile(payments, []byte("invoice_number;paid_on;amount\n"+numbers[0]+";2025-03-01;1104,00\n"), 0o644)
	if code, _, errOut := runCLI(t, environ, "import", "payments", payments); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := runCLI(t, environ, "invoices", "list", "--overdue", "--json")
	if code != 0 {
		t.Fatal(errOut)
	}
	var rows []overdueJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Number != numbers[1] || rows[0].Due != "1104.00" {
		t.Fatalf("overdue = %+v", rows)
	}
	f, _ := os.Open("../../fixtures/legal-interest-rates.csv")
	defer f.Close()
	table, _ := invoice.ParseLegalRates("legal", f)
	want, err := invoice.LegalInterest(decimal.RequireFromString("1104.00"), issue.AddDate(0, 0, 30), time.Now().UTC(), table, invoice.Basis365)
	if err == nil && (rows[0].Interest != invoice.Format(want.Total) || rows[0].DaysLate != want.Days) {
		t.Errorf("interest %s after %d days, want %s after %d", rows[0].Interest, rows[0].DaysLate, invoice.Format(want.Total), want.Days)
	}
	var missing *invoice.MissingRateError
	if err != nil && (!errors.As(err, &missing) || !strings.Contains(rows[0].Note, "interest pending: ") || !strings.Contains(rows[0].Note, missing.Error())) {
		t.Errorf("a missing or unofficial rate must be said (%v): %+v", err, rows[0])
	}
	// The paid one moved to paid.
	code, out, _ = runCLI(t, environ, "invoices", "show", numbers[0], "--json")
	if code != 0 || !strings.Contains(out, `"state": "paid"`) {
		t.Errorf("paid invoice: %s", out)
	}
}

// A path that holds no books (a typo, say) gets new, empty books, and the
// command says so; books already there are opened without a word.
func TestSaysWhenBooksAreCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo", "books.db")
	env := map[string]string{envDatabaseURL: "sqlite://" + path}
	for i, want := range []bool{true, false} {
		code, _, errOut := runCLI(t, env, "invoices", "list")
		said := strings.Contains(errOut, "no books were found at sqlite://"+path+": new, empty books were created there")
		if code != 0 || said != want {
			t.Fatalf("run %d: exit %d, stderr %q; want the creation said: %v", i+1, code, errOut, want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
)

// Export writes each format for the selected invoices, the same bytes every
// time, and the print batch holds the invoices of buyers not on Chorus Pro.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	environ := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(dir, "books.db")}
	for _, args := range [][]string{
		{"import", "establishments", "../../fixtures/sample/establishments.csv"},
		{"import", "references", "../../fixtures/sample/references.csv"},
	} {
		if code, _, errOut := runCLI(t, environ, args...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	ctx := context.Background()
	s, err := store.OpenAndMigrate(ctx, environ[envDatabaseURL])
	if err != nil {
		t.Fatal(err)
	}
	cat, err := tariff.LoadCatalog(fixtures.FS(), fixtures.DeliberationsDir)
	if err != nil {
		t.Fatal(err)
	}
	var postal int
	err = s.ForEachEstablishment(ctx, 2025, func(e store.Establishment) error {
		// The books filled by hand from the tariff: the export reads
		// finalised invoices, however they were issued.
		te, err := e.Tariff(2025)
		if err != nil {
			return err
		}
		q, err := cat.Contribution(te, 2025)
		if err != nil || !q.Due() {
			return err
		}
		day := time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC)
		if _, _, err := s.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: e.ID,
			IssueDate: day, DueDate: day.AddDate(0, 0, q.PaymentTermDays), PeriodStart: q.From, PeriodEnd: q.To,
			Lines: q.Lines, LatePaymentRegime: e.Regime(), Actor: "test"}); err != nil {
			return err
		}
		if !e.OnChorus {
			postal++
		}
		return nil
	})
	s.Close()
	if err != nil || postal == 0 {
		t.Fatalf("issue: %v, %d postal", err, postal)
	}

	out := filepath.Join(dir, "out")
	for _, format := range document.Formats() {
		code, stdout, errOut := runCLI(t, environ, "invoices", "export", "--format", format, "--number", "CT2025-000001", "--out", out)
		if code != 0 || !strings.Contains(stdout, "1 document(s) written") {
			t.Fatalf("export %s: %d %q %q", format, code, stdout, errOut)
		}
		path := filepath.Join(out, "CT2025-000001"+document.Extension(format))
		first, err := os.ReadFile(path)
		if err != nil || len(first) == 0 {
			t.Fatalf("%s: %v", path, err)
		}
		runCLI(t, environ, "invoices", "export", "--format", format, "--number", "CT2025-000001", "--out", out)
		if again, _ := os.ReadFile(path); !bytes.Equal(first, again) {
			t.Errorf("%s differs on a second export", format)
		}
	}
	code, stdout, errOut := runCLI(t, environ, "invoices", "export", "--format", "cii", "--year", "2025", "--out", out)
	if code != 0 || !strings.Contains(stdout, "document(s) written") {
		t.Fatalf("export year: %d %q", code, errOut)
	}
	code, stdout, errOut = runCLI(t, environ, "invoices", "export", "--format", "print-batch", "--year", "2025", "--out", out)
	if code != 0 || !strings.Contains(stdout, "print-batch-2025.pdf") || !strings.Contains(stdout, " invoice(s) to post") {
		t.Fatalf("print batch: %d %q %q", code, stdout, errOut)
	}
	if !strings.Contains(stdout, fmt.Sprintf("  %d invoice(s) to post", postal)) {
		t.Errorf("print batch holds the wrong number of invoices (want %d): %q", postal, stdout)
	}
	// Printed as the dashboard prints: the batch's checksum is in the audit
	// trail of each invoice it holds.
	batch, err := os.ReadFile(filepath.Join(out, "print-batch-2025.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(batch))
	if !strings.Contains(stdout, "sha256 "+sum) {
		t.Errorf("print batch checksum not said: %q", stdout)
	}
	s, err = store.Open(ctx, environ[envDatabaseURL]) // closed above, before the commands ran
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.ListInvoices(ctx, store.InvoiceFilter{})
	if err != nil || len(all) == 0 {
		t.Fatalf("invoices: %d, %v", len(all), err)
	}
	recorded := 0
	for _, inv := range all {
		trail, _ := s.AuditTrail(ctx, "invoice", inv.ID)
		for _, ev := range trail {
			if strings.Contains(ev.Reason, sum) {
				recorded++
			}
		}
	}
	if recorded != postal {
		t.Errorf("the batch's checksum is in %d audit trails, want %d", recorded, postal)
	}
	if code, _, errOut := runCLI(t, environ, "invoices", "export", "--format", "docx", "--out", out); code != 2 || !strings.Contains(errOut, "--format must be one of") {
		t.Errorf("bad format: %d %q", code, errOut)
	}
}

package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/store"
)

// The README's first command, as a user runs it (with --once): nothing but
// Go needed, the whole pipeline on the sample, a summary, exit 0.
func TestDemoOnce(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "demo.db")
	began := time.Now()
	code, out, errOut := runCLI(t, nil, "demo", "--once", "--database", db, "--settle", "2s")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	// One business date: the demo's clock starts two months back and
	// ends on today, as the audit trail (wall clock) does; nothing is
	// dated after today; a rate missing or unofficial for a late payment
	// (the tables may not cover today's semester yet) is said once per
	// semester.
	today := func(d time.Time) string { return d.Format("02/01/2006") }
	if !strings.Contains(out, "business date now today, "+today(began)) && !strings.Contains(out, "business date now today, "+today(time.Now())) {
		t.Errorf("the demo does not end on today's business date:\n%s", out)
	}
	said := map[string]int{}
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "interest pending") {
			said[l[strings.Index(l, "semester="):strings.Index(l, "reason=")]]++
		}
	}
	for what, n := range said {
		if n > 1 {
			t.Errorf("said %d times: %s", n, what)
		}
	}
	books, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer books.Close()
	invs, err := books.ListInvoices(context.Background(), store.InvoiceFilter{})
	if err != nil || len(invs) == 0 {
		t.Fatalf("invoices: %d, %v", len(invs), err)
	}
	end := time.Now().UTC()
	for _, inv := range invs {
		if inv.IssueDate.After(end) || inv.IssueDate.Before(began.AddDate(0, 0, -62)) {
			t.Errorf("%s issued on %s: not within the demo's two months", inv.Number, inv.IssueDate.Format(time.DateOnly))
		}
		if inv.PaidOn != nil && inv.PaidOn.After(end) {
			t.Errorf("%s paid on %s, after today", inv.Number, inv.PaidOn.Format(time.DateOnly))
		}
	}
	for _, want := range []string{"NOT durable", "import establishments.csv: 40 rows", "Résumé — contribution 2025", "Résumé — overage 2025",
		"factures émises", "payées", "envoyées par courrier", "en attente de références acheteur"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The books stay for later commands.
	code, out, _ = runCLI(t, map[string]string{envDatabaseURL: db}, "invoices", "list", "--year", "2025", "--state", "paid")
	if code != 0 || !strings.Contains(out, "CT") || strings.Contains(out, "0 facture(s)") {
		t.Errorf("paid invoices after the demo: %d %q", code, out)
	}
}

// A dashboard port already in use stops the demo before it runs, saying so.
func TestDemoPortTakenFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "demo.db")}
	code, out, errOut := runCLI(t, env, "demo", "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(errOut, "dashboard on "+ln.Addr().String()) || !strings.Contains(errOut, "address already in use") {
		t.Fatalf("exit %d, stderr %q; want the port in use named", code, errOut)
	}
	if out != "" {
		t.Fatalf("the demo ran before the port was checked: %q", out)
	}
}

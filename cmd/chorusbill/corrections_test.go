package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"
)

const kerHeolRow = "26564467400029;EHPAD Ker Héol;15 rue du Général de Gaulle;;56300;Pontivy;bouquet;oui;;;oui;legal;78;"

// correctionsEnv is books holding the sample establishments and Ker
// Héol's 2026 contribution billed at 2 012,50 € HT and delivered, while
// its facts (81 people) owe 3 450,00 € HT; a worker of its own Redis.
type correctionsEnv struct {
	t       *testing.T
	environ map[string]string
	stack   *app.Stack
	est     store.Establishment
	inv     store.Invoice
}

func newCorrectionsEnv(t *testing.T) *correctionsEnv {
	t.Helper()
	ctx := context.Background()
	e := &correctionsEnv{t: t, environ: map[string]string{
		envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "books.db"),
		envRedisURL:    "redis://" + redistest.Start(t) + "/0", // its own server: the machine's Redis is shared
		"CHORUS_ENV":   "local",                                // no call reaches it, but the stack requires the platform named
	}}
	if code, _, errOut := runCLI(t, e.environ, "import", "establishments", "../../fixtures/sample/establishments.csv"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return e.environ[k] }}
	var err error
	if e.stack, err = c.buildStack(ctx, app.StackOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.stack.Close() })
	books := e.stack.Books
	if e.est, err = books.EstablishmentBySIRET(ctx, "26564467400029"); err != nil {
		t.Fatal(err)
	}
	vat := invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)}
	line, err := invoice.NewLine("contribution-bouquet", "Contribution 2026 – bouquet de services", decimal.NewFromInt(12), invoice.UnitOne,
		decimal.RequireFromString("2012.50"), decimal.NewFromInt(12), vat)
	if err != nil {
		t.Fatal(err)
	}
	issue := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if e.inv, _, err = books.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2026, EstablishmentID: e.est.ID,
		IssueDate: issue, DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{line}, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []invoice.State{invoice.StateDelivering, invoice.StateDeposited, invoice.StateDelivered} {
		cur, _ := books.InvoiceByID(ctx, e.inv.ID)
		if _, err := books.Apply(ctx, e.inv.ID, cur.State, store.Change{To: to, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// check runs the worker's correction check of Ker Héol's 2026 contribution
// and returns the proposal pending, if any.
func (e *correctionsEnv) check() store.Correction {
	e.t.Helper()
	ctx := context.Background()
	payload, _ := json.Marshal(worker.CorrectBatchPayload{EstablishmentIDs: []int64{e.est.ID}, Year: 2026, Kind: string(invoice.KindContribution)})
	if err := e.stack.Pipeline.HandleCorrectBatch(ctx, asynq.NewTask(worker.TypeCorrectBatch, payload)); err != nil {
		e.t.Fatal(err)
	}
	list, err := e.stack.Books.Corrections(ctx, store.CorrectionProposed)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(list) != 1 {
		e.t.Fatalf("%d proposals, want one", len(list))
	}
	return list[0]
}

// headcount re-imports Ker Héol with another 2026 headcount.
func (e *correctionsEnv) headcount(n int) {
	e.t.Helper()
	f := filepath.Join(e.t.TempDir(), "establishments.csv")
	header := "siret;name;address_line1;address_line2;postcode;city;offer;existing;convention_received;termination_received;on_chorus;late_payment_regime;headcount_2025;headcount_2026"
	if err := os.WriteFile(f, []byte(header+"\n"+kerHeolRow+strconv.Itoa(n)+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	if code, _, errOut := runCLI(e.t, e.environ, "import", "establishments", f); code != 0 {
		e.t.Fatalf("import: %s", errOut)
	}
}

// The command line lists the proposals and confirms or dismisses one
// through the pipeline; what is refused (unknown, already decided,
// changed since) exits 1 saying why, a mistake in the line exits 2.
func TestCorrectionsCommand(t *testing.T) {
	e := newCorrectionsEnv(t)
	first := e.check()
	id := strconv.FormatInt(first.ID, 10)
	nb := "\u00a0"
	type step struct {
		name   string
		before func()
		args   []string // SECOND stands for the second proposal's ID
		code   int
		want   []string // in stdout when code is 0, else in stderr
	}
	steps := []step{
		{name: "list", args: []string{"list"}, want: []string{"ID", "26564467400029", "EHPAD Ker Héol", "2026", e.inv.Number,
			"2" + nb + "012,50" + nb + "€", "3" + nb + "450,00" + nb + "€", "1" + nb + "437,50" + nb + "€", "1 correction(s) à confirmer"}},
		{name: "no subcommand", args: nil, code: 2, want: []string{"a subcommand is required"}},
		{name: "no id", args: []string{"confirm"}, code: 2, want: []string{"the correction ID is required"}},
		{name: "bad id", args: []string{"confirm", "abc"}, code: 2, want: []string{`invalid correction ID "abc"`}},
		{name: "dismiss without comment", args: []string{"dismiss", id}, code: 2, want: []string{"--comment is required to dismiss"}},
		{name: "unknown id", args: []string{"confirm", "999"}, code: 1, want: []string{"no correction #999"}},
		{name: "confirm", args: []string{"confirm", id, "--comment", "vu avec l'EHPAD"}, want: []string{"corrigée par facture complémentaire",
			e.inv.Number}},
		{name: "confirm again", args: []string{"confirm", id}, code: 1, want: []string{"correction #" + id + " is already applied (by cli"}},
		{name: "dismiss once applied", args: []string{"dismiss", id, "--comment", "non"}, code: 1, want: []string{"is already applied"}},
		{name: "nothing left", args: []string{"list"}, want: []string{"0 correction(s) à confirmer"}},
		{name: "list all", args: []string{"list", "--all"}, want: []string{"applied", "cli", "1 correction(s)"}},
	}
	var second store.Correction
	steps = append(steps, step{name: "changed since proposed", before: func() {
		e.headcount(45) // 20–49: 2 012,50 HT, a credit note proposed
		second = e.check()
		e.headcount(120) // then 101+: the proposal says what is no longer true
	}, args: []string{"confirm", "SECOND"}, code: 1, want: []string{"is out of date", "now proposes"}})
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		var args []string
		for _, a := range st.args {
			args = append(args, strings.ReplaceAll(a, "SECOND", strconv.FormatInt(second.ID, 10)))
		}
		code, out, errOut := runCLI(t, e.environ, append([]string{"corrections"}, args...)...)
		if code != st.code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", st.name, code, st.code, out, errOut)
		}
		where := out
		if code != 0 {
			where = errOut
		}
		for _, w := range st.want {
			if !strings.Contains(where, w) {
				t.Errorf("%s: lacks %q\nstdout:\n%s\nstderr:\n%s", st.name, w, out, errOut)
			}
		}
	}
	// The confirmation is in the audit trail with its comment.
	trail, err := e.stack.Books.AuditTrail(context.Background(), "correction", first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) == 0 || !strings.HasPrefix(trail[len(trail)-1].Actor, "cli") || !strings.Contains(trail[len(trail)-1].Reason, "vu avec l'EHPAD") {
		t.Errorf("audit of the confirmation: %+v", trail)
	}
	// The fresh proposal is dismissed, with a comment.
	now := e.check()
	code, out, errOut := runCLI(t, e.environ, "corrections", "dismiss", strconv.FormatInt(now.ID, 10), "--comment", "convention particulière")
	if code != 0 || !strings.Contains(out, "écartée") {
		t.Fatalf("dismiss: exit %d\n%s%s", code, out, errOut)
	}
}

package worker

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/hibiken/asynq"
)

// rawBooks opens an empty, migrated store on each engine together with a
// plain connection to the same database: the way for a test to put in the
// books what the store's own ways in now refuse.
func rawBooks(t *testing.T, fn func(t *testing.T, books *store.Store, db *sql.DB)) {
	for _, e := range []struct {
		name   string
		urls   func(t *testing.T) (storeURL, driver, dsn string)
		driver string
	}{
		{"postgres", func(t *testing.T) (string, string, string) {
			u := storetest.PostgresURL(t)
			return u, "pgx", u
		}, "pgx"},
		{"sqlite", func(t *testing.T) (string, string, string) {
			path := filepath.Join(t.TempDir(), "books.db")
			return "sqlite://" + path, "sqlite", "file:" + path
		}, "sqlite"},
	} {
		t.Run(e.name, func(t *testing.T) {
			u, driver, dsn := e.urls(t)
			books, err := store.OpenAndMigrate(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { books.Close() })
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			fn(t, books, db)
		})
	}
}

// Issue 14, problem 9: a buyer name of 100 characters (over Chorus Pro's
// 99) in the books — the import refuses it now, but books filled before may
// hold one. The run marks that establishment failed with the reason and
// takes no number for it; the others are numbered without a gap; once the
// name is corrected, its invoice takes the next number.
func TestIssueBatchTakesNoNumberForAnUnrenderableInvoice(t *testing.T) {
	rawBooks(t, func(t *testing.T, books *store.Store, db *sql.DB) {
		ctx := context.Background()
		s := newStack(t, books, sandbox.Faults{})
		s.stopWorker()
		loadSample(t, books)
		run, _, err := books.StartRun(ctx, billedYear, invoice.KindContribution, s.issueDay)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		if err := books.MissingRunItems(ctx, run.ID, func(id int64) error { ids = append(ids, id); return nil }); err != nil {
			t.Fatal(err)
		}
		// The broken establishment: the third of those that owe something,
		// so that numbers are taken before and after it.
		var broken int64
		owing := 0
		for _, id := range ids {
			est, err := books.EstablishmentByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if q, err := quote(ctx, books, s.p.cat, est, billedYear, invoice.KindContribution); err == nil && quoteOutcome(q) == Issued {
				if owing++; owing == 3 {
					broken = id
					break
				}
			}
		}
		if broken == 0 {
			t.Fatal("the sample has fewer than 3 establishments that owe a contribution")
		}
		setName := func(name string) {
			t.Helper()
			if _, err := db.ExecContext(ctx, fmt.Sprintf(`UPDATE establishments SET name = '%s' WHERE id = %d`, name, broken)); err != nil {
				t.Fatal(err)
			}
		}
		setName(strings.Repeat("M", 100))

		issue := func(ids []int64) {
			t.Helper()
			payload, _ := json.Marshal(IssueBatchPayload{RunID: run.ID, EstablishmentIDs: ids, Year: billedYear,
				Kind: string(invoice.KindContribution), IssueDate: s.issueDay.Format("2006-01-02")})
			if err := s.p.HandleIssueBatch(ctx, asynq.NewTask(TypeIssueBatch, payload)); err != nil {
				t.Fatalf("the batch failed as a whole: %v", err)
			}
		}
		item := func() (outcome, detail string, invoiceID sql.NullInt64) {
			t.Helper()
			err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT outcome, detail, invoice_id FROM run_items WHERE run_id = %d AND establishment_id = %d`, run.ID, broken)).
				Scan(&outcome, &detail, &invoiceID)
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		// seqs are the numbers taken in the series, in order; they must be
		// 1…n.
		seqs := func() []int64 {
			t.Helper()
			list, err := books.ListInvoices(ctx, store.InvoiceFilter{Year: billedYear, Kind: invoice.KindContribution})
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, inv := range list {
				out = append(out, inv.Seq)
			}
			sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
			for i, n := range out {
				if n != int64(i+1) {
					t.Fatalf("numbers taken %v: a gap", out)
				}
			}
			return out
		}

		issue(ids)
		outcome, detail, invID := item()
		for _, want := range []string{"cannot be rendered, no number taken", "buyer name: 100 characters, over the limit of 99"} {
			if !strings.Contains(detail, want) {
				t.Errorf("detail %q does not say %q", detail, want)
			}
		}
		if outcome != outcomeFailed || invID.Valid {
			t.Errorf("run item %s, invoice %v; want failed, none", outcome, invID)
		}
		if list, _ := books.ListInvoices(ctx, store.InvoiceFilter{EstablishmentID: broken}); len(list) != 0 {
			t.Errorf("the broken establishment has %d invoice(s)", len(list))
		}
		before := seqs()
		if len(before) < 2 {
			t.Fatalf("%d invoices issued", len(before))
		}
		sum, err := books.Summary(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Outcomes[outcomeFailed] != 1 || sum.Items != len(ids) {
			t.Errorf("run items %d of %d, outcomes %v", sum.Items, len(ids), sum.Outcomes)
		}

		// Corrected, it takes the next number.
		setName("Commune de Plouguerneau")
		issue([]int64{broken})
		after := seqs()
		list, err := books.ListInvoices(ctx, store.InvoiceFilter{EstablishmentID: broken})
		if err != nil || len(list) != 1 {
			t.Fatalf("after the correction: %d invoices, %v", len(list), err)
		}
		if want := int64(len(before) + 1); list[0].Seq != want || len(after) != len(before)+1 {
			t.Errorf("the corrected invoice is %s (seq %d), want seq %d", list[0].Number, list[0].Seq, want)
		}
		if outcome, _, invID := item(); outcome != string(Issued) || !invID.Valid || invID.Int64 != list[0].ID {
			t.Errorf("run item after the correction: %s, invoice %v", outcome, invID)
		}
	})
}

// BenchmarkIssueBatch is one batch task over the 40-establishment sample
// on fresh SQLite books (the engine where the batch's own work weighs most):
// quote, render check, finalise, render, record, deposit on the sandbox.
func BenchmarkIssueBatch(b *testing.B) {
	s := newStack(b, storetest.SQLite(b), sandbox.Faults{})
	s.stopWorker()
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		books := storetest.SQLite(b)
		loadSample(b, books)
		p := *s.p
		p.books = books
		run, _, err := books.StartRun(ctx, billedYear, invoice.KindContribution, s.issueDay)
		if err != nil {
			b.Fatal(err)
		}
		var ids []int64
		if err := books.MissingRunItems(ctx, run.ID, func(id int64) error { ids = append(ids, id); return nil }); err != nil {
			b.Fatal(err)
		}
		payload, _ := json.Marshal(IssueBatchPayload{RunID: run.ID, EstablishmentIDs: ids, Year: billedYear,
			Kind: string(invoice.KindContribution), IssueDate: s.issueDay.Format("2006-01-02")})
		b.StartTimer()
		if err := p.HandleIssueBatch(ctx, asynq.NewTask(TypeIssueBatch, payload)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckRenderable is the check for one contribution invoice.
func BenchmarkCheckRenderable(b *testing.B) {
	books := storetest.SQLite(b)
	loadSample(b, books)
	ctx := context.Background()
	est, err := books.EstablishmentBySIRET(ctx, "21299951000010")
	if err != nil {
		b.Fatal(err)
	}
	q, err := quote(ctx, books, catalog(b), est, billedYear, invoice.KindContribution)
	if err != nil {
		b.Fatal(err)
	}
	d := draft(est, billedYear, invoice.KindContribution, time.Date(billedYear, 3, 2, 0, 0, 0, 0, time.UTC), q, store.References{}, nil, "bench")
	is := issuer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := checkRenderable(is, &d, est, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// The provisional CII under the real number is, byte for byte, the CII
// rendered with that number, for every invoice of the sample it is used
// for; an overage invoice, whose statement attachment carries the number
// inside its encoded content, is rendered again instead.
func TestProvisionalCIIRenumbered(t *testing.T) {
	books := storetest.SQLite(t)
	loadSample(t, books)
	ctx := context.Background()
	cat, is := catalog(t), issuer(t)
	var renumbered, again int
	err := books.ForEachEstablishment(ctx, 2025, func(est store.Establishment) error {
		for _, kind := range []invoice.Kind{invoice.KindContribution, invoice.KindOverage} {
			q, err := quote(ctx, books, cat, est, 2025, kind)
			if err != nil || quoteOutcome(q) != Issued {
				continue
			}
			refs, err := referencesFor(ctx, books, est.ID, 2026, 2025)
			if err != nil {
				return err
			}
			d := draft(est, 2025, kind, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), q, refs, nil, "test")
			pc, err := checkRenderable(is, &d, est, nil)
			if err != nil {
				return err
			}
			inv, err := d.Provisional()
			if err != nil {
				return err
			}
			inv.Number = inv.Series + "-000042"
			doc, err := buildDocument(is, inv, est, nil)
			if err != nil {
				return err
			}
			want, err := document.Render(doc, document.FormatCII)
			if err != nil {
				return err
			}
			got, ok := pc.numbered(inv.Number)
			switch {
			case !ok:
				again++
				if kind != invoice.KindOverage {
					t.Errorf("%s %s: not renumberable", est.SIRET, kind)
				}
			case !bytes.Equal(got, want):
				t.Errorf("%s %s: the renumbered CII differs from the one rendered with the number", est.SIRET, kind)
			default:
				renumbered++
				if kind == invoice.KindOverage {
					t.Errorf("%s: an overage invoice with its statement renumbered", est.SIRET)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if renumbered < 10 || again == 0 {
		t.Errorf("%d renumbered, %d rendered again: the sample no longer covers both", renumbered, again)
	}
}

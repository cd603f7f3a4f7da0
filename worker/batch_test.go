package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/hibiken/asynq"
)

// One batch task run twice by hand (a repeat after a crash): the second
// finalises nothing, deposits nothing, and the invoices end as the
// one-invoice path would leave them; the CII stored is the CII rendered
// from the books.
func TestIssueBatchRepeated(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, storetest.Postgres(t), sandbox.Faults{})
	s.stopWorker()
	loadSample(t, s.books)
	run, _, err := s.books.StartRun(ctx, billedYear, invoice.KindContribution, s.issueDay)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	err = s.books.MissingRunItems(ctx, run.ID, func(id int64) error { ids = append(ids, id); return nil })
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(IssueBatchPayload{RunID: run.ID, EstablishmentIDs: ids, Year: billedYear,
		Kind: string(invoice.KindContribution), IssueDate: s.issueDay.Format("2006-01-02")})
	task := asynq.NewTask(TypeIssueBatch, payload)
	if err := s.p.HandleIssueBatch(ctx, task); err != nil {
		t.Fatal(err)
	}
	first := s.snapshot(ctx)
	deposits := len(s.sb.Deposits())
	if err := s.p.HandleIssueBatch(ctx, task); err != nil {
		t.Fatal(err)
	}
	if again := s.snapshot(ctx); again != first {
		t.Errorf("a repeat changed the books:\n%s\n%s", first, again)
	}
	if n := len(s.sb.Deposits()); n != deposits {
		t.Errorf("a repeat made %d more deposits", n-deposits)
	}

	sum, err := s.books.Summary(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Items != len(ids) || sum.Outcomes[outcomeFailed] != 0 {
		t.Errorf("run items %d of %d, outcomes %v", sum.Items, len(ids), sum.Outcomes)
	}
	// The sample's buyers: deposited on Chorus Pro, postal, awaiting
	// references; nothing left finalised or half-deposited.
	for _, st := range []invoice.State{invoice.StateDeposited, invoice.StatePostal, invoice.StateAwaitingReference} {
		if sum.States[string(st)] == 0 {
			t.Errorf("no invoice %s: %v", st, sum.States)
		}
	}
	if sum.States[string(invoice.StateFinalised)]+sum.States[string(invoice.StateDelivering)] != 0 {
		t.Errorf("invoices left half-way: %v", sum.States)
	}
	if deposits != sum.States[string(invoice.StateDeposited)]+sum.States[string(invoice.StateRejected)] {
		t.Errorf("%d deposits for %v", deposits, sum.States)
	}
	list, err := s.books.ListInvoices(ctx, store.InvoiceFilter{Year: billedYear})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range list {
		inv, err := s.books.InvoiceByID(ctx, ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := s.books.Document(ctx, inv.ID, document.FormatCII)
		if err != nil {
			t.Fatalf("%s: %v", inv.Number, err)
		}
		d, err := BuildDocument(ctx, s.books, s.p.issuer, inv)
		if err != nil {
			t.Fatal(err)
		}
		xml, err := document.Render(d, document.FormatCII)
		if err != nil || string(xml) != string(doc.Content) {
			t.Errorf("%s: the CII stored differs from the CII rendered from the books (%v)", inv.Number, err)
		}
		if inv.State == invoice.StateDeposited {
			trail, _ := s.books.AuditTrail(ctx, "invoice", inv.ID)
			var path []string
			for _, e := range trail {
				if e.Action == "transition" || e.Action == "finalise" {
					path = append(path, e.To)
				}
			}
			if len(path) != 3 || path[0] != "finalised" || path[1] != "delivering" || path[2] != "deposited" {
				t.Errorf("%s: audit path %v", inv.Number, path)
			}
		}
	}

	// The worker tracks them to the end, through the track batches.
	s.startWorker()
	s.settle(ctx, 50)
	s.checkRun(ctx, run, billedYear)
	if got := s.p.Metrics.Snapshot()["delivered"]; got == 0 {
		t.Error("no invoice recorded delivered by a track batch")
	}
	// Only the interest invoices of late payments are deposited after.
	for _, d := range s.sb.Deposits()[deposits:] {
		if !strings.HasPrefix(d.NumeroFacture, "IN") {
			t.Errorf("%s deposited again after the batch", d.NumeroFacture)
		}
	}
}

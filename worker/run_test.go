package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// Asking for a run again bills what it has not billed: an establishment
// added since (a late joiner), one that failed (its headcount missing)
// once its cause is fixed, and one that was free until its headcount was
// corrected; each dated the day it is issued, not the run's
// first day; numbers stay gap-free; nothing is billed twice. A past issue
// date is refused. (Issue 14, problems 2 and 3: the second request was
// swallowed by the first one's retained task id, and a late joiner's
// invoice carried the run's old date.)
func TestRunAskedAgainFillsGaps(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, books *store.Store) {
		ctx := context.Background()
		s := newStack(t, books, sandbox.Faults{})
		const failing = "19290263300010" // Collège Jean Moulin
		lines := sampleRows(t)
		imp := func(rows []string) { importRows(t, books, rows) }
		imp(withFields(lines, failing, map[int]string{colHeadcount2026: ""})) // its 2026 headcount not known yet
		wait := func(run store.Run, n int) store.RunSummary {
			t.Helper()
			deadline := time.Now().Add(60 * time.Second)
			for {
				sum, err := books.Summary(ctx, run.ID)
				if err != nil {
					t.Fatal(err)
				}
				if sum.Items == n && sum.Working() == 0 {
					return sum
				}
				if time.Now().After(deadline) {
					t.Fatalf("run not settled: %d/%d items, %d working", sum.Items, n, sum.Working())
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		first := invoice.CivilDay(s.p.now())
		if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, first); err != nil {
			t.Fatal(err)
		}
		var run store.Run
		for deadline := time.Now().Add(30 * time.Second); run.ID == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			run, _ = books.RunFor(ctx, billedYear, invoice.KindContribution)
		}
		sum := wait(run, len(lines)-1)
		if sum.Outcomes["failed"] != 1 {
			t.Fatalf("outcomes %v: want the establishment without headcount failed", sum.Outcomes)
		}
		before, _ := books.ListInvoices(ctx, store.InvoiceFilter{Year: billedYear})
		freeBefore := sum.Outcomes["free"]

		// Ten days on: the headcount arrives, and a late joiner.
		if err := s.sb.Advance(10 * 24 * time.Hour); err != nil {
			t.Fatal(err)
		}
		joiner := validSIRET(t, "2129995200001")
		// And a free establishment's headcount is corrected: 5 agents, not 0.
		const wasFree = "25229622300016" // SIVS de Plouguernével, teletransmission
		fixed := withFields(lines, wasFree, map[int]string{colHeadcount2026: "5"})
		imp(append(fixed, joiner+";Commune de Nouvelle-Adhésion;Mairie;;29000;Quimper;bouquet;non;2026-01-10;;non;legal;80;80"))
		if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, first); !errors.As(err, new(*PastIssueDateError)) {
			t.Fatalf("a run dated %s, ten days back: %v", first.Format(time.DateOnly), err)
		}
		today := invoice.CivilDay(s.p.now())
		if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, today); err != nil {
			t.Fatal(err)
		}
		sum = wait(run, len(lines))
		if sum.Outcomes["failed"] != 0 || sum.Outcomes["free"] != freeBefore-1 {
			t.Fatalf("after the fix, outcomes %v (free before: %d)", sum.Outcomes, freeBefore)
		}
		after, _ := books.ListInvoices(ctx, store.InvoiceFilter{Year: billedYear})
		if len(after) != len(before)+3 {
			t.Fatalf("%d invoices before, %d after: want the two gaps and the free establishment now due billed", len(before), len(after))
		}
		per := map[int64]int{}
		for i, inv := range after {
			per[inv.EstablishmentID]++
			if inv.Seq != int64(i+1) {
				t.Errorf("numbering: %s at position %d", inv.Number, i+1)
			}
			if i < len(before) {
				if !inv.IssueDate.Equal(first) {
					t.Errorf("%s dated %s, want %s", inv.Number, inv.IssueDate.Format(time.DateOnly), first.Format(time.DateOnly))
				}
				continue
			}
			if !inv.IssueDate.Equal(today) || !inv.DueDate.After(today) {
				t.Errorf("gap filled by %s dated %s due %s: want dated today %s", inv.Number, inv.IssueDate.Format(time.DateOnly), inv.DueDate.Format(time.DateOnly), today.Format(time.DateOnly))
			}
		}
		for id, n := range per {
			if n > 1 {
				t.Errorf("establishment #%d billed %d times", id, n)
			}
		}
		// Nothing left to do: asking again bills nothing.
		if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, today); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if again, _ := books.ListInvoices(ctx, store.InvoiceFilter{Year: billedYear}); len(again) != len(after) {
			t.Errorf("asking again with nothing to do billed %d more", len(again)-len(after))
		}
	})
}

// validSIRET completes a 13-digit body with its Luhn digit.
func validSIRET(t *testing.T, body string) string {
	t.Helper()
	for d := 0; d <= 9; d++ {
		s := fmt.Sprintf("%s%d", body, d)
		if _, err := invoice.ValidateSIRET(s); err == nil {
			return s
		}
	}
	t.Fatalf("no SIRET completes %s", body)
	return ""
}

package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
)

func TestFinaliseMany(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		var ids []int64
		var drafts []Draft
		for i := range 5 {
			id := addEstablishment(t, s, fmt.Sprintf("7328293200%04d", i))
			ids = append(ids, id)
			drafts = append(drafts, contributionDraft(t, id, 2025, int64(12-i)))
		}
		// One establishment already has its invoice: the batch returns it.
		before, _, err := s.Finalise(ctx, drafts[2])
		if err != nil {
			t.Fatal(err)
		}
		invs, created, err := s.FinaliseMany(ctx, drafts)
		if err != nil {
			t.Fatal(err)
		}
		wantNumbers := []string{"CT2025-000002", "CT2025-000003", "CT2025-000001", "CT2025-000004", "CT2025-000005"}
		wantCreated := []bool{true, true, false, true, true}
		for i, inv := range invs {
			if inv.Number != wantNumbers[i] || created[i] != wantCreated[i] || inv.EstablishmentID != ids[i] {
				t.Errorf("draft %d: %s created=%v est %d, want %s created=%v est %d", i, inv.Number, created[i], inv.EstablishmentID,
					wantNumbers[i], wantCreated[i], ids[i])
			}
			// What the batch answers is what the books hold.
			stored, err := s.InvoiceByID(ctx, inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, inv) {
				t.Errorf("draft %d: returned\n%+v\nstored\n%+v", i, inv, stored)
			}
		}
		if invs[2].ID != before.ID {
			t.Errorf("existing invoice #%d answered as #%d", before.ID, invs[2].ID)
		}
		if invs[0].TotalTTC.StringFixed(2) != "2415.00" || invs[4].TotalHT.StringFixed(2) != "1341.67" {
			t.Errorf("totals %s, %s", invs[0].TotalTTC, invs[4].TotalHT)
		}
		trail, err := s.AuditTrail(ctx, "invoice", invs[4].ID)
		if err != nil || len(trail) != 1 || trail[0].Action != "finalise" || trail[0].To != "finalised" || trail[0].Reason != "CT2025-000005" {
			t.Errorf("audit trail of %s: %+v %v", invs[4].Number, trail, err)
		}
		// Again: the same invoices, no number taken.
		again, created, err := s.FinaliseMany(ctx, drafts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range again {
			if again[i].ID != invs[i].ID || created[i] {
				t.Errorf("repeat %d: #%d created=%v", i, again[i].ID, created[i])
			}
		}
		next, _, err := s.Finalise(ctx, contributionDraft(t, addEstablishment(t, s, "21350238800013"), 2025, 12))
		if err != nil || next.Number != "CT2025-000006" {
			t.Errorf("next number %s %v", next.Number, err)
		}
		if _, _, err := s.FinaliseMany(ctx, []Draft{drafts[0], contributionDraft(t, ids[1], 2026, 12)}); err == nil {
			t.Error("a batch mixing years was accepted")
		}
	})
}

// Workers finalising overlapping batches: one invoice per establishment,
// numbers 1..N without gap.
func TestFinaliseManyRace(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		const n = 60
		var drafts []Draft
		for i := range n {
			drafts = append(drafts, contributionDraft(t, addEstablishment(t, s, fmt.Sprintf("1000000000%04d", i)), 2025, 12))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Go(func() {
				// Overlapping windows, in different orders of batches.
				lo := (w * 7) % n
				hi := min(lo+25, n)
				if _, _, err := s.FinaliseMany(ctx, drafts[lo:hi]); err != nil {
					errs <- err
				}
				if _, _, err := s.FinaliseMany(ctx, drafts); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var got []struct {
			Seq int64 `db:"seq"`
			N   int   `db:"n"`
		}
		if err := s.db.Select(&got, `SELECT seq, COUNT(*) AS n FROM invoices GROUP BY seq ORDER BY seq`); err != nil {
			t.Fatal(err)
		}
		if len(got) != n || got[0].Seq != 1 || got[n-1].Seq != n {
			t.Fatalf("%d numbers, want 1..%d", len(got), n)
		}
		var perEst int
		if err := s.db.Get(&perEst, `SELECT COUNT(DISTINCT establishment_id) FROM invoices`); err != nil || perEst != n {
			t.Errorf("%d establishments invoiced, want %d (%v)", perEst, n, err)
		}
	})
}

func TestApplyEach(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		var drafts []Draft
		for i := range 3 {
			drafts = append(drafts, contributionDraft(t, addEstablishment(t, s, fmt.Sprintf("2000000000%04d", i)), 2025, 12))
		}
		invs, _, err := s.FinaliseMany(ctx, drafts)
		if err != nil {
			t.Fatal(err)
		}
		// Someone else moves the second one first.
		if _, err := s.Apply(ctx, invs[1].ID, invoice.StateFinalised, Change{To: invoice.StatePostal, Actor: "other"}); err != nil {
			t.Fatal(err)
		}
		chorus, status := "chorus", "DEPOT_EN_COURS"
		var changes []IDChange
		for _, inv := range invs {
			changes = append(changes, IDChange{ID: inv.ID, Change: Change{To: invoice.StateDelivering, Channel: &chorus, ChorusStatus: &status, Actor: "w", Reason: "dépôt"}})
		}
		applied, err := s.ApplyEach(ctx, invoice.StateFinalised, changes)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(applied, []int64{invs[0].ID, invs[2].ID}) {
			t.Errorf("applied %v, want %d and %d", applied, invs[0].ID, invs[2].ID)
		}
		for i, want := range []invoice.State{invoice.StateDelivering, invoice.StatePostal, invoice.StateDelivering} {
			got, err := s.InvoiceByID(ctx, invs[i].ID)
			if err != nil || got.State != want {
				t.Errorf("invoice %d is %s, want %s (%v)", i, got.State, want, err)
			}
			if want == invoice.StateDelivering && (got.Channel != "chorus" || got.ChorusStatus != status) {
				t.Errorf("invoice %d: channel %q status %q", i, got.Channel, got.ChorusStatus)
			}
		}
		trail, _ := s.AuditTrail(ctx, "invoice", invs[2].ID)
		if len(trail) != 2 || trail[1].Action != "transition" || trail[1].From != "finalised" || trail[1].To != "delivering" || trail[1].Actor != "w" {
			t.Errorf("audit trail: %+v", trail)
		}
		// A field update without a transition is audited as such.
		flow := "F-1"
		if _, err := s.ApplyEach(ctx, invoice.StateDelivering, []IDChange{{ID: invs[0].ID, Change: Change{ChorusFlowNumber: &flow, Actor: "w"}}}); err != nil {
			t.Fatal(err)
		}
		trail, _ = s.AuditTrail(ctx, "invoice", invs[0].ID)
		if last := trail[len(trail)-1]; last.Action != "update chorus_flow_number" {
			t.Errorf("last audit %+v", last)
		}
		// Two invoices paid on different days, through the lifecycle: the
		// per-invoice values land on the right rows.
		cid1, cid2 := int64(501), int64(502)
		for _, step := range []struct {
			from invoice.State
			c    [2]Change
		}{
			{invoice.StateDelivering, [2]Change{{To: invoice.StateDeposited, ChorusFlowNumber: &flow, Actor: "w"}, {To: invoice.StateDeposited, ChorusFlowNumber: ptrTo("F-3"), Actor: "w"}}},
			{invoice.StateDeposited, [2]Change{{To: invoice.StateDelivered, ChorusInvoiceID: &cid1, Actor: "w"}, {To: invoice.StateDelivered, ChorusInvoiceID: &cid2, Actor: "w"}}},
			{invoice.StateDelivered, [2]Change{{To: invoice.StatePaid, PaidOn: ptrTo(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)), Actor: "w"},
				{To: invoice.StatePaid, PaidOn: ptrTo(time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)), Actor: "w"}}},
		} {
			got, err := s.ApplyEach(ctx, step.from, []IDChange{{ID: invs[0].ID, Change: step.c[0]}, {ID: invs[2].ID, Change: step.c[1]}})
			if err != nil || len(got) != 2 {
				t.Fatalf("%s: %v %v", step.from, got, err)
			}
		}
		for i, want := range map[int]string{0: "F-1 501 2025-03-01", 2: "F-3 502 2025-04-02"} {
			got, err := s.InvoiceByID(ctx, invs[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if s := fmt.Sprintf("%s %d %s", got.ChorusFlowNumber, *got.ChorusInvoiceID, got.PaidOn.Format(time.DateOnly)); s != want || got.State != invoice.StatePaid {
				t.Errorf("invoice %d: %s %s, want %s paid", i, s, got.State, want)
			}
		}
		// A transition the lifecycle forbids changes nothing.
		if _, err := s.ApplyEach(ctx, invoice.StatePaid, []IDChange{{ID: invs[0].ID, Change: Change{To: invoice.StateDelivering, Actor: "w"}}}); err == nil {
			t.Error("paid → delivering accepted")
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

func TestPutDocumentsAndRunItems(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		a, b := addEstablishment(t, s, "30000000000001"), addEstablishment(t, s, "30000000000002")
		invs, _, err := s.FinaliseMany(ctx, []Draft{contributionDraft(t, a, 2025, 12), contributionDraft(t, b, 2025, 12)})
		if err != nil {
			t.Fatal(err)
		}
		docs := []NewDocument{{invs[0].ID, "cii", []byte("<a/>")}, {invs[1].ID, "cii", []byte("<b/>")}}
		if err := s.PutDocuments(ctx, docs, "w"); err != nil {
			t.Fatal(err)
		}
		if err := s.PutDocuments(ctx, docs, "w"); err != nil {
			t.Fatalf("same bytes again: %v", err)
		}
		d, err := s.Document(ctx, invs[1].ID, "cii")
		if err != nil || string(d.Content) != "<b/>" || d.Size != 4 {
			t.Errorf("document: %q %d %v", d.Content, d.Size, err)
		}
		trail, _ := s.AuditTrail(ctx, "invoice", invs[0].ID)
		if len(trail) != 2 || trail[1].Action != "document" {
			t.Errorf("audit: %+v", trail)
		}
		var mismatch *DocumentMismatchError
		if err := s.PutDocuments(ctx, []NewDocument{{invs[0].ID, "cii", []byte("<c/>")}}, "w"); !errors.As(err, &mismatch) {
			t.Errorf("other bytes: %v", err)
		}

		run, _, err := s.StartRun(ctx, 2025, invoice.KindContribution, invs[0].IssueDate)
		if err != nil {
			t.Fatal(err)
		}
		items := []RunItem{{EstablishmentID: a, Outcome: "issued", InvoiceID: &invs[0].ID, Detail: invs[0].Number}, {EstablishmentID: b, Outcome: "failed", Detail: "x"}}
		if err := s.RecordRunItems(ctx, run.ID, items); err != nil {
			t.Fatal(err)
		}
		items[1] = RunItem{EstablishmentID: b, Outcome: "issued", InvoiceID: &invs[1].ID}
		if err := s.RecordRunItems(ctx, run.ID, items); err != nil {
			t.Fatal(err)
		}
		sum, err := s.Summary(ctx, run.ID)
		if err != nil || sum.Items != 2 || sum.Outcomes["issued"] != 2 {
			t.Errorf("summary %+v %v", sum, err)
		}
	})
}

func TestEstablishmentsAndReferencesByIDs(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		importSample(t, s)
		one, err := s.EstablishmentBySIRET(ctx, "26223144200035")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.EstablishmentsByIDs(ctx, []int64{one.ID, 999999})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[one.ID], one) {
			t.Errorf("by ids: %+v\nwant %+v", got, one)
		}
		for _, year := range []int{2025, 2026} {
			many, err := s.ReferencesForMany(ctx, []int64{one.ID}, year)
			if err != nil {
				t.Fatal(err)
			}
			single, err := s.ReferencesFor(ctx, one.ID, year)
			if err != nil {
				t.Fatal(err)
			}
			if many[one.ID] != single {
				t.Errorf("%d: %+v, want %+v", year, many[one.ID], single)
			}
		}
	})
}

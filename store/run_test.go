package store

import (
	"context"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
)

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		a := addEstablishment(t, s, "73282932000074")
		b := addEstablishment(t, s, "21350238800019")
		run, created, err := s.StartRun(ctx, 2025, invoice.KindContribution, time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC))
		if err != nil || !created {
			t.Fatalf("start: %v %v", created, err)
		}
		again, created, err := s.StartRun(ctx, 2025, invoice.KindContribution, time.Now())
		if err != nil || created || again.ID != run.ID || again.IssueDate.Format(time.DateOnly) != "2025-01-15" {
			t.Fatalf("second start: %+v %v %v", again, created, err)
		}
		start, err := s.RunLastActivity(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordRunItem(ctx, run.ID, a, "free", nil, ""); err != nil {
			t.Fatal(err)
		}
		last, err := s.RunLastActivity(ctx, run.ID)
		if err != nil || last.Before(start) {
			t.Fatalf("activity %v after %v: %v", last, start, err)
		}
		var missing []int64
		if err := s.MissingRunItems(ctx, run.ID, func(id int64) error { missing = append(missing, id); return nil }); err != nil || len(missing) != 1 || missing[0] != b {
			t.Fatalf("missing = %v %v", missing, err)
		}
		// Recording twice counts once.
		for i := 0; i < 2; i++ {
			if err := s.RecordRunItem(ctx, run.ID, b, "nothing_due", nil, ""); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := s.Summary(ctx, run.ID)
		if err != nil || sum.Items != 2 || sum.Outcomes["free"] != 1 || sum.Outcomes["nothing_due"] != 1 {
			t.Fatalf("summary = %+v %v", sum, err)
		}
		if err := s.FinishRun(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.RunByID(ctx, run.ID); r.State != RunFinished || r.FinishedAt == nil {
			t.Errorf("run = %+v", r)
		}
	})
}

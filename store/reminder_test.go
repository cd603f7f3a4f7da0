package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// TestReminders records reminders and pauses on both engines: the list of
// reminders due holds exactly the overdue invoices with a step due and
// not paused, a step is recorded once (a batch holding a step already
// sent records nothing), and each record is in the audit trail.
func TestReminders(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		steps := invoice.ReminderSteps{15, 45}
		ids := map[string]int64{}
		for i, c := range []struct {
			name string
			due  time.Time
		}{
			{"notYet", day.AddDate(0, 0, -10)},
			{"first", day.AddDate(0, 0, -20)},
			{"lateStart", day.AddDate(0, 0, -91)},
			{"paused", day.AddDate(0, 0, -29)},
			{"firstToday", day.AddDate(0, 0, -15)},
			{"notDue", day.AddDate(0, 1, 0)},
		} {
			d := contributionDraft(t, addEstablishment(t, s, fmt.Sprintf("%014d", i+1)), 2026, 12)
			d.DueDate, d.IssueDate = c.due, c.due.AddDate(0, 0, -30)
			inv, _, err := s.Finalise(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			ids[c.name] = inv.ID
		}
		listed := func() []int64 {
			t.Helper()
			f := WorkFilter{RemindersDueOn: day.Add(15 * time.Hour), ReminderSteps: steps}
			p, err := s.WorkPage(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, r := range p.Rows {
				out = append(out, r.ID)
			}
			if p.Count != len(out) {
				t.Fatalf("count %d for %d rows", p.Count, len(out))
			}
			slices.Sort(out)
			return out
		}
		want := func(names ...string) []int64 {
			var out []int64
			for _, n := range names {
				out = append(out, ids[n])
			}
			slices.Sort(out)
			return out
		}
		check := func(what string, names ...string) {
			t.Helper()
			if got := listed(); !slices.Equal(got, want(names...)) {
				t.Fatalf("%s: listed %v, want %v (%v)", what, got, want(names...), names)
			}
		}

		if err := s.PauseReminders(ctx, ids["paused"], "litige en cours", "olivia"); err != nil {
			t.Fatal(err)
		}
		if err := s.PauseReminders(ctx, ids["paused"], "encore", "olivia"); !errors.Is(err, ErrRemindersPaused) {
			t.Fatalf("pause twice: %v, want ErrRemindersPaused", err)
		}
		if err := s.PauseReminders(ctx, ids["first"], "  ", "olivia"); err == nil {
			t.Fatal("pause without a reason accepted")
		}
		check("start", "first", "lateStart", "firstToday")

		sent := day.AddDate(0, 0, -1)
		if err := s.RecordReminders(ctx, []Reminder{{InvoiceID: ids["first"], Step: 1, Days: 15, SentOn: sent,
			Credited: decimal.RequireFromString("10.00"), Paid: decimal.RequireFromString("12.34")}}, "", "olivia"); err != nil {
			t.Fatal(err)
		}
		check("first sent", "lateStart", "firstToday")

		// A batch with a step already sent records nothing, not even the
		// steps before it.
		err := s.RecordReminders(ctx, []Reminder{
			{InvoiceID: ids["lateStart"], Step: 2, Days: 45, SentOn: day},
			{InvoiceID: ids["first"], Step: 1, Days: 15, SentOn: day},
		}, "", "olivia")
		if !errors.Is(err, ErrReminderSent) {
			t.Fatalf("step sent twice: %v, want ErrReminderSent", err)
		}
		check("refused batch", "lateStart", "firstToday")
		if rs, err := s.Reminders(ctx, ids["lateStart"]); err != nil || len(rs) != 0 {
			t.Fatalf("refused batch left %v (%v)", rs, err)
		}

		if err := s.RecordReminders(ctx, []Reminder{{InvoiceID: ids["lateStart"], Step: 2, Days: 45, SentOn: day}}, "lot de 1 lettre(s)", "olivia"); err != nil {
			t.Fatal(err)
		}
		check("late start sent", "firstToday")
		if trail, err := s.AuditTrail(ctx, "invoice", ids["lateStart"]); err != nil || trail[len(trail)-1].Reason != "relance n°2 (45 jours après l'échéance) envoyée le 02/03/2026, lot de 1 lettre(s)" {
			t.Fatalf("audit of a reminder with its batch: %+v, %v", trail[len(trail)-1], err)
		}

		rs, err := s.RemindersOf(ctx, []int64{ids["first"], ids["lateStart"], ids["notYet"]})
		if err != nil {
			t.Fatal(err)
		}
		if r := rs[ids["first"]]; len(r) != 1 || r[0].Step != 1 || r[0].Days != 15 || !r[0].SentOn.Equal(sent) || r[0].Actor != "olivia" ||
			!r[0].Credited.Equal(decimal.RequireFromString("10")) || !r[0].Paid.Equal(decimal.RequireFromString("12.34")) {
			t.Errorf("reminders of first: %+v", r)
		}
		if r := rs[ids["lateStart"]]; len(r) != 1 || r[0].Step != 2 || !r[0].SentOn.Equal(day) {
			t.Errorf("reminders of lateStart: %+v", r)
		}
		if len(rs[ids["notYet"]]) != 0 {
			t.Errorf("reminders of notYet: %+v", rs[ids["notYet"]])
		}
		trail, err := s.AuditTrail(ctx, "invoice", ids["first"])
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, e := range trail {
			if e.Action == ActionReminder {
				reasons = append(reasons, e.Actor+": "+e.Reason)
			}
		}
		if want := []string{"olivia: relance n°1 (15 jours après l'échéance) envoyée le 01/03/2026"}; !slices.Equal(reasons, want) {
			t.Errorf("audit of the reminder: %q, want %q", reasons, want)
		}

		if p, ok, err := s.RemindersPause(ctx, ids["paused"]); err != nil || !ok || p.Reason != "litige en cours" || p.PausedBy != "olivia" {
			t.Fatalf("pause: %+v %v %v", p, ok, err)
		}
		if err := s.ResumeReminders(ctx, ids["paused"], "litige réglé", "olivia"); err != nil {
			t.Fatal(err)
		}
		if err := s.ResumeReminders(ctx, ids["paused"], "litige réglé", "olivia"); !errors.Is(err, ErrRemindersNotPaused) {
			t.Fatalf("resume twice: %v, want ErrRemindersNotPaused", err)
		}
		if _, ok, err := s.RemindersPause(ctx, ids["paused"]); err != nil || ok {
			t.Fatalf("still paused after resume (%v)", err)
		}
		check("resumed", "paused", "firstToday")
		trail, err = s.AuditTrail(ctx, "invoice", ids["paused"])
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range trail {
			if e.Action == ActionRemindersPaused || e.Action == ActionRemindersResumed {
				actions = append(actions, e.Action+": "+e.Reason)
			}
		}
		if want := []string{"relances suspendues: litige en cours", "relances reprises: litige réglé"}; !slices.Equal(actions, want) {
			t.Errorf("audit of the pause: %q, want %q", actions, want)
		}
	})
}

package invoice

import (
	"strings"
	"testing"
	"time"
)

func TestParseReminderSteps(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    string
		wantErr string
	}{
		{"15,45", "15,45", ""},
		{" 10 , 30,60 ", "10,30,60", ""},
		{"30", "30", ""},
		{"", "", "aucune étape"},
		{"15,x", "", `"x" n'est pas un nombre de jours`},
		{"15,,45", "", `"" n'est pas un nombre de jours`},
		{"0,45", "", "l'étape 1 (0 jours) doit venir au moins un jour après l'échéance"},
		{"-5", "", "au moins un jour après"},
		{"45,15", "", "l'étape 2 (15 jours) doit venir après l'étape 1 (45 jours)"},
		{"15,15", "", "l'étape 2 (15 jours) doit venir après"},
		{"15,4000", "", "dépasse 3650 jours"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseReminderSteps(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != c.want {
				t.Errorf("steps %s, want %s", got, c.want)
			}
		})
	}
}

func TestReminderStepsDue(t *testing.T) {
	steps := ReminderSteps{15, 45}
	due := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	day := func(late int) time.Time { return due.AddDate(0, 0, late).Add(17 * time.Hour) }
	for _, c := range []struct {
		name     string
		late     int
		overdue  bool
		sent     []int
		wantStep int
		wantNext int
		wantOn   string
	}{
		{"not overdue", 20, false, nil, 0, 1, "2026-02-15"},
		{"due today, not late", 0, true, nil, 0, 1, "2026-02-15"},
		{"late, first step not come", 14, true, nil, 0, 1, "2026-02-15"},
		{"first step's day", 15, true, nil, 1, 1, "2026-02-15"},
		{"first step passed, unsent", 30, true, nil, 1, 1, "2026-02-15"},
		{"first step sent", 30, true, []int{1}, 0, 2, "2026-03-17"},
		{"second step's day", 45, true, []int{1}, 2, 2, "2026-03-17"},
		// A late start sends one letter, the latest step's, and never
		// the skipped one afterwards.
		{"late start: only the latest step", 60, true, nil, 2, 2, "2026-03-17"},
		{"latest sent, skipped one stays skipped", 60, true, []int{2}, 0, 0, ""},
		{"all sent", 400, true, []int{1, 2}, 0, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			step, ok := steps.Due(due, c.overdue, c.sent, day(c.late))
			if step != c.wantStep || ok != (c.wantStep != 0) {
				t.Errorf("Due = %d, %v; want step %d", step, ok, c.wantStep)
			}
			if !c.overdue {
				return
			}
			next, on, ok := steps.Next(due, c.sent, day(c.late))
			if next != c.wantNext || ok != (c.wantNext != 0) {
				t.Fatalf("Next = %d, %v; want step %d", next, ok, c.wantNext)
			}
			if ok && on.Format(time.DateOnly) != c.wantOn {
				t.Errorf("next step on %s, want %s", on.Format(time.DateOnly), c.wantOn)
			}
		})
	}
}

func TestReminderStepsDays(t *testing.T) {
	steps := ReminderSteps{15, 45}
	for _, c := range []struct {
		n    int
		want int
		ok   bool
	}{{0, 0, false}, {1, 15, true}, {2, 45, true}, {3, 0, false}} {
		if got, ok := steps.Days(c.n); got != c.want || ok != c.ok {
			t.Errorf("Days(%d) = %d, %v; want %d, %v", c.n, got, ok, c.want, c.ok)
		}
	}
	due := time.Date(2025, 10, 31, 0, 0, 0, 0, time.UTC)
	if got := DaysLate(due, time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)); got != 122 {
		t.Errorf("DaysLate = %d, want 122", got)
	}
}

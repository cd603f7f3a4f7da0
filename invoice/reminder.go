package invoice

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ReminderSteps are the days after an invoice's due date on which a
// reminder letter (relance) goes out: "15,45" sends the first reminder 15
// days after the due date and the second 45 days after it. Step n (from 1)
// is the n-th of them: "Relance n°n".
type ReminderSteps []int

// DefaultReminderSteps are the steps when none are configured.
const DefaultReminderSteps = "15,45"

// MaxReminderDays bounds a step: past ten years a reminder is no longer
// the right tool (the debt is time-barred or in litigation).
const MaxReminderDays = 3650

// ParseReminderSteps reads steps written as days separated by commas
// ("15,45"), and validates them (Validate).
func ParseReminderSteps(s string) (ReminderSteps, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("étapes de relance : aucune étape (exemple : %s)", DefaultReminderSteps)
	}
	var steps ReminderSteps
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("étapes de relance %q : %q n'est pas un nombre de jours (exemple : %s)", s, strings.TrimSpace(part), DefaultReminderSteps)
		}
		steps = append(steps, n)
	}
	if err := steps.Validate(); err != nil {
		return nil, fmt.Errorf("étapes de relance %q : %w", s, err)
	}
	return steps, nil
}

// Validate checks that there is at least one step, each a positive
// number of days (at most MaxReminderDays), strictly increasing: a step
// on the due date itself would remind a buyer who is not late yet.
func (s ReminderSteps) Validate() error {
	if len(s) == 0 {
		return fmt.Errorf("aucune étape")
	}
	for i, d := range s {
		switch {
		case d <= 0:
			return fmt.Errorf("l'étape %d (%d jours) doit venir au moins un jour après l'échéance", i+1, d)
		case d > MaxReminderDays:
			return fmt.Errorf("l'étape %d (%d jours) dépasse %d jours", i+1, d, MaxReminderDays)
		case i > 0 && d <= s[i-1]:
			return fmt.Errorf("l'étape %d (%d jours) doit venir après l'étape %d (%d jours)", i+1, d, i, s[i-1])
		}
	}
	return nil
}

// String writes the steps as ParseReminderSteps reads them.
func (s ReminderSteps) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ",")
}

// Days is the number of days after the due date of step n (from 1); ok
// is false for a step that does not exist.
func (s ReminderSteps) Days(n int) (days int, ok bool) {
	if n < 1 || n > len(s) {
		return 0, false
	}
	return s[n-1], true
}

// On is the civil day step n falls due for an invoice due on dueDate;
// zero for a step that does not exist.
func (s ReminderSteps) On(n int, dueDate time.Time) time.Time {
	d, ok := s.Days(n)
	if !ok {
		return time.Time{}
	}
	return CivilDay(dueDate).AddDate(0, 0, d)
}

// DaysLate is how many days after its due date day is (zero or less when
// the invoice is not due yet).
func DaysLate(dueDate, day time.Time) int {
	return int((CivilDay(day).Unix() - CivilDay(dueDate).Unix()) / 86400)
}

// Due says which reminder step is due on day for an invoice due on
// dueDate, overdue on day or not (Overdue, the one definition of late),
// given the steps already sent: the highest step whose day has come,
// unless it or a later step was sent. A late start — steps come while
// nobody sends them, or the invoice goes back to being owed — sends only
// that latest step: one letter, not two at once, as a person would write;
// the earlier steps skipped are never sent afterwards. ok is false when no
// step is due (not overdue, the first step's day not come, or the latest
// step come already sent).
func (s ReminderSteps) Due(dueDate time.Time, overdue bool, sent []int, day time.Time) (step int, ok bool) {
	if !overdue {
		return 0, false
	}
	late := DaysLate(dueDate, day)
	for n := len(s); n >= 1; n-- {
		if s[n-1] <= late {
			if slices.Max(append([]int{0}, sent...)) >= n {
				return 0, false
			}
			return n, true
		}
	}
	return 0, false
}

// Next is the reminder step to send next for an invoice still owed, and
// the day it falls due: the step due on day if there is one (its day,
// passed), else the first step after those sent whose day is still to
// come. ok is false when no step remains.
func (s ReminderSteps) Next(dueDate time.Time, sent []int, day time.Time) (step int, on time.Time, ok bool) {
	if n, due := s.Due(dueDate, true, sent, day); due {
		return n, s.On(n, dueDate), true
	}
	after := slices.Max(append([]int{0}, sent...))
	today := CivilDay(day)
	for n := after + 1; n <= len(s); n++ {
		if on := s.On(n, dueDate); on.After(today) {
			return n, on, true
		}
	}
	return 0, time.Time{}, false
}

package tariff

import (
	"fmt"
	"time"
)

// Establishment is what the tariff needs to know of an establishment for one
// year: its offer, its headcount that year, and its convention dates.
type Establishment struct {
	Offer     Offer
	Headcount int
	// Existing is true for establishments already using a service on the day
	// before the programme started; they start on ExistingUsersStart.
	Existing bool
	// Received is the day Mégalis received the signed convention (zero when
	// Existing).
	Received time.Time
	// TerminationReceived is the day a termination request was received
	// (zero: none).
	TerminationReceived time.Time
	// PaymentTermDays is the establishment's own payment term; zero: the
	// deliberation's.
	PaymentTermDays int
}

// HasStart reports whether the establishment's start is known.
func (e Establishment) HasStart() bool { return e.Existing || !e.Received.IsZero() }

// ServicePeriod is when an establishment is served under a deliberation:
// from Start (a 1st of month) to End, exclusive.
type ServicePeriod struct {
	Start time.Time
	End   time.Time
	// Terminated is true when End comes from a termination request rather
	// than the end of the convention.
	Terminated bool
}

// MonthsIn counts the whole months of the period that fall in a calendar year,
// and returns the first day and the last day (inclusive) of those months.
func (p ServicePeriod) MonthsIn(year int) (months int, from, to time.Time) {
	from = later(p.Start, date(year, time.January, 1))
	end := earlier(p.End, date(year+1, time.January, 1))
	months = monthsBetween(from, end)
	if months <= 0 {
		return 0, time.Time{}, time.Time{}
	}
	return months, from, end.AddDate(0, 0, -1)
}

// Period computes an establishment's service period:
//   - an existing user starts on the programme's start date;
//   - otherwise service starts on the 1st of the month following receipt of
//     the signed convention (not before the programme starts);
//   - service ends with the convention, or on termination: the later of
//     notice start + notice and start + minimum term, where the notice starts
//     the 1st of the month following receipt of the request.
func (d *Deliberation) Period(e Establishment) (ServicePeriod, error) {
	var p ServicePeriod
	switch {
	case e.Existing && !e.Received.IsZero():
		return p, fmt.Errorf("an establishment is either an existing user or has a convention received date, not both")
	case e.Existing:
		p.Start = d.ExistingUsersStart
	case e.Received.IsZero():
		return p, fmt.Errorf("the date the signed convention was received is required (or mark the establishment as an existing user)")
	default:
		p.Start = later(firstOfNextMonth(e.Received), d.ExistingUsersStart)
	}
	p.End = d.ConventionEnd()
	if !e.TerminationReceived.IsZero() {
		if !e.Received.IsZero() && e.TerminationReceived.Before(e.Received) {
			return p, fmt.Errorf("termination request received %s, before the convention itself (%s)",
				e.TerminationReceived.Format(time.DateOnly), e.Received.Format(time.DateOnly))
		}
		noticeStart := firstOfNextMonth(e.TerminationReceived)
		end := later(noticeStart.AddDate(0, d.NoticeMonths, 0), p.Start.AddDate(0, d.MinimumTermMonths, 0))
		if end.Before(p.End) {
			p.End, p.Terminated = end, true
		}
	}
	if p.End.Before(p.Start) {
		// A convention received after the programme ended: no service at all.
		p.End = p.Start
	}
	return p, nil
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Day truncates a time to its civil date in UTC, the form every date of the
// tariff takes.
func Day(t time.Time) time.Time { return date(t.Year(), t.Month(), t.Day()) }

func firstOfNextMonth(t time.Time) time.Time { return date(t.Year(), t.Month()+1, 1) }

// monthsBetween counts whole months from a to b, both 1sts of months.
func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

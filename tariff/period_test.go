package tariff

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// The months billed over the years of the convention add up to the months of
// service, never more: no month billed twice, none dropped, at most 12 a year,
// and a terminated convention serves its minimum term unless the convention
// itself ends first.
func TestMonthsTileServicePeriod(t *testing.T) {
	d := loadFixture(t)
	rapid.Check(t, func(t *rapid.T) {
		e := Establishment{Offer: OfferBouquet, Headcount: rapid.IntRange(0, 500).Draw(t, "headcount")}
		if rapid.Bool().Draw(t, "existing") {
			e.Existing = true
		} else {
			e.Received = date(2024, time.June, 1).AddDate(0, 0, rapid.IntRange(0, 6*366).Draw(t, "received"))
		}
		if rapid.Bool().Draw(t, "terminated") {
			from := e.Received
			if e.Existing {
				from = date(2025, 1, 1)
			}
			e.TerminationReceived = from.AddDate(0, 0, rapid.IntRange(0, 6*366).Draw(t, "termination"))
		}
		p, err := d.Period(e)
		if err != nil {
			t.Fatal(err)
		}
		served := monthsBetween(p.Start, p.End)
		billed := 0
		amounts := decimal.Zero
		for y := d.FirstYear; y <= d.LastYear; y++ {
			q, err := d.Contribution(e, y)
			if err != nil {
				t.Fatal(err)
			}
			if q.Months < 0 || q.Months > 12 {
				t.Fatalf("%d: %d months", y, q.Months)
			}
			billed += q.Months
			amounts = amounts.Add(q.Totals.HT)
		}
		if billed != served {
			t.Fatalf("billed %d months over the convention, served %d (%s to %s)", billed, served, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly))
		}
		if billed > 60 {
			t.Fatalf("billed %d months, more than the convention's 60", billed)
		}
		if p.Terminated {
			toEnd := monthsBetween(p.Start, d.ConventionEnd())
			if min := minInt(d.MinimumTermMonths, toEnd); served < min {
				t.Fatalf("terminated after %d months, before the minimum term of %d", served, min)
			}
		}
		// The yearly amounts never exceed the annual amount × years served.
		b, _ := d.Offers[OfferBouquet].Bracket(e.Headcount)
		if max := b.Amount.Mul(decimal.NewFromInt(int64(served))).Div(decimal.NewFromInt(12)).Add(decimal.RequireFromString("0.03")); amounts.GreaterThan(max) {
			t.Fatalf("billed %s for %d months of %s a year", amounts, served, b.Amount)
		}
	})
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func TestPeriod(t *testing.T) {
	d := loadFixture(t)
	tests := []struct {
		name       string
		e          Establishment
		start, end string
		terminated bool
	}{
		{"existing user", Establishment{Existing: true}, "2025-01-01", "2030-01-01", false},
		{"received mid-month", Establishment{Received: day("2025-03-15")}, "2025-04-01", "2030-01-01", false},
		{"received on the 1st", Establishment{Received: day("2025-01-01")}, "2025-02-01", "2030-01-01", false},
		{"received 31 December", Establishment{Received: day("2026-12-31")}, "2027-01-01", "2030-01-01", false},
		{"received in a leap February", Establishment{Received: day("2028-02-29")}, "2028-03-01", "2030-01-01", false},
		{"termination: notice", Establishment{Existing: true, TerminationReceived: day("2026-03-10")}, "2025-01-01", "2026-06-01", true},
		{"termination: anniversary", Establishment{Received: day("2025-03-15"), TerminationReceived: day("2025-03-20")}, "2025-04-01", "2026-04-01", true},
		{"termination: notice = anniversary", Establishment{Received: day("2025-03-15"), TerminationReceived: day("2026-01-31")}, "2025-04-01", "2026-04-01", true},
		{"termination after convention end", Establishment{Existing: true, TerminationReceived: day("2029-11-01")}, "2025-01-01", "2030-01-01", false},
		{"convention received after the programme", Establishment{Received: day("2030-02-01")}, "2030-03-01", "2030-03-01", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := d.Period(tt.e)
			if err != nil {
				t.Fatal(err)
			}
			if fmtDay(p.Start) != tt.start || fmtDay(p.End) != tt.end || p.Terminated != tt.terminated {
				t.Errorf("period = %s..%s terminated=%v, want %s..%s %v", fmtDay(p.Start), fmtDay(p.End), p.Terminated, tt.start, tt.end, tt.terminated)
			}
		})
	}
}

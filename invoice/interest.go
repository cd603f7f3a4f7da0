package invoice

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Regime is the late-payment interest regime of a convention.
type Regime string

const (
	// RegimeLegal is the French legal interest rate, "autres cas" column,
	// simple interest split by semester, no indemnity (C. civ. 1231-6).
	RegimeLegal Regime = "legal"
	// RegimeProcurement is public-procurement late-payment interest: ECB rate
	// of the semester in which lateness starts + 8 points for the whole delay,
	// plus the 40 € recovery indemnity (CCP R2192-31, D2192-35).
	RegimeProcurement Regime = "procurement"
)

// ParseRegime parses a regime name ("legal" or "procurement").
func ParseRegime(s string) (Regime, error) {
	switch r := Regime(strings.ToLower(strings.TrimSpace(s))); r {
	case RegimeLegal, RegimeProcurement:
		return r, nil
	}
	return "", fmt.Errorf("unknown interest regime %q (want %q or %q)", s, RegimeLegal, RegimeProcurement)
}

// DayBasis is the divisor convention for an annual rate applied to a number
// of days.
type DayBasis int

const (
	// Basis365 divides by 365 every year, leap or not: the formula published
	// by service-public.fr for legal interest. It is the zero value.
	Basis365 DayBasis = iota
	// BasisActual divides the days falling in a leap year by 366.
	BasisActual
)

// String returns "365" or "actual", the names ParseDayBasis accepts.
func (b DayBasis) String() string {
	switch b {
	case Basis365:
		return "365"
	case BasisActual:
		return "actual"
	}
	return fmt.Sprintf("DayBasis(%d)", int(b))
}

// ParseDayBasis parses "365" or "actual".
func ParseDayBasis(s string) (DayBasis, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "365":
		return Basis365, nil
	case "actual":
		return BasisActual, nil
	}
	return 0, fmt.Errorf("unknown day basis %q (want \"365\" or \"actual\")", s)
}

// divisor returns the number of days in the year for a day of the given year.
func (b DayBasis) divisor(year int) int64 {
	if b == BasisActual && isLeapYear(year) {
		return 366
	}
	return 365
}

func isLeapYear(y int) bool {
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

// InterestPeriod is a run of days charged at one rate.
type InterestPeriod struct {
	From, To time.Time // civil dates, both inclusive
	Days     int
	Rate     decimal.Decimal // percent per year
	// Amount is the unrounded contribution of the period (to 16 decimal
	// places), for display; Interest.Interest is computed from exact fractions.
	Amount decimal.Decimal
}

// Interest is the late-payment interest owed on one principal.
type Interest struct {
	Regime    Regime
	Principal decimal.Decimal
	Due, Paid time.Time // civil dates
	Days      int       // days late: Paid − Due, 0 if paid on time
	Periods   []InterestPeriod
	Interest  decimal.Decimal // rounded once, half-up to the cent
	Indemnity decimal.Decimal // 40.00 under RegimeProcurement when late, else 0
	Total     decimal.Decimal // Interest + Indemnity
}

// RecoveryIndemnity returns the fixed indemnity for recovery costs owed by a
// public buyer on any late payment (CCP D2192-35): 40.00 €.
func RecoveryIndemnity() decimal.Decimal {
	return decimal.New(4000, -Cents)
}

// LineCodeIndemnity is the line code of the recovery indemnity on an
// interest invoice: the books look for it to bill the indemnity once per
// invoice paid late, however many late payments it had.
const LineCodeIndemnity = "recovery-indemnity"

// amountPrecision is the number of decimal places of InterestPeriod.Amount.
const amountPrecision = 16

// LegalInterest computes legal interest on principal paid late: simple
// interest for each day from the day after due through paid inclusive (so
// Days = paid − due), each day at the rate of its semester, the delay being
// split at 1 January and 1 July. Per period: principal × rate/100 × days /
// divisor; the periods are summed exactly and rounded once, half-up to the
// cent.
//
// due and paid are civil dates: only their year, month and day (in their own
// location) are used, so the count never depends on time zones or DST.
// Payment on or before the due date owes nothing (no periods, no error). A
// day whose semester has no rate in the table is a *MissingRateError.
func LegalInterest(principal decimal.Decimal, due, paid time.Time, rates *RateTable, basis DayBasis) (Interest, error) {
	res, err := newInterest(RegimeLegal, principal, due, paid, rates, basis)
	if err != nil || res.Days == 0 {
		return res, err
	}
	var sum exactSum
	for from := addDays(res.Due, 1); !from.After(res.Paid); {
		sem := SemesterOf(from)
		to := minDate(sem.End(), res.Paid)
		rate, err := rates.Rate(sem)
		if err != nil {
			return Interest{}, fmt.Errorf("legal interest on %s from %s to %s: %w",
				principal.StringFixed(Cents), res.Due.Format(time.DateOnly), res.Paid.Format(time.DateOnly), err)
		}
		// A semester never straddles a year, so one divisor fits the period.
		p := InterestPeriod{From: from, To: to, Days: daysBetween(from, to) + 1, Rate: rate}
		p.Amount = sum.add(principal, rate, p.Days, basis.divisor(from.Year()))
		res.Periods = append(res.Periods, p)
		from = addDays(to, 1)
	}
	res.Interest = sum.roundCents()
	res.Total = res.Interest.Add(res.Indemnity)
	return res, nil
}

// ProcurementInterest computes public-procurement late-payment interest on
// principal: the ECB rate in force in the semester in which lateness starts
// (the day after due) plus 8 points, applied to the whole delay as a single
// period, rounded half-up to the cent, plus the 40.00 € recovery indemnity
// when the payment is late at all. Dates are civil dates as in LegalInterest.
//
// Under BasisActual the days falling in a leap year are divided by 366 even
// though the period stays single: the basis is about day counting, not rates.
func ProcurementInterest(principal decimal.Decimal, due, paid time.Time, ecb *RateTable, basis DayBasis) (Interest, error) {
	res, err := newInterest(RegimeProcurement, principal, due, paid, ecb, basis)
	if err != nil || res.Days == 0 {
		return res, err
	}
	start := addDays(res.Due, 1)
	base, err := ecb.Rate(SemesterOf(start))
	if err != nil {
		return Interest{}, fmt.Errorf("procurement interest on %s from %s to %s: %w",
			principal.StringFixed(Cents), res.Due.Format(time.DateOnly), res.Paid.Format(time.DateOnly), err)
	}
	p := InterestPeriod{From: start, To: res.Paid, Days: res.Days, Rate: base.Add(decimal.NewFromInt(8))}
	var sum exactSum
	// Split by civil year only for the divisor; the rate is the same throughout.
	for from := start; !from.After(res.Paid); {
		to := minDate(time.Date(from.Year(), time.December, 31, 0, 0, 0, 0, time.UTC), res.Paid)
		sum.add(principal, p.Rate, daysBetween(from, to)+1, basis.divisor(from.Year()))
		from = addDays(to, 1)
	}
	p.Amount = sum.approx()
	res.Periods = []InterestPeriod{p}
	res.Interest = sum.roundCents()
	res.Indemnity = RecoveryIndemnity()
	res.Total = res.Interest.Add(res.Indemnity)
	return res, nil
}

// newInterest validates the inputs common to both regimes and returns the
// result for a payment on time; Days is set for the caller to go on.
func newInterest(regime Regime, principal decimal.Decimal, due, paid time.Time, rates *RateTable, basis DayBasis) (Interest, error) {
	zero := decimal.New(0, -Cents)
	res := Interest{
		Regime:    regime,
		Principal: principal,
		Due:       civilDate(due),
		Paid:      civilDate(paid),
		Interest:  zero,
		Indemnity: zero,
		Total:     zero,
	}
	if principal.IsNegative() {
		return Interest{}, fmt.Errorf("%s interest: principal %s is negative", regime, principal)
	}
	if rates == nil {
		return Interest{}, fmt.Errorf("%s interest: no rate table", regime)
	}
	if basis != Basis365 && basis != BasisActual {
		return Interest{}, fmt.Errorf("%s interest: unknown day basis %d", regime, int(basis))
	}
	if res.Paid.After(res.Due) {
		res.Days = daysBetween(res.Due, res.Paid)
	}
	return res, nil
}

// exactSum accumulates principal × rate × days / (100 × divisor) terms as an
// exact fraction, so that the single final rounding is exact even when terms
// with different divisors (365 and 366) add up to exactly half a cent.
type exactSum struct {
	r big.Rat
}

// add adds one term and returns it, unrounded to amountPrecision places.
func (s *exactSum) add(principal, ratePct decimal.Decimal, days int, divisor int64) decimal.Decimal {
	num := principal.Mul(ratePct).Mul(decimal.NewFromInt(int64(days)))
	den := decimal.NewFromInt(100 * divisor)
	term := new(big.Rat).Quo(num.Rat(), den.Rat())
	s.r.Add(&s.r, term)
	return num.DivRound(den, amountPrecision)
}

// approx returns the sum to amountPrecision places, for display.
func (s *exactSum) approx() decimal.Decimal {
	return decimal.NewFromBigRat(&s.r, amountPrecision)
}

// roundCents rounds the (non-negative) sum half-up to the cent:
// floor(x × 100 + 1/2) cents.
func (s *exactSum) roundCents() decimal.Decimal {
	x := new(big.Rat).Mul(&s.r, big.NewRat(100, 1))
	x.Add(x, big.NewRat(1, 2))
	cents := new(big.Int).Quo(x.Num(), x.Denom()) // x ≥ 0: truncation is floor
	return decimal.NewFromBigInt(cents, -Cents)
}

// civilDate keeps the calendar date of t, as seen in t's location, at midnight
// UTC, where every day is exactly 24 hours long.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween returns to − from in days for civil dates (midnight UTC). Unix
// seconds are used rather than a Duration, which overflows past 292 years.
func daysBetween(from, to time.Time) int {
	return int((to.Unix() - from.Unix()) / 86400)
}

func addDays(t time.Time, n int) time.Time {
	return t.AddDate(0, 0, n)
}

func minDate(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// InterestRates are the rate tables late-payment interest is computed from:
// the legal interest rates (RegimeLegal) and the ECB's main refinancing rates
// (RegimeProcurement).
type InterestRates struct {
	Legal, ECB *RateTable
}

// LateInterest is the late-payment interest owed on amount, due on due and
// paid (or reckoned as paid) on paid, under an invoice's regime: procurement
// interest from the ECB table for RegimeProcurement, legal interest from the
// legal table otherwise. Days are counted on Basis365, the basis every
// invoice is charged on. It is the one computation the interest invoices,
// the dashboard and the command line share; a missing rate is a
// *MissingRateError, a missing table an error.
func LateInterest(regime Regime, amount decimal.Decimal, due, paid time.Time, rates InterestRates) (Interest, error) {
	if regime == RegimeProcurement {
		return ProcurementInterest(amount, due, paid, rates.ECB, Basis365)
	}
	return LegalInterest(amount, due, paid, rates.Legal, Basis365)
}

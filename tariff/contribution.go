package tariff

import (
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Contribution computes an establishment's contribution for a calendar year:
// the annual amount of its bracket, prorated in whole months of service that
// year, rounded half-up to the cent. A year with no month of service gives a
// quote with no line; a free bracket gives a quote marked Free.
func (d *Deliberation) Contribution(e Establishment, year int) (Quote, error) {
	if !d.Covers(year) {
		return Quote{}, &OutsideConventionError{Year: year, Covered: fmt.Sprintf("%d through %d", d.FirstYear, d.LastYear)}
	}
	tariff, ok := d.Offers[e.Offer]
	if !ok {
		return Quote{}, fmt.Errorf("unknown offer %q", e.Offer)
	}
	b, err := tariff.Bracket(e.Headcount)
	if err != nil {
		return Quote{}, err
	}
	if b.Refused != "" {
		return Quote{}, &NoTariffError{Offer: e.Offer, Headcount: e.Headcount, Reason: b.Refused}
	}
	period, err := d.Period(e)
	if err != nil {
		return Quote{}, err
	}
	q := d.newQuote(invoice.KindContribution, e, year, b)
	q.Service = period
	q.Months, q.From, q.To = period.MonthsIn(year)
	q.Free = b.Free()
	if q.Months > 0 && !q.Free {
		label := fmt.Sprintf("Contribution %d — %s (%s), %s",
			year, tariff.Label, b.Label, monthsLabel(q.From, q.To, q.Months))
		line, err := invoice.NewLine("contribution-"+string(e.Offer), label,
			decimal.NewFromInt(int64(q.Months)), invoice.UnitMonth, b.Amount, decimal.NewFromInt(12), b.VAT) // prorated: amount × months / 12
		if err != nil {
			return Quote{}, fmt.Errorf("contribution %d: %w", year, err)
		}
		q.Lines = []invoice.Line{line}
	}
	q.Totals = invoice.ComputeTotals(q.Lines)
	return q, nil
}

func (d *Deliberation) newQuote(kind invoice.Kind, e Establishment, year int, b Bracket) Quote {
	term := d.PaymentTermDays
	if e.PaymentTermDays > 0 {
		term = e.PaymentTermDays
	}
	return Quote{
		Kind:            kind,
		Year:            year,
		Offer:           e.Offer,
		Headcount:       e.Headcount,
		Bracket:         b,
		PaymentTermDays: term,
		Deliberation:    d.Reference,
	}
}

// frenchMonth names a month in French.
func frenchMonth(m time.Month) string {
	names := [...]string{"janvier", "février", "mars", "avril", "mai", "juin",
		"juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	return names[m-1]
}

// monthsLabel says which months are billed, in French: "avril à décembre
// 2025 (9 mois)", or "année 2025" for a whole year.
func monthsLabel(from, to time.Time, months int) string {
	if months == 12 {
		return fmt.Sprintf("année %d (12 mois)", from.Year())
	}
	if months == 1 {
		return fmt.Sprintf("%s %d (1 mois)", frenchMonth(from.Month()), from.Year())
	}
	return fmt.Sprintf("%s à %s %d (%d mois sur 12)", frenchMonth(from.Month()), frenchMonth(to.Month()), to.Year(), months)
}

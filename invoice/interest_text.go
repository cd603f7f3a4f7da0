package invoice

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Computation explains in French how the interest was computed, period by
// period (dates, days, rate, amount), for the interest invoice's note: the
// buyer can check every figure. Period amounts are shown to four decimals;
// the interest is their exact sum rounded once, half-up to the cent.
func (r Interest) Computation() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Calcul : %s € × taux × jours / 365", FormatFrench(r.Principal))
	if len(r.Periods) == 0 {
		b.WriteString(" ; payé à l'échéance, aucun intérêt.")
		return b.String()
	}
	for _, p := range r.Periods {
		rate := frPercent(p.Rate)
		if r.Regime == RegimeProcurement {
			rate = fmt.Sprintf("%s (taux BCE %s + 8 points)", rate, SemesterOf(p.From))
		}
		fmt.Fprintf(&b, " ; du %s au %s, %d jour%s à %s = %s €", p.From.Format("02/01/2006"), p.To.Format("02/01/2006"),
			p.Days, plural(p.Days), rate, frDecimal(p.Amount.Round(4), 4))
	}
	fmt.Fprintf(&b, " ; total arrondi au centime : %s €", FormatFrench(r.Interest))
	if r.Indemnity.IsPositive() {
		fmt.Fprintf(&b, " ; indemnité forfaitaire de recouvrement : %s €", FormatFrench(r.Indemnity))
	}
	b.WriteString(".")
	return b.String()
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

// frPercent renders a rate as "2,62 %".
func frPercent(d decimal.Decimal) string {
	return frDecimal(d, 2) + "\u00a0%"
}

// frDecimal renders d with places decimals and a decimal comma.
func frDecimal(d decimal.Decimal, places int32) string {
	return strings.Replace(d.StringFixed(places), ".", ",", 1)
}

package invoice

import (
	"strings"

	"github.com/shopspring/decimal"
)

// FormatQuantity renders a quantity the French way, exactly as held (no
// rounding): decimal comma, thousands grouped by a no-break space ("612,5",
// "1 250"). It is for people (labels, PDF, pages); the XML keeps the
// decimal point EN 16931 requires.
func FormatQuantity(d decimal.Decimal) string {
	s := d.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString("\u00a0")
		}
		b.WriteByte(intPart[i])
	}
	if hasFrac {
		b.WriteString(",")
		b.WriteString(frac)
	}
	return b.String()
}

// QuantityLabel is a quantity with its unit's French name, joined by a
// no-break space: "12 mois", "1 jour", "2 jours"; a count (C62) is a bare
// number: "1 050".
func QuantityLabel(q decimal.Decimal, unit string) string {
	s := FormatQuantity(q)
	if u := UnitName(unit, q); u != "" {
		s += "\u00a0" + u
	}
	return s
}

package invoice

import "github.com/shopspring/decimal"

// Cents is the number of decimal places every stored amount carries.
const Cents = 2

// Round rounds an amount half-up to the cent, the French tax convention
// (half counted as one unit). decimal.Round rounds half away from zero, which
// is half-up for the positive amounts of invoices and symmetric for credit notes.
func Round(d decimal.Decimal) decimal.Decimal {
	return d.Round(Cents)
}

// Format renders an amount as a decimal string with exactly two decimals, the
// form used in JSON output, XML and the database.
func Format(d decimal.Decimal) string {
	return d.StringFixed(Cents)
}

// FormatFrench renders an amount the French way, as finance staff read it:
// "1 234,56" (non-breaking space between thousands, comma before cents).
func FormatFrench(d decimal.Decimal) string {
	s := d.StringFixed(Cents)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	intPart, cents := s[:len(s)-3], s[len(s)-2:]
	var b []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b = append(b, "\u00a0"...)
		}
		b = append(b, intPart[i])
	}
	return sign + string(b) + "," + cents
}

package tariff

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// UnitKind says what a service's quantities are: whole counts (SMS,
// users, accounts, documents, circuits) or decimal measures (GB).
type UnitKind string

// Unit kinds a deliberation may give a service (key `quantity`).
const (
	// UnitCount is a number of things: a whole number, never a fraction.
	UnitCount UnitKind = "count"
	// UnitMeasure is a measured amount (storage): decimals allowed.
	UnitMeasure UnitKind = "measure"
)

// DefaultUnitKind is the kind of a service whose deliberation does not say:
// a measure, which is how every quantity was read before unit kinds existed,
// so that an older file keeps loading and its imports keep being accepted.
const DefaultUnitKind = UnitMeasure

// ParseUnitKind reads a unit kind.
func ParseUnitKind(s string) (UnitKind, error) {
	switch k := UnitKind(s); k {
	case UnitCount, UnitMeasure:
		return k, nil
	}
	return "", fmt.Errorf("%q is neither count (whole numbers: SMS, users…) nor measure (decimals: GB…)", s)
}

// MaxQuantity is the largest quantity of one service observed in one year:
// 10^12 units (a trillion SMS, a billion TB). No establishment comes near it;
// it is there so that a typo or a corrupt file cannot reach the arithmetic
// downstream. At the bound, with blocks of at least 1 unit, the block count
// (int64 in the invoice model and BIGINT in the books) is at most 10^12, far
// below 9.2×10^18; the amount is checked again when the overage is computed
// (see overageOf), since a deliberation may set any price.
const MaxQuantity int64 = 1_000_000_000_000

var maxQuantity = decimal.NewFromInt(MaxQuantity)

// QuantityProblem is what is wrong with a quantity.
type QuantityProblem int

// Problems a quantity may have.
const (
	// QuantityNegative: below zero.
	QuantityNegative QuantityProblem = iota + 1
	// QuantityFractional: a count with decimals.
	QuantityFractional
	// QuantityTooLarge: above MaxQuantity.
	QuantityTooLarge
	// QuantityNotANumber: text that is no number at all ("12 Go").
	QuantityNotANumber
	// QuantityAmbiguous: a count written like "1,500" or "1.500", which
	// reads as a thousands separator or as a decimal one.
	QuantityAmbiguous
	// QuantitySeparator: a count written with separators that are not
	// ambiguous but not digits only either ("1 500", "12,00").
	QuantitySeparator
)

// QuantityError is a quantity a service cannot have. Its message names the
// quantity and why, not the service's place in a file: the caller adds that.
type QuantityError struct {
	Service string
	Unit    string
	// Text is the quantity as written, when it was read from text.
	Text string
	// Quantity is its value, when it has one.
	Quantity decimal.Decimal
	Problem  QuantityProblem
}

func (e *QuantityError) Error() string {
	text := e.Text
	if text == "" {
		text = e.Quantity.String()
	}
	count := fmt.Sprintf("%s is a count of %s", e.Service, e.Unit)
	switch e.Problem {
	case QuantityNegative:
		return fmt.Sprintf("%s is negative", text)
	case QuantityFractional:
		return fmt.Sprintf("%s is not a whole number: %s, whole numbers only", text, count)
	case QuantityTooLarge:
		return fmt.Sprintf("%s is more than the largest quantity accepted, %d (10^12) %s", text, MaxQuantity, e.Unit)
	case QuantityNotANumber:
		return fmt.Sprintf("%q is not a number", e.Text)
	case QuantityAmbiguous:
		return fmt.Sprintf("%q is ambiguous: %s, a whole number, and %s could be read %s or %s; write %s (digits only, no separator)",
			text, count, text, digitsOf(text), decimalReading(text), digitsOf(text))
	case QuantitySeparator:
		return fmt.Sprintf("%q: %s, written with digits only (no thousands or decimal separator); write %s", text, count, e.Quantity)
	}
	return fmt.Sprintf("%q is not a valid quantity", text)
}

// ParseQuantity reads a quantity of the service as a finance officer's
// spreadsheet writes it, and checks it (CheckQuantity).
//
// A measure takes a decimal comma or point, and spaces between thousands:
// "612,5", "612.5", "1 250,5".
//
// A count takes digits only. "1,500" and "1.500" are refused as ambiguous
// (one thousand five hundred, or one and a half?): reading them either way
// would bill a wrong amount without anyone noticing. Other separators
// ("1 500", "12,00") and fractions ("1.5") are refused too, each saying what
// to write instead.
//
// Errors are *QuantityError.
func (s Service) ParseQuantity(text string) (decimal.Decimal, error) {
	fail := func(p QuantityProblem, q decimal.Decimal) (decimal.Decimal, error) {
		return decimal.Decimal{}, &QuantityError{Service: s.Code, Unit: s.Unit, Text: text, Quantity: q, Problem: p}
	}
	if s.Kind != UnitCount {
		q, err := decimal.NewFromString(strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", ",", ".").Replace(text))
		switch {
		case err != nil || text == "":
			return fail(QuantityNotANumber, decimal.Decimal{})
		case q.IsNegative():
			return fail(QuantityNegative, q)
		}
		return q, s.CheckQuantity(q)
	}
	body := strings.TrimPrefix(text, "-")
	if !isDigits(digitsOf(body)) || !isDigit(body[0]) || !isDigit(body[len(body)-1]) {
		return fail(QuantityNotANumber, decimal.Decimal{})
	}
	whole := decimal.RequireFromString(digitsOf(body))
	if body != text {
		return fail(QuantityNegative, whole.Neg())
	}
	if body == digitsOf(body) {
		return whole, s.CheckQuantity(whole)
	}
	seps := strings.FieldsFunc(body, func(r rune) bool { return r >= '0' && r <= '9' })
	groups := strings.FieldsFunc(body, func(r rune) bool { return r < '0' || r > '9' })
	for _, sep := range seps {
		if !strings.Contains(separators, sep) || len([]rune(sep)) != 1 {
			return fail(QuantityNotANumber, decimal.Decimal{})
		}
	}
	switch {
	case len(seps) == 1 && (seps[0] == "," || seps[0] == ".") && len(groups) == 2 && len(groups[0]) <= 3 && len(groups[1]) == 3:
		return fail(QuantityAmbiguous, whole)
	case thousands(seps, groups):
		return fail(QuantitySeparator, whole)
	case len(seps) == 1 && (seps[0] == "," || seps[0] == "."):
		q := decimal.RequireFromString(groups[0] + "." + groups[1])
		if q.IsInteger() {
			return fail(QuantitySeparator, q)
		}
		return fail(QuantityFractional, q)
	}
	return fail(QuantityNotANumber, decimal.Decimal{})
}

// separators are the characters spreadsheets put between digits: decimal
// comma or point, thousands space (plain, no-break, narrow no-break) or
// apostrophe.
const separators = ",. \u00a0\u202f'"

// thousands reports digits in groups of three after the first (of one to
// three), all separated by the same single character.
func thousands(seps, groups []string) bool {
	if len(groups) < 2 || len(groups[0]) > 3 {
		return false
	}
	for i, g := range groups[1:] {
		if len(g) != 3 || seps[i] != seps[0] {
			return false
		}
	}
	return true
}

// decimalReading is text read with its comma or point as a decimal point.
func decimalReading(text string) string {
	d, err := decimal.NewFromString(strings.ReplaceAll(text, ",", "."))
	if err != nil {
		return text
	}
	return d.String()
}

// digitsOf keeps the ASCII digits of s.
func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// isDigits reports a non-empty string of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// CheckQuantity reports whether q is a quantity the service can have
// observed in a year: not negative, at most MaxQuantity, and whole when the
// service counts. It returns a *QuantityError otherwise.
func (s Service) CheckQuantity(q decimal.Decimal) error {
	problem := QuantityProblem(0)
	switch {
	case q.IsNegative():
		problem = QuantityNegative
	case q.GreaterThan(maxQuantity):
		problem = QuantityTooLarge
	case s.Kind == UnitCount && !q.IsInteger():
		problem = QuantityFractional
	default:
		return nil
	}
	return &QuantityError{Service: s.Code, Unit: s.Unit, Quantity: q, Problem: problem}
}

package tariff

import (
	"fmt"

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
)

// QuantityError is a quantity a service cannot have. Its message names the
// quantity and why, not the service's place in a file: the caller adds that.
type QuantityError struct {
	Service  string
	Unit     string
	Quantity decimal.Decimal
	Problem  QuantityProblem
}

func (e *QuantityError) Error() string {
	switch e.Problem {
	case QuantityNegative:
		return fmt.Sprintf("%s is negative", e.Quantity)
	case QuantityFractional:
		return fmt.Sprintf("%s is not a whole number: %s is a count of %s, whole numbers only", e.Quantity, e.Service, e.Unit)
	case QuantityTooLarge:
		return fmt.Sprintf("%s is more than the largest quantity accepted, %d (10^12) %s", e.Quantity, MaxQuantity, e.Unit)
	}
	return fmt.Sprintf("%s is not a valid quantity", e.Quantity)
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

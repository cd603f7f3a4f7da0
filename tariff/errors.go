package tariff

import "fmt"

// NoTariffError means the deliberation forbids the case: the offer has no
// tariff for that headcount. A human must change the establishment's offer.
type NoTariffError struct {
	Offer     Offer
	Headcount int
	Reason    string
}

func (e *NoTariffError) Error() string {
	return fmt.Sprintf("%s with %d employees: %s", e.Offer, e.Headcount, e.Reason)
}

// OutsideConventionError means no deliberation covers the year asked for.
type OutsideConventionError struct {
	Year int
	// Covered describes the years that are covered, e.g. "2025 through 2029".
	Covered string
}

func (e *OutsideConventionError) Error() string {
	return fmt.Sprintf("year %d is outside the convention: contributions are due for %s only", e.Year, e.Covered)
}

// UsageError is a problem with an observed quantity: an unknown service, a
// service the offer does not include, a quantity the service cannot have
// (Err is then the *QuantityError), or an overage too large to bill.
type UsageError struct {
	Code string
	Msg  string
	Err  error
}

func (e *UsageError) Error() string { return fmt.Sprintf("usage %s: %s", e.Code, e.Msg) }

// Unwrap gives the underlying *QuantityError, if any.
func (e *UsageError) Unwrap() error { return e.Err }

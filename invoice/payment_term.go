package invoice

import "fmt"

// Payment terms of French public buyers, in days from the invoice date
// (Code de la commande publique).
const (
	// DefaultPaymentTermDays is the general term: the State, its public
	// establishments, local authorities, their public establishments and
	// groupings (CCP R2192-10). It is also the convention's term.
	DefaultPaymentTermDays = 30
	// HealthPaymentTermDays is the term of public health establishments and
	// of the armed forces' health service (CCP R2192-11, 1°).
	HealthPaymentTermDays = 50
	// MaxPaymentTermDays is the longest term the law gives any public buyer:
	// public enterprises (CCP R2192-11, 2°). A contract may shorten the
	// regulatory term, never lengthen it (CCP L2192-10).
	MaxPaymentTermDays = 60
)

// PaymentTermError refuses a payment term an establishment cannot be given.
type PaymentTermError struct {
	Days   int
	Regime Regime
	// Reason says why, in the words shown to the finance team.
	Reason string
}

func (e *PaymentTermError) Error() string { return e.Reason }

// CheckPaymentTerm says whether an establishment under late-payment regime
// r may be given a payment term of days.
//
// The bounds are the law's: at least one day, at most 60 (CCP R2192-11, the
// longest regulatory term). A term other than the general 30 days is only
// accepted with the public-procurement regime: the 50 days of public health
// establishments and the 60 days of public enterprises are exceptions of the
// procurement payment rules (R2192-11), under which interest runs of right
// from the day after that term (L2192-13), and a shorter term is the
// contract's choice within those rules (L2192-10). Under the convention's
// legal-interest regime the term is the convention's own, the same for
// every member, so a different one in an import is a mistake, refused
// rather than silently billed. Which category a buyer belongs to (health
// establishment or not) is not in the books: the file asserts it, and this
// checks the law's outer bound.
func CheckPaymentTerm(days int, r Regime) error {
	refuse := func(format string, args ...any) error {
		return &PaymentTermError{Days: days, Regime: r, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case days < 1:
		return refuse("%d days: a payment term is at least 1 day", days)
	case days > MaxPaymentTermDays:
		return refuse("%d days is beyond the legal maximum of %d days (CCP R2192-10 and R2192-11: %d days for public buyers, %d for public health establishments, %d for public enterprises)",
			days, MaxPaymentTermDays, DefaultPaymentTermDays, HealthPaymentTermDays, MaxPaymentTermDays)
	case days != DefaultPaymentTermDays && r != RegimeProcurement:
		return refuse("%d days needs the %s late-payment regime: under the %s regime the term is the convention's %d days; other terms (%d days for a public health establishment, CCP R2192-11) are those of public procurement",
			days, RegimeProcurement, regimeName(r), DefaultPaymentTermDays, HealthPaymentTermDays)
	}
	return nil
}

func regimeName(r Regime) Regime {
	if r == "" {
		return RegimeLegal
	}
	return r
}

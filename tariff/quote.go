package tariff

import (
	"time"

	"github.com/chorusbill/chorusbill/invoice"
)

// Quote is what is due by one establishment for one year and kind: the lines
// an invoice would carry, their totals, and how they were found.
type Quote struct {
	Kind      invoice.Kind
	Year      int
	Offer     Offer
	Headcount int
	Bracket   Bracket
	// Months is the number of months of service billed (contributions).
	Months int
	// Service is the establishment's service period; zero when not known
	// (an overage quote without convention dates).
	Service ServicePeriod
	// From and To (inclusive) are the period the invoice covers (BT-73,
	// BT-74); zero when nothing is due.
	From, To time.Time
	Lines    []invoice.Line
	// Statement lists every observed service of an overage quote, within
	// its allowance or not: the justificatif sent with the invoice.
	Statement []invoice.StatementRow
	Totals    invoice.Totals
	// Free is true when the tariff makes the establishment free: no invoice
	// is issued, but the run reports it.
	Free bool
	// PaymentTermDays is the invoice's payment term, in days from its date:
	// the establishment's own, else the deliberation's.
	PaymentTermDays int
	// Deliberation is the reference of the deliberation applied.
	Deliberation string
}

// Due reports whether an invoice must be issued.
func (q Quote) Due() bool { return !q.Free && len(q.Lines) > 0 }

package store

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Paris, the civil day payments are dated in

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// The rules every payment goes through, whatever its source (Chorus Pro's
// MISE_EN_PAIEMENT, a bank file, the dashboard): one payment is recognised
// when it comes again, nothing beyond what remains due is recorded, and no
// payment is dated in the future.

// PaymentDateTolerance is how many days apart two sightings of one payment
// may be dated. Chorus Pro dates MISE_EN_PAIEMENT on the day the public
// accountant releases the payment; the transfer reaches the bank statement
// one to three working days later, so a weekend and a bank holiday make five
// or six calendar days. A week covers it; two genuine payments of the very
// same amount, to the cent, on one invoice within a week are not how yearly
// contributions are paid (a repeated one would be an error to refund).
const PaymentDateTolerance = 7

// SamePayment reports whether a and b are one payment seen twice: same
// invoice, same amount to the cent, dated at most PaymentDateTolerance days
// apart — unless both come from the same source with two different,
// non-empty references (two lines of a bank statement are two transfers).
// It is the one recognition rule of the books.
func SamePayment(a, b Payment) bool {
	if a.InvoiceID != b.InvoiceID || !a.Amount.Equal(b.Amount) {
		return false
	}
	days := invoice.CivilDay(a.PaidOn).Sub(invoice.CivilDay(b.PaidOn)).Hours() / 24
	if days > PaymentDateTolerance || days < -PaymentDateTolerance {
		return false
	}
	if a.Source == b.Source && a.Reference != "" && b.Reference != "" && a.Reference != b.Reference {
		return false
	}
	return true
}

// OverpaymentError refuses a payment above what remains due on its invoice:
// such a sum is either a typo or money to refund, never income that would
// feed interest.
type OverpaymentError struct {
	Number    string
	Amount    decimal.Decimal // the payment refused
	Remaining decimal.Decimal // what remained due on the invoice
	Total     decimal.Decimal // the invoice's total TTC
}

// Error implements error.
func (e *OverpaymentError) Error() string {
	return fmt.Sprintf("%s € is more than the %s € still due on invoice %s (%s € TTC, %s € already received)",
		e.Amount.StringFixed(2), e.Remaining.StringFixed(2), e.Number, e.Total.StringFixed(2), e.Total.Sub(e.Remaining).StringFixed(2))
}

// FuturePaymentError refuses a payment dated after today (the books' civil
// day, in Paris).
type FuturePaymentError struct {
	PaidOn, Today time.Time
}

// Error implements error.
func (e *FuturePaymentError) Error() string {
	return fmt.Sprintf("payment dated %s is in the future (today is %s)", e.PaidOn.Format(time.DateOnly), e.Today.Format(time.DateOnly))
}

var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.UTC
	}
	return l
}()

// Today is the books' civil day: the date in Paris on the store's clock, at
// midnight UTC like the DATE columns. The importer dates "today" with it.
func (s *Store) Today() time.Time {
	return CivilDayInParis(s.now())
}

// CivilDayInParis is the date in Paris at instant now, at midnight UTC like
// the DATE columns: the "today" payments may not come after.
func CivilDayInParis(now time.Time) time.Time {
	return invoice.CivilDay(now.In(paris))
}

// paymentCheck is what the books already hold for one invoice, to judge a
// new payment against.
type paymentCheck struct {
	inv      Invoice
	payments []Payment
	// credited is what credit notes for a difference took off the invoice.
	credited decimal.Decimal
	today    time.Time
}

// received sums the payments held.
func (c *paymentCheck) received() decimal.Decimal {
	sum := fromCents(0)
	for _, p := range c.payments {
		sum = sum.Add(p.Amount)
	}
	return sum
}

// remaining is what is still due, never below zero.
func (c *paymentCheck) remaining() decimal.Decimal {
	r := c.inv.TotalTTC.Sub(c.credited).Sub(c.received())
	if r.IsNegative() {
		return fromCents(0)
	}
	return r
}

// judge returns the payment already held that p repeats (nil when p is
// new), or an error when p may not be recorded: dated in the future, or
// above what remains due.
func (c *paymentCheck) judge(p Payment) (*Payment, error) {
	if invoice.CivilDay(p.PaidOn).After(c.today) {
		return nil, &FuturePaymentError{PaidOn: invoice.CivilDay(p.PaidOn), Today: c.today}
	}
	for i := range c.payments {
		if SamePayment(c.payments[i], p) {
			return &c.payments[i], nil
		}
	}
	if rem := c.remaining(); p.Amount.GreaterThan(rem) {
		return nil, &OverpaymentError{Number: c.inv.Number, Amount: p.Amount, Remaining: rem, Total: c.inv.TotalTTC}
	}
	return nil, nil
}

// newPaymentCheck reads an invoice and its payments through q (a
// transaction, so that the judgement holds when the payment is written);
// today is the civil day no payment may come after.
func (s *Store) newPaymentCheck(ctx context.Context, q sqlx.QueryerContext, invoiceID int64, today time.Time) (*paymentCheck, error) {
	var row invoiceRow
	if err := sqlx.GetContext(ctx, q, &row, s.rebind(`SELECT `+invoiceColumns+` FROM invoices WHERE id = ?`), invoiceID); err != nil {
		return nil, fmt.Errorf("read invoice #%d: %w", invoiceID, err)
	}
	payments, err := s.payments(ctx, q, invoiceID)
	if err != nil {
		return nil, err
	}
	credited, err := s.credited(ctx, q, invoiceID)
	if err != nil {
		return nil, err
	}
	return &paymentCheck{inv: row.invoice(), payments: payments, credited: credited, today: today}, nil
}

// PaymentProblem is what is wrong with a payment's own data for its invoice.
type PaymentProblem string

// Payment problems (CheckPayment).
const (
	// PaymentAmountInvalid: zero, negative or not in euros and cents.
	PaymentAmountInvalid PaymentProblem = "amount"
	// PaymentBeforeIssue: dated before the invoice was issued.
	PaymentBeforeIssue PaymentProblem = "before_issue"
	// PaymentNotPayable: a credit note, whose amount is owed to the
	// buyer, or an invoice cancelled (or not issued): nothing is owed on it.
	PaymentNotPayable PaymentProblem = "not_payable"
)

// PaymentInputError refuses a payment whose own data cannot be right for
// its invoice, whatever the books hold (CheckPayment).
type PaymentInputError struct {
	Problem   PaymentProblem
	Number    string
	Kind      invoice.Kind
	State     invoice.State
	Amount    decimal.Decimal
	PaidOn    time.Time
	IssueDate time.Time
}

// Field is the column of a payments file at fault: amount, paid_on or
// invoice_number.
func (e *PaymentInputError) Field() string {
	switch e.Problem {
	case PaymentAmountInvalid:
		return "amount"
	case PaymentBeforeIssue:
		return "paid_on"
	}
	return "invoice_number"
}

// Error implements error.
func (e *PaymentInputError) Error() string {
	switch e.Problem {
	case PaymentAmountInvalid:
		return fmt.Sprintf("%s must be a positive amount in euros and cents", e.Amount.String())
	case PaymentBeforeIssue:
		return fmt.Sprintf("%s is before invoice %s was issued (%s)", e.PaidOn.Format("02/01/2006"), e.Number, e.IssueDate.Format("02/01/2006"))
	}
	if e.Kind == invoice.KindCreditNote {
		return fmt.Sprintf("%s is a credit note: its amount is owed to the buyer, no payment is received against it", e.Number)
	}
	return fmt.Sprintf("invoice %s is %s: nothing is owed on it", e.Number, e.State)
}

// CheckPayment is the rule of a payment's own data, before the books are
// asked (judge): a positive amount in euros and cents, dated no earlier
// than its invoice, to an invoice the buyer owes (not a credit note, not
// cancelled). The importer (each line)
// and RecordPayment both call it; a *PaymentInputError says what is wrong.
func CheckPayment(inv Invoice, p Payment) error {
	switch {
	case !p.Amount.IsPositive() || !p.Amount.Equal(invoice.Round(p.Amount)):
		return &PaymentInputError{Problem: PaymentAmountInvalid, Number: inv.Number, Kind: inv.Kind, Amount: p.Amount}
	case !inv.Kind.Payable() || inv.State == invoice.StateCancelled || inv.State == invoice.StateDraft:
		return &PaymentInputError{Problem: PaymentNotPayable, Number: inv.Number, Kind: inv.Kind, State: inv.State, Amount: p.Amount}
	case invoice.CivilDay(p.PaidOn).Before(invoice.CivilDay(inv.IssueDate)):
		return &PaymentInputError{Problem: PaymentBeforeIssue, Number: inv.Number, Kind: inv.Kind, Amount: p.Amount,
			PaidOn: invoice.CivilDay(p.PaidOn), IssueDate: invoice.CivilDay(inv.IssueDate)}
	}
	return nil
}

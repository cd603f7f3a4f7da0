package worker

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// PaymentEntry is a payment a person enters by hand against one invoice: a
// postal buyer's transfer or cheque seen on the bank statement, which no
// Chorus Pro status brings.
type PaymentEntry struct {
	Number string
	PaidOn time.Time
	Amount decimal.Decimal
	// Reference is the transfer's or the cheque's number: required, as
	// nothing else tells two payments entered by hand apart.
	Reference string
	// Comment is optional, kept with the payment and in the audit trail.
	Comment string
}

// The lengths of what a person types with a payment.
const (
	MaxPaymentReference = 100
	MaxPaymentComment   = 500
)

// PaymentEntryField is the part of a PaymentEntry at fault.
type PaymentEntryField string

// The fields of a PaymentEntry checked before the books are asked.
const (
	EntryReference PaymentEntryField = "reference"
	EntryComment   PaymentEntryField = "comment"
)

// PaymentEntryError refuses an entry whose reference (missing, too long,
// not one line) or comment (too long) cannot be kept; nothing was recorded.
type PaymentEntryError struct {
	Field PaymentEntryField
	// Length is the characters given, Max the most allowed (0 when the
	// problem is not the length).
	Length, Max int
}

// Error is the French reason, what the person who typed it reads.
func (e *PaymentEntryError) Error() string {
	switch {
	case e.Field == EntryComment:
		return fmt.Sprintf("Le commentaire est trop long : %d caractères, %d au plus.", e.Length, e.Max)
	case e.Max > 0:
		return fmt.Sprintf("La référence du paiement est trop longue : %d caractères, %d au plus.", e.Length, e.Max)
	case e.Length == 0:
		return "La référence du paiement (numéro de virement ou de chèque) est obligatoire."
	}
	return "La référence du paiement tient sur une ligne, sans caractère de contrôle."
}

// PaymentEntered is what came of a payment entered by hand.
type PaymentEntered struct {
	// Invoice is the invoice as it stands after: paid when the payment
	// settled it.
	Invoice store.Invoice
	// Payment is the payment recorded, or the one the books held that
	// the entry repeats.
	Payment store.Payment
	// Repeat is true when the books held the payment already (a form sent
	// twice, or the same money imported from the bank file): nothing was
	// recorded.
	Repeat bool
	// Remaining is what remains due on the invoice after.
	Remaining decimal.Decimal
}

// EnterPayment records a payment entered by hand under the rules of every
// payment (store.CheckPayment, then the books' judgement: a repeat is
// recognised and not recorded twice, an amount above what remains due is a
// *store.OverpaymentError, a date after today a *store.FuturePaymentError),
// then moves the invoice to paid when it is settled, as the importer does.
// A reference or comment that cannot be kept is a *PaymentEntryError; an
// unknown invoice wraps store.ErrNotFound. Late-payment interest follows
// from the day's interest pass, as for an imported payment.
func (p *Pipeline) EnterPayment(ctx context.Context, e PaymentEntry, actor string) (PaymentEntered, error) {
	e.Reference, e.Comment = strings.TrimSpace(e.Reference), strings.TrimSpace(e.Comment)
	if err := checkEntryText(e.Reference, e.Comment); err != nil {
		return PaymentEntered{}, err
	}
	inv, err := p.books.InvoiceByNumber(ctx, e.Number)
	if err != nil {
		return PaymentEntered{}, fmt.Errorf("enter a payment to %s: %w", e.Number, err)
	}
	pay := store.Payment{InvoiceID: inv.ID, PaidOn: e.PaidOn, Amount: e.Amount, Source: store.PaymentDashboard,
		Reference: e.Reference, Comment: e.Comment}
	out, err := p.books.RecordPayment(ctx, pay, p.now(), actor)
	if err != nil {
		return PaymentEntered{}, fmt.Errorf("enter a payment to %s: %w", e.Number, err)
	}
	res := PaymentEntered{Payment: pay, Repeat: !out.Added}
	if out.Same != nil {
		res.Payment = *out.Same
	}
	// Asked on a repeat too: a first submission cut short between the
	// payment and the move to paid converges on the second.
	if err := p.books.MarkPaidIfSettled(ctx, inv.ID, actor, "paiement saisi au tableau de bord"); err != nil {
		return res, fmt.Errorf("mark %s paid: %w", e.Number, err)
	}
	if res.Invoice, err = p.books.InvoiceByID(ctx, inv.ID); err != nil {
		return res, fmt.Errorf("read %s again: %w", e.Number, err)
	}
	if res.Remaining, err = p.remaining(ctx, res.Invoice); err != nil {
		return res, err
	}
	return res, nil
}

// remaining is what the buyer still owes on inv: its total, less the
// credit notes for a difference and the payments received, never below zero.
func (p *Pipeline) remaining(ctx context.Context, inv store.Invoice) (decimal.Decimal, error) {
	payments, err := p.books.Payments(ctx, inv.ID)
	if err != nil {
		return decimal.Decimal{}, err
	}
	credited, err := p.books.Credited(ctx, inv.ID)
	if err != nil {
		return decimal.Decimal{}, err
	}
	left := inv.TotalTTC.Sub(credited)
	for _, pay := range payments {
		left = left.Sub(pay.Amount)
	}
	if left.IsNegative() {
		return decimal.New(0, -2), nil
	}
	return left, nil
}

// checkEntryText checks what a person typed with a payment: a reference on
// one line, both within their lengths.
func checkEntryText(reference, comment string) error {
	n := utf8.RuneCountInString(reference)
	switch {
	case n == 0:
		return &PaymentEntryError{Field: EntryReference}
	case n > MaxPaymentReference:
		return &PaymentEntryError{Field: EntryReference, Length: n, Max: MaxPaymentReference}
	case strings.ContainsFunc(reference, unicode.IsControl):
		return &PaymentEntryError{Field: EntryReference, Length: n}
	}
	if n := utf8.RuneCountInString(comment); n > MaxPaymentComment {
		return &PaymentEntryError{Field: EntryComment, Length: n, Max: MaxPaymentComment}
	}
	return nil
}

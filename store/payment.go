package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Payment is money received against an invoice.
type Payment struct {
	ID        int64           `db:"id"`
	InvoiceID int64           `db:"invoice_id"`
	PaidOn    time.Time       `db:"paid_on"`
	Amount    decimal.Decimal `db:"-"`
	Cents     int64           `db:"amount_cents"`
	Source    string          `db:"source"`
	Reference string          `db:"reference"`
	// Comment is what the person who entered the payment by hand said of
	// it; empty for imported and Chorus Pro payments.
	Comment   string    `db:"comment"`
	CreatedAt time.Time `db:"created_at"`
}

// Payment sources.
const (
	PaymentImported = "import"
	PaymentChorus   = "chorus"
	// PaymentDashboard is a payment entered by hand on the dashboard.
	PaymentDashboard = "dashboard"
)

// PaymentOutcome says what the books did with a payment offered to them.
type PaymentOutcome struct {
	// Added is true when the payment was recorded.
	Added bool
	// Same is the payment already held that this one repeats (SamePayment),
	// when it was not added for that reason.
	Same *Payment
}

// addPayment records p unless the books already hold it (SamePayment: the
// repeat is linked to the payment held by an audit row, not added). A
// payment dated in the future is a *FuturePaymentError, one above what
// remains due an *OverpaymentError. With settles, p.Amount is ignored and
// what remains due is recorded (Chorus Pro's MISE_EN_PAIEMENT settles the
// invoice): nothing when nothing remains.
func (s *Store) addPayment(ctx context.Context, tx *sqlx.Tx, p Payment, settles bool, today time.Time, actor string) (PaymentOutcome, error) {
	if err := s.lockInvoice(ctx, tx, p.InvoiceID); err != nil {
		return PaymentOutcome{}, err
	}
	check, err := s.newPaymentCheck(ctx, tx, p.InvoiceID, today)
	if err != nil {
		return PaymentOutcome{}, err
	}
	if settles {
		p.Amount = check.remaining()
		if !p.Amount.IsPositive() {
			if len(check.payments) == 0 {
				return PaymentOutcome{}, nil // nothing was due
			}
			// Already received in full: say so once, as for a repeat,
			// unless it is the very same line (two sweeps of Chorus Pro
			// seeing the same MISE_EN_PAIEMENT at once).
			last := check.payments[len(check.payments)-1]
			if sameLine(last, p) {
				return PaymentOutcome{Same: &last}, nil
			}
			return PaymentOutcome{Same: &last}, s.auditRepeat(ctx, tx, p, last, actor)
		}
	}
	if !settles {
		// A settlement's amount is what remains due, its date Chorus
		// Pro's: only a payment offered with its own data is checked.
		if err := CheckPayment(check.inv, p); err != nil {
			return PaymentOutcome{}, fmt.Errorf("payment to invoice %s: %w", check.inv.Number, err)
		}
	}
	same, err := check.judge(p)
	if err != nil {
		return PaymentOutcome{}, fmt.Errorf("payment of %s € on %s to invoice %s: %w", p.Amount.StringFixed(2), p.PaidOn.Format(time.DateOnly), check.inv.Number, err)
	}
	if same != nil {
		if sameLine(*same, p) {
			return PaymentOutcome{Same: same}, nil // the very same line again: nothing to say
		}
		return PaymentOutcome{Same: same}, s.auditRepeat(ctx, tx, p, *same, actor)
	}
	cents, err := toCents(p.Amount)
	if err != nil {
		return PaymentOutcome{}, err
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO payments (invoice_id, paid_on, amount_cents, source, reference, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`),
		p.InvoiceID, nullDate(p.PaidOn), cents, p.Source, p.Reference, p.Comment, s.timestamp()); err != nil {
		return PaymentOutcome{}, fmt.Errorf("record payment: %w", err)
	}
	return PaymentOutcome{Added: true}, s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "invoice", EntityID: p.InvoiceID, Action: "payment",
		Reason: p.auditReason()})
}

// auditReason is what the audit trail says of the payment: its summary,
// and the comment of whoever entered it.
func (p Payment) auditReason() string {
	reason := "paiement de " + p.Summary()
	if p.Comment != "" {
		reason += " — " + p.Comment
	}
	return reason
}

// paymentSources name the sources in the audit trail's French.
var paymentSources = map[string]string{PaymentChorus: "Chorus Pro", PaymentImported: "import", PaymentDashboard: "saisi au tableau de bord"}

// Summary is the payment as the audit trail says it, in French (the
// dashboard shows it): "1 234,56 € reçu le 13/12/2026 (Chorus Pro, réf.
// 2026-0042)".
func (p Payment) Summary() string {
	src := p.Source
	if l, ok := paymentSources[src]; ok {
		src = l
	}
	if p.Reference != "" {
		src += ", réf. " + p.Reference
	}
	return fmt.Sprintf("%s\u00a0€ reçu le %s (%s)", invoice.FormatFrench(p.Amount), p.PaidOn.Format("02/01/2006"), src)
}

// sameLine reports whether p is the very line held: same source, reference
// and day.
func sameLine(held, p Payment) bool {
	return held.Source == p.Source && held.Reference == p.Reference && held.PaidOn.Equal(invoice.CivilDay(p.PaidOn))
}

// actionPaymentRepeat is the audit action of a payment recognised as one
// already held.
const actionPaymentRepeat = "payment-repeat"

// RepeatReason is what the audit trail says of p, a repeat of the payment
// held: it is not added again.
func RepeatReason(p, held Payment) string {
	return fmt.Sprintf("paiement de %s : déjà enregistré (paiement n° %d de %s), non ajouté de nouveau", p.Summary(), held.ID, held.Summary())
}

// auditRepeat links a repeated payment to the one held, once: offering the
// same file again adds no second row.
func (s *Store) auditRepeat(ctx context.Context, tx *sqlx.Tx, p, held Payment, actor string) error {
	reason := RepeatReason(p, held)
	var n int
	if err := tx.GetContext(ctx, &n, s.rebind(`SELECT COUNT(*) FROM audit_events WHERE entity = 'invoice' AND entity_id = ? AND action = ? AND reason = ?`),
		p.InvoiceID, actionPaymentRepeat, reason); err != nil {
		return fmt.Errorf("look for repeated payment: %w", err)
	}
	if n > 0 {
		return nil
	}
	return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "invoice", EntityID: p.InvoiceID, Action: actionPaymentRepeat, Reason: reason})
}

// lockInvoice locks an invoice's row until tx ends (PostgreSQL; SQLite has
// one writer at a time), so that two payments are judged one after the other.
func (s *Store) lockInvoice(ctx context.Context, tx *sqlx.Tx, id int64) error {
	if s.dialect != Postgres {
		return nil
	}
	var got int64
	if err := tx.GetContext(ctx, &got, s.rebind(`SELECT id FROM invoices WHERE id = ? FOR UPDATE`), id); err != nil {
		return fmt.Errorf("lock invoice #%d: %w", id, err)
	}
	return nil
}

// Payments lists the payments of an invoice, oldest first.
func (s *Store) Payments(ctx context.Context, invoiceID int64) ([]Payment, error) {
	return s.payments(ctx, s.db, invoiceID)
}

func (s *Store) payments(ctx context.Context, q sqlx.QueryerContext, invoiceID int64) ([]Payment, error) {
	var out []Payment
	if err := sqlx.SelectContext(ctx, q, &out, s.rebind(`SELECT id, invoice_id, paid_on, amount_cents, source, reference, comment, created_at
		FROM payments WHERE invoice_id = ? ORDER BY paid_on, id`), invoiceID); err != nil {
		return nil, fmt.Errorf("read payments of invoice #%d: %w", invoiceID, err)
	}
	for i := range out {
		out[i].Amount = fromCents(out[i].Cents)
		out[i].PaidOn = out[i].PaidOn.UTC()
	}
	return out, nil
}

// RecordPayment records a payment in its own transaction, under the rules of
// every payment (SamePayment, no overpayment, no date after the Paris day of
// now — the caller's civil clock); a repeat is linked, not added.
func (s *Store) RecordPayment(ctx context.Context, p Payment, now time.Time, actor string) (out PaymentOutcome, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		out, err = s.addPayment(ctx, tx, p, false, CivilDayInParis(now), actor)
		return err
	})
	return out, err
}

// RecordSettlement records that an invoice was paid in full on p.PaidOn
// (Chorus Pro's MISE_EN_PAIEMENT): a payment of what remains due, nothing if
// the books already hold the money (a bank import came first), and
// recognised as the same payment when the bank file comes after. now is the
// caller's civil clock, as for RecordPayment.
func (s *Store) RecordSettlement(ctx context.Context, p Payment, now time.Time, actor string) (out PaymentOutcome, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		out, err = s.addPayment(ctx, tx, p, true, CivilDayInParis(now), actor)
		return err
	})
	return out, err
}

// MarkPaidIfSettled moves an invoice paid in full to paid, where its state
// allows it (delivered, postal…), with why in the audit trail; one still
// being delivered keeps its state. Every path that records payments (the
// importer, a payment entered by hand) calls it after.
func (s *Store) MarkPaidIfSettled(ctx context.Context, id int64, actor, why string) error {
	inv, err := s.InvoiceByID(ctx, id)
	if err != nil {
		return err
	}
	if !inv.State.CanTransition(invoice.StatePaid) {
		return nil
	}
	payments, err := s.Payments(ctx, id)
	if err != nil {
		return err
	}
	paid := fromCents(0)
	var last time.Time
	for _, p := range payments {
		paid = paid.Add(p.Amount)
		if p.PaidOn.After(last) {
			last = p.PaidOn
		}
	}
	credited, err := s.Credited(ctx, id)
	if err != nil {
		return err
	}
	if paid.Add(credited).LessThan(inv.TotalTTC) {
		return nil
	}
	_, err = s.Apply(ctx, id, inv.State, Change{To: invoice.StatePaid, PaidOn: &last, Actor: actor, Reason: why})
	var stale *StaleStateError
	if errors.As(err, &stale) {
		return nil
	}
	return err
}

// LatePayment is a payment received after its invoice's due date.
type LatePayment struct {
	InvoiceID int64     `db:"invoice_id"`
	PaymentID int64     `db:"payment_id"`
	PaidOn    time.Time `db:"paid_on"`
	Cents     int64     `db:"amount_cents"`
	DueDate   time.Time `db:"due_date"`
	// BaseCents is what interest is charged on: the payment, but never more
	// than what remained due on the invoice when it came (the payments
	// before it, by date, deducted) — a sum received twice or too much
	// feeds no interest.
	BaseCents int64 `db:"-"`
	// IndemnityBilled is true when an interest invoice for the same
	// invoice already carries the recovery indemnity, owed once per invoice.
	IndemnityBilled bool `db:"indemnity_billed"`
}

// Base is BaseCents in euros.
func (lp LatePayment) Base() decimal.Decimal { return fromCents(lp.BaseCents) }

// indemnityBilledSQL tells whether an interest invoice (not cancelled) for
// the invoice whose id is given as %s carries the recovery indemnity.
const indemnityBilledSQL = `EXISTS (SELECT 1 FROM invoices x JOIN payments q ON q.id = x.interest_payment_id
		JOIN invoice_lines l ON l.invoice_id = x.id
		WHERE q.invoice_id = %s AND l.code = '` + invoice.LineCodeIndemnity + `' AND x.` + notCancelled + `)`

// LatePaymentsWithoutInterest lists the late payments of invoices whose kind
// bears interest (invoice.InterestBearingKinds) that no interest invoice bills
// yet, with the base interest is charged on; a payment with nothing left due
// under it (a repeat recorded before the books recognised repeats) is left out.
func (s *Store) LatePaymentsWithoutInterest(ctx context.Context) ([]LatePayment, error) {
	var rows []struct {
		LatePayment
		Total    int64 `db:"total_ttc_cents"`
		Credited int64 `db:"credited_cents"`
		Before   int64 `db:"before_cents"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT p.invoice_id, p.id AS payment_id, p.paid_on, p.amount_cents, i.due_date, i.total_ttc_cents,
		(`+strings.Replace(creditedSQL, "original_invoice_id = ?", "original_invoice_id = p.invoice_id", 1)+`) AS credited_cents,
		(SELECT COALESCE(SUM(b.amount_cents), 0) FROM payments b WHERE b.invoice_id = p.invoice_id
			AND (b.paid_on < p.paid_on OR (b.paid_on = p.paid_on AND b.id < p.id))) AS before_cents,
		`+fmt.Sprintf(indemnityBilledSQL, "p.invoice_id")+` AS indemnity_billed
		FROM payments p JOIN invoices i ON i.id = p.invoice_id
		WHERE p.paid_on > i.due_date AND i.kind IN (`+sqlList(invoice.InterestBearingKinds())+`)
		  AND NOT EXISTS (SELECT 1 FROM invoices x WHERE x.interest_payment_id = p.id)
		ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("late payments: %w", err)
	}
	out := make([]LatePayment, 0, len(rows))
	for _, r := range rows {
		lp := r.LatePayment
		lp.PaidOn, lp.DueDate = lp.PaidOn.UTC(), lp.DueDate.UTC()
		lp.BaseCents = min(lp.Cents, max(r.Total-r.Credited-r.Before, 0))
		if lp.BaseCents > 0 {
			out = append(out, lp)
		}
	}
	return out, nil
}

// IndemnityBilled reports whether an interest invoice for invoice id already
// carries the recovery indemnity (owed once per invoice, CCP D2192-35).
func (s *Store) IndemnityBilled(ctx context.Context, id int64) (bool, error) {
	var billed bool
	if err := s.db.GetContext(ctx, &billed, s.rebind(`SELECT `+fmt.Sprintf(indemnityBilledSQL, "?")), id); err != nil {
		return false, fmt.Errorf("indemnity billed for invoice #%d: %w", id, err)
	}
	return billed, nil
}

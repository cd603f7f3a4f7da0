package store

import (
	"context"
	"errors"
	"fmt"
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
	CreatedAt time.Time       `db:"created_at"`
}

// Payment sources.
const (
	PaymentImported = "import"
	PaymentChorus   = "chorus"
)

// addPayment records a payment unless the same one (invoice, date, amount,
// reference) is already there; it reports whether it added it.
func (s *Store) addPayment(ctx context.Context, tx *sqlx.Tx, p Payment, actor string) (bool, error) {
	cents, err := toCents(p.Amount)
	if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO payments (invoice_id, paid_on, amount_cents, source, reference, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (invoice_id, paid_on, amount_cents, reference) DO NOTHING`),
		p.InvoiceID, nullDate(p.PaidOn), cents, p.Source, p.Reference, s.timestamp())
	if err != nil {
		return false, fmt.Errorf("record payment: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	return true, s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "invoice", EntityID: p.InvoiceID, Action: "payment",
		Reason: fmt.Sprintf("%s € received on %s (%s %s)", p.Amount.StringFixed(2), p.PaidOn.Format(time.DateOnly), p.Source, p.Reference)})
}

// Payments lists the payments of an invoice, oldest first.
func (s *Store) Payments(ctx context.Context, invoiceID int64) ([]Payment, error) {
	var out []Payment
	if err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT id, invoice_id, paid_on, amount_cents, source, reference, created_at
		FROM payments WHERE invoice_id = ? ORDER BY paid_on, id`), invoiceID); err != nil {
		return nil, fmt.Errorf("read payments of invoice #%d: %w", invoiceID, err)
	}
	for i := range out {
		out[i].Amount = fromCents(out[i].Cents)
		out[i].PaidOn = out[i].PaidOn.UTC()
	}
	return out, nil
}

// RecordPayment records a payment in its own transaction; the same payment
// recorded twice is kept once. It reports whether it was added.
func (s *Store) RecordPayment(ctx context.Context, p Payment, actor string) (added bool, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		added, err = s.addPayment(ctx, tx, p, actor)
		return err
	})
	return added, err
}

// markPaidIfSettled moves an invoice paid in full to paid, where its state
// allows it (delivered, postal…); one still being delivered keeps its state.
func (s *Store) markPaidIfSettled(ctx context.Context, id int64, actor string) error {
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
	if paid.LessThan(inv.TotalTTC) {
		return nil
	}
	_, err = s.Apply(ctx, id, inv.State, Change{To: invoice.StatePaid, PaidOn: &last, Actor: actor, Reason: "paiement importé"})
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
}

// LatePaymentsWithoutInterest lists the late payments of invoices whose kind
// bears interest (invoice.InterestBearingKinds) that no interest invoice bills yet.
func (s *Store) LatePaymentsWithoutInterest(ctx context.Context) ([]LatePayment, error) {
	var out []LatePayment
	err := s.db.SelectContext(ctx, &out, `SELECT p.invoice_id, p.id AS payment_id, p.paid_on, p.amount_cents, i.due_date
		FROM payments p JOIN invoices i ON i.id = p.invoice_id
		WHERE p.paid_on > i.due_date AND i.kind IN (`+sqlList(invoice.InterestBearingKinds())+`)
		  AND NOT EXISTS (SELECT 1 FROM invoices x WHERE x.interest_payment_id = p.id)
		ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("late payments: %w", err)
	}
	for i := range out {
		out[i].PaidOn, out[i].DueDate = out[i].PaidOn.UTC(), out[i].DueDate.UTC()
	}
	return out, nil
}

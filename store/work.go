package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
)

// InvoiceRef is the little the reconciler needs to know of an invoice.
type InvoiceRef struct {
	ID           int64     `db:"id"`
	Number       string    `db:"number"`
	State        string    `db:"state"`
	ChorusStatus string    `db:"chorus_status"`
	UpdatedAt    time.Time `db:"updated_at"`
}

// InvoicesInStates lists the invoices in any of the states: the work the
// queue must hold for them is derived from the books, never from Redis.
func (s *Store) InvoicesInStates(ctx context.Context, states ...invoice.State) ([]InvoiceRef, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = string(st)
	}
	var out []InvoiceRef
	q := `SELECT id, number, state, chorus_status, updated_at FROM invoices WHERE state IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `) ORDER BY id`
	if err := s.db.SelectContext(ctx, &out, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list invoices by state: %w", err)
	}
	return out, nil
}

// StaleInvoices lists the invoices in any of the states that have not
// changed since before: the reconciler's candidates, chosen in SQL so that a
// large year costs one query, not one per invoice.
func (s *Store) StaleInvoices(ctx context.Context, before time.Time, states ...invoice.State) ([]InvoiceRef, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := []any{before.UTC()}
	for _, st := range states {
		args = append(args, string(st))
	}
	var out []InvoiceRef
	q := `SELECT id, number, state, chorus_status, updated_at FROM invoices WHERE updated_at < ? AND state IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `) ORDER BY id`
	if err := s.db.SelectContext(ctx, &out, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list stale invoices: %w", err)
	}
	return out, nil
}

// LatePayment is a payment received after its invoice's due date.
type LatePayment struct {
	InvoiceID int64     `db:"invoice_id"`
	PaymentID int64     `db:"payment_id"`
	PaidOn    time.Time `db:"paid_on"`
	Cents     int64     `db:"amount_cents"`
	DueDate   time.Time `db:"due_date"`
}

// LatePaymentsWithoutInterest lists the late payments of invoices (other than
// interest invoices and credit notes) that no interest invoice bills yet.
func (s *Store) LatePaymentsWithoutInterest(ctx context.Context) ([]LatePayment, error) {
	var out []LatePayment
	err := s.db.SelectContext(ctx, &out, `SELECT p.invoice_id, p.id AS payment_id, p.paid_on, p.amount_cents, i.due_date
		FROM payments p JOIN invoices i ON i.id = p.invoice_id
		WHERE p.paid_on > i.due_date AND i.kind IN ('contribution', 'overage')
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

// InvoiceReplacing returns the invoice that replaces another, if any.
func (s *Store) InvoiceReplacing(ctx context.Context, id int64) (Invoice, error) {
	return s.oneInvoice(ctx, "replaces_invoice_id = ?", id, fmt.Sprintf("replacing #%d", id))
}

// CreditNoteCancelling returns the credit note cancelling an invoice, if any.
func (s *Store) CreditNoteCancelling(ctx context.Context, id int64) (Invoice, error) {
	return s.oneInvoice(ctx, "cancels_invoice_id = ?", id, fmt.Sprintf("cancelling #%d", id))
}

// InterestFor returns the interest invoice billing a payment, if any.
func (s *Store) InterestFor(ctx context.Context, paymentID int64) (Invoice, error) {
	return s.oneInvoice(ctx, "interest_payment_id = ?", paymentID, fmt.Sprintf("interest of payment #%d", paymentID))
}

// ReplaceDocument stores new bytes for a document of an invoice that was
// never sent (its references changed while it waited): once an invoice left
// for Chorus Pro or the post, its documents never change.
func (s *Store) ReplaceDocument(ctx context.Context, invoiceID int64, format string, content []byte, actor string) (Document, error) {
	inv, err := s.InvoiceByID(ctx, invoiceID)
	if err != nil {
		return Document{}, err
	}
	switch inv.State {
	case invoice.StateFinalised, invoice.StateAwaitingReference:
	default:
		return Document{}, fmt.Errorf("invoice %s is %s: its documents were sent and cannot change", inv.Number, inv.State)
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM documents WHERE invoice_id = ? AND format = ?`), invoiceID, format); err != nil {
		return Document{}, fmt.Errorf("replace %s document of %s: %w", format, inv.Number, err)
	}
	return s.PutDocument(ctx, invoiceID, format, content, actor)
}

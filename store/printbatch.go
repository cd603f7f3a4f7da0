package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// A print batch is the PDF of postal invoices an operator downloaded for
// the print shop. The books keep which invoices it held, so that "mailed"
// is recorded for exactly those, and each invoice's trail says which batch
// printed it.

// PrintBatch is a print batch as kept in the books.
type PrintBatch struct {
	ID        int64     `db:"id"`
	CreatedAt time.Time `db:"created_at"`
	Actor     string    `db:"actor"`
	SHA256    string    `db:"sha256"`
	Invoices  int       `db:"invoices"`
	// Marked is how many of its invoices have an audit event of the action
	// PrintBatches was asked about (those marked mailed).
	Marked int `db:"marked"`
}

// NewPrintBatch is a batch to record: who printed it, its checksum, its
// invoices in print order, and the audit event each gets (Reason receives
// the batch's number once it has one).
type NewPrintBatch struct {
	Actor      string
	SHA256     string
	InvoiceIDs []int64
	Audit      func(batchID, invoiceID int64) AuditEvent
}

// ErrEmptyBatch is returned for a batch without invoices.
var ErrEmptyBatch = errors.New("print batch without invoices")

// RecordPrintBatch records a batch, its invoices and each one's audit
// event in one transaction, and gives the batch's number.
func (s *Store) RecordPrintBatch(ctx context.Context, b NewPrintBatch) (int64, error) {
	if len(b.InvoiceIDs) == 0 {
		return 0, ErrEmptyBatch
	}
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, s.rebind(`INSERT INTO print_batches (created_at, actor, sha256, invoices) VALUES (?, ?, ?, ?) RETURNING id`),
			s.timestamp(), b.Actor, b.SHA256, len(b.InvoiceIDs)); err != nil {
			return err
		}
		for i, inv := range b.InvoiceIDs {
			if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO print_batch_invoices (batch_id, invoice_id, position) VALUES (?, ?, ?)`), id, inv, i+1); err != nil {
				return err
			}
			if b.Audit != nil {
				if err := s.audit(ctx, tx, b.Audit(id, inv)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record print batch: %w", err)
	}
	return id, nil
}

// PrintBatchInvoices lists a batch's invoices in print order; an unknown
// batch is ErrNotFound.
func (s *Store) PrintBatchInvoices(ctx context.Context, id int64) ([]int64, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, s.rebind(`SELECT invoice_id FROM print_batch_invoices WHERE batch_id = ? ORDER BY position`), id); err != nil {
		return nil, fmt.Errorf("read print batch %d: %w", id, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("print batch %d: %w", id, ErrNotFound)
	}
	return ids, nil
}

// PrintBatches lists the latest batches, newest first, each with how many
// of its invoices have an audit event of action (e.g. marked mailed).
func (s *Store) PrintBatches(ctx context.Context, action string, limit int) ([]PrintBatch, error) {
	var out []PrintBatch
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT b.id, b.created_at, b.actor, b.sha256, b.invoices,
		(SELECT COUNT(*) FROM print_batch_invoices m WHERE m.batch_id = b.id AND EXISTS
			(SELECT 1 FROM audit_events a WHERE a.entity = 'invoice' AND a.entity_id = m.invoice_id AND a.action = ?)) AS marked
		FROM print_batches b ORDER BY b.id DESC LIMIT `+fmt.Sprint(max(limit, 1))), action)
	if err != nil {
		return nil, fmt.Errorf("list print batches: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

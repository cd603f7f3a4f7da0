package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Document is a rendering of an invoice (CII, UBL, PDF, Factur-X…), kept
// with its checksum so what was sent can be proven later.
type Document struct {
	ID        int64     `db:"id"`
	InvoiceID int64     `db:"invoice_id"`
	Format    string    `db:"format"`
	Content   []byte    `db:"content"`
	Path      string    `db:"path"`
	SHA256    string    `db:"sha256"`
	Size      int64     `db:"size"`
	CreatedAt time.Time `db:"created_at"`
}

// DocumentMismatchError means a document of that format was already stored
// with other bytes: documents are rendered once from immutable figures, so
// a difference is a bug to look at, never something to overwrite.
type DocumentMismatchError struct {
	InvoiceID int64
	Format    string
}

func (e *DocumentMismatchError) Error() string {
	return fmt.Sprintf("invoice #%d already has a different %s document", e.InvoiceID, e.Format)
}

// PutDocument stores a document of an invoice once; storing the same bytes
// again is a no-op (a repeated task), other bytes a *DocumentMismatchError.
func (s *Store) PutDocument(ctx context.Context, invoiceID int64, format string, content []byte, actor string) (Document, error) {
	sum := sha256.Sum256(content)
	d := Document{InvoiceID: invoiceID, Format: format, Content: content, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO documents (invoice_id, format, content, path, sha256, size, created_at)
			VALUES (?, ?, ?, '', ?, ?, ?) ON CONFLICT (invoice_id, format) DO NOTHING`),
			invoiceID, format, content, d.SHA256, d.Size, s.timestamp())
		if err != nil {
			return fmt.Errorf("store %s document of invoice #%d: %w", format, invoiceID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "invoice", EntityID: invoiceID, Action: "document", Reason: format + " " + d.SHA256})
		}
		return nil
	})
	if err != nil {
		return Document{}, err
	}
	stored, err := s.Document(ctx, invoiceID, format)
	if err != nil {
		return Document{}, err
	}
	if stored.SHA256 != d.SHA256 {
		return stored, &DocumentMismatchError{InvoiceID: invoiceID, Format: format}
	}
	return stored, nil
}

// Document reads one document of an invoice.
func (s *Store) Document(ctx context.Context, invoiceID int64, format string) (Document, error) {
	var d Document
	err := s.db.GetContext(ctx, &d, s.rebind(`SELECT id, invoice_id, format, content, path, sha256, size, created_at
		FROM documents WHERE invoice_id = ? AND format = ?`), invoiceID, format)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%s document of invoice #%d: %w", format, invoiceID, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("read %s document of invoice #%d: %w", format, invoiceID, err)
	}
	return d, nil
}

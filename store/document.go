package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
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

// NewDocument is a rendering to store, for PutDocuments.
type NewDocument struct {
	InvoiceID int64
	Format    string
	Content   []byte
}

// PutDocuments stores documents once each, in one transaction, as
// PutDocument does one by one: the same bytes again are a no-op, other
// bytes a *DocumentMismatchError (after the others are stored).
func (s *Store) PutDocuments(ctx context.Context, docs []NewDocument, actor string) error {
	if len(docs) == 0 {
		return nil
	}
	sums := make([]string, len(docs))
	for i, d := range docs {
		sum := sha256.Sum256(d.Content)
		sums[i] = hex.EncodeToString(sum[:])
	}
	type key struct {
		id     int64
		format string
	}
	var mismatch error
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		inserted := map[key]bool{}
		for start := 0; start < len(docs); start += batchRows {
			end := min(start+batchRows, len(docs))
			var qb strings.Builder
			qb.WriteString(`INSERT INTO documents (invoice_id, format, content, path, sha256, size, created_at) VALUES `)
			var args []any
			for i := start; i < end; i++ {
				if i > start {
					qb.WriteString(", ")
				}
				qb.WriteString("(?, ?, ?, '', ?, ?, ?)")
				d := docs[i]
				args = append(args, d.InvoiceID, d.Format, d.Content, sums[i], int64(len(d.Content)), now)
			}
			qb.WriteString(` ON CONFLICT (invoice_id, format) DO NOTHING RETURNING invoice_id, format`)
			var rows []struct {
				ID     int64  `db:"invoice_id"`
				Format string `db:"format"`
			}
			if err := tx.SelectContext(ctx, &rows, s.rebind(qb.String()), args...); err != nil {
				return fmt.Errorf("store %d documents: %w", end-start, err)
			}
			for _, r := range rows {
				inserted[key{r.ID, r.Format}] = true
			}
		}
		audit := s.newBatcher(tx, `INSERT INTO audit_events (at, actor, entity, entity_id, action, from_state, to_state, reason)`, "")
		for i, d := range docs {
			if inserted[key{d.InvoiceID, d.Format}] {
				if err := audit.add(ctx, now, actor, "invoice", d.InvoiceID, "document", "", "", d.Format+" "+sums[i]); err != nil {
					return fmt.Errorf("audit documents: %w", err)
				}
				continue
			}
			// Stored before (a repeated task): it must be the same bytes.
			var stored string
			if err := tx.GetContext(ctx, &stored, s.rebind(`SELECT sha256 FROM documents WHERE invoice_id = ? AND format = ?`), d.InvoiceID, d.Format); err != nil {
				return fmt.Errorf("read %s document of invoice #%d: %w", d.Format, d.InvoiceID, err)
			}
			if stored != sums[i] && mismatch == nil {
				mismatch = &DocumentMismatchError{InvoiceID: d.InvoiceID, Format: d.Format}
			}
		}
		return audit.flush(ctx)
	})
	if err != nil {
		return err
	}
	return mismatch
}

// DocumentFormats lists the formats stored for an invoice.
func (s *Store) DocumentFormats(ctx context.Context, invoiceID int64) (map[string]Document, error) {
	var rows []Document
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT id, invoice_id, format, path, sha256, size, created_at
		FROM documents WHERE invoice_id = ?`), invoiceID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("documents of #%d: %w", invoiceID, err)
	}
	out := make(map[string]Document, len(rows))
	for _, d := range rows {
		out[d.Format] = d
	}
	return out, nil
}

// ReplaceDocument stores new bytes for a document of an invoice that was
// never sent (its references changed while it waited): once an invoice left
// for Chorus Pro or the post, its documents never change.
func (s *Store) ReplaceDocument(ctx context.Context, invoiceID int64, format string, content []byte, actor string) (Document, error) {
	inv, err := s.InvoiceByID(ctx, invoiceID)
	if err != nil {
		return Document{}, err
	}
	if !inv.State.Unsent() {
		return Document{}, fmt.Errorf("invoice %s is %s: its documents were sent and cannot change", inv.Number, inv.State)
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM documents WHERE invoice_id = ? AND format = ?`), invoiceID, format); err != nil {
		return Document{}, fmt.Errorf("replace %s document of %s: %w", format, inv.Number, err)
	}
	return s.PutDocument(ctx, invoiceID, format, content, actor)
}

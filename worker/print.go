package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/store"
)

// ActionPrinted is the audit action of a postal invoice printed in a batch.
const ActionPrinted = "printed"

// printBooks is what printing reads and writes.
type printBooks interface {
	documentBooks
	RecordAudit(ctx context.Context, e store.AuditEvent) error
}

// PrintBatch renders the print batch of postal invoices for the print shop
// (document.RenderBatch, in the order given) and records what was printed:
// each invoice's own PDF — the one its envelope carries — is kept in the
// books with its SHA-256 (format pdf, shown on the invoice page; stored
// once, so printing again stores nothing new, and a PDF different from the
// one kept is a *store.DocumentMismatchError: nothing is printed), and the
// batch's SHA-256 goes into each invoice's audit trail.
func PrintBatch(ctx context.Context, books printBooks, is document.Issuer, invs []store.Invoice, actor string) ([]byte, error) {
	docs := make([]document.Document, 0, len(invs))
	for _, inv := range invs {
		d, err := BuildDocument(ctx, books, is, inv)
		if err != nil {
			return nil, err
		}
		pdf, err := document.Render(d, document.FormatPDF)
		if err != nil {
			return nil, fmt.Errorf("render pdf of %s: %w", inv.Number, err)
		}
		if _, err := books.PutDocument(ctx, inv.ID, document.FormatPDF, pdf, actor); err != nil {
			return nil, fmt.Errorf("print %s: %w", inv.Number, err)
		}
		docs = append(docs, d)
	}
	batch, err := document.RenderBatch(docs)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(batch)
	why := fmt.Sprintf("lot d'impression de %d facture(s), sha256 %s", len(invs), hex.EncodeToString(sum[:]))
	for _, inv := range invs {
		if err := books.RecordAudit(ctx, store.AuditEvent{Actor: actor, Entity: "invoice", EntityID: inv.ID,
			Action: ActionPrinted, From: string(inv.State), To: string(inv.State), Reason: why}); err != nil {
			return nil, fmt.Errorf("print %s: %w", inv.Number, err)
		}
	}
	return batch, nil
}

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
	RecordPrintBatch(ctx context.Context, b store.NewPrintBatch) (int64, error)
}

// Printed is a print batch: its number in the books and its PDF.
type Printed struct {
	Batch int64
	PDF   []byte
}

// PrintBatch renders the print batch of postal invoices for the print shop
// (document.RenderBatch, in the order given) and records what was printed:
// each invoice's own PDF — the one its envelope carries — is kept in the
// books with its SHA-256 (format pdf, shown on the invoice page; stored
// once, so printing again stores nothing new, and a PDF different from the
// one kept is a *store.DocumentMismatchError: nothing is printed), and the
// batch is recorded with its number, its SHA-256 and the invoices it holds
// (store.RecordPrintBatch), which goes into each invoice's audit trail: a
// batch is later marked mailed by its number (Pipeline.MarkBatchMailed).
func PrintBatch(ctx context.Context, books printBooks, is document.Issuer, invs []store.Invoice, actor string) (Printed, error) {
	docs := make([]document.Document, 0, len(invs))
	for _, inv := range invs {
		d, err := BuildDocument(ctx, books, is, inv)
		if err != nil {
			return Printed{}, err
		}
		pdf, err := document.Render(d, document.FormatPDF)
		if err != nil {
			return Printed{}, fmt.Errorf("render pdf of %s: %w", inv.Number, err)
		}
		if _, err := books.PutDocument(ctx, inv.ID, document.FormatPDF, pdf, actor); err != nil {
			return Printed{}, fmt.Errorf("print %s: %w", inv.Number, err)
		}
		docs = append(docs, d)
	}
	pdf, err := document.RenderBatch(docs)
	if err != nil {
		return Printed{}, err
	}
	sum := sha256.Sum256(pdf)
	ids := make([]int64, len(invs))
	states := make(map[int64]string, len(invs))
	for i, inv := range invs {
		ids[i], states[inv.ID] = inv.ID, string(inv.State)
	}
	id, err := books.RecordPrintBatch(ctx, store.NewPrintBatch{Actor: actor, SHA256: hex.EncodeToString(sum[:]), InvoiceIDs: ids,
		Audit: func(batch, inv int64) store.AuditEvent {
			return store.AuditEvent{Actor: actor, Entity: "invoice", EntityID: inv, Action: ActionPrinted, From: states[inv], To: states[inv],
				Reason: fmt.Sprintf("lot d'impression n° %d de %d facture(s), sha256 %s", batch, len(invs), hex.EncodeToString(sum[:]))}
		}})
	if err != nil {
		return Printed{}, fmt.Errorf("print batch: %w", err)
	}
	return Printed{Batch: id, PDF: pdf}, nil
}

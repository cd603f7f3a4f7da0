package worker

import (
	"context"
	"fmt"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// documentBooks is what rendering reads from the books.
type documentBooks interface {
	EstablishmentByID(ctx context.Context, id int64) (store.Establishment, error)
	InvoiceByID(ctx context.Context, id int64) (store.Invoice, error)
	Payments(ctx context.Context, invoiceID int64) ([]store.Payment, error)
	PutDocument(ctx context.Context, invoiceID int64, format string, content []byte, actor string) (store.Document, error)
}

// BuildDocument gathers what an invoice's documents show: the stored
// invoice as finalised, its parties as frozen then, the invoice a credit
// note corrects. Every figure and every name comes from the books as they
// were at finalisation; nothing is recomputed, and a later import of the
// establishments or change of the issuer changes no rendering. Only an
// invoice finalised before the parties were frozen (migration 0014) reads
// its buyer from the live establishment and its seller from is.
func BuildDocument(ctx context.Context, books documentBooks, is document.Issuer, inv store.Invoice) (document.Document, error) {
	var est store.Establishment
	if _, frozen, err := inv.FrozenParties(); err != nil {
		return document.Document{}, fmt.Errorf("document %s: %w", inv.Number, err)
	} else if !frozen {
		if est, err = books.EstablishmentByID(ctx, inv.EstablishmentID); err != nil {
			return document.Document{}, fmt.Errorf("document %s: %w", inv.Number, err)
		}
	}
	var orig *store.Invoice
	if inv.OriginalInvoiceID != nil {
		o, err := books.InvoiceByID(ctx, *inv.OriginalInvoiceID)
		if err != nil {
			return document.Document{}, fmt.Errorf("document %s: original invoice: %w", inv.Number, err)
		}
		orig = &o
	}
	return buildDocument(is, inv, est, orig)
}

// buildDocument is BuildDocument once the corrected invoice (for a credit
// note) is read. The parties are the invoice's frozen ones; is and est are
// read only for an invoice finalised before migration 0014 froze them,
// whose documents follow the live issuer and establishment as they always
// did (there is nothing else to render them from).
func buildDocument(is document.Issuer, inv store.Invoice, est store.Establishment, orig *store.Invoice) (document.Document, error) {
	parties, frozen, err := inv.FrozenParties()
	if err != nil {
		return document.Document{}, fmt.Errorf("document %s: %w", inv.Number, err)
	}
	if !frozen {
		parties = *partiesOf(is, est)
	}
	d := document.Document{
		Kind: inv.Kind, Number: inv.Number, IssueDate: inv.IssueDate, DueDate: inv.DueDate,
		Seller: parties.Seller, Bank: parties.Bank, Contract: parties.Contract, Convention: parties.Convention,
		Buyer:          parties.Buyer,
		BuyerReference: inv.CodeService, PurchaseOrder: inv.Engagement,
		Lines: inv.Lines, Totals: invoice.ComputeTotals(inv.Lines), Statement: inv.Statement,
		PaidAmount:        decimal.Zero,
		LatePaymentClause: document.LatePaymentClause(inv.LatePaymentRegime),
		RecoveryClause:    document.RecoveryClause(inv.LatePaymentRegime),
		DiscountClause:    document.DiscountClause(),
		SIRETScheme:       is.SIRETScheme,
	}
	// The stored totals are the truth; ComputeTotals gives the breakdown,
	// and must agree with them (Validate would say so otherwise).
	d.Totals.HT, d.Totals.VAT, d.Totals.TTC = inv.TotalHT, inv.TotalVAT, inv.TotalTTC
	if inv.PeriodStart != nil && inv.PeriodEnd != nil {
		d.PeriodStart, d.PeriodEnd = *inv.PeriodStart, *inv.PeriodEnd
	}
	days := int(inv.DueDate.Sub(inv.IssueDate).Hours() / 24)
	d.PaymentTerms = fmt.Sprintf("Paiement par virement à %d jours de la date de facture, au plus tard le %s.", days, inv.DueDate.Format("02/01/2006"))
	if inv.Kind == invoice.KindCreditNote {
		d.PaymentTerms = "Avoir à déduire : aucun paiement n'est dû."
	}
	if inv.Note != "" {
		d.Notes = append(d.Notes, inv.Note)
	}
	if orig != nil {
		d.Preceding = &document.PrecedingInvoice{Number: orig.Number, IssueDate: orig.IssueDate}
	}
	if len(inv.Statement) > 0 {
		a, err := document.StatementAttachment(d)
		if err != nil {
			return document.Document{}, err
		}
		d.Attachments = append(d.Attachments, a)
	}
	if err := d.Validate(); err != nil {
		return document.Document{}, err
	}
	return d, nil
}

// RenderAndStore renders an invoice's documents in the given formats and
// keeps them in the books with their checksums. Rendering is deterministic,
// so doing it again (a repeated task) stores nothing new, and a different
// result is reported rather than overwritten.
func RenderAndStore(ctx context.Context, books documentBooks, is document.Issuer, inv store.Invoice, formats []string, actor string) (map[string]store.Document, error) {
	d, err := BuildDocument(ctx, books, is, inv)
	if err != nil {
		return nil, err
	}
	out := map[string]store.Document{}
	for _, f := range formats {
		content, err := document.Render(d, f)
		if err != nil {
			return nil, fmt.Errorf("render %s of %s: %w", f, inv.Number, err)
		}
		doc, err := books.PutDocument(ctx, inv.ID, f, content, actor)
		if err != nil {
			return nil, err
		}
		out[f] = doc
	}
	return out, nil
}

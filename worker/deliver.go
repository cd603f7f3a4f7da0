package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// Chorus statuses chorusbill writes itself, beside Chorus Pro's own.
const (
	// statusDepositing: the intent to deposit is recorded; a deposit may
	// have reached Chorus Pro, so search before depositing again.
	statusDepositing = "DEPOT_EN_COURS"
	// statusDepositRefused: Chorus Pro refused the deposit call itself.
	statusDepositRefused = "DEPOT_REFUSE"
	// statusPaymentNotReported: the buyer never reports payment; tracking
	// stops at delivery.
	statusPaymentNotReported = "PAIEMENT_NON_REMONTE"
)

func ptr[T any](v T) *T { return &v }

// HandleDeliver delivers a finalised invoice: buyer pre-flight, then postal,
// awaiting references, or deposit on Chorus Pro.
func (p *Pipeline) HandleDeliver(ctx context.Context, t *asynq.Task) error {
	var pl InvoicePayload
	if err := decode(t, &pl); err != nil {
		return err
	}
	inv, err := p.books.InvoiceByID(ctx, pl.InvoiceID)
	if err != nil {
		return err
	}
	switch {
	case inv.State.Unsent():
		return p.preflight(ctx, inv)
	case inv.State == invoice.StateDelivering:
		return p.deposit(ctx, inv)
	}
	return nil // delivered, or in someone else's hands
}

// preflight decides the channel: a buyer not on Chorus Pro gets the postal
// PDF; a buyer whose required references are missing waits, with no call
// made; otherwise the intent to deposit is recorded and the deposit made.
func (p *Pipeline) preflight(ctx context.Context, inv store.Invoice) error {
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return err
	}
	var buyer chorus.Buyer
	if est.OnChorus {
		if buyer, err = p.buyers.get(ctx, p.chorus, est.SIRET, inv.CodeService != ""); err != nil {
			return err
		}
		if buyer.OnChorus {
			if inv, err = p.refreshReferences(ctx, inv); err != nil {
				return err
			}
			// The references may have brought a code service to check.
			if buyer, err = p.buyers.get(ctx, p.chorus, est.SIRET, inv.CodeService != ""); err != nil {
				return err
			}
		}
	}
	d := decideChannel(est, buyer, inv.CodeService, inv.Engagement)
	switch d.Channel {
	case ChannelPostal:
		return p.postal(ctx, inv, d.Reason)
	case ChannelAwaiting:
		if inv.State == invoice.StateAwaitingReference && inv.StatusReason == d.Reason.Text {
			return nil
		}
		_, err = p.books.Apply(ctx, inv.ID, inv.State, awaitingChange(d.Reason, p.actor))
		p.Metrics.Inc("awaiting_reference")
		return ignoreStale(err)
	}
	inv, err = p.books.Apply(ctx, inv.ID, inv.State, depositingChange(p.actor))
	if err != nil {
		return ignoreStale(err)
	}
	return p.depositNow(ctx, inv, buyer)
}

// refreshReferences takes the references the buyer gave for the issue year
// when the invoice lacks them (the finance team may have imported them
// since), and renders the XML again: the invoice was not sent yet.
func (p *Pipeline) refreshReferences(ctx context.Context, inv store.Invoice) (store.Invoice, error) {
	refs, err := referencesFor(ctx, p.books, inv.EstablishmentID, inv.IssueDate.Year(), inv.Year)
	if err != nil {
		return inv, err
	}
	code, eng := inv.CodeService, inv.Engagement
	if code == "" {
		code = refs.CodeService
	}
	if eng == "" {
		eng = refs.Engagement
	}
	if code == inv.CodeService && eng == inv.Engagement {
		return inv, nil
	}
	inv, err = p.books.Apply(ctx, inv.ID, inv.State, store.Change{CodeService: &code, Engagement: &eng, Actor: p.actor, Reason: "références acheteur"})
	if err != nil {
		return inv, err
	}
	return inv, p.renderCIIAgain(ctx, inv, p.actor)
}

// renderCIIAgain renders the XML to deposit again after the invoice's
// references changed (it was not sent yet), replacing the stored one.
func (p *Pipeline) renderCIIAgain(ctx context.Context, inv store.Invoice, actor string) error {
	d, err := BuildDocument(ctx, p.books, p.issuer, inv)
	if err != nil {
		return err
	}
	xml, err := document.Render(d, document.FormatCII)
	if err != nil {
		return fmt.Errorf("render cii of %s: %w", inv.Number, err)
	}
	if _, err = p.books.ReplaceDocument(ctx, inv.ID, document.FormatCII, xml, actor); err != nil {
		return fmt.Errorf("store cii of %s: %w", inv.Number, err)
	}
	return nil
}

// postal sends the invoice by post: it joins the print batch, whose PDF is
// rendered when the finance team prints it (rendering is deterministic from
// the finalised figures, and a PDF costs ≈10 ms of CPU: issue 8's profile
// found postal PDFs rendered on the hot path took a fifth of the worker).
func (p *Pipeline) postal(ctx context.Context, inv store.Invoice, why Reason) error {
	_, err := p.books.Apply(ctx, inv.ID, inv.State, postalChange(why, p.actor))
	p.Metrics.Inc("postal")
	return ignoreStale(err)
}

func postalChange(why Reason, actor string) store.Change {
	return store.Change{To: invoice.StatePostal, Channel: ptr("postal"), StatusReason: ptr(why.Text), Actor: actor, Reason: why.Text}
}

// depositingChange records the intent to deposit, before the call.
func depositingChange(actor string) store.Change {
	return store.Change{To: invoice.StateDelivering, Channel: ptr("chorus"), ChorusStatus: ptr(statusDepositing),
		StatusReason: ptr(""), Actor: actor, Reason: "dépôt sur Chorus Pro"}
}

// depositedChange records a deposit Chorus Pro acknowledged.
func depositedChange(flow, why, actor string) store.Change {
	return store.Change{To: invoice.StateDeposited, ChorusFlowNumber: &flow, ChorusStatus: ptr(string(chorus.EtatFluxDeposeEnAttente)),
		Actor: actor, Reason: why}
}

// depositRefusedChange records a deposit Chorus Pro refused outright.
func depositRefusedChange(err error, actor string) store.Change {
	return store.Change{To: invoice.StateRejected, ChorusStatus: ptr(statusDepositRefused), StatusReason: ptr(err.Error()),
		Actor: actor, Reason: err.Error()}
}

// awaitingChange parks an invoice until the buyer's references are known;
// the status reason is the French text of why.
func awaitingChange(why Reason, actor string) store.Change {
	return store.Change{To: invoice.StateAwaitingReference, StatusReason: ptr(why.Text), Actor: actor, Reason: why.Text}
}

// deposit resumes a delivery whose intent was recorded: a previous attempt
// may have reached Chorus Pro, so look for the number first.
func (p *Pipeline) deposit(ctx context.Context, inv store.Invoice) error {
	if inv.ChorusStatus == statusDepositing {
		found, err := p.chorus.FindInvoices(ctx, chorus.SearchCriteria{Number: inv.Number})
		if err != nil {
			return err
		}
		for _, f := range found {
			if f.NumeroFacture == inv.Number {
				p.Metrics.Inc("reconciled")
				return p.deposited(ctx, inv, f.NumeroFluxDepot, "déjà déposée (rapprochement)")
			}
		}
	}
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return err
	}
	buyer, err := p.buyers.get(ctx, p.chorus, est.SIRET, false)
	if err != nil {
		return err
	}
	if inv.ChorusStatus != statusDepositing {
		if inv, err = p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(statusDepositing), Actor: p.actor, Reason: "nouveau dépôt"}); err != nil {
			return ignoreStale(err)
		}
	}
	return p.depositNow(ctx, inv, buyer)
}

// depositNow deposits the stored XML. An uncertain or transient failure is
// returned for asynq to retry: the next attempt searches first.
func (p *Pipeline) depositNow(ctx context.Context, inv store.Invoice, buyer chorus.Buyer) error {
	doc, err := p.books.Document(ctx, inv.ID, document.FormatCII)
	if errors.Is(err, store.ErrNotFound) {
		docs, rerr := RenderAndStore(ctx, p.books, p.issuer, inv, []string{document.FormatCII}, p.actor)
		if rerr != nil {
			return rerr
		}
		doc, err = docs[document.FormatCII], nil
	}
	if err != nil {
		return err
	}
	res, err := p.chorus.Deposit(ctx, chorus.Deposit{Filename: inv.Number + ".xml", Content: doc.Content, Syntax: p.cfg.Syntax})
	p.Metrics.Inc("deposit_calls")
	switch depositOutcome(err) {
	case depositRefused:
		_, aerr := p.books.Apply(ctx, inv.ID, invoice.StateDelivering, depositRefusedChange(err, p.actor))
		return ignoreStale(aerr)
	case depositRetry:
		return err // asynq retries; the next attempt searches first
	}
	if buyer.PaymentNotReported {
		p.Metrics.Inc("payment_not_reported")
	}
	return p.deposited(ctx, inv, res.FlowNumber, "flux déposé")
}

func (p *Pipeline) deposited(ctx context.Context, inv store.Invoice, flow, why string) error {
	inv, err := p.books.Apply(ctx, inv.ID, invoice.StateDelivering, depositedChange(flow, why, p.actor))
	if err != nil {
		return ignoreStale(err)
	}
	p.Metrics.Inc("deposited")
	return p.EnqueueTrack(ctx, inv.ID, 0, "")
}

// ignoreStale drops the error of a change someone else made first: the
// invoice has moved on, which is what this handler wanted to find out.
func ignoreStale(err error) error {
	var stale *store.StaleStateError
	if errors.As(err, &stale) {
		return nil
	}
	return err
}

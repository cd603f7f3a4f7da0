package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	// statusVerifying: Chorus Pro refused the deposit in its answer, which
	// it may nevertheless have applied: searched for, with backoff, before
	// anything is concluded.
	statusVerifying = "DEPOT_A_VERIFIER"
	// statusDepositRefused: Chorus Pro refused the deposit call itself.
	statusDepositRefused = "DEPOT_REFUSE"
)

// StatusPaused is the Chorus status of an invoice not sent because
// deliveries are paused (store.Pause); it is deposited when they resume.
const StatusPaused = "DEPOT_SUSPENDU"

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
	var entry buyerEntry
	if est.OnChorus {
		if entry, err = p.buyers.get(ctx, p.chorus, est.SIRET, inv.CodeService, inv.Engagement); err != nil {
			return p.lookupFailed(ctx, err)
		}
		if entry.Buyer.OnChorus {
			if inv, err = p.refreshReferences(ctx, inv); err != nil {
				return err
			}
			// The references may now name a service: its rules are needed.
			if entry, err = p.buyers.get(ctx, p.chorus, est.SIRET, inv.CodeService, inv.Engagement); err != nil {
				return p.lookupFailed(ctx, err)
			}
		}
	}
	buyer := entry.Buyer
	d := decideChannelFor(est, entry, inv.CodeService, inv.Engagement)
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

// renderCIIAgain renders the XML to deposit (and the Factur-X PDF, when
// that is what is deposited) again after the invoice's references changed
// (it was not sent yet), replacing the stored ones.
func (p *Pipeline) renderCIIAgain(ctx context.Context, inv store.Invoice, actor string) error {
	d, err := BuildDocument(ctx, p.books, p.issuer, inv)
	if err != nil {
		return err
	}
	formats := []string{document.FormatCII}
	if f, _ := p.cfg.depositFormat(); f != document.FormatCII {
		formats = append(formats, f)
	}
	for _, f := range formats {
		content, err := document.Render(d, f)
		if err != nil {
			return fmt.Errorf("render %s of %s: %w", f, inv.Number, err)
		}
		if _, err = p.books.ReplaceDocument(ctx, inv.ID, f, content, actor); err != nil {
			return fmt.Errorf("store %s of %s: %w", f, inv.Number, err)
		}
	}
	return nil
}

// depositFormat is the document deposited for the configured syntax, and
// its file name's extension: the CII XML (E1, the default), or the
// Factur-X PDF with the same CII embedded (E2), which buyers read as a PDF
// on Chorus Pro.
func (c Config) depositFormat() (format, ext string) {
	if c.Syntax == chorus.SyntaxeFacturX {
		return document.FormatFacturX, ".pdf"
	}
	return document.FormatCII, ".xml"
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

// depositedChange records a deposit Chorus Pro acknowledged; a buyer that
// does not report payment is said so in the status reason.
func depositedChange(flow, why, actor string, buyer chorus.Buyer) store.Change {
	reason := ""
	if buyer.PaymentNotReported {
		reason = reasonPaymentNotReported
	}
	return store.Change{To: invoice.StateDeposited, ChorusFlowNumber: &flow, ChorusStatus: ptr(string(chorus.EtatFluxDeposeEnAttente)),
		StatusReason: &reason, Actor: actor, Reason: why}
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

// deposit resumes a delivery whose intent was recorded. A deposit that may
// have reached Chorus Pro (an answer lost, or refused although applied) is
// searched for first, and searched again with backoff before anything is
// concluded: the search lags the deposit, and a number deposited twice is
// refused the second time.
func (p *Pipeline) deposit(ctx context.Context, inv store.Invoice) error {
	if inv.ChorusStatus == statusDepositing || inv.ChorusStatus == statusVerifying {
		found, err := p.chorus.FindInvoices(ctx, chorus.SearchCriteria{Number: inv.Number})
		if err != nil {
			return err
		}
		if f, ok := byNumber(found, inv.Number); ok {
			p.Metrics.Inc("reconciled")
			return p.adopt(ctx, inv, f, "déjà déposée (rapprochement)")
		}
		waited := p.wall().Sub(inv.UpdatedAt)
		if inv.ChorusStatus == statusVerifying {
			if waited < p.cfg.VerifyFor {
				return p.lookAgainLater(ctx, inv)
			}
			return p.concludeRefused(ctx, inv)
		}
		if waited < p.cfg.SearchLagWait {
			return p.lookAgainLater(ctx, inv)
		}
	}
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return err
	}
	buyer, err := p.buyers.buyer(ctx, p.chorus, est.SIRET)
	if err != nil {
		return p.lookupFailed(ctx, err)
	}
	if inv.ChorusStatus != statusDepositing {
		if inv, err = p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(statusDepositing), Actor: p.actor, Reason: "nouveau dépôt"}); err != nil {
			return ignoreStale(err)
		}
	}
	return p.depositNow(ctx, inv, buyer)
}

// lookAgainLater has the delivery search again in VerifyEvery.
func (p *Pipeline) lookAgainLater(ctx context.Context, inv store.Invoice) error {
	slot := max(p.cfg.VerifyEvery, time.Millisecond)
	return p.enqueue(ctx, TypeDeliver, InvoicePayload{InvoiceID: inv.ID}, fmt.Sprintf("deliver:%d:look%d", inv.ID, p.wall().UnixNano()/int64(slot)),
		asynq.ProcessIn(p.cfg.VerifyEvery), followUp())
}

// startVerify records a deposit Chorus Pro refused in its answer, which it
// may have applied all the same, and has the delivery search for it.
func (p *Pipeline) startVerify(ctx context.Context, inv store.Invoice, err error) error {
	what := "dépôt refusé"
	if chorus.IsDuplicateNumber(err) {
		what = "numéro déjà déposé"
	}
	reason := fmt.Sprintf("%s selon la réponse de Chorus Pro (%v) : recherche de la facture sur Chorus Pro avant de conclure", what, err)
	inv, aerr := p.books.Apply(ctx, inv.ID, invoice.StateDelivering, store.Change{ChorusStatus: ptr(statusVerifying), StatusReason: &reason, Actor: p.actor, Reason: reason})
	if aerr != nil {
		return ignoreStale(aerr)
	}
	p.Metrics.Inc("deposit_to_verify")
	return p.lookAgainLater(ctx, inv)
}

// concludeRefused ends a verification that never found the invoice: a
// refusal is a rejection; a number Chorus Pro says it holds but no search
// finds goes to a human.
func (p *Pipeline) concludeRefused(ctx context.Context, inv store.Invoice) error {
	if strings.HasPrefix(inv.StatusReason, "numéro déjà déposé") {
		reason := fmt.Sprintf("à vérifier sur Chorus Pro : %s ; introuvable par rechercher/fournisseur depuis %s", inv.StatusReason, p.cfg.VerifyFor)
		_, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(StatusToVerify), StatusReason: &reason, Actor: p.actor, Reason: reason})
		p.Metrics.Inc("to_verify")
		return ignoreStale(err)
	}
	reason := strings.TrimSuffix(inv.StatusReason, " : recherche de la facture sur Chorus Pro avant de conclure") +
		fmt.Sprintf(" ; introuvable sur Chorus Pro après %s de recherche", p.cfg.VerifyFor)
	_, err := p.books.Apply(ctx, inv.ID, invoice.StateDelivering, store.Change{To: invoice.StateRejected, ChorusStatus: ptr(statusDepositRefused),
		StatusReason: &reason, Actor: p.actor, Reason: reason})
	return ignoreStale(err)
}

// depositNow deposits the stored XML. An uncertain or transient failure is
// returned for asynq to retry: the next attempt searches first.
func (p *Pipeline) depositNow(ctx context.Context, inv store.Invoice, buyer chorus.Buyer) error {
	if held, err := p.holdForPause(ctx, inv); held || err != nil {
		return err
	}
	format, ext := p.cfg.depositFormat()
	doc, err := p.books.Document(ctx, inv.ID, format)
	if errors.Is(err, store.ErrNotFound) {
		docs, rerr := RenderAndStore(ctx, p.books, p.issuer, inv, []string{format}, p.actor)
		if rerr != nil {
			return rerr
		}
		doc, err = docs[format], nil
	}
	if err != nil {
		return err
	}
	callCtx, release, claimed, err := p.claimDeposit(ctx, inv.ID)
	if err != nil {
		return err
	}
	if !claimed {
		// Another delivery is depositing it: look again once it is done.
		p.Metrics.Inc("deposit_claimed_elsewhere")
		return p.lookAgainLater(ctx, inv)
	}
	defer release()
	res, err := p.chorus.Deposit(callCtx, chorus.Deposit{Filename: inv.Number + ext, Content: doc.Content, Syntax: p.cfg.Syntax})
	p.Metrics.Inc("deposit_calls")
	switch depositOutcome(err) {
	case depositRefused:
		_, aerr := p.books.Apply(ctx, inv.ID, invoice.StateDelivering, depositRefusedChange(err, p.actor))
		return ignoreStale(aerr)
	case depositVerify:
		return p.startVerify(ctx, inv, err)
	case depositPaused:
		return p.pause(ctx, []store.Invoice{inv}, err)
	case depositRetry:
		return err // asynq retries; the next attempt searches first
	}
	if err := p.resume(ctx); err != nil {
		return err
	}
	if buyer.PaymentNotReported {
		p.Metrics.Inc("payment_not_reported")
	}
	return p.deposited(ctx, inv, res.FlowNumber, "flux déposé", buyer)
}

func (p *Pipeline) deposited(ctx context.Context, inv store.Invoice, flow, why string, buyer chorus.Buyer) error {
	inv, err := p.books.Apply(ctx, inv.ID, invoice.StateDelivering, depositedChange(flow, why, p.actor, buyer))
	if err != nil {
		return ignoreStale(err)
	}
	p.Metrics.Inc("deposited")
	if err := p.EnqueueSweep(ctx, p.cfg.SweepSoon); err != nil {
		return err
	}
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

package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// The actions the finance team takes on invoices, from the dashboard or the
// command line: Resubmit (resubmit.go), FillReferences and MarkMailed.
// Each is the one place its rule lives; the callers translate the errors
// below for people.

// Errors the actions return (wrapped in a *StateError when the invoice's
// state is the reason).
var (
	// ErrNothingToResubmit: the invoice is in no state Resubmit acts on.
	ErrNothingToResubmit = errors.New("nothing to resubmit")
	// ErrNotAwaitingReferences: the invoice does not (or no longer) wait
	// for buyer references.
	ErrNotAwaitingReferences = errors.New("not awaiting references")
	// ErrNotSuspended: documents can be attached only to a SUSPENDUE
	// invoice (completer).
	ErrNotSuspended = errors.New("not suspended: nothing to attach documents to")
	// ErrNotPostal: the invoice is not sent by post.
	ErrNotPostal = errors.New("not a postal invoice")
	// ErrDirectoryUnavailable: Chorus Pro's directory did not answer;
	// nothing was recorded.
	ErrDirectoryUnavailable = errors.New("chorus pro directory unavailable")
)

// NotRedeliveredError is an action recorded whose delivery could not be
// started again; Err says why.
type NotRedeliveredError struct{ Err error }

func (e *NotRedeliveredError) Error() string {
	return "recorded, but the delivery was not restarted: " + e.Err.Error()
}

func (e *NotRedeliveredError) Unwrap() error { return e.Err }

// StateError is an action refused because of the invoice's state.
type StateError struct {
	Number       string
	State        invoice.State
	ChorusStatus string
	// Err is why: ErrNothingToResubmit, ErrNotAwaitingReferences or
	// ErrNotPostal.
	Err error
}

func (e *StateError) Error() string {
	if e.ChorusStatus != "" {
		return fmt.Sprintf("invoice %s is %s (%s): %v", e.Number, e.State, e.ChorusStatus, e.Err)
	}
	return fmt.Sprintf("invoice %s is %s: %v", e.Number, e.State, e.Err)
}

func (e *StateError) Unwrap() error { return e.Err }

// ActionMailed is the audit action of a postal invoice marked mailed;
// MailedPrefix starts its reason, followed by the French date.
const (
	ActionMailed = "mailed"
	MailedPrefix = "envoyée par courrier le "
)

// SupplierActionStatuses are the Chorus Pro statuses in which the buyer
// waits for the supplier: SUSPENDUE (complete it) and A_RECYCLER (recycle
// it), what Resubmit acts on for a delivered invoice.
func SupplierActionStatuses() []string {
	return []string{string(chorus.StatutSuspendue), string(chorus.StatutARecycler)}
}

// FillReferences takes the buyer references a person gives for an invoice
// waiting for them: it checks them against what Chorus Pro's directory says
// the buyer requires (the rule deliveries follow), records them for the
// issue year and on the invoice, renders its XML again (it was never sent),
// then delivers it (a *NotRedeliveredError when that fails). References the buyer's entry refuses are a
// *ReferenceProblem, with nothing recorded; a directory that does not answer
// is ErrDirectoryUnavailable; an invoice not waiting for references is a
// *StateError (ErrNotAwaitingReferences), or a *store.StaleStateError when
// it moved on meanwhile. It says what it did.
func (p *Pipeline) FillReferences(ctx context.Context, number, codeService, engagement, actor string) (string, error) {
	if prob := referencesInput(codeService, engagement); prob != nil {
		return "", prob
	}
	inv, err := p.books.InvoiceByNumber(ctx, number)
	if err != nil {
		return "", fmt.Errorf("fill references of %s: %w", number, err)
	}
	if inv.State != invoice.StateAwaitingReference {
		return "", &StateError{Number: number, State: inv.State, Err: ErrNotAwaitingReferences}
	}
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return "", fmt.Errorf("fill references of %s: %w", number, err)
	}
	buyer, err := p.chorus.LookupBuyer(ctx, est.SIRET)
	if err == nil && codeService != "" {
		buyer, err = p.chorus.LoadServices(ctx, buyer)
	}
	if err != nil {
		return "", fmt.Errorf("%w: look up buyer %s: %w", ErrDirectoryUnavailable, est.SIRET, err)
	}
	if prob := checkReferences(buyer, codeService, engagement); prob != nil {
		return "", prob
	}
	if err := p.books.SetReferences(ctx, est.ID, inv.IssueDate.Year(), codeService, engagement, actor); err != nil {
		return "", fmt.Errorf("record references of %s: %w", est.SIRET, err)
	}
	inv, err = p.books.Apply(ctx, inv.ID, invoice.StateAwaitingReference, store.Change{CodeService: &codeService, Engagement: &engagement,
		Actor: actor, Reason: "références acheteur saisies et vérifiées auprès de Chorus Pro"})
	if err != nil {
		return "", fmt.Errorf("record references on %s: %w", number, err)
	}
	if err := p.renderCIIAgain(ctx, inv, actor); err != nil {
		return "", err
	}
	// Checked just now against a fresh directory entry: deliver without
	// asking the (cached) channel rule again, as Resubmit would.
	msg, err := p.redeliver(ctx, inv)
	if err != nil {
		return "", &NotRedeliveredError{Err: err}
	}
	return "Références vérifiées auprès de Chorus Pro et enregistrées. " + msg, nil
}

// MailedBatch is what marking a print batch mailed did: the invoices
// recorded, and those of the batch left out with why (paid or cancelled
// since it was printed, or already marked mailed).
type MailedBatch struct {
	Marked  []string
	Skipped []SkippedInvoice
}

// SkippedInvoice is an invoice of a batch left out: its state when no
// longer postal, or Mailed, the earlier mailing's audit reason.
type SkippedInvoice struct {
	Number string
	State  invoice.State
	Mailed string
}

// MarkBatchMailed records that the invoices of print batch batch went out
// on day: every one of them still postal and not yet marked mailed, all in
// one transaction — exactly the invoices the operator downloaded, never
// others. An unknown batch is store.ErrNotFound.
func (p *Pipeline) MarkBatchMailed(ctx context.Context, batch int64, day time.Time, actor string) (MailedBatch, error) {
	var out MailedBatch
	ids, err := p.books.PrintBatchInvoices(ctx, batch)
	if err != nil {
		return out, fmt.Errorf("mark batch %d mailed: %w", batch, err)
	}
	invs, err := p.books.InvoicesByIDs(ctx, ids)
	if err != nil {
		return out, fmt.Errorf("mark batch %d mailed: %w", batch, err)
	}
	mailed, err := p.books.LastAuditOf(ctx, "invoice", ActionMailed, ids)
	if err != nil {
		return out, fmt.Errorf("mark batch %d mailed: %w", batch, err)
	}
	var events []store.AuditEvent
	for _, id := range ids {
		inv, ok := invs[id]
		switch {
		case !ok:
			return out, fmt.Errorf("mark batch %d mailed: invoice #%d: %w", batch, id, store.ErrNotFound)
		case inv.State != invoice.StatePostal:
			out.Skipped = append(out.Skipped, SkippedInvoice{Number: inv.Number, State: inv.State})
		case mailed[id].ID != 0:
			out.Skipped = append(out.Skipped, SkippedInvoice{Number: inv.Number, State: inv.State, Mailed: mailed[id].Reason})
		default:
			events = append(events, store.AuditEvent{Actor: actor, Entity: "invoice", EntityID: id, Action: ActionMailed,
				From: string(inv.State), To: string(inv.State), Reason: MailedPrefix + day.Format("02/01/2006") + fmt.Sprintf(" (lot n° %d)", batch)})
			out.Marked = append(out.Marked, inv.Number)
		}
	}
	if err := p.books.RecordAudits(ctx, events); err != nil {
		return MailedBatch{}, fmt.Errorf("mark batch %d mailed: %w", batch, err)
	}
	return out, nil
}

// MarkMailed records in the audit trail that postal invoices went out on a
// day (there is no state for it: an invoice stays postal until paid). It
// stops at the first invoice that is not postal (a *StateError with
// ErrNotPostal) or not found, those before it recorded, and gives the
// numbers recorded.
func (p *Pipeline) MarkMailed(ctx context.Context, numbers []string, day time.Time, actor string) ([]string, error) {
	var done []string
	for _, n := range numbers {
		inv, err := p.books.InvoiceByNumber(ctx, n)
		if err != nil {
			return done, fmt.Errorf("mark %s mailed: %w", n, err)
		}
		if inv.State != invoice.StatePostal {
			return done, &StateError{Number: n, State: inv.State, Err: ErrNotPostal}
		}
		if err := p.books.RecordAudit(ctx, store.AuditEvent{Actor: actor, Entity: "invoice", EntityID: inv.ID,
			Action: ActionMailed, From: string(inv.State), To: string(inv.State), Reason: MailedPrefix + day.Format("02/01/2006")}); err != nil {
			return done, fmt.Errorf("mark %s mailed: %w", n, err)
		}
		done = append(done, n)
	}
	return done, nil
}

package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// ResubmitAction is what Resubmit would do with an invoice in its state.
type ResubmitAction string

// Re-submission actions.
const (
	ResubmitNone       ResubmitAction = ""
	ResubmitReferences ResubmitAction = "references" // check the references again, then deliver
	ResubmitRedeposit  ResubmitAction = "redeposit"  // the platform refused the flow: same number again
	ResubmitReplace    ResubmitAction = "replace"    // the buyer rejected it: credit note and new invoice
	ResubmitRecycle    ResubmitAction = "recycle"    // A_RECYCLER
	ResubmitComplete   ResubmitAction = "complete"   // SUSPENDUE
)

// ResubmitActionFor classifies an invoice for Resubmit; the dashboard uses
// it to say beforehand what re-submitting will do.
func ResubmitActionFor(inv store.Invoice) ResubmitAction {
	buyerRejected := inv.ChorusStatus == string(chorus.StatutRejetee) || inv.ChorusStatus == string(chorus.StatutAbandonnee)
	switch {
	case inv.State == invoice.StateAwaitingReference:
		return ResubmitReferences
	case inv.State == invoice.StateRejected && !buyerRejected:
		return ResubmitRedeposit
	case inv.ChorusStatus == StatusToVerify && (inv.State == invoice.StateDeposited || inv.State == invoice.StateDelivering):
		// A human looked on Chorus Pro and did not find it.
		return ResubmitRedeposit
	case inv.State == invoice.StateRejected:
		return ResubmitReplace
	case inv.State == invoice.StateDelivered && inv.ChorusStatus == string(chorus.StatutARecycler):
		return ResubmitRecycle
	case inv.State == invoice.StateDelivered && inv.ChorusStatus == string(chorus.StatutSuspendue):
		return ResubmitComplete
	}
	return ResubmitNone
}

// Resubmit acts on an invoice the finance team fixed, as Chorus Pro's rules
// require (chorus-pro.md §3.2):
//   - missing references, or a flow Chorus Pro rejected: deliver the same
//     invoice again (same number), with the references now in the books;
//   - REJETEE by the buyer: a credit note cancels it and a new invoice with a
//     new number replaces it, both delivered;
//   - A_RECYCLER: recycle it to the books' code service for the year (Recycle
//     takes the one the buyer asks for), refused when there is none
//     (*ServiceCodeError); SUSPENDUE: complete it.
//
// It says what it did. Doing it twice does nothing more. An invoice in no
// such state is a *StateError (ErrNothingToResubmit).
func (p *Pipeline) Resubmit(ctx context.Context, number, reason, actor string) (string, error) {
	return p.ResubmitWith(ctx, number, reason, actor, nil)
}

// ResubmitWith is Resubmit with documents to attach: a SUSPENDUE invoice
// is completed with them (transverses/v1/ajouter/fichier, then completer
// naming them), as buyers suspend invoices for a missing supporting
// document. Attachments for any other action are refused.
func (p *Pipeline) ResubmitWith(ctx context.Context, number, reason, actor string, files []chorus.Attachment) (string, error) {
	inv, err := p.books.InvoiceByNumber(ctx, number)
	if err != nil {
		return "", err
	}
	if reason == "" {
		reason = "resoumission"
	}
	action := ResubmitActionFor(inv)
	if len(files) > 0 && action != ResubmitComplete {
		return "", &StateError{Number: number, State: inv.State, ChorusStatus: inv.ChorusStatus, Err: ErrNotSuspended}
	}
	switch action {
	case ResubmitReferences:
		return p.resubmitReferences(ctx, inv)
	case ResubmitRedeposit:
		// The platform refused the flow: the same number may be deposited again.
		if _, err := p.refreshReferences(ctx, inv); err != nil {
			return "", err
		}
		// No search first (ChorusStatus empty): the flow was refused, or
		// a human found the invoice absent from Chorus Pro.
		to := invoice.StateDelivering
		if inv.State == to {
			to = ""
		}
		inv, err = p.books.Apply(ctx, inv.ID, inv.State, store.Change{To: to,
			ChorusStatus: ptr(""), StatusReason: ptr(""), Actor: actor, Reason: reason})
		if err != nil {
			return "", err
		}
		if err := p.EnqueueDeliver(ctx, inv.ID, ":resubmit:"+fmt.Sprint(inv.UpdatedAt.UnixNano())); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s : nouveau dépôt du même numéro", number), nil
	case ResubmitReplace:
		return p.replace(ctx, inv, reason, actor)
	case ResubmitRecycle:
		// Without a code given, the books' for the year: never an empty one.
		refs, err := p.books.ReferencesFor(ctx, inv.EstablishmentID, inv.IssueDate.Year())
		if err != nil {
			return "", err
		}
		return p.recycle(ctx, inv, refs.CodeService, reason, actor)
	case ResubmitComplete:
		ids := make([]int64, 0, len(files))
		names := make([]string, 0, len(files))
		for _, f := range files {
			id, err := p.chorus.AddFile(ctx, f)
			if err != nil {
				return "", fmt.Errorf("%s : pièce jointe %s : %w", number, f.Name, err)
			}
			ids, names = append(ids, id), append(names, f.Name)
		}
		if _, err := p.chorus.CompleteWith(ctx, *inv.ChorusInvoiceID, reason, ids); err != nil {
			return "", err
		}
		why := reason
		if len(names) > 0 {
			why += " (pièces jointes : " + strings.Join(names, ", ") + ")"
		}
		if _, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(string(chorus.StatutCompletee)), StatusReason: ptr(""), Actor: actor, Reason: why}); err != nil {
			return "", err
		}
		msg := fmt.Sprintf("%s : facture complétée, suivi relancé", number)
		if len(names) > 0 {
			msg = fmt.Sprintf("%s : facture complétée avec %d pièce(s) jointe(s), suivi relancé", number, len(names))
		}
		return msg, p.EnqueueTrack(ctx, inv.ID, 0, ":completed")
	}
	return "", &StateError{Number: number, State: inv.State, ChorusStatus: inv.ChorusStatus, Err: ErrNothingToResubmit}
}

// resubmitReferences delivers an invoice that waited for its buyer
// references, if the books now hold what the buyer requires: the channel
// rule is asked now, so a re-submission either starts a delivery or says
// why it cannot (a *ReferenceProblem), never answers "relaunched" for
// nothing. Each accepted re-submission enqueues its own delivery task: an
// id derived from the invoice alone would be dropped as a duplicate of the
// previous re-submission's for as long as asynq keeps it.
func (p *Pipeline) resubmitReferences(ctx context.Context, inv store.Invoice) (string, error) {
	inv, err := p.refreshReferences(ctx, inv)
	if err != nil {
		return "", err
	}
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return "", err
	}
	var entry buyerEntry
	if est.OnChorus {
		if entry, err = p.buyers.get(ctx, p.chorus, est.SIRET, inv.CodeService, inv.Engagement); err != nil {
			return "", fmt.Errorf("%s: %w: %w", inv.Number, ErrDirectoryUnavailable, err)
		}
	}
	if d := decideChannelFor(est, entry, inv.CodeService, inv.Engagement); d.Channel == ChannelAwaiting {
		return "", fmt.Errorf("%s attend toujours ses références : %w", inv.Number, d.Problem)
	}
	return p.redeliver(ctx, inv)
}

// redeliver enqueues the delivery of an invoice whose references were just
// found complete, with a task id of its own (see resubmitReferences).
func (p *Pipeline) redeliver(ctx context.Context, inv store.Invoice) (string, error) {
	if err := p.EnqueueDeliver(ctx, inv.ID, fmt.Sprintf(":resubmit:%d", p.wall().UnixNano())); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s : références vérifiées, livraison relancée", inv.Number), nil
}

// replace answers a buyer's rejection: a credit note cancelling the
// rejected invoice, then a new invoice (new number) computed from today's
// facts and references. Each step checks whether an earlier attempt did it
// already.
func (p *Pipeline) replace(ctx context.Context, inv store.Invoice, reason, actor string) (string, error) {
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return "", err
	}
	credit, err := p.books.CreditNoteCancelling(ctx, inv.ID)
	if errors.Is(err, store.ErrNotFound) {
		issue := p.now().UTC()
		d := store.Draft{
			Kind: invoice.KindCreditNote, Year: inv.Year, EstablishmentID: inv.EstablishmentID, RunID: inv.RunID,
			IssueDate: issue, DueDate: issue, PeriodStart: deref(inv.PeriodStart), PeriodEnd: deref(inv.PeriodEnd),
			Lines: inv.Lines, CodeService: inv.CodeService, Engagement: inv.Engagement,
			OriginalInvoiceID: &inv.ID, CancelsInvoiceID: &inv.ID, LatePaymentRegime: inv.LatePaymentRegime,
			Note:  fmt.Sprintf("Avoir annulant la facture %s du %s, rejetée par l'acheteur : %s", inv.Number, inv.IssueDate.Format("02/01/2006"), inv.StatusReason),
			Actor: actor,
		}
		// Neither number is taken unless both documents can be rendered:
		// a credit note without its replacement would leave the buyer
		// with nothing to pay.
		if _, err = checkRenderable(p.issuer, &d, est, &inv); err == nil {
			err = p.replacementRenderable(ctx, inv, est, actor)
		}
		if err != nil {
			return "", fmt.Errorf("replace %s: %w", inv.Number, err)
		}
		credit, _, err = p.books.Finalise(ctx, d)
	}
	if err != nil {
		return "", fmt.Errorf("credit note for %s: %w", inv.Number, err)
	}
	// The operator's comment goes in the audit trail with the cancellation.
	why := "annulée par l'avoir " + credit.Number
	if reason != "" {
		why += " — motif : " + reason
	}
	if _, err := p.books.Apply(ctx, inv.ID, invoice.StateRejected, store.Change{To: invoice.StateCancelled, Actor: actor,
		Reason: why}); ignoreStale(err) != nil {
		return "", err
	}
	repl, err := p.books.InvoiceReplacing(ctx, inv.ID)
	if errors.Is(err, store.ErrNotFound) {
		d, due, derr := p.replacementDraft(ctx, inv, actor)
		if derr != nil {
			return "", fmt.Errorf("replacement of %s: %w", inv.Number, derr)
		}
		if !due {
			if err := p.deliverNew(ctx, actor, credit.ID); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s : annulée par l'avoir %s ; rien n'est plus dû d'après les faits d'aujourd'hui, pas de facture de remplacement", inv.Number, credit.Number), nil
		}
		if _, err = checkRenderable(p.issuer, &d, est, nil); err != nil {
			return "", fmt.Errorf("replace %s: %w", inv.Number, err)
		}
		repl, _, err = p.books.Finalise(ctx, d)
	}
	if err != nil {
		return "", fmt.Errorf("replacement of %s: %w", inv.Number, err)
	}
	if err := p.deliverNew(ctx, actor, credit.ID, repl.ID); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s : annulée par l'avoir %s et remplacée par la facture %s", inv.Number, credit.Number, repl.Number), nil
}

// replacementDraft is the invoice replacing a rejected one, computed from
// today's facts (tariff, headcount, offer, dates, usage) and references,
// not copied from the rejected invoice — which the buyer would reject
// again; due is false when nothing is owed any more. Invoices not computed
// from the tariff (interest) keep their lines.
func (p *Pipeline) replacementDraft(ctx context.Context, inv store.Invoice, actor string) (d store.Draft, due bool, err error) {
	issue := invoice.CivilDay(p.now())
	refs, err := referencesFor(ctx, p.books, inv.EstablishmentID, issue.Year(), inv.Year)
	if err != nil {
		return d, false, err
	}
	if refs.CodeService == "" && refs.Engagement == "" {
		// The books hold none: keep those the invoice carried, as filled
		// in by hand, rather than drop them.
		refs = store.References{CodeService: inv.CodeService, Engagement: inv.Engagement}
	}
	switch inv.Kind {
	case invoice.KindContribution, invoice.KindOverage:
		est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
		if err != nil {
			return d, false, err
		}
		q, err := quote(ctx, p.books, p.cat, est, inv.Year, inv.Kind)
		if err != nil {
			return d, false, err
		}
		if quoteOutcome(q) != Issued {
			return d, false, nil
		}
		d = draft(est, inv.Year, inv.Kind, issue, q, refs, inv.RunID, actor)
	default:
		d = store.Draft{Kind: inv.Kind, Year: inv.Year, EstablishmentID: inv.EstablishmentID, RunID: inv.RunID,
			IssueDate: issue, DueDate: issue.Add(inv.DueDate.Sub(inv.IssueDate)), PeriodStart: deref(inv.PeriodStart), PeriodEnd: deref(inv.PeriodEnd),
			Lines: inv.Lines, Statement: inv.Statement, CodeService: refs.CodeService, Engagement: refs.Engagement,
			LatePaymentRegime: inv.LatePaymentRegime, Actor: actor}
	}
	d.ReplacesInvoiceID = &inv.ID
	d.Note = fmt.Sprintf("Remplace la facture %s du %s", inv.Number, inv.IssueDate.Format("02/01/2006"))
	return d, true, nil
}

// replacementRenderable checks the replacement of a rejected invoice can be
// rendered, unless it exists already or nothing is owed any more.
func (p *Pipeline) replacementRenderable(ctx context.Context, inv store.Invoice, est store.Establishment, actor string) error {
	_, err := p.books.InvoiceReplacing(ctx, inv.ID)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	d, due, err := p.replacementDraft(ctx, inv, actor)
	if err != nil || !due {
		return err
	}
	_, err = checkRenderable(p.issuer, &d, est, nil)
	return err
}

// deliverNew renders and hands to delivery invoices just finalised.
func (p *Pipeline) deliverNew(ctx context.Context, actor string, ids ...int64) error {
	for _, id := range ids {
		i, err := p.books.InvoiceByID(ctx, id)
		if err != nil {
			return err
		}
		if _, err := RenderAndStore(ctx, p.books, p.issuer, i, []string{document.FormatCII}, actor); err != nil {
			return err
		}
		if err := p.EnqueueDeliver(ctx, id, ""); err != nil {
			return err
		}
	}
	return nil
}

// ServiceCodeError refuses to recycle an invoice (A_RECYCLER) to a service
// code that is empty or that Chorus Pro cannot take: the buyer sent the
// invoice back to be addressed to another of its services, so an empty
// code would send it nowhere new. Nothing was sent.
type ServiceCodeError struct {
	Number string
	// Code is the code given, empty when none was.
	Code string
}

// Error is the French reason, what the finance team reads.
func (e *ServiceCodeError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("La facture %s est à recycler : le code service demandé par l'acheteur est obligatoire. Rien n'a été envoyé.", e.Number)
	}
	return fmt.Sprintf("Code service « %s » invalide : %d caractères au plus, sans espace ni caractère de contrôle. Rien n'a été envoyé.",
		e.Code, document.FieldCodeService.Max())
}

// CheckRecycleService is the rule of the service code an invoice is
// recycled to: given, within Chorus Pro's length, one word (codes such as
// SERVICE-FINANCIER or 2024_ECO have no spaces). It is nil or a
// *ServiceCodeError.
func CheckRecycleService(number, code string) error {
	if code == "" || document.FieldCodeService.Check(code) != nil || strings.ContainsFunc(code, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return &ServiceCodeError{Number: number, Code: code}
	}
	return nil
}

// ErrNotToRecycle: the invoice is not one its buyer sent back to be
// recycled (A_RECYCLER).
var ErrNotToRecycle = errors.New("not waiting to be recycled (A_RECYCLER)")

// Recycle sends an invoice its buyer sent back (A_RECYCLER) to the service
// the buyer asks for, codeService, which is required (a *ServiceCodeError
// otherwise, before anything is sent); an invoice not to recycle is a
// *StateError (ErrNotToRecycle). The code goes on the invoice; the books'
// references for the year are left as they are. It says what it did.
func (p *Pipeline) Recycle(ctx context.Context, number, codeService, reason, actor string) (string, error) {
	codeService = strings.TrimSpace(codeService)
	if err := CheckRecycleService(number, codeService); err != nil {
		return "", err
	}
	inv, err := p.books.InvoiceByNumber(ctx, number)
	if err != nil {
		return "", fmt.Errorf("recycle %s: %w", number, err)
	}
	if ResubmitActionFor(inv) != ResubmitRecycle {
		return "", &StateError{Number: number, State: inv.State, ChorusStatus: inv.ChorusStatus, Err: ErrNotToRecycle}
	}
	if reason == "" {
		reason = "resoumission"
	}
	return p.recycle(ctx, inv, codeService, reason, actor)
}

// recycle sends an A_RECYCLER invoice to the service code given (the one
// the buyer asks for, or through Resubmit the books' code for the year),
// never to an empty one (a *ServiceCodeError, nothing sent).
func (p *Pipeline) recycle(ctx context.Context, inv store.Invoice, codeService, reason, actor string) (string, error) {
	if err := CheckRecycleService(inv.Number, codeService); err != nil {
		return "", err
	}
	if inv.ChorusInvoiceID == nil {
		return "", fmt.Errorf("recycle %s: no Chorus Pro invoice id in the books", inv.Number)
	}
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return "", err
	}
	refs, err := p.books.ReferencesFor(ctx, inv.EstablishmentID, inv.IssueDate.Year())
	if err != nil {
		return "", err
	}
	req := chorus.RecyclerRequest{IdentifiantFactureCPP: *inv.ChorusInvoiceID, Commentaire: reason,
		Destinataire: chorus.DestinataireFacture{CodeDestinataire: est.SIRET, CodeServiceExecutant: codeService}}
	if refs.Engagement != "" {
		req.Reference = &chorus.ReferenceRecyclage{NumeroBonCommande: refs.Engagement}
	}
	if _, err := p.chorus.Recycle(ctx, req); err != nil {
		return "", err
	}
	if _, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(string(chorus.StatutDeposee)), StatusReason: ptr(""),
		CodeService: &codeService, Engagement: &refs.Engagement, Actor: actor, Reason: "recyclée vers le service " + codeService + " : " + reason}); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s : recyclée vers le service %s, suivi relancé", inv.Number, codeService), p.EnqueueTrack(ctx, inv.ID, 0, ":recycled")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

package worker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// StatusToVerify is the Chorus status of an invoice Chorus Pro should hold
// but no search finds: a human looks on the portal (the work list « à
// vérifier sur Chorus Pro »), and re-submits it if it is not there. The
// sweep still records it delivered if it ever appears.
const StatusToVerify = "A_VERIFIER"

// HandleTrack follows one invoice with its own calls, where the sweep
// cannot: a deposited flow's report (a flow Chorus Pro refused never
// becomes an invoice a sweep could list), and, as a slow safety net, the
// history of a delivered invoice no sweep mentioned for a long time.
func (p *Pipeline) HandleTrack(ctx context.Context, t *asynq.Task) error {
	var pl InvoicePayload
	if err := decode(t, &pl); err != nil {
		return err
	}
	inv, err := p.books.InvoiceByID(ctx, pl.InvoiceID)
	if err != nil {
		return err
	}
	var again bool
	switch inv.State {
	case invoice.StateDeposited:
		again, err = p.trackFlow(ctx, p.chorus, inv)
	case invoice.StateDelivered:
		_, err = p.trackStatus(ctx, p.chorus, inv)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	if again {
		return p.EnqueueTrack(ctx, inv.ID, pl.Attempt+1, "")
	}
	return nil
}

// trackFlow reads the flow report of a deposited invoice and acts on it. It
// reports whether to poll again.
func (p *Pipeline) trackFlow(ctx context.Context, api chorusAPI, inv store.Invoice) (bool, error) {
	if inv.ChorusStatus == StatusToVerify {
		return false, nil // in a human's hands; the sweep adopts it if it appears
	}
	r, err := api.FlowReport(ctx, inv.ChorusFlowNumber, p.cfg.Syntax)
	if err != nil {
		return false, err
	}
	return p.onFlowReport(ctx, api, inv, r)
}

// onFlowReport acts on a flow report. It reports whether to poll again.
func (p *Pipeline) onFlowReport(ctx context.Context, api chorusAPI, inv store.Invoice, r chorus.FlowReport) (bool, error) {
	if flowIntegrated(r) {
		found, err := api.FindInvoices(ctx, chorus.SearchCriteria{FlowNumber: inv.ChorusFlowNumber})
		if err != nil {
			return false, err
		}
		if f, ok := byNumber(found, inv.Number); ok {
			return false, p.adopt(ctx, inv, f, "facture intégrée par Chorus Pro")
		}
		// OCA met integrated flows whose invoice no search returns: wait a
		// bounded time, then hand it to a human.
		return p.notFoundYet(ctx, inv, string(r.State), fmt.Sprintf("flux %s intégré", inv.ChorusFlowNumber))
	}
	switch r.Outcome {
	case chorus.IssueEchec:
		if r.DuplicateNumber() {
			// Our number is already on Chorus Pro: an earlier deposit whose
			// answer was lost or wrong. It is live at the buyer: never
			// conclude it rejected; find it (the search lags the deposit).
			found, err := api.FindInvoices(ctx, chorus.SearchCriteria{Number: inv.Number})
			if err != nil {
				return false, err
			}
			if f, ok := byNumber(found, inv.Number); ok {
				p.Metrics.Inc("reconciled")
				return false, p.adopt(ctx, inv, f, "déjà déposée (rapprochement)")
			}
			return p.notFoundYet(ctx, inv, string(r.State), fmt.Sprintf("flux %s refusé : numéro déjà déposé selon Chorus Pro", inv.ChorusFlowNumber))
		}
		reason := flowErrors(r)
		_, err := p.books.Apply(ctx, inv.ID, invoice.StateDeposited, store.Change{To: invoice.StateRejected,
			ChorusStatus: ptr(string(r.State)), StatusReason: &reason, Actor: p.actor, Reason: "flux rejeté : " + reason})
		p.Metrics.Inc("flow_rejected")
		p.buyers.forget(ctx, p.books, inv.EstablishmentID) // its directory entry may be what was wrong
		return false, ignoreStale(err)
	case chorus.IssueARedeposer:
		// Demat4Dolibarr marks these states re-sendable, as a refused flow:
		// no invoice was made, the same number may be deposited again.
		reason := fmt.Sprintf("Chorus Pro n'a pas traité le flux %s (état %s) : le déposer à nouveau (chorusbill resubmit %s)", inv.ChorusFlowNumber, r.State, inv.Number)
		_, err := p.books.Apply(ctx, inv.ID, invoice.StateDeposited, store.Change{To: invoice.StateRejected,
			ChorusStatus: ptr(string(r.State)), StatusReason: &reason, Actor: p.actor, Reason: reason})
		p.Metrics.Inc("flow_to_redeposit")
		return false, ignoreStale(err)
	case chorus.IssueUnknown:
		// Not success, not pending: say so where the finance team looks,
		// and keep watching in case it moves on.
		reason := fmt.Sprintf("état de flux inconnu %q : à vérifier sur Chorus Pro", r.State)
		if inv.StatusReason != reason {
			if _, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(string(r.State)), StatusReason: &reason, Actor: p.actor, Reason: reason}); err != nil {
				return false, ignoreStale(err)
			}
		}
		return true, nil
	}
	if string(r.State) != inv.ChorusStatus {
		if _, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(string(r.State)), Actor: p.actor, Reason: "suivi du flux"}); err != nil {
			return false, ignoreStale(err)
		}
	}
	return true, nil
}

// adopt records the Chorus Pro invoice f as ours, delivered, then applies
// its status if it has moved past DEPOSEE.
func (p *Pipeline) adopt(ctx context.Context, inv store.Invoice, f chorus.FactureFournisseur, why string) error {
	delivered, err := p.books.Apply(ctx, inv.ID, inv.State, p.deliveredChange(inv, f, why, inv.State != invoice.StateDeposited))
	if err != nil {
		return ignoreStale(err)
	}
	p.Metrics.Inc("delivered")
	if f.Statut == chorus.StatutDeposee || f.Statut == "" {
		return nil
	}
	at, _ := chorusTime(f.DateHeureEtatCourant)
	_, err = p.onStatus(ctx, delivered, f.Statut, at, f.CommentaireEtatCourant)
	return err
}

// notFoundYet handles an invoice Chorus Pro should hold but no search
// finds yet: it says so in the status reason, and after
// NotFoundAfter hands it to a human (StatusToVerify, with what was tried).
// It reports whether to poll again.
func (p *Pipeline) notFoundYet(ctx context.Context, inv store.Invoice, state, what string) (bool, error) {
	if !strings.HasPrefix(inv.StatusReason, what) {
		reason := fmt.Sprintf("%s, facture pas encore trouvée par rechercher/fournisseur (première recherche le %s)", what, p.now().UTC().Format("02/01/2006 15:04"))
		_, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: &state, StatusReason: &reason, Actor: p.actor, Reason: reason})
		return err == nil, ignoreStale(err)
	}
	if p.wall().Sub(inv.UpdatedAt) < p.cfg.NotFoundAfter {
		return true, nil
	}
	reason := fmt.Sprintf("à vérifier sur Chorus Pro : %s ; facture introuvable par rechercher/fournisseur (par flux et par numéro) depuis %s ; si elle n'y est pas, la déposer à nouveau (chorusbill resubmit %s)",
		inv.StatusReason, p.cfg.NotFoundAfter, inv.Number)
	_, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(StatusToVerify), StatusReason: &reason, Actor: p.actor, Reason: reason})
	p.Metrics.Inc("to_verify")
	return false, ignoreStale(err)
}

func byNumber(found []chorus.FactureFournisseur, number string) (chorus.FactureFournisseur, bool) {
	for _, f := range found {
		if f.NumeroFacture == number {
			return f, true
		}
	}
	return chorus.FactureFournisseur{}, false
}

// trackStatus reads a delivered invoice's history and applies its current
// status. It reports whether the invoice moved.
func (p *Pipeline) trackStatus(ctx context.Context, api chorusAPI, inv store.Invoice) (bool, error) {
	if inv.ChorusInvoiceID == nil {
		return false, nil
	}
	h, err := api.History(ctx, *inv.ChorusInvoiceID)
	if err != nil {
		return false, err
	}
	st := h.StatutCourantCode
	e, _ := latestEntry(h, st)
	at, _ := chorusTime(e.HistoStatutDatePassage)
	return p.onStatus(ctx, inv, st, at, e.HistoStatutCommentaire)
}

// onStatus acts on a delivered invoice's Chorus Pro status, the moment it
// was set and the buyer's comment: the sweep and the history both call it.
// It reports whether the invoice moved.
func (p *Pipeline) onStatus(ctx context.Context, inv store.Invoice, st chorus.StatutFacture, at time.Time, comment string) (bool, error) {
	switch st.Classe() {
	case chorus.ClassePayee:
		paid := p.now().UTC()
		if !at.IsZero() {
			paid = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		}
		// What remains due, once: a bank import of the same money, before
		// or after, is recognised as this payment (store.SamePayment).
		ref := fmt.Sprintf("Chorus Pro %d", deref(inv.ChorusInvoiceID))
		if _, err := p.books.RecordSettlement(ctx, store.Payment{InvoiceID: inv.ID, PaidOn: paid, Source: store.PaymentChorus, Reference: ref}, p.now(), p.actor); err != nil {
			return false, err
		}
		_, err := p.books.Apply(ctx, inv.ID, invoice.StateDelivered, store.Change{To: invoice.StatePaid, ChorusStatus: ptr(string(st)),
			PaidOn: &paid, StatusReason: ptr(""), Actor: p.actor, Reason: "mise en paiement"})
		p.Metrics.Inc("paid")
		return err == nil, ignoreStale(err)
	case chorus.ClasseRejetee, chorus.ClasseRetiree:
		reason := fmt.Sprintf("%s par l'acheteur : %s", st, comment)
		_, err := p.books.Apply(ctx, inv.ID, invoice.StateDelivered, store.Change{To: invoice.StateRejected, ChorusStatus: ptr(string(st)),
			StatusReason: &reason, Actor: p.actor, Reason: reason})
		p.Metrics.Inc("buyer_rejected")
		return err == nil, ignoreStale(err)
	case chorus.ClasseActionFournisseur:
		action := "compléter la facture (chorusbill resubmit, pièce jointe possible)"
		if st == chorus.StatutARecycler {
			action = "corriger le destinataire et recycler (chorusbill resubmit)"
		}
		reason := fmt.Sprintf("%s : %s — action : %s", st, comment, action)
		return p.setStatus(ctx, inv, string(st), &reason)
	case chorus.ClasseInconnue:
		reason := fmt.Sprintf("statut inconnu %q : à vérifier sur Chorus Pro", st)
		return p.setStatus(ctx, inv, string(st), &reason)
	}
	return p.setStatus(ctx, inv, string(st), nil)
}

// setStatus records a status (and a reason, when not nil) that leaves the
// invoice delivered, if it differs from what the books hold.
func (p *Pipeline) setStatus(ctx context.Context, inv store.Invoice, st string, reason *string) (bool, error) {
	if st == inv.ChorusStatus && (reason == nil || *reason == inv.StatusReason) {
		return false, nil
	}
	why := "suivi de la facture"
	if reason != nil {
		why = *reason
	}
	_, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: &st, StatusReason: reason, Actor: p.actor, Reason: why})
	return err == nil, ignoreStale(err)
}

func flowErrors(r chorus.FlowReport) string {
	var parts []string
	for _, e := range r.Errors {
		parts = append(parts, e.LibelleErreurDP)
	}
	for _, e := range r.TechnicalErrors {
		parts = append(parts, e.CodeErreur+" "+e.LibelleErreur)
	}
	if len(parts) == 0 {
		return string(r.State)
	}
	return strings.Join(parts, " | ")
}

// latestEntry is the newest history entry of a status: by its date, then
// its id. Chorus Pro lists the history newest first (Pastell reads it so),
// the sandbox may list it oldest first: the order of the list is never
// relied on.
func latestEntry(h chorus.ConsulterHistoriqueResponse, st chorus.StatutFacture) (chorus.HistoStatut, bool) {
	var entries []chorus.HistoStatut
	for _, e := range h.HistoriquesDesStatuts.HistoStatut {
		if e.HistoStatutCode == st {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return chorus.HistoStatut{}, false
	}
	return slices.MaxFunc(entries, func(a, b chorus.HistoStatut) int {
		ta, _ := chorusTime(a.HistoStatutDatePassage)
		tb, _ := chorusTime(b.HistoStatutDatePassage)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return cmp.Compare(a.HistoStatutID, b.HistoStatutID)
	}), true
}

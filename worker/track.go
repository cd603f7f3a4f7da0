package worker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// HandleTrack follows a deposited invoice: the flow report until the flow
// is integrated or rejected, then the invoice's status until a terminal one.
// Each poll that finds nothing new schedules the next, further apart.
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
		again, err = p.trackFlow(ctx, inv)
	case invoice.StateDelivered:
		again, err = p.trackStatus(ctx, inv)
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

// trackFlow reads the flow report. It reports whether to poll again.
func (p *Pipeline) trackFlow(ctx context.Context, inv store.Invoice) (bool, error) {
	r, err := p.chorus.FlowReport(ctx, inv.ChorusFlowNumber, p.cfg.Syntax)
	if err != nil {
		return false, err
	}
	return p.onFlowReport(ctx, inv, r)
}

// onFlowReport acts on a flow report. It reports whether to poll again.
func (p *Pipeline) onFlowReport(ctx context.Context, inv store.Invoice, r chorus.FlowReport) (bool, error) {
	if flowIntegrated(r) {
		return p.integrated(ctx, inv, inv.ChorusFlowNumber)
	}
	switch r.Outcome {
	case chorus.IssueEchec:
		if duplicateNumber(r) {
			// Our number is already on Chorus Pro: an earlier deposit whose
			// answer was lost. Adopt that invoice rather than failing.
			found, err := p.chorus.FindInvoices(ctx, chorus.SearchCriteria{Number: inv.Number})
			if err != nil {
				return false, err
			}
			for _, f := range found {
				if f.NumeroFacture == inv.Number && f.NumeroFluxDepot != inv.ChorusFlowNumber {
					p.Metrics.Inc("reconciled")
					return p.integrated(ctx, inv, f.NumeroFluxDepot)
				}
			}
		}
		reason := flowErrors(r)
		_, err := p.books.Apply(ctx, inv.ID, invoice.StateDeposited, store.Change{To: invoice.StateRejected,
			ChorusStatus: ptr(string(r.State)), StatusReason: &reason, Actor: p.actor, Reason: "flux rejeté : " + reason})
		p.Metrics.Inc("flow_rejected")
		return false, ignoreStale(err)
	case chorus.IssueUnknown, chorus.IssueARedeposer:
		// Not success, not pending: say so where the finance team looks,
		// and keep watching in case it moves on. (A flow to deposit again
		// is shown so until a re-deposit exists.)
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

// integrated records the Chorus Pro invoice of an integrated flow. It
// reports whether to poll again.
func (p *Pipeline) integrated(ctx context.Context, inv store.Invoice, flow string) (bool, error) {
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return false, err
	}
	c, again, err := p.integratedChange(ctx, p.chorus, inv, flow, est.SIRET)
	if err != nil || c == nil {
		return again, err
	}
	if _, err = p.books.Apply(ctx, inv.ID, invoice.StateDeposited, *c); err != nil {
		return false, ignoreStale(err)
	}
	p.Metrics.Inc("delivered")
	return again, nil
}

// integratedChange finds the Chorus Pro invoice of an integrated flow and
// gives the change that makes ours delivered (nil while Chorus Pro cannot
// find it yet), and whether to poll its status afterwards.
func (p *Pipeline) integratedChange(ctx context.Context, api chorusAPI, inv store.Invoice, flow, siret string) (*store.Change, bool, error) {
	found, err := api.FindInvoices(ctx, chorus.SearchCriteria{FlowNumber: flow})
	if err != nil {
		return nil, false, err
	}
	var match *chorus.FactureFournisseur
	for i := range found {
		if found[i].NumeroFacture == inv.Number {
			match = &found[i]
		}
	}
	if match == nil {
		return nil, true, nil // integrated but not searchable yet: look again
	}
	buyer, err := p.buyers.get(ctx, api, siret, false)
	if err != nil {
		return nil, false, err
	}
	status := string(match.Statut)
	reason := ""
	if buyer.PaymentNotReported {
		status, reason = statusPaymentNotReported, "l'acheteur ne remonte pas la mise en paiement : suivi arrêté à la livraison"
	}
	id := match.IdentifiantFactureCPP
	return &store.Change{To: invoice.StateDelivered, ChorusFlowNumber: &flow, ChorusInvoiceID: &id, ChorusStatus: &status,
			StatusReason: &reason, Actor: p.actor, Reason: "facture intégrée par Chorus Pro"},
		!buyer.PaymentNotReported && inv.Kind != invoice.KindCreditNote, nil
}

// trackStatus reads the invoice's status history. It reports whether to
// poll again.
func (p *Pipeline) trackStatus(ctx context.Context, inv store.Invoice) (bool, error) {
	if inv.ChorusInvoiceID == nil || inv.ChorusStatus == statusPaymentNotReported {
		return false, nil
	}
	h, err := p.chorus.History(ctx, *inv.ChorusInvoiceID)
	if err != nil {
		return false, err
	}
	st := h.StatutCourantCode
	comment := lastComment(h, st)
	switch st.Classe() {
	case chorus.ClassePayee:
		paid := p.now().UTC()
		if d, ok := statusDate(h, st); ok {
			paid = d
		}
		// What remains due, once: a bank import of the same money, before
		// or after, is recognised as this payment (store.SamePayment).
		_, err := p.books.RecordSettlement(ctx, store.Payment{InvoiceID: inv.ID, PaidOn: paid,
			Source: store.PaymentChorus, Reference: fmt.Sprintf("Chorus Pro %d", *inv.ChorusInvoiceID)}, p.now(), p.actor)
		if err != nil {
			return false, err
		}
		_, err = p.books.Apply(ctx, inv.ID, invoice.StateDelivered, store.Change{To: invoice.StatePaid, ChorusStatus: ptr(string(st)),
			PaidOn: &paid, StatusReason: ptr(""), Actor: p.actor, Reason: "mise en paiement"})
		p.Metrics.Inc("paid")
		return false, ignoreStale(err)
	case chorus.ClasseRejetee, chorus.ClasseRetiree:
		reason := fmt.Sprintf("%s par l'acheteur : %s", st, comment)
		_, err := p.books.Apply(ctx, inv.ID, invoice.StateDelivered, store.Change{To: invoice.StateRejected, ChorusStatus: ptr(string(st)),
			StatusReason: &reason, Actor: p.actor, Reason: reason})
		p.Metrics.Inc("buyer_rejected")
		return false, ignoreStale(err)
	case chorus.ClasseActionFournisseur:
		action := "compléter la facture (chorusbill resubmit)"
		if st == chorus.StatutARecycler {
			action = "corriger le destinataire et recycler (chorusbill resubmit)"
		}
		reason := fmt.Sprintf("%s : %s — action : %s", st, comment, action)
		if string(st) != inv.ChorusStatus || reason != inv.StatusReason {
			_, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(string(st)), StatusReason: &reason, Actor: p.actor, Reason: reason})
			return false, ignoreStale(err)
		}
		return false, nil // waits for the supplier's action
	case chorus.ClasseInconnue:
		reason := fmt.Sprintf("statut inconnu %q : à vérifier sur Chorus Pro", st)
		if reason != inv.StatusReason {
			if _, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(string(st)), StatusReason: &reason, Actor: p.actor, Reason: reason}); err != nil {
				return false, ignoreStale(err)
			}
		}
		return true, nil
	}
	if string(st) != inv.ChorusStatus {
		if _, err := p.books.Apply(ctx, inv.ID, inv.State, store.Change{ChorusStatus: ptr(string(st)), Actor: p.actor, Reason: "suivi de la facture"}); err != nil {
			return false, ignoreStale(err)
		}
	}
	return true, nil
}

func duplicateNumber(r chorus.FlowReport) bool {
	for _, e := range r.Errors {
		l := strings.ToLower(e.LibelleErreurDP)
		if strings.Contains(l, "déjà") || strings.Contains(l, "deja") || strings.Contains(l, "doublon") {
			return true
		}
	}
	return false
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

func lastComment(h chorus.ConsulterHistoriqueResponse, st chorus.StatutFacture) string {
	c := ""
	for _, s := range h.HistoriquesDesStatuts.HistoStatut {
		if s.HistoStatutCode == st && s.HistoStatutCommentaire != "" {
			c = s.HistoStatutCommentaire
		}
	}
	return c
}

// statusDate is the day the invoice reached a status (histoStatutDatePassage
// "YYYY-MM-DD HH:MM" or a date-time).
func statusDate(h chorus.ConsulterHistoriqueResponse, st chorus.StatutFacture) (time.Time, bool) {
	for _, s := range h.HistoriquesDesStatuts.HistoStatut {
		if s.HistoStatutCode != st || len(s.HistoStatutDatePassage) < 10 {
			continue
		}
		if d, err := time.Parse(time.DateOnly, s.HistoStatutDatePassage[:10]); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}

package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/shopspring/decimal"
)

// The corrections work list: differences between what is owed and what is
// invoiced on invoices that have left, proposed by the worker for a human
// to confirm (worker.Pipeline.ConfirmCorrection) or dismiss
// (worker.Pipeline.DismissCorrection), with the decisions taken lately.

// decidedShown is how many decided corrections the page lists.
const decidedShown = 50

type correctionsView struct {
	Proposed []correctionRow
	Decided  []correctionRow
}

type correctionRow struct {
	store.Correction
	// DiffTTC is owed minus invoiced, TTC.
	DiffTTC decimal.Decimal
	// DecidedAt is when it was decided (zero while proposed).
	DecidedAt time.Time
	// Documents are the credit note and complementary invoice issued.
	Documents []store.Invoice
}

func (s *Server) correctionsData(r *http.Request) (correctionsView, error) {
	ctx := r.Context()
	var v correctionsView
	proposed, err := s.books.Corrections(ctx, store.CorrectionProposed)
	if err != nil {
		return v, err
	}
	for _, c := range proposed {
		v.Proposed = append(v.Proposed, correctionRow{Correction: c, DiffTTC: c.OwedTTC.Sub(c.InvoicedTTC)})
	}
	decided, err := s.books.Corrections(ctx, store.CorrectionApplied, store.CorrectionDismissed)
	if err != nil {
		return v, err
	}
	for _, c := range decided[:min(len(decided), decidedShown)] {
		row := correctionRow{Correction: c, DiffTTC: c.OwedTTC.Sub(c.InvoicedTTC)}
		if c.DecidedAt != nil {
			row.DecidedAt = *c.DecidedAt
		}
		for _, id := range []*int64{c.CreditNoteID, c.ComplementID} {
			if id == nil {
				continue
			}
			inv, err := s.books.InvoiceByID(ctx, *id)
			if err != nil {
				return v, err
			}
			row.Documents = append(row.Documents, inv)
		}
		v.Decided = append(v.Decided, row)
	}
	return v, nil
}

func (s *Server) workCorrections(w http.ResponseWriter, r *http.Request) {
	v, err := s.correctionsData(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "corrections", "Corrections à confirmer", v)
}

// decideCorrection reads the correction's id and comment of a confirm or
// dismiss form; ok false means the answer was already written.
func (s *Server) decideCorrection(w http.ResponseWriter, r *http.Request, commentRequired bool) (id int64, comment string, ok bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.renderError(w, r, http.StatusNotFound, "Correction introuvable.")
		return 0, "", false
	}
	comment = strings.TrimSpace(r.PostFormValue("commentaire"))
	long := checkLength("commentaire", comment)
	switch {
	case commentRequired && comment == "":
		s.setFlash(w, fmt.Sprintf("Correction #%d : un commentaire est requis pour l'écarter (il dit pourquoi, dans la piste d'audit).", id), true)
	case long != nil:
		s.setFlash(w, fmt.Sprintf("Correction #%d : %v", id, long), true)
	case s.cfg.Actions == nil:
		s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
		return 0, "", false
	default:
		return id, comment, true
	}
	http.Redirect(w, r, "/corrections", http.StatusSeeOther)
	return 0, "", false
}

// correctionFailed says in French why a decision was refused, or returns
// false for an unexpected failure.
func (s *Server) correctionFailed(w http.ResponseWriter, id int64, err error) bool {
	var changed *worker.CorrectionChangedError
	switch {
	case errors.As(err, &changed):
		msg := fmt.Sprintf("La correction #%d n'est plus à jour : les faits ou les factures ont changé depuis sa proposition ; rien n'a été émis.", id)
		if changed.Proposal != nil {
			msg += fmt.Sprintf(" La correction #%d la remplace : %s", changed.Proposal.ID, changed.Proposal.Reason)
		} else {
			msg += " Montant dû et montant facturé concordent désormais : plus rien à corriger."
		}
		s.setFlash(w, msg, true)
	case errors.Is(err, store.ErrCorrectionDecided):
		s.setFlash(w, fmt.Sprintf("La correction #%d a déjà été traitée (appliquée, écartée ou remplacée) : rien n'a été fait.", id), true)
	case errors.Is(err, store.ErrNotFound):
		s.setFlash(w, fmt.Sprintf("Correction #%d introuvable.", id), true)
	default:
		return false
	}
	return true
}

// confirmCorrection issues the credit note or complementary invoice a
// proposal says, through the pipeline, which re-checks today's facts and
// writes the audit rows with the user and the comment.
func (s *Server) confirmCorrection(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	id, comment, ok := s.decideCorrection(w, r, false)
	if !ok {
		return
	}
	msg, err := s.cfg.Actions.ConfirmCorrection(r.Context(), id, p.Actor(), comment)
	if err != nil && !s.correctionFailed(w, id, err) {
		s.log.Error("confirm correction", "correction", id, "user", p.User.Username, "error", err)
		s.setFlash(w, fmt.Sprintf("La confirmation de la correction #%d a échoué : %v", id, err), true)
	} else if err == nil {
		s.setFlash(w, msg, false)
	}
	http.Redirect(w, r, "/corrections", http.StatusSeeOther)
}

// dismissCorrection refuses a proposal, with the user's comment (required),
// through the pipeline, audited.
func (s *Server) dismissCorrection(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	id, comment, ok := s.decideCorrection(w, r, true)
	if !ok {
		return
	}
	msg, err := s.cfg.Actions.DismissCorrection(r.Context(), id, p.Actor(), comment)
	if err != nil && !s.correctionFailed(w, id, err) {
		s.log.Error("dismiss correction", "correction", id, "user", p.User.Username, "error", err)
		s.setFlash(w, fmt.Sprintf("La correction #%d n'a pas pu être écartée : %v", id, err), true)
	} else if err == nil {
		s.setFlash(w, msg, false)
	}
	http.Redirect(w, r, "/corrections", http.StatusSeeOther)
}

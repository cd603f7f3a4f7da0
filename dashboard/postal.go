package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// Invoices to buyers absent from Chorus Pro go by post: the postal list,
// the print batch for the print shop, and the record of when they went.

// unmailedFilter selects the postal invoices not yet marked mailed.
func unmailedFilter() store.WorkFilter {
	return store.WorkFilter{States: []invoice.State{invoice.StatePostal}, NotAudited: actionMailed}
}

// postalRows lists the postal invoices with when each was marked mailed;
// onlyUnmailed keeps those not mailed yet.
func (s *Server) postalRows(ctx context.Context, lq listQuery, onlyUnmailed bool) ([]workRow, error) {
	f := lq.filter()
	f.States = []invoice.State{invoice.StatePostal}
	rows, err := s.books.WorkList(ctx, f)
	if err != nil {
		return nil, err
	}
	mailed, err := s.books.LastAudit(ctx, "invoice", actionMailed)
	if err != nil {
		return nil, err
	}
	var out []workRow
	for _, row := range rows {
		wr := workRow{WorkRow: row, Due: row.Due()}
		if e, ok := mailed[row.ID]; ok {
			if onlyUnmailed {
				continue
			}
			wr.MailedOn = strings.TrimPrefix(e.Reason, mailedPrefix)
		}
		out = append(out, wr)
	}
	return out, nil
}

const (
	actionMailed = worker.ActionMailed
	mailedPrefix = worker.MailedPrefix
)

type postalView struct {
	workView
	Unmailed bool
}

func (s *Server) workPostal(w http.ResponseWriter, r *http.Request) {
	lq := parseListQuery(r)
	unmailed := r.URL.Query().Get("a_envoyer") == "1"
	rows, err := s.postalRows(r.Context(), lq, unmailed)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := postalView{workView: workView{Query: lq, Rows: rows, Today: s.today()}, Unmailed: unmailed}
	for _, row := range rows {
		v.Total = v.Total.Add(row.TotalTTC)
	}
	s.render(w, r, http.StatusOK, "postal", "Envois postaux", v)
}

// printBatch is the PDF of the postal invoices listed (same filter), each
// on a fresh sheet, for the print shop.
// printBatch is a POST: printing writes to the books (each PDF kept with
// its checksum, the batch's checksum in the audit trail), which a GET — a
// prefetch, a crawler, a reload — must not do.
func (s *Server) printBatch(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
		return
	}
	if err := checkLengths(r.PostForm, "q"); err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	lq := listQueryFrom(r.PostForm)
	rows, err := s.postalRows(r.Context(), lq, r.PostForm.Get("a_envoyer") == "1")
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(rows) == 0 {
		s.renderError(w, r, http.StatusNotFound, "Aucune facture à imprimer pour cette sélection.")
		return
	}
	invs := make([]store.Invoice, 0, len(rows))
	for _, row := range rows {
		inv, err := s.books.InvoiceByID(r.Context(), row.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		invs = append(invs, inv)
	}
	// Each invoice's PDF is kept with its checksum, and the batch's goes
	// in the audit trail, before the batch is handed out.
	pdf, err := worker.PrintBatch(r.Context(), s.books, s.cfg.Issuer, invs, p.Actor())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	name := "lot-impression"
	if lq.Year != 0 {
		name += "-" + strconv.Itoa(lq.Year)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.pdf"`, name, s.today().Format("2006-01-02")))
	w.Write(pdf)
}

// markMailed records in the audit trail that postal invoices went out on
// a date (there is no state for it: the invoice stays postal until paid).
func (s *Server) markMailed(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
		return
	}
	back := safeNext(r.PostForm.Get("retour"))
	if err := checkLengths(r.PostForm, "facture"); err != nil {
		s.setFlash(w, err.Error(), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	day, err := time.Parse(time.DateOnly, r.PostForm.Get("date"))
	if err != nil || day.After(s.today()) || day.Before(s.today().AddDate(-1, 0, 0)) {
		s.setFlash(w, "Date d'envoi invalide : elle doit être passée (moins d'un an) ou aujourd'hui.", true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	numbers := r.PostForm["facture"]
	if len(numbers) == 0 {
		s.setFlash(w, "Aucune facture cochée.", true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if s.cfg.Actions == nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
		return
	}
	done, err := s.cfg.Actions.MarkMailed(r.Context(), numbers, day, p.Actor())
	if errors.Is(err, worker.ErrNotPostal) || errors.Is(err, store.ErrNotFound) {
		s.setFlash(w, fmt.Sprintf("La facture %s n'est pas un envoi postal ; rien n'a été enregistré pour elle ni pour les suivantes.", numbers[len(done)]), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, fmt.Sprintf("%d facture(s) notée(s) envoyée(s) le %s : %s.", len(done), frenchDate(day), strings.Join(done, ", ")), false)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// postalFilter is the postal list's filter from URL or form values: the
// postal invoices, only those not marked mailed with a_envoyer=1.
func postalFilter(q url.Values) store.WorkFilter {
	f := listQueryFrom(q).filter()
	f.States = []invoice.State{invoice.StatePostal}
	if q.Get("a_envoyer") == "1" {
		f.NotAudited = actionMailed
	}
	return f
}

const (
	actionMailed = worker.ActionMailed
	mailedPrefix = worker.MailedPrefix
	// defaultPrintBatch bounds a print batch: a PDF the print shop can take
	// (and a request that ends). A larger selection is printed in several
	// batches, which the page says.
	defaultPrintBatch = 1000
	// recentBatches is how many print batches the postal page lists.
	recentBatches = 10
)

type postalView struct {
	workView
	Unmailed bool
	// Batches are the latest print batches, each marked mailed by its
	// number; MaxBatch is the size of a batch.
	Batches  []store.PrintBatch
	MaxBatch int
}

func (s *Server) workPostal(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := postalFilter(q)
	pr := pageFrom(q)
	pr.apply(&f)
	page, err := s.books.WorkPage(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ids := make([]int64, len(page.Rows))
	for i, row := range page.Rows {
		ids[i] = row.ID
	}
	mailed, err := s.books.LastAuditOf(r.Context(), "invoice", actionMailed, ids)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := postalView{workView: workView{Query: listQueryFrom(q), Today: s.today(), Count: page.Count, Total: page.TotalTTC,
		Page: newPageView(q, pr, page.Count, len(page.Rows))}, Unmailed: f.NotAudited != "", MaxBatch: s.cfg.PrintBatchSize}
	for _, row := range page.Rows {
		wr := workRow{WorkRow: row, Due: row.Due()}
		if e, ok := mailed[row.ID]; ok {
			wr.MailedOn = strings.TrimPrefix(e.Reason, mailedPrefix)
		}
		v.Rows = append(v.Rows, wr)
	}
	if v.Batches, err = s.books.PrintBatches(r.Context(), actionMailed, recentBatches); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "postal", "Envois postaux", v)
}

// errBatchFull stops reading a selection at a batch's size.
var errBatchFull = errors.New("print batch full")

// printBatch is the PDF of the postal invoices listed (same filter, in the
// list's order, at most Config.PrintBatchSize), each on a fresh sheet, for the
// print shop. It is a POST: printing writes to the books (each PDF kept
// with its checksum, the batch recorded with its number, its checksum and
// its invoices), which a GET — a prefetch, a crawler, a reload — must not
// do. The batch's number names the file, and marks exactly its invoices
// mailed afterwards.
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
	f := postalFilter(r.PostForm)
	var ids []int64
	err := s.books.EachWork(r.Context(), f, func(row store.WorkRow) error {
		if len(ids) == s.cfg.PrintBatchSize {
			return errBatchFull
		}
		ids = append(ids, row.ID)
		return nil
	})
	if err != nil && !errors.Is(err, errBatchFull) {
		s.serverError(w, r, err)
		return
	}
	if len(ids) == 0 {
		s.renderError(w, r, http.StatusNotFound, "Aucune facture à imprimer pour cette sélection.")
		return
	}
	invs := make([]store.Invoice, 0, len(ids))
	for _, id := range ids {
		inv, err := s.books.InvoiceByID(r.Context(), id)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		invs = append(invs, inv)
	}
	printed, err := worker.PrintBatch(r.Context(), s.books, s.cfg.Issuer, invs, p.Actor())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	name := fmt.Sprintf("lot-impression-%d", printed.Batch)
	if f.Year != 0 {
		name += "-" + strconv.Itoa(f.Year)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.pdf"`, name, s.today().Format("2006-01-02")))
	w.Write(printed.PDF)
}

// postalCSV exports the postal list (same filter, every row) in the
// columns of every invoice export, with when each invoice was marked
// mailed.
func (s *Server) postalCSV(w http.ResponseWriter, r *http.Request) {
	f := postalFilter(r.URL.Query())
	// Every mailing, read once: one IN list of every postal invoice would
	// pass PostgreSQL's 65,535 parameters on a large book.
	mailed, err := s.books.LastAudit(r.Context(), "invoice", actionMailed)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.exportWork(w, r, "envois-postaux", f, csvColumn{Header: "Envoyée", Value: func(row store.WorkRow) any {
		return strings.TrimPrefix(mailed[row.ID].Reason, mailedPrefix)
	}})
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
	if lot := r.PostForm.Get("lot"); lot != "" {
		s.markBatchMailed(w, r, lot, day, back)
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

// markBatchMailed records print batch lot as mailed on day: exactly the
// invoices it held, those paid or mailed since left out and named.
func (s *Server) markBatchMailed(w http.ResponseWriter, r *http.Request, lot string, day time.Time, back string) {
	p, _ := userFrom(r.Context())
	id, err := strconv.ParseInt(lot, 10, 64)
	if err != nil || id <= 0 {
		s.setFlash(w, "Numéro de lot invalide.", true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if s.cfg.Actions == nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
		return
	}
	res, err := s.cfg.Actions.MarkBatchMailed(r.Context(), id, day, p.Actor())
	if errors.Is(err, store.ErrNotFound) {
		s.setFlash(w, fmt.Sprintf("Le lot n° %d n'existe pas ; rien n'a été enregistré.", id), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	msg := fmt.Sprintf("Lot n° %d : %d facture(s) notée(s) envoyée(s) le %s.", id, len(res.Marked), frenchDate(day))
	if len(res.Skipped) > 0 {
		var left []string
		for _, sk := range res.Skipped {
			if sk.Mailed != "" {
				left = append(left, sk.Number+" (déjà "+sk.Mailed+")")
			} else {
				left = append(left, sk.Number+" ("+stateLabel(sk.State)+")")
			}
		}
		msg += fmt.Sprintf(" %d laissée(s) de côté : %s.", len(res.Skipped), strings.Join(left, ", "))
	}
	s.setFlash(w, msg, false)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

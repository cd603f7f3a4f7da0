package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// Bulk actions: where the work is one action repeated (depositing again
// what the platform refused, or what is absent from the portal), an
// operator selects invoices on a page of the list, sees on one
// confirmation what will be done to each, and confirms once. Each invoice
// then goes through the very path of a single re-submission (resubmitStale,
// resubmitMotif, resubmitRun), audited as it would be, and the result says
// how many succeeded and which failed, with why.

// maxBulk bounds a selection: one page of the largest size.
const maxBulk = store.MaxPageSize

// bulkList is a work list offering a bulk action.
type bulkList struct {
	// Path is the list's page; its selection posts to Path/lot.
	Path, Title string
	// Action is the one re-submission the bulk action runs: an invoice
	// whose re-submission would do something else is left aside.
	Action worker.ResubmitAction
	// Verb says the action on the buttons.
	Verb   string
	filter func() store.WorkFilter
}

// rejectedBulk re-deposits the invoices whose flow the platform refused
// (a buyer's rejection needs a credit note: one at a time).
func rejectedBulk() bulkList {
	return bulkList{Path: "/rejets", Title: "Factures rejetées", Action: worker.ResubmitRedeposit, Verb: "Déposer à nouveau", filter: rejectedFilter}
}

// toVerifyBulk re-deposits the invoices a person found absent from the
// portal.
func toVerifyBulk() bulkList {
	return bulkList{Path: "/a-verifier", Title: "À vérifier sur Chorus Pro", Action: worker.ResubmitRedeposit, Verb: "Déposer à nouveau", filter: toVerifyFilter}
}

// bulkItem is a selected invoice with what will be done to it, or why
// nothing will.
type bulkItem struct {
	store.WorkRow
	Plan string
	Skip string
}

type bulkView struct {
	List  bulkList
	Items []bulkItem
	// Ready is how many will be acted on; Missing how many selected are
	// no longer in the books.
	Ready, Missing int
	Motif, Error   string
}

// bulkSelection reads the selected invoices' ids: those ticked, or every
// one of the page when « tout sélectionner » is ticked (so that it works
// without script); a French message when the selection is unreadable,
// empty or too large.
func bulkSelection(r *http.Request) ([]int64, string) {
	vals := r.PostForm["facture"]
	if r.PostFormValue("tout") == "page" {
		vals = r.PostForm["sur_la_page"]
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, v := range vals {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, "Sélection illisible : rien n'a été fait."
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, "Aucune facture sélectionnée : cochez les factures à traiter."
	case len(ids) > maxBulk:
		return nil, fmt.Sprintf("Sélection trop grande : %d factures, %d au plus (une page). Rien n'a été fait.", len(ids), maxBulk)
	}
	return ids, ""
}

// bulkItems reads the selected invoices and says what will be done to
// each: an invoice no longer in the list, or whose re-submission is not
// the list's action, is left aside with why.
func (s *Server) bulkItems(ctx context.Context, l bulkList, ids []int64) (bulkView, error) {
	v := bulkView{List: l}
	rows, err := s.books.WorkList(ctx, store.WorkFilter{IDs: ids})
	if err != nil {
		return v, fmt.Errorf("read the selection: %w", err)
	}
	f := l.filter()
	f.IDs = ids
	listed, err := s.books.WorkList(ctx, f)
	if err != nil {
		return v, fmt.Errorf("read the selection in its list: %w", err)
	}
	inList := map[int64]bool{}
	for _, r := range listed {
		inList[r.ID] = true
	}
	v.Missing = len(ids) - len(rows)
	for _, row := range rows {
		it := bulkItem{WorkRow: row}
		plan, ok := resubmitPlan(row.Invoice)
		switch {
		case !inList[row.ID]:
			it.Skip = fmt.Sprintf("n'est plus dans la liste « %s » (%s)", l.Title, stateLabel(row.State))
		case !ok || worker.ResubmitActionFor(row.Invoice) != l.Action:
			it.Skip = "se traite une par une, depuis sa page"
		default:
			it.Plan = plan
			v.Ready++
		}
		v.Items = append(v.Items, it)
	}
	return v, nil
}

// bulkConfirm shows what the bulk action will do to each invoice selected;
// nothing changes yet.
func (s *Server) bulkConfirm(l bulkList) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
			return
		}
		ids, problem := bulkSelection(r)
		if problem != "" {
			s.setFlash(w, problem, true)
			http.Redirect(w, r, l.Path, http.StatusSeeOther)
			return
		}
		v, err := s.bulkItems(r.Context(), l, ids)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "bulk", l.Verb+" : "+l.Title, v)
	}
}

// bulkRun runs the confirmed bulk action: each invoice as a single
// re-submission would be, one after the other, and says how many
// succeeded and which failed, with why.
func (s *Server) bulkRun(l bulkList) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := userFrom(r.Context())
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
			return
		}
		ids, problem := bulkSelection(r)
		if problem == "" && r.PostFormValue("confirmer") != "oui" {
			problem = "Action non confirmée : rien n'a été fait."
		}
		if problem != "" {
			s.setFlash(w, problem, true)
			http.Redirect(w, r, l.Path, http.StatusSeeOther)
			return
		}
		v, err := s.bulkItems(r.Context(), l, ids)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		typed := strings.TrimSpace(r.PostFormValue("motif"))
		reason, problem := resubmitMotif(typed)
		if problem != "" {
			v.Motif, v.Error = typed, problem
			s.render(w, r, http.StatusUnprocessableEntity, "bulk", l.Verb+" : "+l.Title, v)
			return
		}
		if s.cfg.Actions == nil {
			s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
			return
		}
		// Every invoice is acted on even if the browser goes away: each
		// is audited on its own, and the list shows what remains.
		ctx := context.WithoutCancel(r.Context())
		var done int
		var failed []string
		for _, it := range v.Items {
			why := it.Skip
			if why == "" {
				why = resubmitStale(it.Invoice, r.PostFormValue("etat_"+strconv.FormatInt(it.ID, 10)))
			}
			if why == "" {
				if _, err := s.resubmitRun(ctx, p, it.Number, reason, "", nil); err != nil {
					why = err.Error()
				}
			}
			if why != "" {
				failed = append(failed, it.Number+" : "+why)
				continue
			}
			done++
		}
		if v.Missing > 0 {
			failed = append(failed, fmt.Sprintf("%d facture(s) introuvable(s)", v.Missing))
		}
		s.setFlash(w, bulkOutcome(l, done, len(ids), failed), len(failed) > 0)
		http.Redirect(w, r, l.Path, http.StatusSeeOther)
	}
}

// maxFlashFailures bounds the failures a result names, so that the
// message fits its cookie; the others stay in the list.
const maxFlashFailures = 1200

// bulkOutcome says how many of the selection succeeded and which failed,
// with why.
func bulkOutcome(l bulkList, done, selected int, failed []string) string {
	msg := fmt.Sprintf("%s : %d facture(s) sur %d.", l.Verb, done, selected)
	if len(failed) == 0 {
		return msg
	}
	msg += " Échecs : "
	for i, f := range failed {
		f = strings.TrimSuffix(f, ".")
		if len(msg)+len(f) > maxFlashFailures {
			return msg + fmt.Sprintf("… et %d autre(s), restées dans la liste.", len(failed)-i)
		}
		if i > 0 {
			msg += " ; "
		}
		msg += f
	}
	return msg + "."
}

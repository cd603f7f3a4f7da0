package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// Reminders (relances) of overdue invoices: the list of letters due today,
// each letter's PDF, the printed batch that records them sent, and the
// pause of an invoice's reminders.
//
// Printing the batch records its letters sent that day, in one step
// ("print = sent") rather than "print, then confirm sent with a date": the
// letter is dated the day it is printed, and that date — printed on it —
// is the one the buyer and the audit trail must share; the record is
// exactly the letters in the PDF (rendered first, handed out once
// recorded), and a letter once recorded leaves the list, so that two
// operators, or a reload, cannot send the same reminder twice. A download
// lost or a printer jammed costs nothing: each letter sent is printed
// again from the invoice page exactly as it was sent (its date and the
// amounts it stated are kept). A batch printed and not posted the same day
// is an operator's error the books cannot see either way.

// remindersFilter selects the invoices with a reminder step due today.
func (s *Server) remindersFilter() store.WorkFilter {
	return store.WorkFilter{RemindersDueOn: s.today(), ReminderSteps: s.cfg.ReminderSteps, Sort: "due"}
}

// reminderRow is an invoice of the list with the letter due for it.
type reminderRow struct {
	workRow
	// Step is the step due, Days its days after the due date.
	Step, Days int
	// Last is the latest reminder sent, if any.
	Last *store.Reminder
}

// Letter is the value of the row's checkbox: NUMBER:STEP.
func (r reminderRow) Letter() string { return r.Number + ":" + strconv.Itoa(r.Step) }

// LetterURL is the row's letter PDF.
func (r reminderRow) LetterURL() string {
	return "/factures/" + url.PathEscape(r.Number) + "/relance.pdf?etape=" + strconv.Itoa(r.Step)
}

type remindersView struct {
	workView
	Letters []reminderRow
	// Steps are the configured steps, as « J+15, J+45 ».
	Steps string
	Due   bool
}

// ExportURL is the CSV of the whole list, with the page's filter and sort.
func (v remindersView) ExportURL() string {
	q := url.Values{}
	if v.Query.Q != "" {
		q.Set("q", v.Query.Q)
	}
	if v.Query.Year != 0 {
		q.Set("annee", strconv.Itoa(v.Query.Year))
	}
	if v.Query.Sort != "" {
		q.Set("tri", v.Query.Sort)
	}
	if len(q) == 0 {
		return "/relances.csv"
	}
	return "/relances.csv?" + q.Encode()
}

// stepsLabel writes steps as « J+15, J+45 ».
func stepsLabel(steps invoice.ReminderSteps) string {
	parts := make([]string, len(steps))
	for i, d := range steps {
		parts[i] = "J+" + strconv.Itoa(d)
	}
	return strings.Join(parts, ", ")
}

func (s *Server) workReminders(w http.ResponseWriter, r *http.Request) {
	title := "Relances à envoyer"
	v, err := s.workData(r, title, s.remindersFilter(), nil)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rows := make([]store.WorkRow, len(v.Rows))
	for i, row := range v.Rows {
		rows[i] = row.WorkRow
	}
	rv := remindersView{workView: v, Steps: stepsLabel(s.cfg.ReminderSteps)}
	if rv.Letters, err = s.reminderRows(r.Context(), rows); err != nil {
		s.serverError(w, r, err)
		return
	}
	rv.Due = len(rv.Letters) > 0
	s.render(w, r, http.StatusOK, "reminders", title, rv)
}

// reminderRows gives each invoice of the list the letter due for it today.
func (s *Server) reminderRows(ctx context.Context, rows []store.WorkRow) ([]reminderRow, error) {
	today := s.today()
	sent := map[int64][]store.Reminder{}
	// In slices: an export may hold more invoices than an IN (…) takes.
	for from := 0; from < len(rows); from += store.MaxPageSize {
		ids := make([]int64, 0, store.MaxPageSize)
		for _, row := range rows[from:min(from+store.MaxPageSize, len(rows))] {
			ids = append(ids, row.ID)
		}
		part, err := s.books.RemindersOf(ctx, ids)
		if err != nil {
			return nil, err
		}
		for id, rs := range part {
			sent[id] = rs
		}
	}
	var out []reminderRow
	for _, row := range rows {
		rs, due := sent[row.ID], row.Due()
		step, ok := s.cfg.ReminderSteps.Due(row.DueDate, invoice.Overdue(row.State, row.Kind, row.DueDate, due, today), store.Steps(rs), today)
		if !ok {
			// The list's query and the rule are one definition; a row
			// between them (paid meanwhile) is left out, not guessed.
			continue
		}
		lr := reminderRow{workRow: workRow{WorkRow: row, Due: due, DaysLate: invoice.DaysLate(row.DueDate, today)}, Step: step}
		lr.Days, _ = s.cfg.ReminderSteps.Days(step)
		if len(rs) > 0 {
			lr.Last = &rs[len(rs)-1]
		}
		out = append(out, lr)
	}
	return out, nil
}

// exportReminders is the list of reminders due (same filter and sort),
// all of it, as a French CSV.
func (s *Server) exportReminders(w http.ResponseWriter, r *http.Request) {
	f := s.remindersFilter()
	lf := parseListQuery(r).filter()
	f.Query, f.Year = lf.Query, lf.Year
	if lf.Sort != "" {
		f.Sort = lf.Sort
	}
	rows, err := s.books.WorkList(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	letters, err := s.reminderRows(r.Context(), rows)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	c, err := newFrenchCSV(w, "relances-"+s.today().Format("2006-01-02"), "Facture", "Établissement", "SIRET", "Échéance", "Jours de retard",
		"Montant TTC", "Reste dû", "Relance due", "Jours après l'échéance", "Dernière relance", "Envoyée le")
	if err != nil {
		return
	}
	for _, l := range letters {
		last, lastOn := "", time.Time{}
		if l.Last != nil {
			last, lastOn = "n°"+strconv.Itoa(l.Last.Step), l.Last.SentOn
		}
		if err := c.Row(l.Number, l.EstablishmentName, l.SIRET, l.DueDate, l.DaysLate, l.TotalTTC, l.Due, "n°"+strconv.Itoa(l.Step), l.Days, last, lastOn); err != nil {
			return
		}
	}
	if err := c.Flush(); err != nil {
		s.log.Warn("export reminders", "error", err)
	}
}

// parseLetters reads the letters of a batch form (lettre=NUMBER:STEP).
func parseLetters(values []string) ([]worker.ReminderLetter, error) {
	var out []worker.ReminderLetter
	for _, v := range values {
		number, step, ok := strings.Cut(v, ":")
		n, err := strconv.Atoi(step)
		if !ok || err != nil || n < 1 || number == "" {
			return nil, fmt.Errorf("lettre %q illisible", v)
		}
		out = append(out, worker.ReminderLetter{Number: number, Step: n})
	}
	return out, nil
}

// printReminders prints the letters ticked on the list as one PDF and
// records them sent today: all of them, or — one not due any more (sent
// meanwhile, paid, paused) — none, with the list to reload.
func (s *Server) printReminders(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
		return
	}
	back := "/relances"
	fail := func(msg string) {
		s.setFlash(w, msg, true)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
	letters, err := parseLetters(r.PostForm["lettre"])
	switch {
	case err != nil:
		fail("Lettres à imprimer : " + err.Error() + ".")
		return
	case len(letters) == 0:
		fail("Aucune lettre cochée : rien n'a été imprimé.")
		return
	case len(letters) > store.MaxPageSize:
		fail(fmt.Sprintf("Lettres à imprimer : %d cochées, %d au plus par lot.", len(letters), store.MaxPageSize))
		return
	}
	if s.cfg.Actions == nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
		return
	}
	today := s.today()
	pdf, err := s.cfg.Actions.PrintReminders(r.Context(), letters, s.cfg.ReminderSteps, today, p.Actor())
	var notDue *worker.ReminderNotDueError
	switch {
	case errors.As(err, &notDue):
		why := "elle n'est plus due aujourd'hui"
		switch {
		case notDue.Paused:
			why = "ses relances sont suspendues"
		case notDue.Due > 0:
			why = fmt.Sprintf("c'est la relance n°%d qui est due", notDue.Due)
		}
		fail(fmt.Sprintf("Relance n°%d de la facture %s : %s. Rien n'a été imprimé ni enregistré ; la liste est à jour.", notDue.Step, notDue.Number, why))
		return
	case errors.Is(err, store.ErrReminderSent):
		fail("Une de ces relances vient d'être enregistrée par ailleurs. Rien n'a été imprimé ni enregistré ; la liste est à jour.")
		return
	case errors.Is(err, store.ErrNotFound):
		fail("Une des factures cochées est introuvable. Rien n'a été imprimé ni enregistré.")
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="relances-%s.pdf"`, today.Format("2006-01-02")))
	w.Write(pdf)
}

// reminderLetter is the PDF of the letter of one step of an invoice: a
// step sent, as it was sent; the step due today, as the batch would print
// it. It writes nothing: only printing the batch records a reminder sent.
func (s *Server) reminderLetter(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number := r.PathValue("number")
	step, err := strconv.Atoi(r.URL.Query().Get("etape"))
	if err != nil || step < 1 || step > len(s.cfg.ReminderSteps) {
		s.renderError(w, r, http.StatusBadRequest, fmt.Sprintf("Étape de relance invalide : de 1 à %d.", len(s.cfg.ReminderSteps)))
		return
	}
	inv, ok := s.invoiceOr404(w, r, number)
	if !ok {
		return
	}
	rem, err := worker.BuildReminder(ctx, s.books, s.cfg.Issuer, inv, step, s.cfg.ReminderSteps, s.today())
	var notDue *worker.ReminderNotDueError
	if errors.As(err, &notDue) {
		msg := fmt.Sprintf("La relance n°%d de la facture %s n'a pas été envoyée et n'est pas due aujourd'hui", step, number)
		switch {
		case notDue.Paused:
			msg += " : ses relances sont suspendues."
		case notDue.Due > 0:
			msg += fmt.Sprintf(" : c'est la relance n°%d qui l'est.", notDue.Due)
		default:
			msg += "."
		}
		s.renderError(w, r, http.StatusConflict, msg)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pdf, err := document.RenderReminder(rem)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="relance-%d-%s.pdf"`, step, inv.Number))
	w.Write(pdf)
}

// reminderBlock is the invoice page's reminders: those sent, the next
// step, the pause.
type reminderBlock struct {
	worker.ReminderStatus
	// Show is false for an invoice reminders never concern (a credit
	// note, a draft, settled with none sent).
	Show bool
	// NextDays is the next step's days after the due date; LetterURL the
	// letter of the step due today.
	NextDays  int
	LetterURL string
	// MaxReason bounds the reason of a pause or resumption.
	MaxReason int
}

func (s *Server) reminderBlock(ctx context.Context, inv store.Invoice, today time.Time) (reminderBlock, error) {
	st, err := worker.RemindersOf(ctx, s.books, inv, s.cfg.ReminderSteps, today)
	if err != nil {
		return reminderBlock{}, err
	}
	b := reminderBlock{ReminderStatus: st, MaxReason: worker.MaxReminderReason}
	b.Show = inv.Kind.Payable() && inv.State != invoice.StateDraft && (len(st.Sent) > 0 || st.Paused || st.Next > 0)
	b.NextDays, _ = s.cfg.ReminderSteps.Days(st.Next)
	if st.Due > 0 {
		b.LetterURL = "/factures/" + url.PathEscape(inv.Number) + "/relance.pdf?etape=" + strconv.Itoa(st.Due)
	}
	return b, nil
}

// pauseReminders and resumeReminders pause and resume an invoice's
// reminders, with the reason required.
func (s *Server) pauseReminders(w http.ResponseWriter, r *http.Request) {
	s.reminderPause(w, r, true)
}

func (s *Server) resumeReminders(w http.ResponseWriter, r *http.Request) {
	s.reminderPause(w, r, false)
}

func (s *Server) reminderPause(w http.ResponseWriter, r *http.Request, pause bool) {
	p, _ := userFrom(r.Context())
	number := r.PathValue("number")
	back := "/factures/" + url.PathEscape(number) + "#relances"
	reason := strings.TrimSpace(r.PostFormValue("motif"))
	fail := func(msg string) {
		s.setFlash(w, msg, true)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
	if reason == "" || utf8.RuneCountInString(reason) > worker.MaxReminderReason {
		fail(fmt.Sprintf("Motif : obligatoire, %d caractères au plus. Rien n'a été enregistré.", worker.MaxReminderReason))
		return
	}
	if s.cfg.Actions == nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
		return
	}
	act, done := s.cfg.Actions.ResumeReminders, "reprises"
	if pause {
		act, done = s.cfg.Actions.PauseReminders, "suspendues"
	}
	err := act(r.Context(), number, reason, p.Actor())
	var state *worker.StateError
	switch {
	case err == nil:
		s.setFlash(w, fmt.Sprintf("Relances de la facture %s %s : %s", number, done, reason), false)
		http.Redirect(w, r, back, http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		s.renderError(w, r, http.StatusNotFound, "Facture introuvable.")
	case errors.Is(err, store.ErrRemindersPaused):
		fail(fmt.Sprintf("Les relances de la facture %s sont déjà suspendues.", number))
	case errors.Is(err, store.ErrRemindersNotPaused):
		fail(fmt.Sprintf("Les relances de la facture %s ne sont pas suspendues.", number))
	case errors.As(err, &state):
		fail(fmt.Sprintf("La facture %s (%s) n'a pas de relances.", number, strings.ToLower(stateLabel(state.State))))
	case errors.Is(err, worker.ErrReminderReason):
		fail(fmt.Sprintf("Motif : obligatoire, %d caractères au plus. Rien n'a été enregistré.", worker.MaxReminderReason))
	default:
		s.serverError(w, r, err)
	}
}

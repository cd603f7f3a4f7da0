package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/shopspring/decimal"
)

// today is the civil day the dashboard reckons lateness from.
func (s *Server) today() time.Time {
	n := s.cfg.Now().In(paris)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// ---- overview ----

type runView struct {
	store.RunSummary
	// Done is the establishments with an outcome; Total those enqueued.
	Done, Total, Percent int
}

func (r runView) Count(state invoice.State) int { return r.States[string(state)] }
func (r runView) Outcome(o string) int          { return r.Outcomes[o] }

type overviewView struct {
	Today    time.Time
	Money    store.MoneyTotals
	Runs     []runView
	Queues   []queueHealth
	QueueErr string
	// Work is how many invoices wait in each work list.
	Awaiting, Rejected, Suspended, ToVerify, Postal, Overdue int
	// Corrections is how many corrections wait for a human.
	Corrections int
	Console     bool
	// Inspected tells whether the queues could be looked at.
	Inspected bool
	// Troubles are the steps of the pipeline failing now, with their last
	// error; TroubleErr says they could not be read.
	Troubles   []worker.StepTrouble
	TroubleErr string
	// Pause is the pause of deliveries to Chorus Pro, nil when they run.
	Pause *store.Pause
	// Chart is what was invoiced and collected over the last chartMonths.
	Chart monthlyChart
}

// chartMonths is how many months the overview's chart shows.
const chartMonths = 12

func (overviewView) refresh() bool { return true }

func (s *Server) overviewData(ctx context.Context) (overviewView, error) {
	v := overviewView{Today: s.today(), Console: s.cfg.Redis != nil, Inspected: s.cfg.Inspector != nil}
	var err error
	if v.Money, err = s.books.Money(ctx, v.Today); err != nil {
		return v, err
	}
	v.Overdue = v.Money.OverdueCount
	months, err := s.books.Monthly(ctx, v.Today, chartMonths)
	if err != nil {
		return v, err
	}
	v.Chart = newMonthlyChart(months)
	runs, err := s.books.Runs(ctx)
	if err != nil {
		return v, err
	}
	for _, r := range runs {
		sum, err := s.books.Summary(ctx, r.ID)
		if err != nil {
			return v, err
		}
		rv := runView{RunSummary: sum, Done: sum.Items, Total: max(r.Enqueued, sum.Items)}
		if rv.Total > 0 {
			rv.Percent = rv.Done * 100 / rv.Total
		}
		v.Runs = append(v.Runs, rv)
	}
	counts, err := s.books.InvoiceCounts(ctx)
	if err != nil {
		return v, err
	}
	v.Awaiting, v.Rejected = counts[string(invoice.StateAwaitingReference)], counts[string(invoice.StateRejected)]
	for _, c := range []struct {
		n *int
		f store.WorkFilter
	}{
		{&v.Suspended, suspendedFilter()},
		{&v.ToVerify, toVerifyFilter()},
		{&v.Postal, unmailedFilter()},
	} {
		t, err := s.books.WorkCount(ctx, c.f)
		if err != nil {
			return v, err
		}
		*c.n = t.Count
	}
	proposed, err := s.books.Corrections(ctx, store.CorrectionProposed)
	if err != nil {
		return v, err
	}
	v.Corrections = len(proposed)
	if ps, paused, err := s.books.DeliveryPause(ctx); err != nil {
		return v, err
	} else if paused {
		v.Pause = &ps
	}
	if v.Queues, err = s.queueHealth(); err != nil {
		s.log.Warn("queue health", "error", err)
		v.QueueErr = "Files d'attente injoignables (Redis)."
	}
	if s.cfg.Troubles != nil {
		if v.Troubles, err = s.cfg.Troubles(ctx); err != nil {
			s.log.Warn("steps' failures", "error", err)
			v.TroubleErr = "État des étapes illisible (Redis injoignable)."
		}
	}
	return v, nil
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	v, err := s.overviewData(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "overview", "Vue d'ensemble", v)
}

// apiOverview is the overview as JSON (for scripts and the auto-refresh).
func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	v, err := s.overviewData(r.Context())
	if err != nil {
		s.log.Error("api overview", "error", err)
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	type troubleJSON struct {
		Type     string    `json:"type"`
		Step     string    `json:"step"`
		Error    string    `json:"error"`
		Since    time.Time `json:"since"`
		At       time.Time `json:"at"`
		Failures int64     `json:"failures"`
	}
	type runJSON struct {
		ID        int64          `json:"id"`
		Year      int            `json:"year"`
		Kind      string         `json:"kind"`
		State     string         `json:"state"`
		Done      int            `json:"done"`
		Total     int            `json:"total"`
		Outcomes  map[string]int `json:"outcomes"`
		States    map[string]int `json:"states"`
		Invoiced  string         `json:"invoiced"`
		Collected string         `json:"collected"`
	}
	// pauseJSON is the pause of deliveries to Chorus Pro (null when they run).
	type pauseJSON struct {
		Reason string    `json:"reason"`
		Since  time.Time `json:"since"`
	}
	out := struct {
		Today            string        `json:"today"`
		Invoiced         string        `json:"invoiced"`
		Collected        string        `json:"collected"`
		Outstanding      string        `json:"outstanding"`
		Overdue          string        `json:"overdue"`
		Runs             []runJSON     `json:"runs"`
		Queues           []queueHealth `json:"queues"`
		Troubles         []troubleJSON `json:"troubles"`
		DeliveriesPaused *pauseJSON    `json:"deliveriesPaused"`
	}{Today: v.Today.Format(time.DateOnly), Invoiced: invoice.Format(v.Money.Invoiced), Collected: invoice.Format(v.Money.Collected),
		Outstanding: invoice.Format(v.Money.Outstanding), Overdue: invoice.Format(v.Money.Overdue), Runs: []runJSON{}, Queues: v.Queues,
		Troubles: []troubleJSON{}}
	if v.Pause != nil {
		out.DeliveriesPaused = &pauseJSON{Reason: v.Pause.Reason, Since: v.Pause.Since}
	}
	for _, t := range v.Troubles {
		out.Troubles = append(out.Troubles, troubleJSON{Type: t.Type, Step: t.Step, Error: t.Error, Since: t.Since, At: t.At, Failures: t.Failures})
	}
	for _, rv := range v.Runs {
		out.Runs = append(out.Runs, runJSON{ID: rv.Run.ID, Year: rv.Run.Year, Kind: rv.Run.Kind, State: rv.Run.State, Done: rv.Done, Total: rv.Total,
			Outcomes: rv.Outcomes, States: rv.States, Invoiced: invoice.Format(rv.Invoiced), Collected: invoice.Format(rv.Collected)})
	}
	writeJSON(w, out)
}

// ---- work lists ----

// listQuery is a work list's filter and sort, from the URL.
type listQuery struct {
	Q    string
	Year int
	Sort string
}

func parseListQuery(r *http.Request) listQuery { return listQueryFrom(r.URL.Query()) }

// listQueryFrom reads a work list's filter and sort from URL or form values.
func listQueryFrom(q url.Values) listQuery {
	lq := listQuery{Q: strings.TrimSpace(q.Get("q")), Sort: q.Get("tri")}
	lq.Year, _ = strconv.Atoi(q.Get("annee"))
	return lq
}

func (lq listQuery) filter() store.WorkFilter {
	return store.WorkFilter{Query: lq.Q, Year: lq.Year, Sort: lq.Sort}
}

// apply sets the search, year and sort of a work list's filter (its
// fixed selection kept; its own sort unless one is asked).
func (lq listQuery) apply(f *store.WorkFilter) {
	f.Query, f.Year = lq.Q, lq.Year
	if lq.Sort != "" {
		f.Sort = lq.Sort
	}
}

// Values are the list's URL parameters (empty ones left out).
func (lq listQuery) Values() url.Values {
	v := url.Values{}
	if lq.Q != "" {
		v.Set("q", lq.Q)
	}
	if lq.Year != 0 {
		v.Set("annee", strconv.Itoa(lq.Year))
	}
	if lq.Sort != "" {
		v.Set("tri", lq.Sort)
	}
	return v
}

// SortURL is the link of a column header: sort by it, or reverse.
func (lq listQuery) SortURL(key string) string { return sortURL(lq.Values(), lq.Sort, key) }

// Arrow marks the sorted column.
func (lq listQuery) Arrow(key string) string { return sortArrow(lq.Sort, key) }

type workView struct {
	Query listQuery
	// Rows are the page shown; Count and Total (TTC) are the whole list's.
	Rows    []workRow
	Count   int
	Total   decimal.Decimal
	Page    pageView
	Mailed  map[int64]store.AuditEvent
	Today   time.Time
	Heading string
	// Export is the CSV of the whole list with its filter.
	Export string
	// Pending lists the late payments whose interest invoice waits for a
	// rate (overdue list only).
	Pending []pendingInterest
}

// pendingInterest is a late payment whose interest is pending: a semester
// it needs has no rate, or only an unofficial one.
type pendingInterest struct {
	Number, EstablishmentName string
	DueDate, PaidOn           time.Time
	Base                      decimal.Decimal
	Reason                    string
}

type workRow struct {
	store.WorkRow
	Due      decimal.Decimal
	DaysLate int
	Interest string
	Note     string
	Plan     string
	// Action is what re-submitting it would do (bulk re-deposits offer
	// only the invoices whose action is theirs).
	Action   worker.ResubmitAction
	MailedOn string
}

func (s *Server) workList(w http.ResponseWriter, r *http.Request, name, title string, f store.WorkFilter, decorate func(*workRow)) {
	v, err := s.workData(r, title, f, decorate)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, name, title, v)
}

// workData reads a work list, each row decorated.
func (s *Server) workData(r *http.Request, title string, f store.WorkFilter, decorate func(*workRow)) (workView, error) {
	lq := parseListQuery(r)
	lq.apply(&f)
	pr := pageFrom(r.URL.Query())
	pr.apply(&f)
	page, err := s.books.WorkPage(r.Context(), f)
	if err != nil {
		return workView{}, err
	}
	v := workView{Query: lq, Today: s.today(), Heading: title, Count: page.Count, Total: page.TotalTTC,
		Page: newPageView(r.URL.Query(), pr, page.Count, len(page.Rows)), Export: lq.exportURL(r.URL.Path)}
	for _, row := range page.Rows {
		wr := workRow{WorkRow: row, Due: row.Due(), Action: worker.ResubmitActionFor(row.Invoice)}
		wr.Plan, _ = resubmitPlan(row.Invoice)
		if decorate != nil {
			decorate(&wr)
		}
		v.Rows = append(v.Rows, wr)
	}
	return v, nil
}

// awaitingFilter selects the invoices waiting for their buyer references.
func awaitingFilter() store.WorkFilter {
	return store.WorkFilter{States: []invoice.State{invoice.StateAwaitingReference}}
}

func (s *Server) workAwaiting(w http.ResponseWriter, r *http.Request) {
	s.workList(w, r, "awaiting", "Références acheteur à compléter", awaitingFilter(), nil)
}

// rejectedFilter selects the rejected invoices (by the platform or the
// buyer).
func rejectedFilter() store.WorkFilter {
	return store.WorkFilter{States: []invoice.State{invoice.StateRejected}}
}

func (s *Server) workRejected(w http.ResponseWriter, r *http.Request) {
	s.workList(w, r, "rejected", "Factures rejetées", rejectedFilter(), nil)
}

// suspendedFilter selects the invoices Chorus Pro holds for the supplier
// to act on (SUSPENDUE, A_RECYCLER).
func suspendedFilter() store.WorkFilter {
	return store.WorkFilter{States: []invoice.State{invoice.StateDelivered}, ChorusStatuses: worker.SupplierActionStatuses()}
}

func (s *Server) workSuspended(w http.ResponseWriter, r *http.Request) {
	s.workList(w, r, "suspended", "Factures suspendues ou à recycler", suspendedFilter(), nil)
}

// toVerifyFilter selects the invoices Chorus Pro should hold but no search
// finds (worker.StatusToVerify): a person looks for each on the portal,
// and deposits it again if it is not there.
func toVerifyFilter() store.WorkFilter {
	return store.WorkFilter{ChorusStatuses: []string{worker.StatusToVerify}}
}

func (s *Server) workToVerify(w http.ResponseWriter, r *http.Request) {
	s.workList(w, r, "toverify", "À vérifier sur Chorus Pro", toVerifyFilter(), nil)
}

// overdueFilter selects the invoices overdue today, the oldest due first.
func (s *Server) overdueFilter() store.WorkFilter {
	return store.WorkFilter{OverdueOn: s.today(), Sort: "due"}
}

func (s *Server) workOverdue(w http.ResponseWriter, r *http.Request) {
	today := s.today()
	title := "Factures en retard de paiement"
	f := s.overdueFilter()
	f.OverdueOn = today
	v, err := s.workData(r, title, f, func(wr *workRow) {
		wr.DaysLate = int(today.Sub(wr.DueDate).Hours() / 24)
		res, err := s.interest(wr.Invoice, wr.Due, today)
		if err != nil {
			wr.Note = interestNote(err)
			return
		}
		wr.Interest, wr.DaysLate = euros(res.Total), res.Days
	})
	if err == nil {
		v.Pending, err = s.pendingInterest(r.Context())
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "overdue", title, v)
}

// interestNote says why interest could not be computed: pending on a
// missing or unofficial rate (with the semester), or another error.
func interestNote(err error) string {
	var missing *invoice.MissingRateError
	if errors.As(err, &missing) {
		return "intérêts en attente : " + missing.Reason()
	}
	return "intérêts non calculés : " + err.Error()
}

// pendingInterest lists the late payments whose interest invoice waits for
// a rate: what the worker leaves aside until the table is updated.
func (s *Server) pendingInterest(ctx context.Context) ([]pendingInterest, error) {
	late, err := s.books.LatePaymentsWithoutInterest(ctx)
	if err != nil || len(late) == 0 {
		return nil, err
	}
	ids := make([]int64, 0, len(late))
	for _, lp := range late {
		ids = append(ids, lp.InvoiceID)
	}
	invs, err := s.books.InvoicesByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	var out []pendingInterest
	for _, lp := range late {
		inv, ok := invs[lp.InvoiceID]
		if !ok {
			continue
		}
		_, err := s.interest(inv, lp.Base(), lp.PaidOn)
		var missing *invoice.MissingRateError
		if !errors.As(err, &missing) {
			continue // billed by the next interest pass, or below the minimum
		}
		name, ok := names[inv.EstablishmentID]
		if !ok {
			est, err := s.books.EstablishmentByID(ctx, inv.EstablishmentID)
			if err != nil {
				return nil, err
			}
			name, names[inv.EstablishmentID] = est.Name, est.Name
		}
		out = append(out, pendingInterest{Number: inv.Number, EstablishmentName: name, DueDate: inv.DueDate, PaidOn: lp.PaidOn,
			Base: lp.Base(), Reason: missing.Reason()})
	}
	return out, nil
}

// interest is what an unpaid amount has accrued since the due date, under
// the invoice's regime.
func (s *Server) interest(inv store.Invoice, amount decimal.Decimal, day time.Time) (invoice.Interest, error) {
	return invoice.LateInterest(inv.LatePaymentRegime, amount, inv.DueDate, day, invoice.InterestRates{Legal: s.cfg.LegalRates, ECB: s.cfg.ECBRates})
}

// ---- invoice page and its actions ----

type invoiceView struct {
	Inv           store.Invoice
	Est           store.Establishment
	Payments      []store.Payment
	Paid, Due     decimal.Decimal
	Audit         []store.AuditEvent
	Documents     []docLink
	Related       []relatedInvoice
	InterestToday string
	InterestNote  string
	DaysLate      int
	InterestBills []store.Invoice
	Plan          string
	CanResubmit   bool
	// Action is what re-submitting does (worker.ResubmitActionFor), for
	// the buttons to say it.
	Action worker.ResubmitAction
	// AttachError names a file refused on the confirmation of a
	// completion, Motif keeps the comment typed with it.
	AttachError, Motif string
	Awaiting           bool
	RefYear            int
	RefError           string
	FormCode           string
	FormEng            string
	MailedOn           string
	Today              time.Time
	// Pay is the payment form (payment.go).
	Pay paymentForm
	// RecycleCode is the service code an A_RECYCLER invoice is to go to,
	// as the confirmation shows and asks it; RecycleError why the one
	// given was refused.
	RecycleCode, RecycleError string
	// Reminders are the invoice's reminders (relances).
	Reminders reminderBlock
}

type docLink struct {
	Format, Label, URL, SHA256 string
	Stored                     bool
	Size                       int64
}

type relatedInvoice struct {
	Role string
	Inv  store.Invoice
}

func (s *Server) invoiceData(ctx context.Context, number string) (invoiceView, error) {
	inv, err := s.books.InvoiceByNumber(ctx, number)
	if err != nil {
		return invoiceView{}, err
	}
	v := invoiceView{Inv: inv, Today: s.today(), RefYear: inv.IssueDate.Year(), FormCode: inv.CodeService, FormEng: inv.Engagement}
	if v.Est, err = s.books.EstablishmentByID(ctx, inv.EstablishmentID); err != nil {
		return v, err
	}
	if v.Payments, err = s.books.Payments(ctx, inv.ID); err != nil {
		return v, err
	}
	v.Paid = decimal.Zero
	for _, p := range v.Payments {
		v.Paid = v.Paid.Add(p.Amount)
		if ib, err := s.books.InterestFor(ctx, p.ID); err == nil {
			v.InterestBills = append(v.InterestBills, ib)
		} else if p.PaidOn.After(inv.DueDate) && inv.Kind.BearsInterest() {
			// A late payment without its interest invoice: say when it
			// waits for a rate.
			if _, err := s.interest(inv, p.Amount, p.PaidOn); err != nil {
				v.InterestNote = interestNote(err)
			}
		}
	}
	credited, err := s.books.Credited(ctx, inv.ID)
	if err != nil {
		return v, err
	}
	v.Due = inv.TotalTTC.Sub(credited).Sub(v.Paid)
	if inv.State.Terminal() || !inv.Kind.Payable() {
		v.Due = decimal.Zero
	}
	if invoice.Overdue(inv.State, inv.Kind, inv.DueDate, v.Due, v.Today) {
		res, err := s.interest(inv, v.Due, v.Today)
		if err != nil {
			v.InterestNote = interestNote(err)
		} else {
			v.InterestToday, v.DaysLate = euros(res.Total), res.Days
		}
	}
	v.Pay = newPaymentForm(v)
	if v.Audit, err = s.books.AuditTrail(ctx, "invoice", inv.ID); err != nil {
		return v, err
	}
	for _, e := range v.Audit {
		if e.Action == actionMailed {
			v.MailedOn = strings.TrimPrefix(e.Reason, mailedPrefix)
		}
	}
	if v.Reminders, err = s.reminderBlock(ctx, inv, v.Today); err != nil {
		return v, err
	}
	stored, err := s.books.DocumentFormats(ctx, inv.ID)
	if err != nil {
		return v, err
	}
	for _, f := range document.Formats() {
		d, ok := stored[f]
		v.Documents = append(v.Documents, docLink{Format: f, Label: formatLabel(f), URL: "/factures/" + url.PathEscape(inv.Number) + "/documents/" + f,
			Stored: ok, SHA256: d.SHA256, Size: d.Size})
	}
	rel := func(role string, id *int64) {
		if id == nil {
			return
		}
		if o, err := s.books.InvoiceByID(ctx, *id); err == nil {
			v.Related = append(v.Related, relatedInvoice{role, o})
		}
	}
	rel("Facture d'origine", inv.OriginalInvoiceID)
	rel("Remplace la facture", inv.ReplacesInvoiceID)
	if c, err := s.books.CreditNoteCancelling(ctx, inv.ID); err == nil {
		v.Related = append(v.Related, relatedInvoice{"Annulée par l'avoir", c})
	}
	if c, err := s.books.InvoiceReplacing(ctx, inv.ID); err == nil {
		v.Related = append(v.Related, relatedInvoice{"Remplacée par", c})
	}
	v.Plan, v.CanResubmit = resubmitPlan(inv)
	v.Action = worker.ResubmitActionFor(inv)
	v.Awaiting = inv.State == invoice.StateAwaitingReference
	if v.Awaiting && v.FormCode == "" && v.FormEng == "" {
		if refs, err := s.books.ReferencesFor(ctx, inv.EstablishmentID, v.RefYear); err == nil {
			v.FormCode, v.FormEng = refs.CodeService, refs.Engagement
		}
	}
	return v, nil
}

// invoiceFound reads the invoice page's data of number; an unknown
// invoice is answered 404 and another failure 500, and ok is false: the
// answer is written.
func (s *Server) invoiceFound(w http.ResponseWriter, r *http.Request, number string) (v invoiceView, ok bool) {
	v, err := s.invoiceData(r.Context(), number)
	return v, s.found(w, r, err)
}

// invoiceOr404 reads invoice number as invoiceFound does, without the
// page's data.
func (s *Server) invoiceOr404(w http.ResponseWriter, r *http.Request, number string) (store.Invoice, bool) {
	inv, err := s.books.InvoiceByNumber(r.Context(), number)
	return inv, s.found(w, r, err)
}

// found answers a failure to read an invoice: 404 when unknown, else 500.
func (s *Server) found(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.renderError(w, r, http.StatusNotFound, "Facture introuvable.")
		return false
	case err != nil:
		s.serverError(w, r, err)
		return false
	}
	return true
}

func (s *Server) invoicePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.invoiceFound(w, r, r.PathValue("number"))
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "invoice", "Facture "+v.Inv.Number, v)
}

// resubmitPlan says, in French, what re-submitting the invoice will do, and
// whether it can be re-submitted at all (worker.Resubmit's cases).
func resubmitPlan(inv store.Invoice) (string, bool) {
	switch worker.ResubmitActionFor(inv) {
	case worker.ResubmitReferences:
		return "Saisir les références demandées par l'acheteur : elles sont vérifiées auprès de Chorus Pro, puis la facture " + inv.Number + " (même numéro) est déposée.", false
	case worker.ResubmitRedeposit:
		again := "la même facture " + inv.Number + " (même numéro) sera déposée à nouveau, avec les références acheteur connues pour l'année."
		switch inv.ChorusStatus {
		case worker.StatusToVerify:
			// Depositing again what Chorus Pro holds would make a duplicate
			// the buyer rejects: only a look at the portal tells.
			return "Chorus Pro devrait détenir cette facture, mais aucune recherche ne la trouve. Vérifiez sur le portail Chorus Pro qu'elle n'y est pas : si elle n'y est pas, " +
				again + " Si elle y est, ne faites rien : le suivi la retrouvera.", true
		case string(chorus.EtatFluxARelancer), string(chorus.EtatFluxErreurInterne):
			return "Chorus Pro demande un nouveau dépôt du flux (incident de la plateforme) : " + again, true
		}
		return "Le flux a été rejeté par la plateforme Chorus Pro : " + again, true
	case worker.ResubmitReplace:
		return "La facture a été rejetée par l'acheteur : un avoir annulera la facture " + inv.Number + " et une nouvelle facture, avec un nouveau numéro et les références connues pour l'année, la remplacera. L'avoir et la nouvelle facture seront déposés sur Chorus Pro.", true
	case worker.ResubmitRecycle:
		return "L'acheteur demande un recyclage : la facture sera recyclée sur Chorus Pro vers le code service qu'il demande (obligatoire, à saisir à la confirmation), puis son suivi reprendra.", true
	case worker.ResubmitComplete:
		return "L'acheteur a suspendu la facture : elle sera complétée sur Chorus Pro avec votre commentaire (précision demandée) et, si vous en joignez, les pièces demandées, puis son suivi reprendra.", true
	}
	return "", false
}

func (s *Server) resubmitConfirm(w http.ResponseWriter, r *http.Request) {
	v, ok := s.invoiceFound(w, r, r.PathValue("number"))
	if !ok {
		return
	}
	if !v.CanResubmit {
		s.renderError(w, r, http.StatusConflict, fmt.Sprintf("La facture %s (%s) n'a rien à re-soumettre.", v.Inv.Number, stateLabel(v.Inv.State)))
		return
	}
	if v.Action == worker.ResubmitRecycle {
		v.RecycleCode = s.recycleCode(r.Context(), v.Inv)
	}
	s.render(w, r, http.StatusOK, "confirm", "Re-soumettre "+v.Inv.Number, v)
}

// recycleCode is the service code the confirmation of a recycle offers:
// the books' code for the year when it differs from the one the buyer sent
// back (an import of references corrected it since), else none — Chorus
// Pro's status gives the requested service only in the buyer's words (the
// reason shown), so a person types it rather than a guess being sent.
func (s *Server) recycleCode(ctx context.Context, inv store.Invoice) string {
	refs, err := s.books.ReferencesFor(ctx, inv.EstablishmentID, inv.IssueDate.Year())
	if err != nil || refs.CodeService == inv.CodeService {
		return ""
	}
	return refs.CodeService
}

// resubmit acts on a rejected, suspended or to-recycle invoice after the
// confirmation; the pipeline writes the audit rows with the user. A
// suspended invoice may be completed with files (a multipart form): each
// is checked against Chorus Pro's limits first, and one at fault is named
// on the confirmation page again, with nothing sent.
func (s *Server) resubmit(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	number := r.PathValue("number")
	cleanup, err := parseResubmitForm(w, r)
	defer cleanup()
	if tooLarge(err) {
		s.renderError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("Envoi trop volumineux : %d pièces jointes au plus, chacune de moins de %d Mo. Rien n'a été envoyé.",
			maxAttachments, maxAttachmentSize>>20))
		return
	}
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
		return
	}
	inv, ok := s.invoiceOr404(w, r, number)
	if !ok {
		return
	}
	back := "/factures/" + url.PathEscape(number)
	if r.PostFormValue("confirmer") != "oui" {
		http.Redirect(w, r, back+"/resoumettre", http.StatusSeeOther)
		return
	}
	if problem := resubmitStale(inv, r.PostFormValue("etat")); problem != "" {
		s.setFlash(w, problem, true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	typed := strings.TrimSpace(r.PostFormValue("motif"))
	reason, problem := resubmitMotif(typed)
	// The comment's length first: no file is read for a refused form.
	var files []chorus.Attachment
	if problem == "" {
		files, err = formAttachments(r)
	}
	var bad *attachmentError
	if errors.As(err, &bad) || problem != "" {
		v, verr := s.invoiceData(r.Context(), number)
		if verr != nil {
			s.serverError(w, r, verr)
			return
		}
		v.AttachError, v.Motif = problem, typed
		if bad != nil {
			v.AttachError = bad.msg
		}
		s.render(w, r, http.StatusUnprocessableEntity, "confirm", "Re-soumettre "+number, v)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	notSuspended := func(st invoice.State) {
		s.setFlash(w, fmt.Sprintf("La facture %s (%s) n'est pas suspendue par l'acheteur : des pièces jointes n'accompagnent que la complétion d'une facture suspendue. Rien n'a été envoyé.",
			number, stateLabel(st)), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
	if len(files) > 0 && worker.ResubmitActionFor(inv) != worker.ResubmitComplete {
		notSuspended(inv.State)
		return
	}
	if s.cfg.Actions == nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code_service"))
	msg, err := s.resubmitRun(r.Context(), p, number, reason, code, files)
	// A recycle goes to the service the buyer asks for, given on the
	// confirmation: refused before anything is sent when empty or
	// malformed, the confirmation shown again.
	var sce *worker.ServiceCodeError
	if errors.As(err, &sce) {
		v, verr := s.invoiceData(r.Context(), number)
		if verr != nil {
			s.serverError(w, r, verr)
			return
		}
		v.RecycleCode, v.RecycleError, v.Motif = code, err.Error(), typed
		s.render(w, r, http.StatusUnprocessableEntity, "confirm", "Re-soumettre "+number, v)
		return
	}
	var se *worker.StateError
	if errors.As(err, &se) && errors.Is(err, worker.ErrNotSuspended) {
		notSuspended(se.State)
		return
	}
	if err != nil {
		s.setFlash(w, err.Error(), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	s.setFlash(w, msg, false)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// resubmitMotif is the reason recorded for a re-submission with the
// comment typed (a default when none), or a French message saying why
// the comment is refused: the one check of the single and bulk
// confirmations.
func resubmitMotif(typed string) (reason, problem string) {
	if err := checkLength("motif", typed); err != nil {
		return "", err.Error()
	}
	if typed == "" {
		return "re-soumission depuis le tableau de bord", ""
	}
	return typed, ""
}

// resubmitStale says, in French, why a confirmed re-submission of inv must
// not run: nothing to re-submit, or the invoice changed since the
// confirmation showed it as seen ("state/chorus status"); "" when it may.
func resubmitStale(inv store.Invoice, seen string) string {
	if _, ok := resubmitPlan(inv); !ok {
		return fmt.Sprintf("La facture %s (%s) n'a rien à re-soumettre.", inv.Number, stateLabel(inv.State))
	}
	// The plan shown was for this state: someone else acting meanwhile
	// must not turn a re-deposit into a credit note unseen.
	if seen != string(inv.State)+"/"+inv.ChorusStatus {
		return "La facture a changé depuis l'affichage de la confirmation : vérifiez de nouveau avant d'agir."
	}
	return ""
}

// resubmitRun hands a confirmed re-submission to the pipeline, which
// writes the audit rows with the user, and says what it did; its error
// says in French why nothing was done (a *worker.StateError wrapping
// worker.ErrNotSuspended is returned as it is, for the caller to explain).
func (s *Server) resubmitRun(ctx context.Context, p principal, number, reason, code string, files []chorus.Attachment) (string, error) {
	why := resubmitReason(reason, p.User.Username)
	var (
		msg string
		err error
	)
	inv, err := s.books.InvoiceByNumber(ctx, number)
	switch {
	case err != nil:
	case worker.ResubmitActionFor(inv) == worker.ResubmitRecycle:
		// A recycle needs the service the buyer asks for: checked here,
		// before anything is sent, and again by the pipeline.
		if err = worker.CheckRecycleService(number, code); err == nil {
			msg, err = s.cfg.Actions.Recycle(ctx, number, code, why, p.Actor())
		}
	case len(files) > 0:
		msg, err = s.cfg.Actions.ResubmitWith(ctx, number, why, p.Actor(), files)
	default:
		msg, err = s.cfg.Actions.Resubmit(ctx, number, why, p.Actor())
	}
	var sce *worker.ServiceCodeError
	var (
		se      *worker.StateError
		problem *worker.ReferenceProblem
	)
	switch {
	case err == nil:
		return msg, nil
	case errors.As(err, &se) && errors.Is(err, worker.ErrNotSuspended), errors.As(err, &sce):
		return "", err
	case errors.As(err, &se) && (errors.Is(err, worker.ErrNothingToResubmit) || errors.Is(err, worker.ErrNotToRecycle)):
		return "", &refusal{fmt.Sprintf("La facture %s (%s) n'a rien à re-soumettre.", number, stateLabel(se.State)), err}
	case errors.As(err, &problem):
		return "", &refusal{fmt.Sprintf("La facture %s attend toujours ses références : %s", number, problem.Reason().Text), err}
	}
	s.log.Error("resubmit", "invoice", number, "user", p.User.Username, "error", err)
	return "", &refusal{"La re-soumission a échoué : " + frenchFailure(err) + ".", err}
}

// refusal is why an action did nothing, said in French for the user.
type refusal struct {
	msg string
	err error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.err }

// setReferences takes the references of an invoice waiting for them and
// hands them to the pipeline (worker.Pipeline.FillReferences), which checks
// them against Chorus Pro's directory, records them and delivers the
// invoice; this says in French what came of it.
func (s *Server) setReferences(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	ctx := r.Context()
	number := r.PathValue("number")
	v, ok := s.invoiceFound(w, r, number)
	if !ok {
		return
	}
	back := "/factures/" + url.PathEscape(number)
	notAwaiting := func(st invoice.State) {
		s.setFlash(w, fmt.Sprintf("La facture %s n'attend plus de références (%s).", number, stateLabel(st)), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
	if !v.Awaiting {
		notAwaiting(v.Inv.State)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code_service"))
	eng := strings.TrimSpace(r.PostFormValue("engagement"))
	v.FormCode, v.FormEng = code, eng
	fail := func(msg string) {
		v.RefError = msg
		s.render(w, r, http.StatusUnprocessableEntity, "invoice", "Facture "+number, v)
	}
	if err := checkLengths(r.PostForm, "code_service", "engagement"); err != nil {
		fail(err.Error())
		return
	}
	if s.cfg.Actions == nil {
		fail("Chorus Pro n'est pas configuré : impossible de vérifier les références.")
		return
	}
	msg, err := s.cfg.Actions.FillReferences(ctx, number, code, eng, p.Actor())
	var (
		problem *worker.ReferenceProblem
		state   *worker.StateError
		stale   *store.StaleStateError
		undeliv *worker.NotRedeliveredError
	)
	switch {
	case err == nil:
		s.setFlash(w, msg, false)
		http.Redirect(w, r, back, http.StatusSeeOther)
	case errors.As(err, &problem):
		fail(problem.Reason().Text)
	case errors.Is(err, worker.ErrDirectoryUnavailable):
		s.log.Error("lookup buyer", "siret", v.Est.SIRET, "error", err)
		fail("L'annuaire Chorus Pro n'a pas répondu ; rien n'a été enregistré. Réessayez dans un instant.")
	case errors.As(err, &state):
		notAwaiting(state.State)
	case errors.As(err, &stale):
		s.setFlash(w, fmt.Sprintf("La facture %s a changé entre-temps (%s) : rien n'a été modifié.", number, stateLabel(stale.Have)), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
	case errors.As(err, &undeliv):
		s.log.Error("deliver after references", "invoice", number, "error", err)
		s.setFlash(w, "Références enregistrées, mais la livraison n'a pas pu être relancée : "+undeliv.Err.Error(), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
	default:
		s.serverError(w, r, err)
	}
}

// document serves a document of an invoice: the stored one (what was sent)
// when there is one, else rendered now from the stored figures.
func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	format := r.PathValue("format")
	known := false
	for _, f := range document.Formats() {
		known = known || f == format
	}
	inv, err := s.books.InvoiceByNumber(ctx, r.PathValue("number"))
	if !known || errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, "Document introuvable.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var content []byte
	doc, err := s.books.Document(ctx, inv.ID, format)
	switch {
	case err == nil:
		content = doc.Content
	case errors.Is(err, store.ErrNotFound):
		d, err := worker.BuildDocument(ctx, s.books, s.cfg.Issuer, inv)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if content, err = document.Render(d, format); err != nil {
			s.serverError(w, r, err)
			return
		}
	default:
		s.serverError(w, r, err)
		return
	}
	ct := "application/pdf"
	if strings.HasSuffix(document.Extension(format), ".xml") {
		ct = "application/xml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s%s"`, inv.Number, document.Extension(format)))
	w.Write(content)
}

// ---- establishment, search ----

type usageYear struct {
	Year int
	Rows []invoice.StatementRow
	Note string
}

type establishmentView struct {
	Est        store.Establishment
	References []store.YearReferences
	Usage      []usageYear
	Invoices   []store.Invoice
	Headcounts []headcount
}

type headcount struct{ Year, N int }

func (s *Server) establishmentPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	est, err := s.books.EstablishmentBySIRET(ctx, r.PathValue("siret"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, "Établissement introuvable.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := establishmentView{Est: est}
	for y := 2000; y < 3000; y++ {
		if n, ok := est.Headcounts[y]; ok {
			v.Headcounts = append(v.Headcounts, headcount{y, n})
		}
	}
	if v.References, err = s.books.ReferencesByYear(ctx, est.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Invoices, err = s.books.ListInvoices(ctx, store.InvoiceFilter{EstablishmentID: est.ID}); err != nil {
		s.serverError(w, r, err)
		return
	}
	years, err := s.books.UsageYears(ctx, est.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, y := range years {
		u := usageYear{Year: y}
		observed, err := s.books.Usage(ctx, est.ID, y)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		te, terr := est.Tariff(y)
		if s.cfg.Catalog == nil || terr != nil {
			u.Note = "Effectif de l'année inconnu : franchises non calculables."
		} else if q, err := s.cfg.Catalog.Overage(te, y, observed); err != nil {
			u.Note = "Franchises non calculables : " + err.Error()
		} else {
			u.Rows = q.Statement
		}
		v.Usage = append(v.Usage, u)
	}
	s.render(w, r, http.StatusOK, "establishment", est.Name, v)
}

// searchView is what a search found: both lists with the count of all
// each finds; Show, when set, is the one list paged on its own
// ("factures" or "etablissements").
type searchView struct {
	Q, Show            string
	Invoices           []store.WorkRow
	InvoiceCount       int
	InvoicePage        pageView
	Establishments     []store.Establishment
	EstablishmentCount int
	EstablishmentPage  pageView
}

// searchLists are the values of ?voir: the one list shown with its pager.
var searchLists = []string{"factures", "etablissements"}

// ShowURL is the link to one list of the results, paged on its own
// (kind "" for both, first pages only).
func (v searchView) ShowURL(kind string) string {
	u := url.Values{"q": {v.Q}}
	if kind != "" {
		u.Set("voir", kind)
	}
	return "/recherche?" + u.Encode()
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	query := r.URL.Query()
	q := strings.TrimSpace(query.Get("q"))
	v := searchView{Q: q}
	if slices.Contains(searchLists, query.Get("voir")) {
		v.Show = query.Get("voir")
	}
	if q != "" {
		if up := strings.ToUpper(q); invoice.IsNumber(up) {
			if _, err := s.books.InvoiceByNumber(ctx, up); err == nil {
				http.Redirect(w, r, "/factures/"+url.PathEscape(up), http.StatusSeeOther)
				return
			}
		}
		if siret := strings.ReplaceAll(q, " ", ""); len(siret) == 14 {
			if _, err := s.books.EstablishmentBySIRET(ctx, siret); err == nil {
				http.Redirect(w, r, "/etablissements/"+url.PathEscape(siret), http.StatusSeeOther)
				return
			}
		}
		// Both lists show their first page; the list asked for alone
		// shows the page asked for, with its pager.
		links := url.Values{"q": {q}, "voir": {v.Show}}
		for _, k := range []string{"page", "par"} {
			if x := query.Get(k); x != "" {
				links.Set(k, x)
			}
		}
		pageOf := func(kind string) pageRequest {
			if v.Show == kind {
				return pageFrom(query)
			}
			return pageRequest{Page: 1, Size: pageSizes[0]}
		}
		if v.Show != "etablissements" {
			pr := pageOf("factures")
			f := store.WorkFilter{Query: q, Sort: "-date"}
			pr.apply(&f)
			page, err := s.books.WorkPage(ctx, f)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			v.Invoices, v.InvoiceCount, v.InvoicePage = page.Rows, page.Count, newPageView(links, pr, page.Count, len(page.Rows))
		}
		if v.Show != "factures" {
			pr := pageOf("etablissements")
			hits, err := s.books.SearchEstablishmentsPage(ctx, q, pr.Size, (pr.Page-1)*pr.Size)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			v.Establishments, v.EstablishmentCount, v.EstablishmentPage = hits.Rows, hits.Count, newPageView(links, pr, hits.Count, len(hits.Rows))
		}
	}
	s.render(w, r, http.StatusOK, "search", "Recherche", v)
}

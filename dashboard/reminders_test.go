package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/shopspring/decimal"
)

// PrintReminders, PauseReminders and ResumeReminders are the pipeline's
// own, over the test's books.
func (f *fakeActions) PrintReminders(ctx context.Context, letters []worker.ReminderLetter, steps invoice.ReminderSteps, day time.Time, actor string) ([]byte, error) {
	return f.p.PrintReminders(ctx, letters, steps, day, actor)
}

func (f *fakeActions) PauseReminders(ctx context.Context, number, reason, actor string) error {
	return f.p.PauseReminders(ctx, number, reason, actor)
}

func (f *fakeActions) ResumeReminders(ctx context.Context, number, reason, actor string) error {
	return f.p.ResumeReminders(ctx, number, reason, actor)
}

// reminderEnv adds to the sample, with the default steps (J+15, J+45) on
// 02/03/2026, beside e.overdue (122 days late: step 2, a late start):
// first, 21 days late (step 1), 1 200,00 € TTC of which 200,00 € paid;
// paused, 61 days late, its reminders paused; paid, 61 days late and
// paid; notYet, 11 days late (no step come).
type reminderEnv struct {
	*env
	first, paused, paid, notYet string
}

func newReminderEnv(t *testing.T) reminderEnv {
	t.Helper()
	ctx := context.Background()
	e := reminderEnv{env: newEnv(t)}
	s := func(v string) *string { return &v }
	e.first = e.mk(e.ests[6], "1000.00", time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	if _, err := e.books.RecordPayment(ctx, store.Payment{InvoiceID: e.invoice(e.first).ID, PaidOn: time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC),
		Amount: decimal.RequireFromString("200.00"), Source: store.PaymentImported, Reference: "VIR-1"}, today, "test"); err != nil {
		t.Fatal(err)
	}
	e.paused = e.mk(e.ests[7], "500.00", time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	if err := e.books.PauseReminders(ctx, e.invoice(e.paused).ID, "litige sur l'effectif", "user:olivia"); err != nil {
		t.Fatal(err)
	}
	e.paid = e.mk(e.ests[8], "700.00", time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), store.Change{To: invoice.StateDelivering, Channel: s("chorus")},
		store.Change{To: invoice.StateDeposited}, store.Change{To: invoice.StateDelivered}, store.Change{To: invoice.StatePaid})
	e.notYet = e.mk(e.ests[9], "300.00", time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC))
	return e
}

func (e reminderEnv) reminders(number string) []store.Reminder {
	e.t.Helper()
	rs, err := e.books.Reminders(context.Background(), e.invoice(number).ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// countAudit counts an invoice's audit events of an action.
func (e reminderEnv) countAudit(number, action string) int {
	n := 0
	for _, ev := range e.audit(number) {
		if ev.Action == action {
			n++
		}
	}
	return n
}

func TestRemindersListShowsTheDueOnly(t *testing.T) {
	e := newReminderEnv(t)
	for _, c := range []struct {
		name     string
		cookie   *http.Cookie
		want     []string
		operator bool
	}{
		{"operator", e.operator, []string{`value="` + e.first + `:1"`, `value="` + e.overdue + `:2"`, "Imprimer le lot"}, true},
		{"viewer", e.viewer, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := e.do("GET", "/relances", c.cookie, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			body := w.Body.String()
			for _, want := range append(c.want, "2 facture(s) au 02/03/2026",
				e.first, "Relance n°1", euros(decimal.RequireFromString("1000.00")), "/factures/"+e.first+"/relance.pdf?etape=1",
				e.overdue, "Relance n°2", "/factures/"+e.overdue+"/relance.pdf?etape=2", `href="/relances" class="on"`) {
				if !strings.Contains(body, want) {
					t.Errorf("list lacks %q", want)
				}
			}
			for _, absent := range []string{e.paused, e.paid, e.notYet} {
				if strings.Contains(body, absent) {
					t.Errorf("list shows %s", absent)
				}
			}
			if got := strings.Contains(body, `name="lettre"`) || strings.Contains(body, "/relances/lot.pdf"); got != c.operator {
				t.Errorf("print controls shown: %v, want %v", got, c.operator)
			}
		})
	}
}

// A letter is a GET that writes nothing, and only for the step due today.
func TestReminderLetterPDF(t *testing.T) {
	e := newReminderEnv(t)
	before := len(e.audit(e.first))
	for _, c := range []struct {
		path string
		want int
	}{
		{"/factures/" + e.first + "/relance.pdf?etape=1", http.StatusOK},
		{"/factures/" + e.overdue + "/relance.pdf?etape=2", http.StatusOK},
		{"/factures/" + e.first + "/relance.pdf?etape=2", http.StatusConflict},
		{"/factures/" + e.overdue + "/relance.pdf?etape=1", http.StatusConflict},
		{"/factures/" + e.paused + "/relance.pdf?etape=2", http.StatusConflict},
		{"/factures/" + e.paid + "/relance.pdf?etape=2", http.StatusConflict},
		{"/factures/" + e.first + "/relance.pdf?etape=x", http.StatusBadRequest},
		{"/factures/" + e.first + "/relance.pdf?etape=3", http.StatusBadRequest},
		{"/factures/CT2099-999999/relance.pdf?etape=1", http.StatusNotFound},
	} {
		w := e.do("GET", c.path, e.viewer, nil)
		if w.Code != c.want {
			t.Errorf("%s: status %d, want %d: %.300s", c.path, w.Code, c.want, w.Body.String())
			continue
		}
		if c.want == http.StatusOK && (w.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(w.Body.String(), "%PDF-")) {
			t.Errorf("%s: %s, %.10q", c.path, w.Header().Get("Content-Type"), w.Body.String())
		}
	}
	if w := e.do("GET", "/factures/"+e.first+"/relance.pdf?etape=2", e.viewer, nil); !strings.Contains(w.Body.String(), "n&#39;a pas été envoyée et n&#39;est pas due aujourd&#39;hui : c&#39;est la relance n°1 qui l&#39;est") {
		t.Errorf("conflict does not say which step is due: %.500s", w.Body.String())
	}
	if len(e.audit(e.first)) != before || len(e.reminders(e.first)) != 0 {
		t.Fatal("a letter's GET wrote to the books")
	}
}

// Printing the batch records exactly the letters printed; a batch with
// one letter not due prints and records nothing; a viewer cannot print.
func TestPrintRemindersRecordsThePrinted(t *testing.T) {
	e := newReminderEnv(t)
	post := func(cookie *http.Cookie, letters ...string) *http.Response {
		t.Helper()
		return e.do("POST", "/relances/lot.pdf", cookie, url.Values{"lettre": letters}).Result()
	}
	if r := post(e.viewer, e.first+":1"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer: status %d, want 403", r.StatusCode)
	}
	for _, c := range []struct {
		name    string
		letters []string
		flash   string
	}{
		{"nothing ticked", nil, "Aucune lettre cochée"},
		{"unreadable", []string{e.first}, "illisible"},
		{"a paused invoice", []string{e.overdue + ":2", e.paused + ":2"}, "ses relances sont suspendues. Rien n&#39;a été imprimé ni enregistré"},
		{"a wrong step", []string{e.overdue + ":1"}, "c&#39;est la relance n°2 qui est due"},
		{"a paid invoice", []string{e.paid + ":2"}, "Rien n&#39;a été imprimé"},
	} {
		w := e.do("POST", "/relances/lot.pdf", e.operator, url.Values{"lettre": c.letters})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/relances" {
			t.Fatalf("%s: status %d to %q", c.name, w.Code, w.Header().Get("Location"))
		}
		page := e.do("GET", "/relances", e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")).Body.String()
		if !strings.Contains(page, c.flash) {
			t.Errorf("%s: flash lacks %q", c.name, c.flash)
		}
		if len(e.reminders(e.overdue)) != 0 || e.countAudit(e.overdue, store.ActionReminder) != 0 {
			t.Fatalf("%s: recorded a reminder", c.name)
		}
	}

	// The operator prints the first invoice's letter only.
	w := e.do("POST", "/relances/lot.pdf", e.operator, url.Values{"lettre": {e.first + ":1"}})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(w.Body.String(), "%PDF-") ||
		!strings.Contains(w.Header().Get("Content-Disposition"), "relances-2026-03-02.pdf") {
		t.Fatalf("print: status %d %s %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if rs := e.reminders(e.first); len(rs) != 1 || rs[0].Step != 1 || rs[0].Days != 15 || !rs[0].SentOn.Equal(day) || rs[0].Actor != "user:olivia" {
		t.Fatalf("reminders of %s: %+v", e.first, rs)
	}
	var reasons []string
	for _, ev := range e.audit(e.first) {
		if ev.Action == store.ActionReminder {
			reasons = append(reasons, ev.Actor+" "+ev.Reason)
		}
	}
	// The audit names the batch handed out by its SHA-256.
	sum := sha256.Sum256(w.Body.Bytes())
	if len(reasons) != 1 || reasons[0] != "user:olivia relance n°1 (15 jours après l'échéance) envoyée le 02/03/2026, lot de 1 lettre(s), sha256 "+hex.EncodeToString(sum[:]) {
		t.Fatalf("audit of the reminder: %q", reasons)
	}
	if len(e.reminders(e.overdue)) != 0 || e.countAudit(e.overdue, store.ActionReminder) != 0 {
		t.Fatal("a letter not printed was recorded sent")
	}
	body := e.do("GET", "/relances", e.operator, nil).Body.String()
	if strings.Contains(body, e.first) || !strings.Contains(body, e.overdue) || !strings.Contains(body, "1 facture(s)") {
		t.Error("after the print the list should hold the overdue invoice only")
	}
	// The letter sent is printed again from the invoice page, byte for
	// byte, and that records nothing.
	if again := e.do("GET", "/factures/"+e.first+"/relance.pdf?etape=1", e.viewer, nil); again.Code != http.StatusOK || again.Body.String() != w.Body.String() {
		t.Errorf("letter printed again: status %d, same bytes %v", again.Code, again.Body.String() == w.Body.String())
	}
	// Printing the batch again (a reload) records nothing more.
	if w := e.do("POST", "/relances/lot.pdf", e.operator, url.Values{"lettre": {e.first + ":1"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("second print: status %d, want 303", w.Code)
	}
	if len(e.reminders(e.first)) != 1 || e.countAudit(e.first, store.ActionReminder) != 1 {
		t.Fatal("printing again recorded again")
	}
	page := e.do("GET", "/factures/"+e.first, e.viewer, nil).Body.String()
	for _, want := range []string{`id="relances"`, "02/03/2026", "user:olivia", "Prochaine relance : n°2 (J+45) le 26/03/2026.",
		"/factures/" + e.first + "/relance.pdf?etape=1"} {
		if !strings.Contains(page, want) {
			t.Errorf("invoice page lacks %q", want)
		}
	}
}

// Operators pause and resume an invoice's reminders with a reason, in the
// audit trail; a paused invoice leaves the list; viewers see no form and
// are refused.
func TestPauseAndResumeReminders(t *testing.T) {
	e := newReminderEnv(t)
	base := "/factures/" + e.first + "/relances/"
	page := func(cookie *http.Cookie) string { return e.do("GET", "/factures/"+e.first, cookie, nil).Body.String() }
	if p := page(e.operator); !strings.Contains(p, "Relance n°1 due depuis le 24/02/2026") || !strings.Contains(p, base+"suspendre") {
		t.Fatalf("operator's invoice page lacks the due step or the pause form")
	}
	if p := page(e.viewer); strings.Contains(p, base+"suspendre") || !strings.Contains(p, "Relance n°1 due depuis le 24/02/2026") {
		t.Fatalf("viewer's invoice page: pause form shown, or the due step not")
	}
	for _, path := range []string{base + "suspendre", base + "reprendre"} {
		if w := e.do("POST", path, e.viewer, url.Values{"motif": {"x"}}); w.Code != http.StatusForbidden {
			t.Fatalf("viewer %s: status %d, want 403", path, w.Code)
		}
	}
	for _, motif := range []string{"", "  ", strings.Repeat("é", worker.MaxReminderReason+1)} {
		w := e.do("POST", base+"suspendre", e.operator, url.Values{"motif": {motif}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("motif %.10q: status %d", motif, w.Code)
		}
		if p := e.do("GET", "/factures/"+e.first, e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")).Body.String(); !strings.Contains(p, "Motif : obligatoire, 500 caractères au plus") {
			t.Errorf("motif %.10q: no French error", motif)
		}
	}
	if e.countAudit(e.first, store.ActionRemindersPaused) != 0 {
		t.Fatal("a pause without a valid reason was recorded")
	}

	if w := e.do("POST", base+"suspendre", e.operator, url.Values{"motif": {"paiement annoncé par le comptable"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("pause: status %d", w.Code)
	}
	if w := e.do("POST", base+"suspendre", e.operator, url.Values{"motif": {"encore"}}); w.Code != http.StatusSeeOther ||
		!strings.Contains(e.do("GET", "/factures/"+e.first, e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")).Body.String(), "sont déjà suspendues") {
		t.Fatal("pausing twice does not say so")
	}
	if n := e.countAudit(e.first, store.ActionRemindersPaused); n != 1 {
		t.Fatalf("%d pause events, want 1", n)
	}
	if p := page(e.operator); !strings.Contains(p, "Relances suspendues depuis le") || !strings.Contains(p, "paiement annoncé par le comptable") || !strings.Contains(p, base+"reprendre") {
		t.Fatal("invoice page does not show the pause and the resume form")
	}
	if strings.Contains(e.do("GET", "/relances", e.operator, nil).Body.String(), e.first) {
		t.Fatal("a paused invoice is listed")
	}
	if w := e.do("POST", base+"reprendre", e.operator, url.Values{"motif": {"paiement non reçu"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("resume: status %d", w.Code)
	}
	var trail []string
	for _, ev := range e.audit(e.first) {
		if ev.Action == store.ActionRemindersPaused || ev.Action == store.ActionRemindersResumed {
			trail = append(trail, ev.Actor+" "+ev.Action+" : "+ev.Reason)
		}
	}
	if want := "user:olivia relances suspendues : paiement annoncé par le comptable|user:olivia relances reprises : paiement non reçu"; strings.Join(trail, "|") != want {
		t.Fatalf("audit %q, want %q", strings.Join(trail, "|"), want)
	}
	if !strings.Contains(e.do("GET", "/relances", e.operator, nil).Body.String(), e.first) {
		t.Fatal("a resumed invoice is not listed again")
	}
	w := e.do("POST", "/factures/"+e.paid+"/relances/suspendre", e.operator, url.Values{"motif": {"x"}})
	if p := e.do("GET", "/factures/"+e.paid, e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")).Body.String(); !strings.Contains(p, "(payée) n&#39;a pas de relances") {
		t.Error("pausing a paid invoice's reminders is not refused in French")
	}
}

// The list's export holds every invoice with a letter due, with the
// page's filter, in a French spreadsheet's format.
func TestExportReminders(t *testing.T) {
	e := newReminderEnv(t)
	w := e.do("GET", "/relances.csv", e.viewer, nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(w.Body.String(), "\ufeff") {
		t.Fatalf("status %d, %s", w.Code, w.Header().Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(w.Body.String(), "\ufeff"), "\r\n"), "\r\n")
	est := e.ests[6]
	want := []string{
		"Facture;Établissement;SIRET;Échéance;Jours de retard;Montant TTC;Reste dû;Relance due;Jours après l'échéance;Dernière relance;Envoyée le",
		e.overdue + ";" + e.ests[4].Name + ";" + e.ests[4].SIRET + ";31/10/2025;122;1481,47;1481,47;n°2;45;;",
		e.first + ";" + est.Name + ";" + est.SIRET + ";09/02/2026;21;1200,00;1000,00;n°1;15;;",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("export:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	w = e.do("GET", "/relances.csv?q="+est.SIRET, e.viewer, nil)
	if n := strings.Count(w.Body.String(), "\r\n"); n != 2 || !strings.Contains(w.Body.String(), e.first) {
		t.Fatalf("filtered export: %d lines: %q", n, w.Body.String())
	}
	if page := e.do("GET", "/relances?q="+est.SIRET+"&tri=-due", e.viewer, nil).Body.String(); !strings.Contains(page, `href="/relances.csv?q=`+est.SIRET+`&amp;tri=-due"`) {
		t.Error("the list's export link does not keep its filter and sort")
	}
}

// The reminders' routes need a session, as every page does, and their
// POSTs a same-origin request.
func TestRemindersNeedASession(t *testing.T) {
	e := newReminderEnv(t)
	for _, rt := range []struct{ method, path string }{
		{"GET", "/relances"}, {"GET", "/relances.csv"}, {"GET", "/factures/" + e.first + "/relance.pdf?etape=1"},
		{"POST", "/relances/lot.pdf"}, {"POST", "/factures/" + e.first + "/relances/suspendre"}, {"POST", "/factures/" + e.first + "/relances/reprendre"},
	} {
		w := e.do(rt.method, rt.path, nil, url.Values{"lettre": {e.first + ":1"}, "motif": {"x"}})
		if w.Code != http.StatusUnauthorized && (w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/connexion")) {
			t.Errorf("%s %s: status %d to %q, want the login page", rt.method, rt.path, w.Code, w.Header().Get("Location"))
		}
	}
	for _, path := range []string{"/relances/lot.pdf", "/factures/" + e.first + "/relances/suspendre"} {
		w := e.do("POST", path, e.operator, url.Values{"lettre": {e.first + ":1"}, "motif": {"x"}}, "Sec-Fetch-Site", "cross-site")
		if w.Code != http.StatusForbidden {
			t.Errorf("cross-origin POST %s: status %d, want 403", path, w.Code)
		}
	}
	if len(e.reminders(e.first)) != 0 || e.countAudit(e.first, store.ActionRemindersPaused) != 0 {
		t.Fatal("an anonymous or cross-origin request changed the books")
	}
}

package dashboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"
)

// today is the dashboard's civil day in the tests.
var today = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// resubmitCall is a call to the pipeline; Files lists the attachments
// as NAME:SIZE:CONTENT (the content when under 32 bytes), comma-separated.
type resubmitCall struct{ Number, Reason, Actor, Files, Service string }

// fakeActions records what the dashboard asks of the pipeline: Resubmit
// only says it did; FillReferences and MarkMailed are the pipeline's own
// (over the same books, Chorus Pro's directory a fakeDirectory, the queue
// a discarding one), recorded when they succeed.
type fakeActions struct {
	p     *worker.Pipeline
	mu    sync.Mutex
	calls []resubmitCall
	// correctionErr, when set, is what ConfirmCorrection and
	// DismissCorrection answer (nothing is recorded then); resubmitErr
	// what ResubmitWith answers.
	correctionErr, resubmitErr error
}

func (f *fakeActions) record(c resubmitCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeActions) Resubmit(_ context.Context, number, reason, actor string) (string, error) {
	f.record(resubmitCall{Number: number, Reason: reason, Actor: actor})
	return number + " : livraison relancée", nil
}

// ResubmitWith records the call with its files and says it did, or answers
// resubmitErr when set.
func (f *fakeActions) ResubmitWith(_ context.Context, number, reason, actor string, files []chorus.Attachment) (string, error) {
	if f.resubmitErr != nil {
		return "", f.resubmitErr
	}
	var list []string
	for _, a := range files {
		shown := ""
		if len(a.Content) < 32 {
			shown = string(a.Content)
		}
		list = append(list, fmt.Sprintf("%s:%d:%s", a.Name, len(a.Content), shown))
	}
	f.record(resubmitCall{Number: number, Reason: reason, Actor: actor, Files: strings.Join(list, ",")})
	return fmt.Sprintf("%s : facture complétée avec %d pièce(s) jointe(s), suivi relancé", number, len(files)), nil
}

func (f *fakeActions) FillReferences(ctx context.Context, number, code, eng, actor string) (string, error) {
	msg, err := f.p.FillReferences(ctx, number, code, eng, actor)
	if err == nil {
		f.record(resubmitCall{Number: number, Reason: "références", Actor: actor})
	}
	return msg, err
}

func (f *fakeActions) MarkMailed(ctx context.Context, numbers []string, day time.Time, actor string) ([]string, error) {
	return f.p.MarkMailed(ctx, numbers, day, actor)
}

func (f *fakeActions) MarkBatchMailed(ctx context.Context, batch int64, day time.Time, actor string) (worker.MailedBatch, error) {
	return f.p.MarkBatchMailed(ctx, batch, day, actor)
}

// ConfirmCorrection records the confirmation (number "correction #ID",
// reason "confirm: COMMENT") and says it did.
func (f *fakeActions) ConfirmCorrection(_ context.Context, id int64, actor, comment string) (string, error) {
	return f.decide(id, "confirm", actor, comment)
}

// DismissCorrection records the dismissal like ConfirmCorrection.
func (f *fakeActions) DismissCorrection(_ context.Context, id int64, actor, comment string) (string, error) {
	return f.decide(id, "dismiss", actor, comment)
}

func (f *fakeActions) decide(id int64, what, actor, comment string) (string, error) {
	if f.correctionErr != nil {
		return "", f.correctionErr
	}
	number := "correction #" + strconv.FormatInt(id, 10)
	f.record(resubmitCall{Number: number, Reason: what + ": " + comment, Actor: actor})
	return number + " : " + what, nil
}

// EnterPayment is the pipeline's own, over the same books, recorded when
// it succeeds (the reason: amount and reference).
func (f *fakeActions) EnterPayment(ctx context.Context, e worker.PaymentEntry, actor string) (worker.PaymentEntered, error) {
	res, err := f.p.EnterPayment(ctx, e, actor)
	if err == nil {
		f.record(resubmitCall{Number: e.Number, Reason: e.Amount.StringFixed(2) + " " + e.Reference, Actor: actor})
	}
	return res, err
}

// Recycle checks the code as the pipeline does, records the call and says
// it did.
func (f *fakeActions) Recycle(_ context.Context, number, code, reason, actor string) (string, error) {
	if err := worker.CheckRecycleService(number, code); err != nil {
		return "", err
	}
	f.record(resubmitCall{Number: number, Reason: reason, Actor: actor, Service: code})
	return number + " : recyclée vers le service " + code + ", suivi relancé", nil
}

// discardQueue accepts every task.
type discardQueue struct{}

func (discardQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return &asynq.TaskInfo{}, nil
}

// reset forgets the calls recorded.
func (f *fakeActions) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

func (f *fakeActions) Calls() []resubmitCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]resubmitCall(nil), f.calls...)
}

// fakeDirectory is a buyer that requires an engagement number.
type fakeDirectory struct{}

func (fakeDirectory) LookupBuyer(_ context.Context, siret string) (chorus.Buyer, error) {
	return chorus.Buyer{SIRET: siret, OnChorus: true, Exigence: chorus.ExigenceEngagement}, nil
}

var errNoChorus = errors.New("the dashboard tests make no Chorus Pro call but the directory's")

func (fakeDirectory) LoadServices(_ context.Context, b chorus.Buyer) (chorus.Buyer, error) {
	b.ServicesLoaded = true
	return b, nil
}

func (fakeDirectory) ServiceRules(context.Context, int64, int64) (chorus.ServiceRules, error) {
	return chorus.ServiceRules{}, nil
}

func (fakeDirectory) FindChanged(context.Context, time.Time, time.Time, int) (chorus.ChangedPage, error) {
	return chorus.ChangedPage{}, errNoChorus
}

func (fakeDirectory) AddFile(context.Context, chorus.Attachment) (int64, error) {
	return 0, errNoChorus
}

func (fakeDirectory) CompleteWith(context.Context, int64, string, []int64) (chorus.CompleterResponse, error) {
	return chorus.CompleterResponse{}, errNoChorus
}

func (fakeDirectory) Deposit(context.Context, chorus.Deposit) (chorus.DepositResult, error) {
	return chorus.DepositResult{}, errNoChorus
}

func (fakeDirectory) FlowReport(context.Context, string, chorus.SyntaxeFlux) (chorus.FlowReport, error) {
	return chorus.FlowReport{}, errNoChorus
}

func (fakeDirectory) FindInvoices(context.Context, chorus.SearchCriteria) ([]chorus.FactureFournisseur, error) {
	return nil, errNoChorus
}

func (fakeDirectory) History(context.Context, int64) (chorus.ConsulterHistoriqueResponse, error) {
	return chorus.ConsulterHistoriqueResponse{}, errNoChorus
}

func (fakeDirectory) Recycle(context.Context, chorus.RecyclerRequest) (chorus.RecyclerResponse, error) {
	return chorus.RecyclerResponse{}, errNoChorus
}

func (fakeDirectory) Complete(context.Context, chorus.CompleterRequest) (chorus.CompleterResponse, error) {
	return chorus.CompleterResponse{}, errNoChorus
}

// env is a dashboard over SQLite books holding the sample establishments
// and one invoice in each interesting state.
type env struct {
	t        *testing.T
	books    *store.Store
	srv      *Server
	actions  *fakeActions
	viewer   *http.Cookie
	operator *http.Cookie
	// invoice numbers by role
	awaiting, rejected, platformRejected, postal, overdue, suspended string
	// correction is a proposal on the overdue (delivered) invoice.
	correction int64
	// ests are the sample's establishments, issuer the issuer of the
	// invoices (for mk).
	ests   []store.Establishment
	issuer document.Issuer
}

// mk finalises a one-line 2025 contribution of amount HT for est, stores
// its XML, and takes it along path (the worker's changes, unless an actor
// is said); it returns its number.
func (e *env) mk(est store.Establishment, amount string, issue time.Time, path ...store.Change) string {
	e.t.Helper()
	ctx := context.Background()
	vat := invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)}
	line, err := invoice.NewLine("bouquet", "Contribution 2025 – bouquet de services", decimal.NewFromInt(1), invoice.UnitOne,
		decimal.RequireFromString(amount), decimal.NewFromInt(1), vat)
	if err != nil {
		e.t.Fatal(err)
	}
	inv, _, err := e.books.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: est.ID,
		IssueDate: issue, DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{line}, Actor: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := worker.RenderAndStore(ctx, e.books, e.issuer, inv, []string{document.FormatCII}, "test"); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range path {
		if c.Actor == "" {
			c.Actor = "worker"
		}
		if inv, err = e.books.Apply(ctx, inv.ID, inv.State, c); err != nil {
			e.t.Fatal(err)
		}
	}
	return inv.Number
}

const testPassword = "correct horse battery"

func newEnv(t *testing.T, opts ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	books := storetest.SQLite(t)
	cat, err := tariff.LoadCatalog(fixtures.FS(), fixtures.DeliberationsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"establishments.csv", "usage-2025.csv"} {
		data, err := fs.ReadFile(fixtures.FS(), fixtures.SampleDir+"/"+f)
		if err != nil {
			t.Fatal(err)
		}
		if f == "establishments.csv" {
			_, err = books.ImportEstablishments(ctx, f, bytes.NewReader(data), cat, "test")
		} else {
			_, err = books.ImportUsage(ctx, f, bytes.NewReader(data), cat, "test")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var ests []store.Establishment
	books.ForEachEstablishment(ctx, 2025, func(e store.Establishment) error { ests = append(ests, e); return nil })
	data, _ := fs.ReadFile(fixtures.FS(), fixtures.Issuer)
	is, err := document.ParseIssuer("issuer.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	legal, ecb := rates(t)
	e := &env{t: t, books: books, ests: ests, issuer: is, actions: &fakeActions{p: worker.NewPipeline(worker.Deps{Books: books, Catalog: cat, Issuer: is,
		Chorus: fakeDirectory{}, Queue: discardQueue{}, Now: func() time.Time { return today }}, worker.DefaultConfig())}}
	mk := e.mk
	s := func(v string) *string { return &v }
	recent := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	e.awaiting = mk(ests[0], "1028.80", recent, store.Change{To: invoice.StateAwaitingReference, StatusReason: s("buyer requires an engagement number")})
	e.rejected = mk(ests[1], "2012.50", recent, store.Change{To: invoice.StateDelivering, Channel: s("chorus")}, store.Change{To: invoice.StateDeposited},
		store.Change{To: invoice.StateRejected, ChorusStatus: s("REJETEE"), StatusReason: s("Montant contesté par le service facturier")})
	e.platformRejected = mk(ests[2], "920.00", recent, store.Change{To: invoice.StateDelivering}, store.Change{To: invoice.StateRejected,
		ChorusStatus: s("IN_REJETE"), StatusReason: s("flux rejeté : SIRET destinataire inconnu")})
	e.postal = mk(ests[3], "230.00", recent, store.Change{To: invoice.StatePostal, Channel: s("postal"), StatusReason: s("établissement hors Chorus Pro")})
	e.overdue = mk(ests[4], "1234.56", time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), store.Change{To: invoice.StateDelivering},
		store.Change{To: invoice.StateDeposited}, store.Change{To: invoice.StateDelivered, ChorusStatus: s("MISE_A_DISPOSITION")})
	e.suspended = mk(ests[5], "3450.00", recent, store.Change{To: invoice.StateDelivering}, store.Change{To: invoice.StateDeposited},
		store.Change{To: invoice.StateDelivered, ChorusStatus: s("SUSPENDUE"), StatusReason: s("Merci de joindre le bon de commande")})

	ov := e.invoice(e.overdue)
	c, _, err := books.ProposeCorrection(ctx, store.Correction{EstablishmentID: ov.EstablishmentID, Year: 2025, Kind: invoice.KindContribution,
		Basis: strconv.FormatInt(ov.ID, 10), InvoiceID: ov.ID, Owed: decimal.RequireFromString("2012.50"), Invoiced: ov.TotalHT,
		OwedTTC: decimal.RequireFromString("2415.00"), InvoicedTTC: ov.TotalTTC, Reason: "effectif 2025 corrigé : 30 → 45"})
	if err != nil {
		t.Fatal(err)
	}
	e.correction = c.ID

	for name, role := range map[string]string{"victor": store.RoleViewer, "olivia": store.RoleOperator} {
		h, err := HashPassword(testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := books.CreateUser(ctx, name, h, role, "test"); err != nil {
			t.Fatal(err)
		}
	}
	mr := miniredis.RunT(t)
	cfg := Config{Books: books, Actions: e.actions, Issuer: is, Catalog: cat,
		LegalRates: legal, ECBRates: ecb, Redis: asynq.RedisClientOpt{Addr: mr.Addr()},
		SecureCookies: true, Now: func() time.Time { return today }}
	for _, o := range opts {
		o(&cfg)
	}
	if e.srv, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.srv.Close() })
	if e.viewer, err = e.srv.NewSession(ctx, "victor"); err != nil {
		t.Fatal(err)
	}
	if e.operator, err = e.srv.NewSession(ctx, "olivia"); err != nil {
		t.Fatal(err)
	}
	return e
}

func rates(t testing.TB) (*invoice.RateTable, *invoice.RateTable) {
	t.Helper()
	f, _ := fixtures.FS().Open(fixtures.LegalInterestRates)
	legal, err := invoice.ParseLegalRates(fixtures.LegalInterestRates, f)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := fixtures.FS().Open(fixtures.ECBRates)
	ecb, err := invoice.ParseECBRates(fixtures.ECBRates, g)
	if err != nil {
		t.Fatal(err)
	}
	return legal, ecb
}

// do sends a request as a same-origin browser would (Sec-Fetch-Site),
// with the cookie if any; a form body makes it a form POST.
func (e *env) do(method, path string, cookie *http.Cookie, form url.Values, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	if form == nil {
		return send(e.srv, method, path, "", strings.NewReader(""), cookie, hdr...)
	}
	return send(e.srv, method, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), cookie, hdr...)
}

// send sends a request to h as a same-origin browser would (Sec-Fetch-Site),
// with its content type when not empty, and the cookie if any; hdr
// overrides headers, in pairs.
func send(h http.Handler, method, path, ctype string, body io.Reader, cookie *http.Cookie, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://dash.example"+path, body)
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	r.Header.Set("Accept", "text/html")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func (e *env) invoice(number string) store.Invoice {
	e.t.Helper()
	inv, err := e.books.InvoiceByNumber(context.Background(), number)
	if err != nil {
		e.t.Fatal(err)
	}
	return inv
}

func (e *env) audit(number string) []store.AuditEvent {
	e.t.Helper()
	ev, err := e.books.AuditTrail(context.Background(), "invoice", e.invoice(number).ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

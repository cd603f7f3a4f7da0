package worker

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"
)

// The end-to-end tests run the real pipeline on a real Redis (a private
// redis-server per test, which it may flush: nothing else uses it), real
// PostgreSQL (a schema of its own) and the Chorus Pro sandbox, whose
// business clock the test drives.

// wallClock is the sandbox's token clock: frozen, tokens never expire here.
func wallClock() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

type stack struct {
	t        testing.TB
	books    *store.Store
	sb       *sandbox.Server
	p        *Pipeline
	client   *asynq.Client
	redis    asynq.RedisClientOpt
	cancel   context.CancelFunc
	done     chan struct{}
	issueDay time.Time
	mu       sync.Mutex
}

func newStack(t testing.TB, books *store.Store, faults sandbox.Faults, tune ...func(*Config)) *stack {
	t.Helper()
	s := newStackOn(t, books, faults, redistest.Start(t), tune...)
	s.startWorker()
	return s
}

// newStackOn is a stack on the Redis at redisAddr, its worker not started.
func newStackOn(t testing.TB, books *store.Store, faults sandbox.Faults, redisAddr string, tune ...func(*Config)) *stack {
	t.Helper()
	ropt := asynq.RedisClientOpt{Addr: redisAddr}
	sb, err := sandbox.New(sandbox.Config{
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
		Now: wallClock, Admin: true, Seed: 3, Faults: faults,
		FlowProcessingDelay: -1, FlowIntegrationDelay: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	api, err := chorus.New(chorus.Config{Env: chorus.Local, BaseURL: srv.URL, TokenURL: srv.URL + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret, TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxAttempts: 4, CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	legal, ecb := rateTables(t)
	cfg := DefaultConfig()
	cfg.TrackIntervals = []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}
	cfg.KickEvery = time.Second
	cfg.StaleAfter = 3 * time.Second
	cfg.RetryBase = 20 * time.Millisecond
	cfg.AutoRuns = false
	cfg.Concurrency = 20
	cfg.ShutdownTimeout = 2 * time.Second
	cfg.PollInterval = 50 * time.Millisecond
	cfg.SweepSoon = 50 * time.Millisecond
	cfg.SweepEvery = 200 * time.Millisecond
	cfg.SearchLagWait, cfg.VerifyFor, cfg.VerifyEvery = 300*time.Millisecond, 600*time.Millisecond, 50*time.Millisecond
	cfg.NotFoundAfter = time.Second
	cfg.PauseProbeEvery = 200 * time.Millisecond
	for _, f := range tune {
		f(&cfg)
	}
	client := asynq.NewClient(ropt)
	t.Cleanup(func() { client.Close() })
	s := &stack{t: t, books: books, sb: sb, client: client, redis: ropt, issueDay: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	s.p = NewPipeline(Deps{Books: books, Catalog: catalog(t), Issuer: issuer(t), Chorus: api, Queue: client,
		LegalRates: legal, ECBRates: ecb, Now: sb.Now,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}, cfg)
	t.Cleanup(s.stopWorker)
	return s
}

func rateTables(t testing.TB) (*invoice.RateTable, *invoice.RateTable) {
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

func (s *stack) startWorker() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.p.Serve(ctx, s.redis); err != nil {
			s.t.Errorf("worker: %v", err)
		}
	}()
}

func (s *stack) stopWorker() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
}

// settle waits until every invoice has left the working states, then
// advances the sandbox's business clock a day at a time, and waits until
// nothing changes any more.
func (s *stack) settle(ctx context.Context, days int) {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	working := func(snap string) bool {
		return strings.Contains(snap, "=finalised") || strings.Contains(snap, "=delivering") || strings.Contains(snap, "=deposited")
	}
	for working(s.snapshot(ctx)) || s.runsPending(ctx) {
		if time.Now().After(deadline) {
			s.t.Fatalf("invoices still in working states: %s", s.snapshot(ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for day := 0; day < days; day++ {
		if err := s.sb.Advance(24 * time.Hour); err != nil {
			s.t.Fatal(err)
		}
		// The day's sweeps (the scheduler's run by the wall clock, which
		// does not pass here as the business clock does).
		if _, err := s.p.Sweep(ctx); err != nil {
			s.t.Logf("sweep: %v", err)
		}
		time.Sleep(40 * time.Millisecond)
	}
	quiet, last := 0, ""
	for time.Now().Before(deadline) {
		time.Sleep(60 * time.Millisecond)
		snap := s.snapshot(ctx)
		if !working(snap) && snap == last {
			if quiet++; quiet >= 10 {
				return
			}
		} else {
			quiet = 0
		}
		last = snap
	}
	s.t.Fatalf("the pipeline did not settle: %s", last)
}

// runsPending reports whether a run still has establishments without outcome.
func (s *stack) runsPending(ctx context.Context) bool {
	runs, err := s.books.Runs(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	n, _ := s.books.CountEstablishments(ctx)
	for _, r := range runs {
		sum, err := s.books.Summary(ctx, r.ID)
		if err != nil {
			s.t.Fatal(err)
		}
		if sum.Items < n {
			return true
		}
	}
	return false
}

func (s *stack) snapshot(ctx context.Context) string {
	list, err := s.books.ListInvoices(ctx, store.InvoiceFilter{})
	if err != nil {
		s.t.Fatal(err)
	}
	var b strings.Builder
	for _, inv := range list {
		fmt.Fprintf(&b, "%s=%s/%s ", inv.Number, inv.State, inv.ChorusStatus)
	}
	return b.String()
}

// expected final state of each sample establishment's 2025 contribution,
// from fixtures/chorus-buyers.yaml and the sample.
func (s *stack) checkRun(ctx context.Context, run store.Run, year int) map[invoice.State]int {
	t := s.t
	sum, err := s.books.Summary(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := s.books.CountEstablishments(ctx)
	if sum.Items != n {
		t.Errorf("run has an outcome for %d establishments of %d", sum.Items, n)
	}
	if sum.Outcomes[outcomeFailed] != 0 {
		t.Errorf("%d establishments failed", sum.Outcomes[outcomeFailed])
	}
	list, err := s.books.ListInvoices(ctx, store.InvoiceFilter{Year: year, Kind: invoice.KindContribution})
	if err != nil {
		t.Fatal(err)
	}
	states := map[invoice.State]int{}
	total := decimal.Zero
	for i, inv := range list {
		states[inv.State]++
		if inv.Seq != int64(i+1) {
			t.Errorf("numbering: %s at position %d", inv.Number, i+1)
		}
		if inv.State != invoice.StateCancelled {
			total = total.Add(inv.TotalTTC)
		}
	}
	// Amounts: the sum computed directly from the tariff.
	want := decimal.Zero
	err = s.books.ForEachEstablishment(ctx, year, func(e store.Establishment) error {
		te, err := e.Tariff(year)
		if err != nil {
			return err
		}
		q, err := s.p.cat.Contribution(te, year)
		if err != nil {
			return err
		}
		if q.Due() {
			want = want.Add(q.Totals.TTC)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !total.Equal(want) {
		t.Errorf("billed %s TTC, the tariff says %s", total, want)
	}
	// Every invoice on Chorus Pro was integrated exactly once; nothing
	// postal or awaiting references was deposited.
	integrated := map[string]int{}
	for _, d := range s.sb.Deposits() {
		if d.EtatFinal == chorus.EtatFluxIntegre {
			integrated[d.NumeroFacture]++
		}
	}
	for _, inv := range list {
		onChorus := inv.Channel == "chorus"
		switch {
		case onChorus && integrated[inv.Number] != 1 && inv.State != invoice.StateRejected:
			t.Errorf("%s (%s) integrated %d times", inv.Number, inv.State, integrated[inv.Number])
		case !onChorus && integrated[inv.Number] != 0:
			t.Errorf("%s (%s, %q) deposited although not delivered through Chorus Pro", inv.Number, inv.State, inv.Channel)
		}
		trail, _ := s.books.AuditTrail(ctx, "invoice", inv.ID)
		if len(trail) < 2 || trail[0].To != string(invoice.StateFinalised) || trail[len(trail)-1].To != string(inv.State) {
			t.Errorf("%s: audit trail does not end in its state %s", inv.Number, inv.State)
		}
	}
	return states
}

// billedYear is the year the e2e tests bill: the invoices are dated
// 2 March of it, and the sandbox's business clock starts then.
const billedYear = 2026

func startSample(t *testing.T, s *stack) store.Run {
	ctx := context.Background()
	loadSample(t, s.books)
	if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, s.issueDay); err != nil {
		t.Fatal(err)
	}
	// Asking twice bills nothing twice.
	if err := s.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, s.issueDay); err != nil {
		t.Fatal(err)
	}
	var run store.Run
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r, err := s.books.RunFor(ctx, billedYear, invoice.KindContribution)
		if err == nil {
			run = r
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if run.ID == 0 {
		t.Fatal("the run was never recorded")
	}
	return run
}

// The sample's 2025 contributions, billed end to end.
func TestE2EContributionYear(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, storetest.Postgres(t), sandbox.Faults{})
	run := startSample(t, s)
	s.settle(ctx, 50)
	states := s.checkRun(ctx, run, billedYear)
	for _, want := range []invoice.State{invoice.StatePaid, invoice.StatePostal, invoice.StateAwaitingReference, invoice.StateDelivered} {
		if states[want] == 0 {
			t.Errorf("no invoice ended %s: %v", want, states)
		}
	}

	// Landivisiau requires a code service and gave none for the year: its
	// invoice waits. The finance team imports it and re-submits; the buyer
	// then rejects the invoice (its script), which is re-submitted again.
	landivisiau, err := s.books.EstablishmentBySIRET(ctx, "20007983800021")
	if err != nil {
		t.Fatal(err)
	}
	waiting, _ := s.books.ListInvoices(ctx, store.InvoiceFilter{EstablishmentID: landivisiau.ID})
	if len(waiting) != 1 || waiting[0].State != invoice.StateAwaitingReference || !strings.Contains(waiting[0].StatusReason, "code service") {
		t.Fatalf("Landivisiau's invoice: %+v", waiting)
	}
	if _, err := s.books.ImportReferences(ctx, "refs.csv", strings.NewReader("siret;year;code_service;engagement\n20007983800021;2026;FINANCES;\n"), "finance"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.p.Resubmit(ctx, waiting[0].Number, "code service reçu", "finance"); err != nil {
		t.Fatal(err)
	}
	s.settle(ctx, 10)
	t.Logf("final states: %v\n%s", states, s.snapshot(ctx))

	// A buyer-rejected invoice, re-submitted: credit note and replacement.
	rejected, err := s.books.ListInvoices(ctx, store.InvoiceFilter{State: invoice.StateRejected})
	if err != nil || len(rejected) == 0 {
		t.Fatalf("rejected: %v", err)
	}
	var buyerRejected store.Invoice
	for _, r := range rejected {
		if r.ChorusStatus == string(chorus.StatutRejetee) {
			buyerRejected = r
		}
	}
	if buyerRejected.ID == 0 {
		t.Fatalf("no buyer rejection among %d rejected", len(rejected))
	}
	// Before re-submitting, a fact changes: the buyer's 2026 headcount is
	// corrected. The replacement follows today's facts, not the rejected
	// invoice's lines (issue 14, problem 4), and keeps its references.
	rejEst, err := s.books.EstablishmentByID(ctx, buyerRejected.EstablishmentID)
	if err != nil {
		t.Fatal(err)
	}
	importRows(t, s.books, withFields(sampleRows(t), rejEst.SIRET, map[int]string{colHeadcount2026: "900"})) // a larger bracket
	rejEst, _ = s.books.EstablishmentByID(ctx, buyerRejected.EstablishmentID)
	wantQ, err := quote(ctx, s.books, catalog(t), rejEst, buyerRejected.Year, buyerRejected.Kind)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.p.Resubmit(ctx, buyerRejected.Number, "erreur de service corrigée", "finance")
	if err != nil {
		t.Fatal(err)
	}
	trail, _ := s.books.AuditTrail(ctx, "invoice", buyerRejected.ID)
	commented := false
	for _, ev := range trail {
		commented = commented || strings.Contains(ev.Reason, "motif : erreur de service corrigée")
	}
	if !commented {
		t.Errorf("the operator's comment is in no audit row of %s: %+v", buyerRejected.Number, trail)
	}
	if _, err := s.p.Resubmit(ctx, buyerRejected.Number, "again", "finance"); err == nil {
		t.Error("a cancelled invoice was resubmitted twice")
	}
	s.settle(ctx, 20)
	orig, _ := s.books.InvoiceByID(ctx, buyerRejected.ID)
	credit, err1 := s.books.CreditNoteCancelling(ctx, orig.ID)
	repl, err2 := s.books.InvoiceReplacing(ctx, orig.ID)
	if orig.State != invoice.StateCancelled || err1 != nil || err2 != nil {
		t.Fatalf("%s: original %s, credit %v, replacement %v", msg, orig.State, err1, err2)
	}
	if credit.Kind != invoice.KindCreditNote || !credit.TotalTTC.Equal(orig.TotalTTC) || credit.State != invoice.StateDelivered {
		t.Errorf("credit note %s %s %s", credit.Number, credit.TotalTTC, credit.State)
	}
	if repl.Number == orig.Number || !repl.TotalHT.Equal(invoice.ComputeTotals(wantQ.Lines).HT) || repl.TotalTTC.Equal(orig.TotalTTC) || repl.State != invoice.StatePaid {
		t.Errorf("replacement %s %s HT (today's facts: %s; rejected %s TTC) %s", repl.Number, repl.TotalHT, invoice.ComputeTotals(wantQ.Lines).HT, orig.TotalTTC, repl.State)
	}
	if repl.CodeService != orig.CodeService || repl.Engagement != orig.Engagement {
		t.Errorf("replacement references %q/%q, rejected invoice's %q/%q", repl.CodeService, repl.Engagement, orig.CodeService, orig.Engagement)
	}
	// The run's amount invoiced counts the replacement, not the rejected
	// invoice and its credit note: what is billed now.
	current := decimal.Zero
	all, _ := s.books.ListInvoices(ctx, store.InvoiceFilter{Year: billedYear})
	for _, inv := range all {
		if inv.RunID != nil && *inv.RunID == run.ID && inv.Kind != invoice.KindCreditNote && inv.State != invoice.StateCancelled {
			current = current.Add(inv.TotalTTC)
		}
	}
	if sum, err := s.books.Summary(ctx, run.ID); err != nil || !sum.Invoiced.Equal(current) {
		t.Errorf("run invoiced %s, want %s (%v)", sum.Invoiced, current, err)
	}

	// Late payments produce exactly one interest invoice each, at the
	// legal rate; a second pass adds none.
	for i := 0; i < 2; i++ {
		if err := s.p.HandleInterest(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	late, _ := s.books.LatePaymentsWithoutInterest(ctx)
	interest, _ := s.books.ListInvoices(ctx, store.InvoiceFilter{Kind: invoice.KindInterest})
	if len(late) != 0 || len(interest) == 0 {
		t.Fatalf("%d late payments without interest, %d interest invoices", len(late), len(interest))
	}
	for _, in := range interest {
		full, _ := s.books.InvoiceByID(ctx, in.ID)
		var payment store.Payment
		orig := store.Invoice{}
		list, _ := s.books.ListInvoices(ctx, store.InvoiceFilter{})
		for _, cand := range list {
			ps, _ := s.books.Payments(ctx, cand.ID)
			for _, p := range ps {
				if full.InterestPaymentID != nil && p.ID == *full.InterestPaymentID {
					payment, orig = p, cand
				}
			}
		}
		want, err := invoice.LateInterest(orig.LatePaymentRegime, payment.Amount, orig.DueDate, payment.PaidOn, s.p.rates)
		if err != nil || !full.TotalHT.Equal(want.Total) || full.TotalVAT.Sign() != 0 {
			t.Errorf("interest %s = %s, want %s (%v)", full.Number, full.TotalHT, want.Total, err)
		}
	}
}

// A worker stopped mid-run and restarted, and Redis flushed mid-run, still
// end with every invoice deposited exactly once; batches of 7 so that some
// are cut by the stop, and Chorus Pro faults send deposits and polls to the
// one-invoice tasks.
func TestE2ECrashAndFlush(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, storetest.Postgres(t), sandbox.Faults{ErrorRate: 0.1, RateLimitRate: 0.05, LostResponseRate: 0.05},
		func(c *Config) { c.IssueBatch = 7 })
	run := startSample(t, s)
	time.Sleep(150 * time.Millisecond)
	s.stopWorker()
	rdb := redis.NewClient(&redis.Options{Addr: s.redis.Addr, DB: s.redis.DB})
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	time.Sleep(3100 * time.Millisecond) // past StaleAfter: the books drive the reconcile
	s.startWorker()
	s.settle(ctx, 50)
	s.checkRun(ctx, run, billedYear)
}

package dashboard

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
)

// scrape reads /metrics as a signed-in viewer and returns each sample by
// its name and labels as the text format writes them (labels sorted by
// name), e.g. `chorusbill_invoices{state="paid"}`.
func (e *env) scrape() map[string]float64 {
	e.t.Helper()
	w := e.do("GET", "/metrics", e.viewer, nil, "Accept", "text/plain")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		e.t.Fatalf("/metrics: %d %s\n%s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(w.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetrics drives the books, the queues, the pipeline's counters and a
// real Chorus Pro client (against the sandbox) step by step, and checks
// what /metrics says after each step.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	events := &worker.Metrics{}
	var insp *asynq.Inspector
	e := newEnv(t, func(c *Config) {
		insp = asynq.NewInspector(c.Redis)
		c.Inspector, c.PipelineMetrics = insp, events
	})
	t.Cleanup(func() { insp.Close() })
	m := e.srv.Metrics()

	sb, err := sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, FlowProcessingDelay: -1, FlowIntegrationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(sb)
	t.Cleanup(api.Close)
	client, err := chorus.New(chorus.Config{Env: chorus.Local, BaseURL: api.URL, TokenURL: api.URL + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret, TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword},
		chorus.WithObserver(chorus.LabelObserver(m.ObserveChorus)))
	if err != nil {
		t.Fatal(err)
	}
	queue := asynq.NewClient(asynq.RedisClientOpt{Addr: e.srv.cfg.Redis.(asynq.RedisClientOpt).Addr})
	t.Cleanup(func() { queue.Close() })

	var run store.Run
	runLabels := func() string {
		return `{kind="contribution",run="` + strconv.FormatInt(run.ID, 10) + `",year="2025"}`
	}
	outcome := func(o string) string { // labels in the text format's (alphabetical) order
		return `{kind="contribution",outcome="` + o + `",run="` + strconv.FormatInt(run.ID, 10) + `",year="2025"}`
	}
	est := func(number string) int64 { return e.invoice(number).EstablishmentID }

	steps := []struct {
		name string
		do   func(t *testing.T)
		want func() map[string]float64
	}{
		{"books as filled", func(*testing.T) {}, func() map[string]float64 {
			return map[string]float64{
				`chorusbill_invoices{state="awaiting_reference"}`: 1,
				`chorusbill_invoices{state="rejected"}`:           2,
				`chorusbill_invoices{state="delivered"}`:          2,
				`chorusbill_invoices{state="postal"}`:             1,
				`chorusbill_invoices{state="paid"}`:               0,
				`chorusbill_books_up`:                             1,
				`chorusbill_queues_up`:                            1,
				`chorusbill_deposits_total{outcome="ok"}`:         0,
				`chorusbill_deposits_total{outcome="uncertain"}`:  0,
			}
		}},
		{"a run under way", func(t *testing.T) {
			if run, _, err = e.books.StartRun(ctx, 2025, invoice.KindContribution, today); err != nil {
				t.Fatal(err)
			}
			if err := e.books.SetRunEnqueued(ctx, run.ID, 40); err != nil {
				t.Fatal(err)
			}
			for _, it := range []struct {
				number, outcome string
			}{{e.awaiting, "issued"}, {e.rejected, "issued"}, {e.postal, "free"}} {
				if err := e.books.RecordRunItem(ctx, run.ID, est(it.number), it.outcome, nil, ""); err != nil {
					t.Fatal(err)
				}
			}
		}, func() map[string]float64 {
			return map[string]float64{
				"chorusbill_run_establishments" + runLabels(): 40,
				"chorusbill_run_items_done" + runLabels():     3,
				"chorusbill_run_finished" + runLabels():       0,
				"chorusbill_run_items" + outcome("issued"):    2,
				"chorusbill_run_items" + outcome("free"):      1,
				"chorusbill_run_items" + outcome("failed"):    0,
			}
		}},
		{"the run finishes", func(t *testing.T) {
			if err := e.books.RecordRunItem(ctx, run.ID, est(e.overdue), "failed", nil, "boom"); err != nil {
				t.Fatal(err)
			}
			if err := e.books.FinishRun(ctx, run.ID); err != nil {
				t.Fatal(err)
			}
		}, func() map[string]float64 {
			return map[string]float64{
				"chorusbill_run_items_done" + runLabels():  4,
				"chorusbill_run_items" + outcome("failed"): 1,
				"chorusbill_run_finished" + runLabels():    1,
			}
		}},
		{"an invoice is paid", func(t *testing.T) {
			inv := e.invoice(e.overdue)
			if _, err := e.books.Apply(ctx, inv.ID, inv.State, store.Change{To: invoice.StatePaid, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
		}, func() map[string]float64 {
			return map[string]float64{
				`chorusbill_invoices{state="delivered"}`: 1,
				`chorusbill_invoices{state="paid"}`:      1,
			}
		}},
		{"tasks in the queues", func(t *testing.T) {
			for i := range 2 {
				if _, err := queue.Enqueue(asynq.NewTask(worker.TypeDeliver, []byte(`{"invoice_id":`+strconv.Itoa(i)+`}`)), asynq.Queue("default")); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := queue.Enqueue(asynq.NewTask(worker.TypeRun, []byte(`{}`)), asynq.Queue("critical"), asynq.ProcessIn(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}, func() map[string]float64 {
			return map[string]float64{
				`chorusbill_queue_tasks{queue="default",state="pending"}`:    2,
				`chorusbill_queue_tasks{queue="default",state="active"}`:     0,
				`chorusbill_queue_tasks{queue="critical",state="scheduled"}`: 1,
				`chorusbill_queue_tasks{queue="critical",state="pending"}`:   0,
				`chorusbill_queue_paused{queue="default"}`:                   0,
			}
		}},
		{"the pipeline's events", func(*testing.T) {
			events.Inc("deposited")
			events.Inc("deposited")
			events.Inc("buyer_rejected")
		}, func() map[string]float64 {
			return map[string]float64{
				`chorusbill_pipeline_events_total{event="deposited"}`:      2,
				`chorusbill_pipeline_events_total{event="buyer_rejected"}`: 1,
			}
		}},
		{"Chorus Pro: a directory lookup and a deposit", func(t *testing.T) {
			if _, err := client.LookupBuyer(ctx, "26223144200035"); err != nil {
				t.Fatal(err)
			}
			doc, err := e.books.Document(ctx, e.invoice(e.awaiting).ID, document.FormatCII)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.Deposit(ctx, chorus.Deposit{Filename: e.awaiting + ".xml", Content: doc.Content, Syntax: chorus.SyntaxeCII16B}); err != nil {
				t.Fatal(err)
			}
		}, func() map[string]float64 {
			return map[string]float64{
				`chorusbill_chorus_calls_total{op="structures/rechercher",outcome="ok"}`:      1,
				`chorusbill_chorus_calls_total{op="structures/consulter",outcome="ok"}`:       1,
				`chorusbill_chorus_calls_total{op="deposer/flux",outcome="ok"}`:               1,
				`chorusbill_chorus_call_duration_seconds_count{op="deposer/flux"}`:            1,
				`chorusbill_chorus_call_duration_seconds_bucket{op="deposer/flux",le="+Inf"}`: 1,
				`chorusbill_deposits_total{outcome="ok"}`:                                     1,
			}
		}},
		{"Chorus Pro: failures by kind", func(*testing.T) {
			chorus.LabelObserver(m.ObserveChorus)("deposer/flux", chorus.Uncertain, 0, 2*time.Second)
			chorus.LabelObserver(m.ObserveChorus)("structures/rechercher", chorus.Transient, http.StatusServiceUnavailable, 40*time.Millisecond)
			chorus.LabelObserver(m.ObserveChorus)("consulterCRDetaille", chorus.Auth, http.StatusUnauthorized, 30*time.Millisecond)
			chorus.LabelObserver(m.ObserveChorus)("deposer/flux", chorus.Permanent, http.StatusBadRequest, 300*time.Millisecond)
		}, func() map[string]float64 {
			return map[string]float64{
				`chorusbill_chorus_calls_total{op="deposer/flux",outcome="uncertain"}`:             1,
				`chorusbill_chorus_calls_total{op="deposer/flux",outcome="permanent"}`:             1,
				`chorusbill_chorus_calls_total{op="structures/rechercher",outcome="transient"}`:    1,
				`chorusbill_chorus_calls_total{op="consulterCRDetaille",outcome="authentication"}`: 1,
				`chorusbill_deposits_total{outcome="ok"}`:                                          1,
				`chorusbill_deposits_total{outcome="uncertain"}`:                                   1,
				`chorusbill_deposits_total{outcome="permanent"}`:                                   1,
				`chorusbill_deposits_total{outcome="transient"}`:                                   0,
				`chorusbill_chorus_call_duration_seconds_count{op="deposer/flux"}`:                 3,
				`chorusbill_chorus_call_duration_seconds_bucket{op="deposer/flux",le="1"}`:         2,
				`chorusbill_chorus_call_duration_seconds_bucket{op="deposer/flux",le="2.5"}`:       3,
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			got := e.scrape()
			for k, want := range st.want() {
				v, ok := got[k]
				if !ok {
					t.Errorf("%s: missing", k)
				} else if v != want {
					t.Errorf("%s = %v, want %v", k, v, want)
				}
			}
		})
	}
	// Labels never carry an invoice number, a SIRET or a name.
	for k := range e.scrape() {
		for _, leak := range []string{e.awaiting, e.rejected, "26223144200035", "Plougastel"} {
			if strings.Contains(k, leak) {
				t.Errorf("metric %s shows %q", k, leak)
			}
		}
	}
}

// /metrics is behind the dashboard's authentication like every other page:
// a browser is sent to the login page, Prometheus (or anyone else) gets 401
// without a sample; a viewer may read it.
func TestMetricsNeedASession(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, accept string
		cookie       *http.Cookie
		code         int
	}{
		{"Prometheus, anonymous", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", nil, http.StatusUnauthorized},
		{"curl, anonymous", "*/*", nil, http.StatusUnauthorized},
		{"browser, anonymous", "text/html,application/xhtml+xml", nil, http.StatusSeeOther},
		{"forged cookie", "text/plain", &http.Cookie{Name: "__Host-chorusbill", Value: "forged"}, http.StatusUnauthorized},
		{"viewer", "text/plain", e.viewer, http.StatusOK},
		{"operator", "text/plain", e.operator, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("GET", "/metrics", tc.cookie, nil, "Accept", tc.accept)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d", w.Code, tc.code)
			}
			if tc.code == http.StatusSeeOther && !strings.HasPrefix(w.Header().Get("Location"), "/connexion") {
				t.Fatalf("redirected to %q", w.Header().Get("Location"))
			}
			if got := strings.Contains(w.Body.String(), "chorusbill_invoices"); got != (tc.code == http.StatusOK) {
				t.Fatalf("samples shown: %v\n%s", got, w.Body.String())
			}
		})
	}
	// The handler for a Prometheus listener of its own serves the same registry.
	w := httptest.NewRecorder()
	e.srv.Metrics().Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `chorusbill_invoices{state="rejected"} 2`) {
		t.Fatalf("metrics handler: %d\n%s", w.Code, w.Body.String())
	}
}

func TestMetricsWatchOneSetOfSources(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.Metrics().Watch(Sources{Books: e.books}); err == nil {
		t.Fatal("a second Watch was accepted: the books would be counted twice")
	}
}

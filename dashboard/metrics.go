package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a chorusbill process's Prometheus registry (its own, never the
// global one). It holds:
//
//   - what the Chorus Pro client reports through ObserveChorus (wired with
//     chorus.WithObserver(chorus.LabelObserver(m.ObserveChorus))): calls by operation and outcome, their latency, and
//     deposits by outcome;
//   - once Watch is called, what is read at scrape time: invoices by state
//     and runs' progress from the books, queue sizes from asynq, and the
//     pipeline's own counters;
//   - the Go runtime's and the process's metrics.
//
// Labels carry no personal data: states, operations, queue names, run ids,
// years and kinds; never a SIRET, a name or an invoice number.
//
// The dashboard serves it at /metrics to signed-in users; a Prometheus
// server scrapes Handler on a listener of its own (CHORUSBILL_METRICS_ADDR,
// loopback by default), since it cannot sign in through the login form.
type Metrics struct {
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	deposits *prometheus.CounterVec

	once    sync.Once
	handler http.Handler
}

// Metric names and labels fed by the Chorus Pro client.
const (
	metricChorusCalls    = "chorusbill_chorus_calls_total"
	metricChorusDuration = "chorusbill_chorus_call_duration_seconds"
	metricDeposits       = "chorusbill_deposits_total"
	// opDeposit is the Chorus Pro operation that deposits an invoice.
	opDeposit = "deposer/flux"
	// metricPasswordExpires and metricDeliveriesPaused are read from the
	// books at scrape time.
	metricPasswordExpires  = "chorusbill_chorus_password_expires_in_days"
	metricDeliveriesPaused = "chorusbill_deliveries_paused"
)

// ChorusOutcome is the outcome label of an exchange with Chorus Pro.
type ChorusOutcome string

// Outcome labels: success, then the kinds of failure of the Chorus Pro
// client (chorus.LabelObserver gives these).
const (
	ChorusOK             ChorusOutcome = "ok"
	ChorusTransient      ChorusOutcome = "transient"
	ChorusPermanent      ChorusOutcome = "permanent"
	ChorusUncertain      ChorusOutcome = "uncertain"
	ChorusAuthentication ChorusOutcome = "authentication"
)

// chorusOutcomes are the outcome labels, each present from the start.
var chorusOutcomes = []ChorusOutcome{ChorusOK, ChorusTransient, ChorusPermanent, ChorusUncertain, ChorusAuthentication}

// NewMetrics makes a registry with the Chorus Pro instruments and the Go
// and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricChorusCalls,
			Help: "HTTP exchanges with Chorus Pro, by operation (e.g. deposer/flux) and outcome (ok, transient, permanent, uncertain, authentication); retries count each."},
			[]string{"op", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricChorusDuration,
			Help:    "Duration of HTTP exchanges with Chorus Pro, by operation.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
			[]string{"op"}),
		deposits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricDeposits,
			Help: "Invoice deposits sent to Chorus Pro (deposer/flux exchanges), by outcome; uncertain ones are searched for before any new deposit."},
			[]string{"outcome"}),
	}
	for _, k := range chorusOutcomes {
		m.deposits.WithLabelValues(string(k)) // present at 0 from the start, for rate()
	}
	m.reg.MustRegister(m.calls, m.latency, m.deposits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveChorus counts an exchange with Chorus Pro: pass it to
// chorus.WithObserver through chorus.LabelObserver.
func (m *Metrics) ObserveChorus(op string, outcome ChorusOutcome, status int, took time.Duration) {
	o := string(outcome)
	m.calls.WithLabelValues(op, o).Inc()
	m.latency.WithLabelValues(op).Observe(took.Seconds())
	if op == opDeposit {
		m.deposits.WithLabelValues(o).Inc()
	}
}

// Handler serves the registry in the Prometheus exposition formats, with
// no authentication of its own: the dashboard puts it behind its sessions,
// the metrics listener behind its (loopback) address.
func (m *Metrics) Handler() http.Handler {
	m.once.Do(func() {
		m.handler = promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
			Registry: m.reg, ErrorHandling: promhttp.ContinueOnError, Timeout: 30 * time.Second}))
	})
	return m.handler
}

// Sources are what Watch reads at each scrape. Any may be nil.
type Sources struct {
	Books *store.Store
	// Inspector reads the queues (an *asynq.Inspector).
	Inspector QueueInspector
	// Pipeline is the pipeline's event counters (worker.Pipeline.Metrics):
	// what this process's handlers did.
	Pipeline *worker.Metrics
	// Timeout bounds the books' queries of one scrape (default 10 s).
	Timeout time.Duration
	Logger  *slog.Logger
	// TechPasswordExpires is the configured expiry of the technical
	// account's password (zero: the books' reading of Chorus Pro), and Now
	// the civil clock the days left are counted on (nil: the machine's).
	TechPasswordExpires time.Time
	Now                 func() time.Time
}

// Watch registers a collector that reads the sources at scrape time. A
// registry watches one set of sources: a second call is an error.
func (m *Metrics) Watch(src Sources) error {
	if src.Timeout <= 0 {
		src.Timeout = 10 * time.Second
	}
	if src.Logger == nil {
		src.Logger = slog.New(slog.DiscardHandler)
	}
	if src.Now == nil {
		src.Now = time.Now
	}
	if err := m.reg.Register(newSourceCollector(src)); err != nil {
		if errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			return errors.New("dashboard: metrics already watch a set of sources")
		}
		return err
	}
	return nil
}

// sourceCollector reads the books, the queues and the pipeline's counters
// when Prometheus scrapes: nothing is cached, so the figures are those of
// the books at that moment, whichever process changed them.
type sourceCollector struct {
	src Sources

	invoices, booksUp                                 *prometheus.Desc
	runEstablishments, runDone, runItems, runFinished *prometheus.Desc
	queueTasks, queueLatency, queuePaused, queuesUp   *prometheus.Desc
	queueProcessed, queueFailed                       *prometheus.Desc
	pipelineEvents                                    *prometheus.Desc
	passwordExpires, deliveriesPaused                 *prometheus.Desc
}

func newSourceCollector(src Sources) *sourceCollector {
	run := []string{"run", "year", "kind"}
	d := prometheus.NewDesc
	return &sourceCollector{src: src,
		invoices: d("chorusbill_invoices", "Invoices in the books by state (credit notes and interest invoices included).", []string{"state"}, nil),
		booksUp:  d("chorusbill_books_up", "Whether the books answered the last scrape (1) or not (0).", nil, nil),
		runEstablishments: d("chorusbill_run_establishments",
			"Establishments a billing run handed to the queue (its target).", run, nil),
		runDone: d("chorusbill_run_items_done",
			"Establishments of a billing run with an outcome (issued, free, nothing due or failed).", run, nil),
		runItems: d("chorusbill_run_items",
			"Establishments of a billing run by outcome.", append(run, "outcome"), nil),
		runFinished: d("chorusbill_run_finished",
			"Whether a billing run is finished (1) or running (0).", run, nil),
		queueTasks: d("chorusbill_queue_tasks",
			"Tasks in an asynq queue by state (pending, active, scheduled, retry, archived, completed, aggregating).", []string{"queue", "state"}, nil),
		queueLatency: d("chorusbill_queue_latency_seconds", "Age of the oldest pending task of a queue.", []string{"queue"}, nil),
		queuePaused:  d("chorusbill_queue_paused", "Whether a queue is paused (1) or not (0).", []string{"queue"}, nil),
		queueProcessed: d("chorusbill_queue_processed_total",
			"Tasks processed from a queue since Redis holds its statistics (succeeded and failed).", []string{"queue"}, nil),
		queueFailed: d("chorusbill_queue_failed_total",
			"Tasks whose processing failed in a queue since Redis holds its statistics.", []string{"queue"}, nil),
		queuesUp: d("chorusbill_queues_up", "Whether Redis answered the last scrape's queue inspection (1) or not (0).", nil, nil),
		pipelineEvents: d("chorusbill_pipeline_events_total",
			"What this process's pipeline handlers did (issued, deposited, delivered, paid, buyer_rejected, awaiting_reference, postal…).", []string{"event"}, nil),
		passwordExpires: d(metricPasswordExpires,
			"Days until the Chorus Pro technical account's password expires (negative once expired; absent while unknown): CHORUS_TECH_PASSWORD_EXPIRES, else the worker's daily reading of Chorus Pro. Every call fails once it has expired.", nil, nil),
		deliveriesPaused: d(metricDeliveriesPaused,
			"Whether deliveries to Chorus Pro are paused (1) or not (0): Chorus Pro refused the configuration (HTTP 403: PISTE application not subscribed; 401: credentials refused), the invoices wait, and the first call that succeeds resumes them. The reason is on the dashboard and /readyz.", nil, nil),
	}
}

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.invoices, c.booksUp, c.runEstablishments, c.runDone, c.runItems, c.runFinished,
		c.queueTasks, c.queueLatency, c.queuePaused, c.queueProcessed, c.queueFailed, c.queuesUp, c.pipelineEvents, c.passwordExpires,
		c.deliveriesPaused} {
		ch <- d
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Books != nil {
		ctx, cancel := context.WithTimeout(context.Background(), c.src.Timeout)
		err := c.collectBooks(ctx, ch)
		cancel()
		if err != nil {
			c.src.Logger.Warn("metrics: read the books", "error", err)
		}
		ch <- prometheus.MustNewConstMetric(c.booksUp, prometheus.GaugeValue, boolValue(err == nil))
		c.collectAccount(ch)
		c.collectPause(ch)
	}
	if c.src.Inspector != nil {
		err := c.collectQueues(ch)
		if err != nil {
			c.src.Logger.Warn("metrics: inspect the queues", "error", err)
		}
		ch <- prometheus.MustNewConstMetric(c.queuesUp, prometheus.GaugeValue, boolValue(err == nil))
	}
	if c.src.Pipeline != nil {
		for event, n := range c.src.Pipeline.Snapshot() {
			ch <- prometheus.MustNewConstMetric(c.pipelineEvents, prometheus.CounterValue, float64(n), event)
		}
	}
}

// collectBooks sends invoices by state (every state, 0 included, so that a
// state emptied does not vanish from the graphs) and each run's progress.
func (c *sourceCollector) collectBooks(ctx context.Context, ch chan<- prometheus.Metric) error {
	counts, err := c.src.Books.InvoiceCounts(ctx)
	if err != nil {
		return err
	}
	states := map[string]bool{}
	for _, s := range invoice.States() {
		states[string(s)] = true
	}
	for s := range counts {
		states[s] = true
	}
	for _, s := range sortedKeys(states) {
		ch <- prometheus.MustNewConstMetric(c.invoices, prometheus.GaugeValue, float64(counts[s]), s)
	}
	runs, err := c.src.Books.Runs(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		sum, err := c.src.Books.Summary(ctx, r.ID)
		if err != nil {
			return err
		}
		lv := []string{strconv.FormatInt(r.ID, 10), strconv.Itoa(r.Year), r.Kind}
		ch <- prometheus.MustNewConstMetric(c.runEstablishments, prometheus.GaugeValue, float64(max(r.Enqueued, sum.Items)), lv...)
		ch <- prometheus.MustNewConstMetric(c.runDone, prometheus.GaugeValue, float64(sum.Items), lv...)
		ch <- prometheus.MustNewConstMetric(c.runFinished, prometheus.GaugeValue, boolValue(r.State == store.RunFinished), lv...)
		outcomes := map[string]bool{"issued": true, "free": true, "nothing_due": true, "failed": true}
		for o := range sum.Outcomes {
			outcomes[o] = true
		}
		for _, o := range sortedKeys(outcomes) {
			ch <- prometheus.MustNewConstMetric(c.runItems, prometheus.GaugeValue, float64(sum.Outcomes[o]), append(lv, o)...)
		}
	}
	return nil
}

// collectAccount sends the days left before the technical account's
// password expires, when known.
func (c *sourceCollector) collectAccount(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.src.Timeout)
	defer cancel()
	e, found, err := worker.ReadAccountExpiry(ctx, c.src.Books, c.src.TechPasswordExpires)
	if err != nil {
		c.src.Logger.Warn("metrics: read the technical account's password expiry", "error", err)
		return
	}
	if found {
		ch <- prometheus.MustNewConstMetric(c.passwordExpires, prometheus.GaugeValue, float64(e.DaysLeft(c.src.Now())))
	}
}

// collectPause sends whether deliveries to Chorus Pro are paused; nothing
// when the books cannot say (chorusbill_books_up tells that).
func (c *sourceCollector) collectPause(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.src.Timeout)
	defer cancel()
	_, paused, err := c.src.Books.DeliveryPause(ctx)
	if err != nil {
		c.src.Logger.Warn("metrics: read the delivery pause", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.deliveriesPaused, prometheus.GaugeValue, boolValue(paused))
}

func (c *sourceCollector) collectQueues(ch chan<- prometheus.Metric) error {
	names, err := c.src.Inspector.Queues()
	if err != nil {
		return err
	}
	for _, n := range names {
		q, err := c.src.Inspector.GetQueueInfo(n)
		if err != nil {
			return err
		}
		for _, s := range []struct {
			state string
			n     int
		}{{"pending", q.Pending}, {"active", q.Active}, {"scheduled", q.Scheduled}, {"retry", q.Retry},
			{"archived", q.Archived}, {"completed", q.Completed}, {"aggregating", q.Aggregating}} {
			ch <- prometheus.MustNewConstMetric(c.queueTasks, prometheus.GaugeValue, float64(s.n), n, s.state)
		}
		ch <- prometheus.MustNewConstMetric(c.queueLatency, prometheus.GaugeValue, q.Latency.Seconds(), n)
		ch <- prometheus.MustNewConstMetric(c.queuePaused, prometheus.GaugeValue, boolValue(q.Paused), n)
		ch <- prometheus.MustNewConstMetric(c.queueProcessed, prometheus.CounterValue, float64(q.ProcessedTotal), n)
		ch <- prometheus.MustNewConstMetric(c.queueFailed, prometheus.CounterValue, float64(q.FailedTotal), n)
	}
	return nil
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// metricsPage serves the registry to a signed-in user (viewer or operator):
// the figures are counts, but they are the books' all the same.
func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) {
	s.cfg.Metrics.Handler().ServeHTTP(w, r)
}

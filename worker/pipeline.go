package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// chorusAPI is what the pipeline asks of Chorus Pro.
type chorusAPI interface {
	LookupBuyer(ctx context.Context, siret string) (chorus.Buyer, error)
	Deposit(ctx context.Context, d chorus.Deposit) (chorus.DepositResult, error)
	FlowReport(ctx context.Context, flowNumber string, syntax chorus.SyntaxeFlux) (chorus.FlowReport, error)
	FindInvoices(ctx context.Context, sc chorus.SearchCriteria) ([]chorus.FactureFournisseur, error)
	History(ctx context.Context, idFacture int64) (chorus.ConsulterHistoriqueResponse, error)
	Recycle(ctx context.Context, req chorus.RecyclerRequest) (chorus.RecyclerResponse, error)
	Complete(ctx context.Context, req chorus.CompleterRequest) (chorus.CompleterResponse, error)
}

// Config tunes the pipeline.
type Config struct {
	// TrackIntervals space the polls of a deposited or delivered invoice;
	// the last one repeats.
	TrackIntervals []time.Duration
	TaskTimeout    time.Duration
	MaxRetry       int
	Retention      time.Duration
	// StaleAfter is how long an invoice may sit in a working state before
	// the reconciler re-enqueues its task.
	StaleAfter time.Duration
	// InterestMinimum: below it, no interest invoice is issued.
	InterestMinimum decimal.Decimal
	// Syntax is the deposit format (CII D16B by default).
	Syntax chorus.SyntaxeFlux
	// BuyerCacheTTL bounds how long a buyer's directory entry is reused.
	BuyerCacheTTL time.Duration
	// BuyerCacheSize bounds how many entries a worker keeps (0: no bound).
	BuyerCacheSize int
	// OverageFrom is the month from which year n−1's overage run is due.
	OverageFrom time.Month
	// AutoRuns lets the scheduler start the yearly runs by itself.
	AutoRuns bool
	// KickEvery is the scheduler's period.
	KickEvery time.Duration
	// RetryBase is the first retry delay of a failed task (doubling after).
	RetryBase time.Duration
	// Concurrency is the number of tasks one worker process runs at once.
	Concurrency int
	// ShutdownTimeout is how long a stopping worker lets tasks finish
	// before handing them back to the queue.
	ShutdownTimeout time.Duration
	// IssueBatch is how many establishments one issue task bills (1 makes
	// one task per establishment).
	IssueBatch int
	// DeliverParallel bounds the Chorus Pro calls one batch task makes at
	// once (the process-wide rate limit applies on top).
	DeliverParallel int
	// BatchTimeout bounds a batch task (its calls may back off).
	BatchTimeout time.Duration
	// PollInterval is how often asynq looks for due scheduled tasks and for
	// new tasks when idle (asynq's defaults, 5 s and 1 s, when zero).
	PollInterval time.Duration
}

// DefaultConfig suits production: polls from a minute to a day apart.
func DefaultConfig() Config {
	return Config{
		TrackIntervals:  []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour},
		TaskTimeout:     2 * time.Minute,
		MaxRetry:        12,
		Retention:       7 * 24 * time.Hour,
		StaleAfter:      3 * 24 * time.Hour,
		InterestMinimum: decimal.RequireFromString("5.00"),
		Syntax:          chorus.SyntaxeCII16B,
		BuyerCacheTTL:   time.Hour,
		BuyerCacheSize:  5000,
		OverageFrom:     time.February,
		AutoRuns:        true,
		KickEvery:       5 * time.Minute,
		RetryBase:       10 * time.Second,
		Concurrency:     10,
		ShutdownTimeout: 90 * time.Second,
		IssueBatch:      100,
		DeliverParallel: 4,
		BatchTimeout:    15 * time.Minute,
	}
}

// Pipeline holds what the handlers share: the books, the tariff, the
// issuer, Chorus Pro, the queue, and the rate tables for interest.
type Pipeline struct {
	books  *store.Store
	cat    *tariff.Catalog
	issuer document.Issuer
	chorus chorusAPI
	// once is Chorus Pro for the batches: one attempt per call, a failure
	// goes to a one-invoice task (whose retries back off) instead of
	// holding up the batch.
	once  chorusAPI
	queue enqueuer
	rates invoice.InterestRates
	cfg   Config
	log   *slog.Logger
	// now is the civil clock that dates invoices and payments; wall is the
	// machine's clock for operations (staleness, task ids, caches). They
	// differ only in tests and the demo, which run a faster business clock.
	now    func() time.Time
	wall   func() time.Time
	buyers *buyerCache
	// unrated holds the semesters already said to lack an official rate.
	unrated *saidOnce
	// unmarked holds the task types already said to come without the
	// identity of their books.
	unmarked *saidOnce
	actor    string
	Metrics  *Metrics
}

// Deps are the pipeline's collaborators.
type Deps struct {
	Books      *store.Store
	Catalog    *tariff.Catalog
	Issuer     document.Issuer
	Chorus     chorusAPI
	Queue      enqueuer
	LegalRates *invoice.RateTable
	ECBRates   *invoice.RateTable
	Logger     *slog.Logger
	Now        func() time.Time
}

// NewPipeline wires a pipeline.
func NewPipeline(d Deps, cfg Config) *Pipeline {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	once := chorusAPI(d.Chorus)
	if c, ok := d.Chorus.(*chorus.Client); ok {
		once = c.SingleAttempt()
	}
	return &Pipeline{books: d.Books, cat: d.Catalog, issuer: d.Issuer, chorus: d.Chorus, once: once, queue: d.Queue,
		rates: invoice.InterestRates{Legal: d.LegalRates, ECB: d.ECBRates}, cfg: cfg, log: d.Logger, now: d.Now, wall: time.Now,
		buyers: &buyerCache{ttl: cfg.BuyerCacheTTL, size: cfg.BuyerCacheSize, now: time.Now, entries: map[string]cachedBuyer{}}, actor: "worker",
		unrated: &saidOnce{said: map[string]bool{}}, unmarked: &saidOnce{said: map[string]bool{}},
		Metrics: &Metrics{}}
}

// buyerCache keeps buyers' directory entries for a while: a run looks each
// buyer up once, not once per invoice (delivery and tracking both need it).
// It holds at most size entries, forgetting the oldest first: a run over
// 100,000 establishments would otherwise keep 100,000 entries (38 MB of a
// worker's heap in the benchmark) that its batches no longer need.
type buyerCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	size    int
	now     func() time.Time
	entries map[string]cachedBuyer
	order   []string // insertion order, for eviction
}

type cachedBuyer struct {
	b  chorus.Buyer
	at time.Time
}

// get returns the buyer's directory entry, with its services when
// needServices (an invoice with a code service: only they need the list,
// which costs a call per page).
func (c *buyerCache) get(ctx context.Context, api chorusAPI, siret string, needServices bool) (chorus.Buyer, error) {
	c.mu.Lock()
	e, ok := c.entries[siret]
	c.mu.Unlock()
	fresh := ok && c.now().Sub(e.at) < c.ttl
	if fresh && (!needServices || e.b.ServicesLoaded) {
		return e.b, nil
	}
	b, at := e.b, e.at
	if !fresh {
		var err error
		if b, err = api.LookupBuyer(ctx, siret); err != nil {
			return b, err
		}
		at = c.now()
	}
	if needServices {
		var err error
		if b, err = loadServices(ctx, api, b); err != nil {
			return b, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[siret]; !ok {
		c.order = append(c.order, siret)
	}
	c.entries[siret] = cachedBuyer{b: b, at: at}
	for c.size > 0 && len(c.entries) > c.size {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	if cap(c.order) > 4*max(c.size, 1024) {
		c.order = append([]string(nil), c.order...) // let the evicted prefix go
	}
	return b, nil
}

// serviceLoader reads a buyer's services; chorus.Client does. It is not
// part of chorusAPI so that directories standing in for Chorus Pro in
// tests need not have it.
type serviceLoader interface {
	LoadServices(ctx context.Context, b chorus.Buyer) (chorus.Buyer, error)
}

// loadServices reads the buyer's services when api can; otherwise the buyer
// stays without them, and Buyer.Check refuses to pass a code service
// unchecked.
func loadServices(ctx context.Context, api chorusAPI, b chorus.Buyer) (chorus.Buyer, error) {
	if l, ok := api.(serviceLoader); ok && !b.ServicesLoaded {
		return l.LoadServices(ctx, b)
	}
	return b, nil
}

// Metrics counts what the handlers did, for /metrics and benchmarks.
type Metrics struct {
	mu     sync.Mutex
	counts map[string]int64
}

// Inc adds one to a counter.
func (m *Metrics) Inc(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int64{}
	}
	m.counts[name]++
}

// Add adds n to a counter.
func (m *Metrics) Add(name string, n int) {
	if n == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int64{}
	}
	m.counts[name] += int64(n)
}

// Snapshot copies the counters.
func (m *Metrics) Snapshot() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int64, len(m.counts))
	for k, v := range m.counts {
		out[k] = v
	}
	return out
}

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
	// The bulk tracking and the directory's details (issue 15).
	FindChanged(ctx context.Context, from, to time.Time, page int) (chorus.ChangedPage, error)
	LoadServices(ctx context.Context, b chorus.Buyer) (chorus.Buyer, error)
	ServiceRules(ctx context.Context, idStructure, idService int64) (chorus.ServiceRules, error)
	AddFile(ctx context.Context, a chorus.Attachment) (int64, error)
	CompleteWith(ctx context.Context, idFacture int64, comment string, attachmentIDs []int64) (chorus.CompleterResponse, error)
}

// Config tunes the pipeline.
type Config struct {
	// TrackIntervals space the flow reports read for a deposited invoice no
	// sweep found integrated yet (the first one after the deposit); the
	// last one repeats.
	TrackIntervals []time.Duration
	// SweepEvery is how often the bulk tracking runs when nothing else
	// asks for it; SweepSoon how soon after a deposit (the deposits of one
	// SweepSoon share a sweep). SweepOverlap is read again at each sweep,
	// before the latest change seen, for changes Chorus Pro lists late;
	// SweepFirstWindow is how far back the very first sweep looks.
	SweepEvery, SweepSoon, SweepOverlap, SweepFirstWindow time.Duration
	// NotFoundAfter is how long an invoice Chorus Pro should hold (its flow
	// integrated, or its number said already deposited) may stay unfound
	// by any search before it goes to the work list « à vérifier sur
	// Chorus Pro ».
	NotFoundAfter time.Duration
	// SearchLagWait is how long a deposit that may have reached Chorus Pro
	// (its answer lost) is searched for, every VerifyEvery, before it is
	// made again; VerifyFor likewise for a deposit refused in its answer
	// before it is concluded rejected. The search lags the deposit.
	SearchLagWait, VerifyFor, VerifyEvery time.Duration
	// TrackStaleAfter: a delivered invoice no sweep mentioned for that long
	// has its history read (the sweep's safety net).
	TrackStaleAfter time.Duration
	// PauseProbeEvery spaces the deliveries that try whether a paused
	// configuration was fixed.
	PauseProbeEvery time.Duration
	// DirectoryTTL is how long buyers' directory entries are kept in the
	// books and used (0: memory only, for BuyerCacheTTL): over a year, so
	// that the next yearly run finds them (see buyerCache).
	DirectoryTTL time.Duration
	// DepositClaim is how long a deposit holds its invoice's claim
	// (store.ClaimDeposit); the call is cut short before it ends, so that
	// no other delivery deposits the invoice meanwhile. A worker killed
	// during a deposit holds the invoice back that long.
	DepositClaim time.Duration
	TaskTimeout  time.Duration
	MaxRetry     int
	Retention    time.Duration
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
		TrackIntervals:   []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour},
		SweepEvery:       time.Hour,
		SweepSoon:        time.Minute,
		SweepOverlap:     10 * time.Second,
		SweepFirstWindow: 7 * 24 * time.Hour,
		NotFoundAfter:    48 * time.Hour,
		SearchLagWait:    30 * time.Minute,
		VerifyFor:        2 * time.Hour,
		VerifyEvery:      5 * time.Minute,
		TrackStaleAfter:  30 * 24 * time.Hour,
		PauseProbeEvery:  5 * time.Minute,
		DirectoryTTL:     400 * 24 * time.Hour,
		DepositClaim:     2 * time.Minute,
		TaskTimeout:      2 * time.Minute,
		MaxRetry:         12,
		Retention:        7 * 24 * time.Hour,
		StaleAfter:       3 * 24 * time.Hour,
		InterestMinimum:  decimal.RequireFromString("5.00"),
		Syntax:           chorus.SyntaxeCII16B,
		BuyerCacheTTL:    time.Hour,
		BuyerCacheSize:   5000,
		OverageFrom:      time.February,
		AutoRuns:         true,
		KickEvery:        5 * time.Minute,
		RetryBase:        10 * time.Second,
		Concurrency:      10,
		ShutdownTimeout:  90 * time.Second,
		IssueBatch:       100,
		DeliverParallel:  4,
		BatchTimeout:     15 * time.Minute,
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
		buyers: newBuyerCache(d.Books, cfg, d.Now), actor: "worker",
		unrated: &saidOnce{said: map[string]bool{}}, unmarked: &saidOnce{said: map[string]bool{}},
		Metrics: &Metrics{}}
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

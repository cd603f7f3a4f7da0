package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the bench's schemas
	"github.com/redis/go-redis/v9"
)

// The bench measures, in one run on one machine, the whole pipeline
// (issue → CII → deposit → integrated) against asynq's own ceiling (no-op
// tasks with the same server configuration), on a real Redis and a real
// PostgreSQL and an in-process sandbox that answers at once. The workers
// are `chorusbill work` processes, so that their memory and CPU are
// measured apart from the sandbox's and the bench driver's.

// benchYear is the run the bench times: the 2025 contributions, dated
// the day the bench runs.
const benchYear = 2025

// BenchAbout describes the bench, for its help.
const BenchAbout = `Measures the pipeline against asynq's own limit, in one run:
 1. the ceiling: N no-op tasks enqueued, then drained by as many asynq servers
    as the pipeline has workers, with the worker's server configuration
    (concurrency, queues, polling), in this process;
 2. the pipeline: for each size, establishments generated (fixtures) and
    imported (timed apart), then the 2025 contribution run timed until every
    establishment has its outcome and no invoice is finalised, delivering or
    deposited (issued → CII rendered → deposited → integrated), in invoices/s;
    per worker process its peak RSS (VmHWM) and CPU seconds, and apart the
    bench process's (sandbox + driver); CPU per process (workers, bench,
    postgres, redis-server);
 3. growth of time and memory (the workers' peak RSS) from the smallest size
    to the largest;
 4. with --embedded SIZE, the same run on the embedded stack (miniredis and
    an SQLite file, one pipeline in this process), as the demo runs;
 5. with --lifecycle SIZE, the Chorus Pro calls over whole lifecycles: SIZE
    establishments billed on the embedded stack, then the sandbox's clock
    moved on an hour at a time with the hourly sweep until every invoice
    is paid; it prints "chorus calls per invoice: X" (calls the sandbox
    counted ÷ invoices deposited) with the calls by route.
The last line is "pipeline/ceiling ratio: X" (invoices/s of the largest size
÷ no-op tasks/s). Redis (--redis, a DB of its own, FLUSHDB'd) and PostgreSQL
(--postgres, a fresh schema per size, dropped after) are real; the Chorus Pro
sandbox runs in this process with no latency and flows integrated at once.
--workers N starts N "chorusbill work" processes (--chorusbill) for each
size, stopped (SIGTERM) at its end; --in-process runs the N pipelines in this
process instead, as before issue 8.`

// BenchOptions are the bench's settings (the flags of `chorusbill-lab bench`).
type BenchOptions struct {
	// Sizes are the numbers of establishments billed, in increasing order.
	Sizes []int
	// Workers is the number of `chorusbill work` processes, or of
	// pipelines in this process with InProcess.
	Workers   int
	InProcess bool
	// Concurrency is each worker's tasks at once.
	Concurrency int
	// Noop is the number of no-op tasks of the ceiling.
	Noop int
	// Embedded, when not 0, bills that many establishments on the
	// embedded stack too.
	Embedded int
	// Lifecycle, when not 0, follows that many establishments' invoices
	// from deposit to payment and counts the Chorus Pro calls they cost.
	Lifecycle int
	// Seed is the generated establishments'.
	Seed int64
	// ProfileDir, when set, receives the CPU and heap profiles.
	ProfileDir string
	// RedisURL is the bench's Redis (its DB is flushed), PostgresURL the
	// server of its schemas.
	RedisURL, PostgresURL string
	// Timeout bounds a phase.
	Timeout time.Duration
	// Chorusbill is the chorusbill binary the workers run as.
	Chorusbill string
}

// Bench runs the bench with o and writes its report to stdout, its
// progress (and the workers' logs) to stderr. conf is the configuration the
// workers' tables (issuer, deliberation, rates) come from.
func Bench(ctx context.Context, conf app.Config, o BenchOptions, stdout, stderr io.Writer) error {
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return fmt.Errorf("profile directory: %w", err)
		}
	}
	b, err := newBencher(ctx, conf, o, stdout, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	return b.run(ctx)
}

// bencher holds what the phases share.
type bencher struct {
	conf           app.Config
	stdout, stderr io.Writer
	o              BenchOptions
	redis          asynq.RedisConnOpt
	rdb            redis.UniversalClient
	cfg            worker.Config
}

func newBencher(ctx context.Context, conf app.Config, o BenchOptions, stdout, stderr io.Writer) (*bencher, error) {
	ropt, err := asynq.ParseRedisURI(o.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	rdb, ok := ropt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("--redis: not a Redis client")
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis at %s: %w (run `make services`)", o.RedisURL, err)
	}
	if err := claimRedis(ctx, rdb, o.RedisURL); err != nil {
		rdb.Close()
		return nil, err
	}
	if _, ok := stderr.(*os.File); !ok {
		// The workers write there too, each through a goroutine of its
		// own (os/exec copies what is not a file).
		stderr = &syncWriter{w: stderr}
	}
	return &bencher{conf: conf, stdout: stdout, stderr: stderr, o: o, redis: ropt, rdb: rdb, cfg: benchWorkerConfig(o.Concurrency)}, nil
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (b *bencher) close() {
	flushOwn(context.Background(), b.rdb)
	b.rdb.Close()
}

// benchWorkerConfig is the production configuration (worker.DefaultConfig)
// with the changes that a sandbox answering at once calls for: no yearly
// run started by the calendar (the bench starts its own), and the bulk
// tracking soon after the deposits (200 ms, rereading 1 s: the sandbox
// lists changes at once, on the same clock), which finds them integrated;
// a flow report would be read an hour later, after the measure, which ends
// at integration. workArgs and workerEnv say the same to a `chorusbill
// work` process.
func benchWorkerConfig(concurrency int) worker.Config {
	cfg := worker.DefaultConfig()
	cfg.AutoRuns = false
	cfg.Concurrency = concurrency
	cfg.TrackIntervals = []time.Duration{time.Hour}
	cfg.SweepSoon, cfg.SweepOverlap = 200*time.Millisecond, time.Second
	return cfg
}

// workArgs are the flags of `chorusbill work` that give a worker process
// the configuration cfg, given that it starts from worker.DefaultConfig and
// that its environment has none of the tuning variables (workerEnv).
func workArgs(cfg worker.Config) []string {
	args := []string{"--concurrency", strconv.Itoa(cfg.Concurrency),
		"--track-intervals", durations(cfg.TrackIntervals)}
	if !cfg.AutoRuns {
		args = append(args, "--no-auto-runs")
	}
	return args
}

// durations writes ds as `chorusbill work --track-intervals` reads them.
func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// serverConfig is the asynq.Server configuration of worker.Serve, for the
// no-op ceiling: the same concurrency, queues and polling.
func serverConfig(cfg worker.Config) asynq.Config {
	return asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   map[string]int{worker.QueueCritical: 6, worker.QueueDefault: 3, worker.QueueLow: 1},
		ShutdownTimeout:          cfg.ShutdownTimeout,
		DelayedTaskCheckInterval: cfg.PollInterval,
		TaskCheckInterval:        cfg.PollInterval,
		LogLevel:                 asynq.WarnLevel,
	}
}

func (b *bencher) flush(ctx context.Context) error {
	if err := flushOwn(ctx, b.rdb); err != nil {
		return fmt.Errorf("flush Redis %s: %w", redactUserinfo(b.o.RedisURL), err)
	}
	return nil
}

func (b *bencher) progress(format string, a ...any) {
	fmt.Fprintf(b.stderr, "· "+format+"\n", a...)
}

func (b *bencher) run(ctx context.Context) error {
	ceil, err := b.ceiling(ctx)
	if err != nil {
		return err
	}
	b.progress("ceiling: %d no-op tasks drained in %.2f s (%.0f/s)", ceil.n, ceil.drain.Seconds(), ceil.rate())
	var results []pipelineResult
	for _, n := range b.o.Sizes {
		r, err := b.pipeline(ctx, n)
		if err != nil {
			return fmt.Errorf("pipeline on %d establishments: %w", n, err)
		}
		b.progress("pipeline %d: %d invoices in %.2f s (%.1f/s)", n, r.invoices(), r.elapsed.Seconds(), r.rate())
		results = append(results, r)
	}
	var embedded *pipelineResult
	if b.o.Embedded > 0 {
		r, err := b.embedded(ctx, b.o.Embedded)
		if err != nil {
			return fmt.Errorf("embedded pipeline on %d establishments: %w", b.o.Embedded, err)
		}
		b.progress("embedded %d: %d invoices in %.2f s (%.1f/s)", r.n, r.invoices(), r.elapsed.Seconds(), r.rate())
		embedded = &r
	}
	var life *lifecycleResult
	if b.o.Lifecycle > 0 {
		r, err := b.lifecycle(ctx, b.o.Lifecycle)
		if err != nil {
			return fmt.Errorf("lifecycle on %d establishments: %w", b.o.Lifecycle, err)
		}
		b.progress("lifecycle %d: %.2f calls per invoice the first year, %.2f the next", r.n, r.first.perInvoice(), r.next.perInvoice())
		life = &r
	}
	b.report(b.stdout, ceil, results, embedded, life)
	var problems []string
	for _, r := range results {
		problems = append(problems, r.problems()...)
	}
	if embedded != nil {
		problems = append(problems, embedded.problems()...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the pipeline did not end as expected:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// ceilingResult is the no-op measure.
type ceilingResult struct {
	n                int
	enqueue, drain   time.Duration
	clients, servers int
	peakRSS          uint64
}

func (r ceilingResult) rate() float64 { return float64(r.n) / r.drain.Seconds() }

// ceiling enqueues N no-op tasks (10 clients), then times N asynq servers
// configured as the worker's draining them: the clock stops at the N-th
// handler call. The servers run in this process: a no-op handler needs
// no more than asynq itself, and a process start is not part of it.
func (b *bencher) ceiling(ctx context.Context) (ceilingResult, error) {
	res := ceilingResult{n: b.o.Noop, clients: 10, servers: b.o.Workers}
	if err := b.flush(ctx); err != nil {
		return res, err
	}
	client := asynq.NewClient(b.redis)
	defer client.Close()
	// The size of an invoice task's payload, in the per-invoice queue.
	payload := []byte(`{"invoice_id":1234567,"attempt":0}`)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range res.clients {
		wg.Go(func() {
			for next.Add(1) <= int64(res.n) {
				if _, err := client.EnqueueContext(ctx, asynq.NewTask("bench:noop", payload), asynq.Queue(worker.QueueDefault)); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	res.enqueue = time.Since(start)
	if firstErr != nil {
		return res, fmt.Errorf("enqueue no-op tasks: %w", firstErr)
	}
	var done atomic.Int64
	finished := make(chan struct{})
	handler := asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(res.n) {
			close(finished)
		}
		return nil
	})
	resetPeakRSS(procSelf)
	servers := make([]*asynq.Server, res.servers)
	for i := range servers {
		servers[i] = asynq.NewServer(b.redis, serverConfig(b.cfg))
	}
	defer func() {
		for _, s := range servers {
			s.Shutdown()
		}
	}()
	start = time.Now()
	for _, s := range servers {
		if err := s.Start(handler); err != nil {
			return res, fmt.Errorf("start no-op server: %w", err)
		}
	}
	select {
	case <-finished:
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(b.o.Timeout):
		return res, fmt.Errorf("the no-op tasks were not drained in %s (%d of %d)", b.o.Timeout, done.Load(), res.n)
	}
	res.drain = time.Since(start)
	res.peakRSS, _ = procStatus(procSelf, "VmHWM")
	return res, b.flush(ctx)
}

// pipelineResult is the measure of one size.
type pipelineResult struct {
	n int
	// embedded: the run was on miniredis and SQLite, in this process.
	embedded   bool
	imported   time.Duration
	elapsed    time.Duration
	sum        store.RunSummary
	deposits   int // flows deposited at the sandbox
	integrated int // of which integrated
	tasks      int
	failed     int // asynq tasks that failed
	// mem and selfCPU are this process's: the sandbox and the bench
	// driver, and the pipelines when they run in it.
	mem     memPeaks
	selfCPU float64
	// workers are the worker processes, none when the pipelines run in
	// this process.
	workers  []workerUse
	cpu      cpuShares
	profiles []string
}

func (r pipelineResult) invoices() int { return r.sum.Outcomes[string(worker.Issued)] }

func (r pipelineResult) rate() float64 { return float64(r.invoices()) / r.elapsed.Seconds() }

// peakRSS is the memory a pipeline needed: the largest worker's peak, or
// this process's when the pipelines ran in it.
func (r pipelineResult) peakRSS() uint64 {
	if len(r.workers) == 0 {
		return r.mem.peakRSS
	}
	var peak uint64
	for _, w := range r.workers {
		peak = max(peak, w.peakRSS)
	}
	return peak
}

// workerCPU is the CPU time of the worker processes, in seconds.
func (r pipelineResult) workerCPU() float64 {
	s := 0.0
	for _, w := range r.workers {
		s += w.cpu
	}
	return s
}

func (r pipelineResult) name() string {
	if r.embedded {
		return fmt.Sprintf("embedded, %d establishments", r.n)
	}
	return fmt.Sprintf("%d establishments", r.n)
}

func (r pipelineResult) problems() []string {
	var out []string
	if n := r.sum.Outcomes["failed"]; n > 0 {
		out = append(out, fmt.Sprintf("%s: %d failed", r.name(), n))
	}
	if r.integrated != r.sum.States[string(invoice.StateDelivered)]+r.sum.States[string(invoice.StatePaid)] {
		out = append(out, fmt.Sprintf("%s: %d flows integrated at the sandbox, %d invoices delivered",
			r.name(), r.integrated, r.sum.States[string(invoice.StateDelivered)]))
	}
	for _, w := range r.workers {
		if w.exit != nil {
			out = append(out, fmt.Sprintf("%s: worker %d (pid %d) did not stop cleanly: %v", r.name(), w.i, w.pid, w.exit))
		}
	}
	return out
}

// phase is what one measured run needs: the books to watch, the pipeline
// that enqueues the run, the queue, the sandbox, and the worker processes
// (none when the pipelines run in this process).
type phase struct {
	n      int
	tag    string // in the names of profiles: "10000", "embedded-10000"
	label  string // in progress lines
	books  *store.Store
	driver *worker.Pipeline
	redis  asynq.RedisConnOpt
	sb     *sandbox.Server
	act    *sandboxActivity
	procs  []*workerProc
	// year is the run waited for (0: benchYear).
	year int
}

// pipeline bills n generated establishments end to end on Redis and
// PostgreSQL, and times it.
func (b *bencher) pipeline(ctx context.Context, n int) (res pipelineResult, err error) {
	res.n = n
	if err := b.flush(ctx); err != nil {
		return res, err
	}
	dbURL, dropSchema, err := benchSchema(ctx, b.o.PostgresURL)
	if err != nil {
		return res, err
	}
	defer dropSchema()

	// The driver: a stack as `chorusbill work` builds its own, never
	// served — it imports, enqueues the run and reads the books.
	w, err := b.setUp(ctx, n, dbURL, b.o.RedisURL)
	if err != nil {
		return res, err
	}
	defer w.close()
	res.imported = w.imported
	driver, sb, act, ccfg, log := w.stack, w.sb, w.act, w.ccfg, w.log

	ph := &phase{n: n, tag: strconv.Itoa(n), label: fmt.Sprintf("pipeline %d", n), books: driver.Books, driver: driver.Pipeline,
		redis: b.redis, sb: sb, act: act}
	if b.o.InProcess {
		var stacks []*app.Stack
		defer func() {
			for _, s := range stacks {
				s.Close()
			}
		}()
		for range b.o.Workers {
			s, err := app.NewStack(ctx, w.conf, app.StackOptions{RedisURL: b.o.RedisURL, Chorus: &ccfg, Worker: b.cfg, Logger: log})
			if err != nil {
				return res, fmt.Errorf("build a pipeline: %w", err)
			}
			stacks = append(stacks, s)
		}
		stop := serveStacks(ctx, stacks, log)
		defer stop()
	} else {
		procs, err := b.startWorkers(ctx, ph.tag, dbURL, w.base)
		// Stopped at the end of the measure; here too on the way out of
		// an error (a second stop does nothing).
		defer stopWorkers(procs, b.cfg.ShutdownTimeout)
		if err != nil {
			return res, err
		}
		ph.procs = procs
	}
	return res, b.measure(ctx, ph, &res)
}

// embedded bills n generated establishments on the embedded stack — an
// in-process miniredis and an SQLite file in a temporary directory, one
// pipeline in this process — as the demo runs, with the same sandbox and
// worker configuration as the other sizes.
func (b *bencher) embedded(ctx context.Context, n int) (res pipelineResult, err error) {
	res.n, res.embedded = n, true
	w, ropt, err := b.embeddedWorld(ctx, n, b.cfg, false)
	if err != nil {
		return res, err
	}
	defer w.close()
	res.imported = w.imported
	s, sb, act, log := w.stack, w.sb, w.act, w.log
	stop := serveStacks(ctx, []*app.Stack{s}, log)
	defer stop()
	ph := &phase{n: n, tag: fmt.Sprintf("embedded-%d", n), label: fmt.Sprintf("embedded %d", n), books: s.Books, driver: s.Pipeline,
		redis: ropt, sb: sb, act: act}
	return res, b.measure(ctx, ph, &res)
}

// embeddedWorld is setUpWith on the embedded stack: an in-process
// miniredis and an SQLite file in a temporary directory, both gone with
// the world's close.
func (b *bencher) embeddedWorld(ctx context.Context, n int, cfg worker.Config, businessClock bool) (*benchWorld, asynq.RedisConnOpt, error) {
	dir, err := os.MkdirTemp("", "chorusbill-bench-")
	if err != nil {
		return nil, nil, fmt.Errorf("temporary directory for SQLite: %w", err)
	}
	redisURL, stopRedis, err := app.StartMiniredis()
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	undo := func() { stopRedis(); os.RemoveAll(dir) }
	ropt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		undo()
		return nil, nil, fmt.Errorf("embedded redis: %w", err)
	}
	w, err := b.setUpWith(ctx, n, "sqlite://"+filepath.Join(dir, "bench.db"), redisURL, cfg, businessClock)
	if err != nil {
		undo()
		return nil, nil, err
	}
	closeWorld := w.close
	w.close = func() { closeWorld(); undo() }
	return w, ropt, nil
}

// benchWorld is what a measured phase starts from: the generated
// establishments imported into the books, the sandbox that knows the
// on_chorus=oui ones as buyers, and a stack on the books and the queue.
type benchWorld struct {
	n        int // establishments
	stack    *app.Stack
	sb       *sandbox.Server
	act      *sandboxActivity
	ccfg     chorus.Config
	base     string     // the sandbox's URL
	conf     app.Config // the bench's configuration, pointed at the books
	log      *slog.Logger
	imported time.Duration
	close    func()
}

// setUp generates n establishments, starts the sandbox, builds a stack on
// the database and Redis URLs, and imports the establishments (timed apart).
func (b *bencher) setUp(ctx context.Context, n int, dbURL, redisURL string) (*benchWorld, error) {
	return b.setUpWith(ctx, n, dbURL, redisURL, b.cfg, false)
}

// setUpWith is setUp with a worker configuration, and the pipeline's civil
// clock the sandbox's business clock when businessClock is set.
func (b *bencher) setUpWith(ctx context.Context, n int, dbURL, redisURL string, cfg worker.Config, businessClock bool) (*benchWorld, error) {
	var csv bytes.Buffer
	if err := fixtures.Generate(n, b.o.Seed, &csv, io.Discard); err != nil {
		return nil, fmt.Errorf("generate establishments: %w", err)
	}
	sb, act, base, stopSandbox, err := benchSandbox(csv.Bytes(), n)
	if err != nil {
		return nil, err
	}
	w := &benchWorld{n: n, sb: sb, act: act, ccfg: benchChorusConfig(base), base: base, conf: benchConfig(b.conf, dbURL),
		log: slog.New(slog.NewTextHandler(b.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), close: stopSandbox}
	opts := app.StackOptions{RedisURL: redisURL, Chorus: &w.ccfg, Worker: cfg, Logger: w.log}
	if businessClock {
		opts.Now = sb.Now
	}
	if w.stack, err = app.NewStack(ctx, w.conf, opts); err != nil {
		stopSandbox()
		return nil, fmt.Errorf("build the bench's stack: %w", err)
	}
	w.close = func() { w.stack.Close(); stopSandbox() }
	if w.imported, err = b.importEstablishments(ctx, w.stack.Books, csv.Bytes(), n); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// importEstablishments loads the generated establishments into the books
// and times it (apart from the pipeline).
func (b *bencher) importEstablishments(ctx context.Context, books *store.Store, csv []byte, n int) (time.Duration, error) {
	cat, err := b.conf.Catalog("")
	if err != nil {
		return 0, err
	}
	start := time.Now()
	imp, err := books.ImportEstablishments(ctx, fmt.Sprintf("generated-%d.csv", n), bytes.NewReader(csv), cat, "bench")
	if err != nil {
		return 0, fmt.Errorf("import establishments: %w", err)
	}
	took := time.Since(start)
	if imp.Added != n {
		return took, fmt.Errorf("import added %d of %d establishments", imp.Added, n)
	}
	return took, nil
}

// serveStacks serves each stack's pipeline in this process until the
// returned function is called.
func serveStacks(ctx context.Context, stacks []*app.Stack, log *slog.Logger) (stop func()) {
	workCtx, cancel := context.WithCancel(ctx)
	var served sync.WaitGroup
	for _, s := range stacks {
		served.Go(func() {
			if err := s.Pipeline.Serve(workCtx, s.Redis); err != nil {
				log.Error("worker", "error", err)
			}
		})
	}
	return func() {
		cancel()
		served.Wait()
	}
}

// measure times a phase: from the run enqueued to every establishment with
// its outcome and no invoice in a working state. Around it: this
// process's memory (sampled) and profiles, each worker process's peak RSS
// and CPU, the CPU of every process that matters. The workers are stopped
// at the end.
func (b *bencher) measure(ctx context.Context, ph *phase, res *pipelineResult) error {
	runtime.GC()
	debug.FreeOSMemory()
	if b.o.ProfileDir != "" {
		p := filepath.Join(b.o.ProfileDir, fmt.Sprintf("heap-start-%s.pprof", ph.tag))
		if err := app.WriteHeapProfile(p); err != nil {
			return err
		}
		res.profiles = append(res.profiles, p)
	}
	pids := map[int]bool{}
	hwm := map[int]bool{}
	for _, p := range ph.procs {
		pid := p.cmd.Process.Pid
		pids[pid] = true
		hwm[pid] = resetPeakRSS(strconv.Itoa(pid))
	}
	stopProfile := func() {}
	if b.o.ProfileDir != "" {
		p := filepath.Join(b.o.ProfileDir, fmt.Sprintf("cpu-%s.pprof", ph.tag))
		var err error
		if stopProfile, err = app.StartCPUProfile(p); err != nil {
			return err
		}
		defer stopProfile() // on an error; else stopped below, and this does nothing
		res.profiles = append(res.profiles, p)
	}
	sampler := startMemSampler()
	cpu0 := readCPU(pids)
	start := time.Now()
	// Dated today: a run is never dated in the past.
	if err := ph.driver.EnqueueRun(ctx, benchYear, invoice.KindContribution, time.Now()); err != nil {
		sampler.stop()
		return fmt.Errorf("enqueue the run: %w", err)
	}
	sum, err := b.waitSettled(ctx, ph, start)
	res.sum = sum
	res.elapsed = time.Since(start)
	stopProfile()
	cpu1 := readCPU(pids)
	// Read before the workers stop: their peaks are the phase's, not
	// those of a shutdown.
	for i, p := range ph.procs {
		pid := p.cmd.Process.Pid
		w := workerUse{i: i + 1, pid: pid, hwm: hwm[pid], cpu: cpu1.seconds(cpu0, pid)}
		w.peakRSS, _ = procStatus(strconv.Itoa(pid), "VmHWM")
		res.workers = append(res.workers, w)
	}
	res.cpu = cpu1.since(cpu0, res.elapsed)
	res.cpu.workers = len(ph.procs)
	res.selfCPU = cpu1.seconds(cpu0, os.Getpid())
	res.mem = sampler.stop()
	if err != nil {
		return err
	}
	runtime.GC()
	res.mem.endHeap = heapLive()
	if b.o.ProfileDir != "" {
		p := filepath.Join(b.o.ProfileDir, fmt.Sprintf("heap-%s.pprof", ph.tag))
		if err := app.WriteHeapProfile(p); err != nil {
			return err
		}
		res.profiles = append(res.profiles, p)
	}

	// What was done, as asynq and the sandbox tell.
	insp := asynq.NewInspector(ph.redis)
	defer insp.Close()
	for _, q := range []string{worker.QueueCritical, worker.QueueDefault, worker.QueueLow} {
		qi, err := insp.GetQueueInfo(q)
		if err != nil {
			continue // a queue never used
		}
		res.tasks += qi.ProcessedTotal
		res.failed += qi.FailedTotal
	}
	for _, d := range ph.sb.Deposits() {
		res.deposits++
		if d.EtatFinal == chorus.EtatFluxIntegre {
			res.integrated++
		}
	}

	exits := stopWorkers(ph.procs, b.cfg.ShutdownTimeout)
	for i, p := range ph.procs {
		res.workers[i].exit = exits[i]
		for _, f := range p.profiles {
			if st, err := os.Stat(f); err == nil && st.Size() > 0 {
				res.profiles = append(res.profiles, f)
			}
		}
	}
	return nil
}

// waitSettled waits until the run has an outcome for every establishment
// and none of its invoices is in a working state, as the books say.
// store.Summary scans the run's invoices (O(n) a call), so the books are
// read rarely — every twentieth of the time so far, from 250 ms up to 2 s —
// and sooner when the sandbox has gone quiet (nothing asked of Chorus Pro
// for 100 ms: the pipeline may be done), then again as the quiet lasts, each
// read twice as late as the one before: the end is seen within about
// 100 ms, and the bench's own queries stay out of what it measures.
func (b *bencher) waitSettled(ctx context.Context, ph *phase, start time.Time) (store.RunSummary, error) {
	deadline := start.Add(b.o.Timeout)
	lastSay, lastRead := start, time.Time{}
	reads := 0
	var sum store.RunSummary
	for {
		now := time.Now()
		sinceRead, quiet := now.Sub(lastRead), ph.act.quietFor(now)
		if (quiet >= 100*time.Millisecond && sinceRead >= quiet/2) || sinceRead >= min(max(now.Sub(start)/20, 250*time.Millisecond), 2*time.Second) {
			lastRead = now
			reads++
			year := ph.year
			if year == 0 {
				year = benchYear
			}
			run, err := ph.books.RunFor(ctx, year, invoice.KindContribution)
			if err == nil {
				if sum, err = ph.books.Summary(ctx, run.ID); err != nil {
					return sum, fmt.Errorf("read the run's progress: %w", err)
				}
				working := sum.Working()
				if sum.Items >= ph.n && working == 0 {
					// How late the end was seen, at most: the
					// books changed after the sandbox's last answer.
					b.progress("%s: settled, seen %d ms after the sandbox's last answer (%d reads of the books)",
						ph.label, quiet.Milliseconds(), reads)
					return sum, nil
				}
				if time.Since(lastSay) >= 10*time.Second {
					lastSay = time.Now()
					b.progress("%s: %d/%d establishments, %d invoices in work, %.0f s", ph.label, sum.Items, ph.n, working, time.Since(start).Seconds())
				}
			}
		}
		if time.Now().After(deadline) {
			return sum, fmt.Errorf("not settled after %s: %d/%d establishments have an outcome, invoices by state %v", b.o.Timeout, sum.Items, ph.n, sum.States)
		}
		for _, p := range ph.procs {
			select {
			case <-p.exited:
				return sum, fmt.Errorf("a worker process (pid %d) exited during the run: %v", p.cmd.Process.Pid, p.err)
			default:
			}
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return sum, err
		}
	}
}

// benchConfig is the configuration of the bench's in-process stacks: the
// bench's database, and none of the worker's tuning, so that a run does not
// depend on the shell it is started from (the issuer and deliberation files
// still apply). workerEnv is its counterpart for worker processes.
func benchConfig(conf app.Config, dbURL string) app.Config {
	conf.DatabaseURL = dbURL
	conf.Concurrency = 0
	conf.KickEvery, conf.StaleAfter, conf.PollInterval, conf.TrackIntervals = 0, 0, 0, nil
	return conf
}

// benchChorusConfig is how the bench's pipelines reach its sandbox: the
// local platform's credentials, no rate limit.
func benchChorusConfig(base string) chorus.Config {
	return chorus.Config{Env: chorus.Local, BaseURL: base, TokenURL: base + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword}
}

// Worker processes.

// workerProc is a `chorusbill work` child of the bench.
type workerProc struct {
	cmd *exec.Cmd
	// exited is closed once the process has exited; err is then what
	// Wait said.
	exited chan struct{}
	err    error
	// profiles are the files the worker writes when it stops.
	profiles []string
	stopOnce sync.Once
}

// workerUse is what one worker process used during a phase.
type workerUse struct {
	i, pid  int
	peakRSS uint64
	// hwm: peakRSS is VmHWM since a reset at the start of the phase; else
	// since the process started (its start-up is small beside a run).
	hwm  bool
	cpu  float64 // seconds, user + system, during the phase
	exit error   // how it ended, when not cleanly
}

// startWorkers starts the worker processes of a size and waits until each
// serves (its asynq server is registered in Redis).
func (b *bencher) startWorkers(ctx context.Context, tag, dbURL, base string) ([]*workerProc, error) {
	env := b.workerEnv(dbURL, base)
	var procs []*workerProc
	for i := range b.o.Workers {
		args := append([]string{"work"}, workArgs(b.cfg)...)
		p := &workerProc{exited: make(chan struct{})}
		if b.o.ProfileDir != "" {
			cpu := filepath.Join(b.o.ProfileDir, fmt.Sprintf("cpu-worker-%s-%d.pprof", tag, i+1))
			heap := filepath.Join(b.o.ProfileDir, fmt.Sprintf("heap-worker-%s-%d.pprof", tag, i+1))
			args = append(args, "--cpuprofile", cpu, "--memprofile", heap)
			p.profiles = []string{cpu, heap}
		}
		p.cmd = exec.Command(b.o.Chorusbill, args...)
		p.cmd.Env = env
		p.cmd.Stdout, p.cmd.Stderr = b.stderr, b.stderr
		if err := p.cmd.Start(); err != nil {
			stopWorkers(procs, b.cfg.ShutdownTimeout)
			return nil, fmt.Errorf("start worker %d: %w", i+1, err)
		}
		go func() {
			p.err = p.cmd.Wait()
			close(p.exited)
		}()
		procs = append(procs, p)
	}
	if err := waitWorkersReady(ctx, b.redis, procs, time.Minute); err != nil {
		return procs, err
	}
	return procs, nil
}

// workerEnv is the environment of a worker process: this process's, less
// every CHORUSBILL_ and CHORUS_ variable (the shell's tuning, database,
// metrics address or Chorus Pro must not change the run), plus the bench's
// database and Redis, its sandbox, and the issuer, deliberation and rate
// files the bench itself reads.
func (b *bencher) workerEnv(dbURL, base string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CHORUSBILL_") || strings.HasPrefix(k, "CHORUS_") {
			continue
		}
		env = append(env, kv)
	}
	for _, kv := range [][2]string{{app.EnvIssuer, b.conf.Issuer}, {app.EnvDeliberation, b.conf.Deliberation},
		{app.EnvLegalRates, b.conf.LegalRates}, {app.EnvECBRates, b.conf.ECBRates}} {
		if kv[1] != "" {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	ccfg := benchChorusConfig(base)
	return append(env, app.EnvDatabaseURL+"="+dbURL, app.EnvRedisURL+"="+b.o.RedisURL,
		"CHORUS_ENV="+string(ccfg.Env), "CHORUS_BASE_URL="+ccfg.BaseURL, "CHORUS_TOKEN_URL="+ccfg.TokenURL,
		"CHORUS_CLIENT_ID="+ccfg.ClientID, "CHORUS_CLIENT_SECRET="+ccfg.ClientSecret,
		"CHORUS_TECH_LOGIN="+ccfg.TechLogin, "CHORUS_TECH_PASSWORD="+ccfg.TechPassword,
		app.EnvSweepSoon+"="+b.cfg.SweepSoon.String(), app.EnvSweepOverlap+"="+b.cfg.SweepOverlap.String())
}

// waitWorkersReady waits until every worker's asynq server has registered
// in Redis (asynq writes it when the server starts), so that the measure
// does not count the workers' start-up.
func waitWorkersReady(ctx context.Context, ropt asynq.RedisConnOpt, procs []*workerProc, timeout time.Duration) error {
	insp := asynq.NewInspector(ropt)
	defer insp.Close()
	deadline := time.Now().Add(timeout)
	for {
		for i, p := range procs {
			select {
			case <-p.exited:
				return fmt.Errorf("worker %d exited at start: %v", i+1, p.err)
			default:
			}
		}
		servers, err := insp.Servers()
		if err == nil {
			up := map[int]bool{}
			for _, s := range servers {
				up[s.PID] = true
			}
			ready := 0
			for _, p := range procs {
				if up[p.cmd.Process.Pid] {
					ready++
				}
			}
			if ready == len(procs) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the workers did not start serving in %s", timeout)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// stopWorkers stops the workers as an operator would (SIGTERM: each lets
// its running tasks finish, up to grace, and writes its profiles), kills
// those that outlive grace by a minute, and returns how each ended (nil:
// cleanly). Stopping a stopped worker does nothing.
func stopWorkers(procs []*workerProc, grace time.Duration) []error {
	for _, p := range procs {
		p.stopOnce.Do(func() { p.cmd.Process.Signal(syscall.SIGTERM) })
	}
	out := make([]error, len(procs))
	for i, p := range procs {
		select {
		case <-p.exited:
		case <-time.After(grace + time.Minute):
			p.cmd.Process.Kill()
			<-p.exited
		}
		out[i] = p.err
	}
	return out
}

// The sandbox.

// benchSandbox serves a sandbox on 127.0.0.1 whose buyers are the embedded
// directory plus the generated establishments on Chorus Pro, with no latency
// and flows integrated as soon as deposited. Its requests are watched
// (sandboxActivity).
func benchSandbox(establishments []byte, n int) (*sandbox.Server, *sandboxActivity, string, func(), error) {
	yaml, err := fs.ReadFile(fixtures.FS(), fixtures.ChorusBuyers)
	if err != nil {
		return nil, nil, "", nil, err
	}
	dir, err := sandbox.LoadDirectory("fixtures/"+fixtures.ChorusBuyers, yaml,
		sandbox.EstablishmentsSource{Name: fmt.Sprintf("generated-%d.csv", n), Data: establishments})
	if err != nil {
		return nil, nil, "", nil, fmt.Errorf("sandbox directory: %w", err)
	}
	sb, err := sandbox.New(sandbox.Config{Directory: dir, FlowProcessingDelay: -1, FlowIntegrationDelay: -1})
	if err != nil {
		return nil, nil, "", nil, fmt.Errorf("sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", nil, fmt.Errorf("sandbox: %w", err)
	}
	act := &sandboxActivity{next: sb}
	srv := &http.Server{Handler: act, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return sb, act, "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// sandboxActivity passes requests to the sandbox and notes when the last
// one ended. Once the run is done nothing asks Chorus Pro anything, so a
// quiet sandbox tells the bench when to read the books — at the cost of
// two atomic operations a request, where sandbox.Deposits copies every
// flow under the sandbox's lock, and from outside the worker processes,
// whose counters the bench cannot read.
type sandboxActivity struct {
	next     http.Handler
	inFlight atomic.Int64
	served   atomic.Int64
	last     atomic.Int64 // UnixNano at the end of the latest request
}

func (a *sandboxActivity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.inFlight.Add(1)
	defer func() {
		a.last.Store(time.Now().UnixNano())
		a.served.Add(1)
		a.inFlight.Add(-1)
	}()
	a.next.ServeHTTP(w, r)
}

// quietFor is how long no request has been in flight, once one was served
// (0 before, and while one is in flight).
func (a *sandboxActivity) quietFor(now time.Time) time.Duration {
	if a.inFlight.Load() > 0 || a.served.Load() == 0 {
		return 0
	}
	return now.Sub(time.Unix(0, a.last.Load()))
}

// benchSchema makes a fresh schema on the PostgreSQL server and returns a
// URL whose search_path is it, and a function that drops it.
func benchSchema(ctx context.Context, admin string) (string, func(), error) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("PostgreSQL is not reachable (run `make services`, or give --postgres): %w", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "cbbench_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	}
	u, err := url.Parse(admin)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// Memory.

// memPeaks are the peaks of a phase: the process's resident set (VmHWM,
// reset at the start of the phase when the kernel allows it; else the
// highest VmRSS sampled) and the Go heap's live and unswept objects
// (sampled).
type memPeaks struct {
	startRSS, peakRSS uint64
	hwm               bool // peakRSS is the kernel's VmHWM since the reset
	peakHeap          uint64
	// endHeap is the live heap after a GC at the end of the phase: what
	// the process keeps (the sandbox's invoices, the buyer cache…).
	endHeap uint64
}

type memSampler struct {
	stopc chan struct{}
	done  chan memPeaks
}

const heapObjects = "/memory/classes/heap/objects:bytes"

func startMemSampler() *memSampler {
	s := &memSampler{stopc: make(chan struct{}), done: make(chan memPeaks, 1)}
	p := memPeaks{hwm: resetPeakRSS(procSelf)}
	p.startRSS, _ = procStatus(procSelf, "VmRSS")
	go func() {
		sample := []metrics.Sample{{Name: heapObjects}}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				p.peakHeap = max(p.peakHeap, sample[0].Value.Uint64())
			}
			if rss, ok := procStatus(procSelf, "VmRSS"); ok {
				p.peakRSS = max(p.peakRSS, rss)
			}
			select {
			case <-s.stopc:
				if hwm, ok := procStatus(procSelf, "VmHWM"); ok && p.hwm {
					p.peakRSS = max(p.peakRSS, hwm)
				}
				s.done <- p
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// heapLive reads the bytes of heap objects (live ones, right after a GC).
func heapLive() uint64 {
	sample := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

func (s *memSampler) stop() memPeaks {
	close(s.stopc)
	return <-s.done
}

// procSelf names this process under /proc.
const procSelf = "self"

// resetPeakRSS sets a process's VmHWM back to its current RSS (Linux ≥ 4.0,
// writing 5 to /proc/PID/clear_refs: allowed for this process and its
// children); it reports whether the kernel allowed it.
func resetPeakRSS(pid string) bool {
	return os.WriteFile(filepath.Join("/proc", pid, "clear_refs"), []byte("5"), 0) == nil
}

// procStatus reads a "kB" field of /proc/PID/status, in bytes.
func procStatus(pid, field string) (uint64, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}

// CPU.

// cpuSample is the CPU time (clock ticks) of the machine and of the
// processes that matter, at one instant.
type cpuSample struct {
	busy, total uint64
	procs       map[int]procTicks
}

// procTicks is one process's CPU time (utime + stime) and its kind.
type procTicks struct {
	name  string // bench, worker, postgres, redis-server
	ticks uint64
}

// cpuShares is the CPU used during a phase, in cores.
type cpuShares struct {
	cores  int
	busy   float64
	byName map[string]float64
	// workers is the number of worker processes (0: the pipelines ran in
	// this process).
	workers int
}

// userHZ is the unit of /proc's CPU times on Linux.
const userHZ = 100

// readCPU reads /proc/stat and the utime+stime of this process, of the
// worker processes (workers, by pid), and of postgres and redis-server
// processes. Processes that end during a phase (e.g. database connections
// closed) count in "other".
func readCPU(workers map[int]bool) cpuSample {
	s := cpuSample{procs: map[int]procTicks{}}
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		fields := strings.Fields(line)
		// user nice system idle iowait irq softirq steal (guest times
		// are already in user and nice).
		for i, f := range fields[1:min(len(fields), 9)] {
			v, _ := strconv.ParseUint(f, 10, 64)
			s.total += v
			if i != 3 && i != 4 && i != 7 { // idle, iowait, steal
				s.busy += v
			}
		}
	}
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		open, closing := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
		if open < 0 || closing < open {
			continue
		}
		comm := string(data[open+1 : closing])
		name := ""
		switch {
		case pid == self:
			name = "bench"
		case workers[pid]:
			name = "worker"
		case comm == "postgres" || strings.HasPrefix(comm, "postgres"):
			name = "postgres"
		case strings.HasPrefix(comm, "redis-server"):
			name = "redis-server"
		default:
			continue
		}
		fields := strings.Fields(string(data[closing+1:]))
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseUint(fields[11], 10, 64)
		stime, _ := strconv.ParseUint(fields[12], 10, 64)
		// Keyed by pid, so that a process that started during the phase
		// counts from zero.
		s.procs[pid] = procTicks{name: name, ticks: utime + stime}
	}
	return s
}

// seconds is the CPU time one process used since before.
func (s cpuSample) seconds(before cpuSample, pid int) float64 {
	return float64(s.procs[pid].ticks-before.procs[pid].ticks) / userHZ
}

func (s cpuSample) since(before cpuSample, elapsed time.Duration) cpuShares {
	out := cpuShares{cores: runtime.NumCPU(), byName: map[string]float64{}}
	secs := elapsed.Seconds()
	if secs <= 0 {
		return out
	}
	out.busy = float64(s.busy-before.busy) / userHZ / secs
	named := 0.0
	for pid, p := range s.procs {
		cores := float64(p.ticks-before.procs[pid].ticks) / userHZ / secs
		out.byName[p.name] += cores
		named += cores
	}
	out.byName["other"] = max(out.busy-named, 0)
	return out
}

func (c cpuShares) String() string {
	self := fmt.Sprintf("this process (pipelines, sandbox, driver) %.2f", c.byName["bench"])
	if c.workers > 0 {
		procs := "1 process"
		if c.workers > 1 {
			procs = fmt.Sprintf("%d processes", c.workers)
		}
		self = fmt.Sprintf("workers %.2f (%s), this process (sandbox + driver) %.2f", c.byName["worker"], procs, c.byName["bench"])
	}
	return fmt.Sprintf("%.2f of %d cores busy: %s, postgres %.2f, redis-server %.2f, other processes (e.g. builds; incl. exited ones) %.2f",
		c.busy, c.cores, self, c.byName["postgres"], c.byName["redis-server"], c.byName["other"])
}

// Report.

func mb(b uint64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

// thousands writes n with a comma between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i, d := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, d)
	}
	return string(out)
}

func (b *bencher) report(w io.Writer, ceil ceilingResult, results []pipelineResult, embedded *pipelineResult, life *lifecycleResult) {
	cfg := b.cfg
	poll := "asynq's defaults: 1 s when idle, 5 s for scheduled tasks"
	if cfg.PollInterval > 0 {
		poll = cfg.PollInterval.String()
	}
	server := fmt.Sprintf("concurrency %d, queues critical:6 default:3 low:1, polling %s", cfg.Concurrency, poll)
	fmt.Fprintf(w, "chorusbill bench — %d CPU, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "Redis %s (flushed before each phase); PostgreSQL %s (a fresh schema per size, dropped after)\n", redactUserinfo(b.o.RedisURL), redactUserinfo(b.o.PostgresURL))
	fmt.Fprintf(w, "Chorus Pro: in-process sandbox on 127.0.0.1, no latency, flows integrated at once; buyers = the generated on_chorus=oui establishments\n")
	if b.o.InProcess {
		fmt.Fprintf(w, "workers: %d pipeline(s), each its own asynq.Server (%s), store pool and Chorus Pro client —\n", b.o.Workers, server)
		fmt.Fprintf(w, "  all in this one process, which they share with the sandbox and the bench driver: RSS, heap and CPU below are the whole process's\n")
	} else {
		fmt.Fprintf(w, "workers: %d process(es) \"chorusbill work %s\", each its own asynq.Server (%s), store pool and Chorus Pro client;\n",
			b.o.Workers, strings.Join(workArgs(cfg), " "), server)
		fmt.Fprintf(w, "  started for each size and stopped (SIGTERM) after it; per worker: peak RSS (VmHWM over the run) and CPU seconds. The sandbox and\n")
		fmt.Fprintf(w, "  the bench driver (enqueue, reads of the books) run in the bench process, measured apart; the no-op servers run in it too\n")
	}
	if embedded != nil {
		fmt.Fprintf(w, "embedded: miniredis and an SQLite file in a temporary directory, one pipeline in this process (as the demo), same configuration and sandbox\n")
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measure\tsize\tcount\tseconds\tper second\tpeak RSS\tpeak heap\tCPU s\t")
	fmt.Fprintf(tw, "asynq no-op, enqueue (%d clients)\t%s\t%s tasks\t%.2f\t%s\t\t\t\t\n", ceil.clients, thousands(ceil.n), thousands(ceil.n),
		ceil.enqueue.Seconds(), thousands(int(float64(ceil.n)/ceil.enqueue.Seconds())))
	fmt.Fprintf(tw, "asynq no-op, drain (%d server(s)) = ceiling\t%s\t%s tasks\t%.2f\t%s\t%s\t\t\t\n", ceil.servers, thousands(ceil.n), thousands(ceil.n),
		ceil.drain.Seconds(), thousands(int(ceil.rate())), mb(ceil.peakRSS))
	for _, r := range results {
		fmt.Fprintf(tw, "import establishments (not in the pipeline time)\t%s\t%s rows\t%.2f\t%s\t\t\t\t\n", thousands(r.n), thousands(r.n),
			r.imported.Seconds(), thousands(int(float64(r.n)/r.imported.Seconds())))
		if len(r.workers) == 0 {
			fmt.Fprintf(tw, "pipeline: issue → CII → deposit → integrated\t%s\t%s invoices\t%.2f\t%.1f\t%s\t%s\t%.1f\t\n", thousands(r.n), thousands(r.invoices()),
				r.elapsed.Seconds(), r.rate(), mb(r.mem.peakRSS), mb(r.mem.peakHeap), r.selfCPU)
			continue
		}
		// The pipeline's memory is the largest worker's; its CPU, all
		// the workers'.
		fmt.Fprintf(tw, "pipeline: issue → CII → deposit → integrated\t%s\t%s invoices\t%.2f\t%.1f\tmax %s\t\t%.1f\t\n", thousands(r.n), thousands(r.invoices()),
			r.elapsed.Seconds(), r.rate(), mb(r.peakRSS()), r.workerCPU())
		for _, u := range r.workers {
			fmt.Fprintf(tw, "worker %d (pid %d)\t\t\t\t\t%s\t\t%.1f\t\n", u.i, u.pid, mb(u.peakRSS), u.cpu)
		}
		fmt.Fprintf(tw, "bench process: sandbox + driver\t\t\t\t\t%s\t%s\t%.1f\t\n", mb(r.mem.peakRSS), mb(r.mem.peakHeap), r.selfCPU)
	}
	if e := embedded; e != nil {
		fmt.Fprintf(tw, "embedded (miniredis + SQLite): import\t%s\t%s rows\t%.2f\t%s\t\t\t\t\n", thousands(e.n), thousands(e.n),
			e.imported.Seconds(), thousands(int(float64(e.n)/e.imported.Seconds())))
		fmt.Fprintf(tw, "embedded (miniredis + SQLite): pipeline, all in this process\t%s\t%s invoices\t%.2f\t%.1f\t%s\t%s\t%.1f\t\n", thousands(e.n), thousands(e.invoices()),
			e.elapsed.Seconds(), e.rate(), mb(e.mem.peakRSS), mb(e.mem.peakHeap), e.selfCPU)
	}
	tw.Flush()

	details := results
	if embedded != nil {
		details = append(details[:len(details):len(details)], *embedded)
	}
	for _, r := range details {
		s := r.sum
		where := ""
		if r.embedded {
			where = ", embedded (miniredis + SQLite)"
		}
		fmt.Fprintf(w, "\n%s establishments%s:\n", thousands(r.n), where)
		fmt.Fprintf(w, "  outcomes: issued %d, free %d, nothing due %d, failed %d\n",
			s.Outcomes[string(worker.Issued)], s.Outcomes[string(worker.Free)], s.Outcomes[string(worker.NothingDue)], s.Outcomes["failed"])
		fmt.Fprintf(w, "  invoices: delivered %d (flows integrated at the sandbox %d), postal %d, awaiting references %d, rejected %d; Chorus Pro deposits %d\n",
			s.States[string(invoice.StateDelivered)], r.integrated, s.States[string(invoice.StatePostal)],
			s.States[string(invoice.StateAwaitingReference)], s.States[string(invoice.StateRejected)], r.deposits)
		fmt.Fprintf(w, "  asynq tasks run: %d (%d failed) = %.2f per invoice, %.0f tasks/s\n",
			r.tasks, r.failed, float64(r.tasks)/float64(max(r.invoices(), 1)), float64(r.tasks)/r.elapsed.Seconds())
		rss := "peak RSS " + mb(r.mem.peakRSS)
		if r.mem.hwm {
			rss += " (VmHWM, reset at the start of the phase"
		} else {
			rss += " (highest VmRSS sampled: VmHWM could not be reset"
		}
		self := fmt.Sprintf("%s, RSS at the start %s), peak Go heap %s (sampled), live heap at the end %s",
			rss, mb(r.mem.startRSS), mb(r.mem.peakHeap), mb(r.mem.endHeap))
		if len(r.workers) == 0 {
			fmt.Fprintf(w, "  memory: %s\n", self)
		} else {
			var peaks []string
			reset := true
			for _, u := range r.workers {
				peaks = append(peaks, mb(u.peakRSS))
				reset = reset && u.hwm
			}
			how := "VmHWM, reset at the start of the phase"
			if !reset {
				how = "VmHWM since the process started: it could not be reset"
			}
			fmt.Fprintf(w, "  memory: workers' peak RSS %s (%s); bench process (sandbox + driver): %s\n", strings.Join(peaks, ", "), how, self)
		}
		fmt.Fprintf(w, "  CPU: %s\n", r.cpu)
		if len(r.profiles) > 0 {
			fmt.Fprintf(w, "  profiles: %s\n", strings.Join(r.profiles, ", "))
		}
	}

	first, last := results[0], results[len(results)-1]
	if len(results) > 1 {
		mem := fmt.Sprintf("peak RSS ×%.2f, peak heap ×%.2f (flat: ×1)",
			ratio(last.mem.peakRSS, first.mem.peakRSS), ratio(last.mem.peakHeap, first.mem.peakHeap))
		if len(last.workers) > 0 {
			mem = fmt.Sprintf("peak RSS of a worker ×%.2f (flat: ×1); bench process (sandbox + driver) peak RSS ×%.2f",
				ratio(last.peakRSS(), first.peakRSS()), ratio(last.mem.peakRSS, first.mem.peakRSS))
		}
		fmt.Fprintf(w, "\ngrowth %s → %s establishments (×%.1f): time ×%.2f (linear: ×%.1f), invoices/s ×%.2f, %s\n",
			thousands(first.n), thousands(last.n), float64(last.n)/float64(first.n),
			last.elapsed.Seconds()/first.elapsed.Seconds(), float64(last.n)/float64(first.n), last.rate()/first.rate(), mem)
	}
	if life != nil {
		life.report(w)
	}
	fmt.Fprintf(w, "\neach invoice costs asynq work (its issue, deliver and track tasks, or its share of batched ones), and each establishment without an invoice its issue:\n")
	fmt.Fprintf(w, "the ratio compares invoices/s at %s establishments (%.1f) with no-op tasks/s (%.0f)\n", thousands(last.n), last.rate(), ceil.rate())
	fmt.Fprintf(w, "pipeline/ceiling ratio: %.4f\n", last.rate()/ceil.rate())
}

func ratio(a, b uint64) float64 { return float64(a) / float64(max(b, 1)) }

// redactUserinfo hides a password in a URL shown in the report.
func redactUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.Redacted()
}

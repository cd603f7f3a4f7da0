package main

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
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
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
// PostgreSQL and an in-process sandbox that answers at once.

const (
	benchDefaultRedis    = "redis://127.0.0.1:6379/13"
	benchDefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	// envBenchPostgres names the PostgreSQL server the bench makes its
	// schemas in; CHORUSBILL_TEST_POSTGRES_URL is read next.
	envBenchPostgres = "CHORUSBILL_BENCH_POSTGRES_URL"
	envTestPostgres  = "CHORUSBILL_TEST_POSTGRES_URL"
)

// benchYear and benchIssueDate are the run the bench times: the 2025
// contributions, dated 15 January 2025.
const benchYear = 2025

var benchIssueDate = time.Date(2025, time.January, 15, 0, 0, 0, 0, time.UTC)

const benchAbout = `Measures the pipeline against asynq's own limit, in one run:
 1. the ceiling: N no-op tasks enqueued, then drained by as many asynq servers
    as the pipeline has workers, with the worker's server configuration
    (concurrency, queues, polling);
 2. the pipeline: for each size, establishments generated (fixtures) and
    imported (timed apart), then the 2025 contribution run timed until every
    establishment has its outcome and no invoice is finalised, delivering or
    deposited (issued → CII rendered → deposited → integrated), in invoices/s;
    peak RSS and Go heap; CPU per process (bench, postgres, redis-server);
 3. growth of time and memory from the smallest size to the largest.
The last line is "pipeline/ceiling ratio: X" (invoices/s of the largest size
÷ no-op tasks/s). Redis (--redis, a DB of its own, FLUSHDB'd) and PostgreSQL
(--postgres, a fresh schema per size, dropped after) are real; the Chorus Pro
sandbox runs in this process with no latency and flows integrated at once.
--workers N runs N pipelines, each with its own asynq.Server, store pool and
Chorus Pro client, in this one process.`

// benchOptions are the bench's settings.
type benchOptions struct {
	sizes       []int
	workers     int
	concurrency int
	noop        int
	seed        int64
	profileDir  string
	redisURL    string
	postgresURL string
	timeout     time.Duration
}

// intList is a flag of comma-separated positive integers.
type intList []int

func (l *intList) String() string {
	parts := make([]string, len(*l))
	for i, n := range *l {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (l *intList) Set(s string) error {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(part, "_", "")))
		if err != nil || n < 1 || n > fixtures.MaxGenerated {
			return fmt.Errorf("%q is not a number of establishments (1 to %d)", part, fixtures.MaxGenerated)
		}
		out = append(out, n)
	}
	sort.Ints(out)
	*l = out
	return nil
}

func runBench(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("bench", "[--establishments 10000,100000] [--workers N] [--concurrency C] [--profile DIR]", benchAbout)
	o := benchOptions{sizes: intList{10_000, 100_000}}
	pg := c.getenv(envBenchPostgres)
	if pg == "" {
		pg = c.getenv(envTestPostgres)
	}
	if pg == "" {
		pg = benchDefaultPostgres
	}
	fs.Var((*intList)(&o.sizes), "establishments", "`SIZES` to bill, comma-separated")
	fs.IntVar(&o.workers, "workers", 1, "pipelines (asynq servers), all in this process")
	fs.IntVar(&o.concurrency, "concurrency", worker.DefaultConfig().Concurrency, "tasks each worker runs at once")
	fs.IntVar(&o.noop, "noop", 50_000, "no-op tasks of the ceiling measure")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated establishments")
	fs.StringVar(&o.profileDir, "profile", "", "write CPU and heap profiles of each pipeline phase into `DIR`")
	fs.StringVar(&o.redisURL, "redis", benchDefaultRedis, "Redis `URL`; its DB is flushed")
	fs.StringVar(&o.postgresURL, "postgres", pg, "PostgreSQL `URL` to make the bench's schemas in ($"+envBenchPostgres+")")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up a phase after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case len(o.sizes) == 0:
		return usagef("--establishments needs at least one size")
	case o.workers < 1:
		return usagef("--workers must be 1 or more")
	case o.concurrency < 1:
		return usagef("--concurrency must be 1 or more")
	case o.noop < 1:
		return usagef("--noop must be 1 or more")
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	b, err := newBencher(ctx, c, o)
	if err != nil {
		return err
	}
	defer b.close()
	return b.run(ctx)
}

// bencher holds what the phases share.
type bencher struct {
	c     *cli
	o     benchOptions
	redis asynq.RedisConnOpt
	rdb   redis.UniversalClient
	cfg   worker.Config
}

func newBencher(ctx context.Context, c *cli, o benchOptions) (*bencher, error) {
	ropt, err := asynq.ParseRedisURI(o.redisURL)
	if err != nil {
		return nil, usagef("--redis: %v", err)
	}
	rdb, ok := ropt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("--redis: not a Redis client")
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis at %s: %w (run `make services`)", o.redisURL, err)
	}
	return &bencher{c: c, o: o, redis: ropt, rdb: rdb, cfg: benchWorkerConfig(o.concurrency)}, nil
}

func (b *bencher) close() {
	b.rdb.FlushDB(context.Background())
	b.rdb.Close()
}

// benchWorkerConfig is the production configuration (worker.DefaultConfig)
// with two changes that a sandbox answering at once calls for: no yearly run
// started by the calendar (the bench starts its own), and a flow polled as
// soon as it is deposited, its invoice's status an hour later — after the
// measure, which ends at integration.
func benchWorkerConfig(concurrency int) worker.Config {
	cfg := worker.DefaultConfig()
	cfg.AutoRuns = false
	cfg.Concurrency = concurrency
	cfg.TrackIntervals = []time.Duration{0, time.Hour}
	return cfg
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
	if err := b.rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("flush Redis %s: %w", b.o.redisURL, err)
	}
	return nil
}

func (b *bencher) progress(format string, a ...any) {
	fmt.Fprintf(b.c.stderr, "· "+format+"\n", a...)
}

func (b *bencher) run(ctx context.Context) error {
	ceil, err := b.ceiling(ctx)
	if err != nil {
		return err
	}
	b.progress("ceiling: %d no-op tasks drained in %.2f s (%.0f/s)", ceil.n, ceil.drain.Seconds(), ceil.rate())
	var results []pipelineResult
	for _, n := range b.o.sizes {
		r, err := b.pipeline(ctx, n)
		if err != nil {
			return fmt.Errorf("pipeline on %d establishments: %w", n, err)
		}
		b.progress("pipeline %d: %d invoices in %.2f s (%.1f/s)", n, r.invoices(), r.elapsed.Seconds(), r.rate())
		results = append(results, r)
	}
	b.report(b.c.stdout, ceil, results)
	var problems []string
	for _, r := range results {
		problems = append(problems, r.problems()...)
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
// handler call.
func (b *bencher) ceiling(ctx context.Context) (ceilingResult, error) {
	res := ceilingResult{n: b.o.noop, clients: 10, servers: b.o.workers}
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
	resetPeakRSS()
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
	case <-time.After(b.o.timeout):
		return res, fmt.Errorf("the no-op tasks were not drained in %s (%d of %d)", b.o.timeout, done.Load(), res.n)
	}
	res.drain = time.Since(start)
	res.peakRSS, _ = procStatus("VmHWM")
	return res, b.flush(ctx)
}

// pipelineResult is the measure of one size.
type pipelineResult struct {
	n                  int
	imported           time.Duration
	elapsed            time.Duration
	sum                store.RunSummary
	metrics            map[string]int64
	tasks, failedTasks int
	integrated         int
	mem                memPeaks
	cpu                cpuShares
	profiles           []string
}

func (r pipelineResult) invoices() int { return r.sum.Outcomes[string(worker.Issued)] }

func (r pipelineResult) rate() float64 { return float64(r.invoices()) / r.elapsed.Seconds() }

func (r pipelineResult) problems() []string {
	var out []string
	if n := r.sum.Outcomes["failed"]; n > 0 {
		out = append(out, fmt.Sprintf("%d establishments: %d failed", r.n, n))
	}
	if r.integrated != r.sum.States[string(invoice.StateDelivered)]+r.sum.States[string(invoice.StatePaid)] {
		out = append(out, fmt.Sprintf("%d establishments: %d flows integrated at the sandbox, %d invoices delivered",
			r.n, r.integrated, r.sum.States[string(invoice.StateDelivered)]))
	}
	return out
}

// pipeline bills n generated establishments end to end and times it.
func (b *bencher) pipeline(ctx context.Context, n int) (res pipelineResult, err error) {
	res.n = n
	if err := b.flush(ctx); err != nil {
		return res, err
	}
	dbURL, dropSchema, err := benchSchema(ctx, b.o.postgresURL)
	if err != nil {
		return res, err
	}
	defer dropSchema()

	// The establishments: generated, then imported (timed apart).
	var csv bytes.Buffer
	if err := fixtures.Generate(n, b.o.seed, &csv, io.Discard); err != nil {
		return res, err
	}
	books, err := store.OpenAndMigrate(ctx, dbURL)
	if err != nil {
		return res, err
	}
	defer books.Close()
	cat, err := b.c.catalog("")
	if err != nil {
		return res, err
	}
	start := time.Now()
	imp, err := books.ImportEstablishments(ctx, fmt.Sprintf("generated-%d.csv", n), bytes.NewReader(csv.Bytes()), cat, "bench")
	if err != nil {
		return res, err
	}
	res.imported = time.Since(start)
	if imp.Added != n {
		return res, fmt.Errorf("import added %d of %d establishments", imp.Added, n)
	}

	// Chorus Pro: the sandbox knows every on_chorus=oui establishment as a
	// buyer with the directory's default behaviour.
	sb, base, stopSandbox, err := benchSandbox(csv.Bytes(), n)
	if err != nil {
		return res, err
	}
	defer stopSandbox()
	csv = bytes.Buffer{}

	// The workers, each built as `chorusbill work` builds its own.
	wc := *b.c
	wc.getenv = benchEnv(b.c.getenv, dbURL)
	ccfg := chorus.Config{Env: chorus.Local, BaseURL: base, TokenURL: base + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword}
	log := b.c.logger(b.c.stderr, slog.LevelWarn)
	workCtx, stopWork := context.WithCancel(ctx)
	var stacks []*stack
	var served sync.WaitGroup
	defer func() {
		stopWork()
		served.Wait()
		for _, s := range stacks {
			s.Close()
		}
	}()
	for range b.o.workers {
		s, err := wc.buildStack(ctx, stackOptions{redisURL: b.o.redisURL, chorusCfg: &ccfg, cfg: b.cfg, logger: log})
		if err != nil {
			return res, err
		}
		stacks = append(stacks, s)
		served.Go(func() {
			if err := s.p.Serve(workCtx, s.redis); err != nil {
				log.Error("worker", "error", err)
			}
		})
	}

	// Measure from here.
	runtime.GC()
	debug.FreeOSMemory()
	if b.o.profileDir != "" {
		p := filepath.Join(b.o.profileDir, fmt.Sprintf("heap-start-%d.pprof", n))
		if err := writeHeapProfile(p); err != nil {
			return res, err
		}
		res.profiles = append(res.profiles, p)
	}
	sampler := startMemSampler()
	cpu0 := readCPU()
	var cpuProfile *os.File
	if b.o.profileDir != "" {
		p := filepath.Join(b.o.profileDir, fmt.Sprintf("cpu-%d.pprof", n))
		if cpuProfile, err = os.Create(p); err != nil {
			return res, err
		}
		if err := pprof.StartCPUProfile(cpuProfile); err != nil {
			cpuProfile.Close()
			return res, err
		}
		res.profiles = append(res.profiles, p)
	}
	start = time.Now()
	if err := stacks[0].p.EnqueueRun(ctx, benchYear, invoice.KindContribution, benchIssueDate); err != nil {
		return res, err
	}
	res.sum, err = b.waitSettled(ctx, books, n, start, settledHint(stacks, n))
	res.elapsed = time.Since(start)
	if cpuProfile != nil {
		pprof.StopCPUProfile()
		cpuProfile.Close()
	}
	res.cpu = readCPU().since(cpu0, res.elapsed)
	res.mem = sampler.stop()
	if err != nil {
		return res, err
	}
	runtime.GC()
	res.mem.endHeap = heapLive()
	if b.o.profileDir != "" {
		p := filepath.Join(b.o.profileDir, fmt.Sprintf("heap-%d.pprof", n))
		if err := writeHeapProfile(p); err != nil {
			return res, err
		}
		res.profiles = append(res.profiles, p)
	}

	// What was done: counters of the handlers, of asynq, of the sandbox.
	res.metrics = map[string]int64{}
	for _, s := range stacks {
		for k, v := range s.p.Metrics.Snapshot() {
			res.metrics[k] += v
		}
	}
	insp := asynq.NewInspector(b.redis)
	defer insp.Close()
	for _, q := range []string{worker.QueueCritical, worker.QueueDefault, worker.QueueLow} {
		qi, err := insp.GetQueueInfo(q)
		if err != nil {
			continue // a queue never used
		}
		res.tasks += qi.ProcessedTotal
		res.failedTasks += qi.FailedTotal
	}
	for _, d := range sb.Deposits() {
		if d.EtatFinal == chorus.EtatFluxIntegre {
			res.integrated++
		}
	}
	return res, nil
}

// waitSettled waits until the run has an outcome for every establishment
// and none of its invoices is in a working state, as the books say.
// store.Summary scans the run's invoices (O(n) a call), so the books are
// read rarely — every twentieth of the time so far, from 250 ms up to 2 s —
// and within 100 ms when the handlers' counters (hint) say the run is
// done: the end is seen within about 100 ms, and the bench's own queries
// stay out of what it measures.
func (b *bencher) waitSettled(ctx context.Context, books *store.Store, n int, start time.Time, hint func() bool) (store.RunSummary, error) {
	deadline := start.Add(b.o.timeout)
	lastSay, lastRead := start, time.Time{}
	var sum store.RunSummary
	for {
		since := time.Since(lastRead)
		if (since >= 100*time.Millisecond && hint()) || since >= min(max(time.Since(start)/20, 250*time.Millisecond), 2*time.Second) {
			lastRead = time.Now()
			run, err := books.RunFor(ctx, benchYear, invoice.KindContribution)
			if err == nil {
				if sum, err = books.Summary(ctx, run.ID); err != nil {
					return sum, err
				}
				working := 0
				for _, st := range workingStates() {
					working += sum.States[st]
				}
				if sum.Items >= n && working == 0 {
					return sum, nil
				}
				if time.Since(lastSay) >= 10*time.Second {
					lastSay = time.Now()
					b.progress("pipeline %d: %d/%d establishments, %d invoices in work, %.0f s", n, sum.Items, n, working, time.Since(start).Seconds())
				}
			}
		}
		if time.Now().After(deadline) {
			return sum, fmt.Errorf("not settled after %s: %d/%d establishments have an outcome, invoices by state %v", b.o.timeout, sum.Items, n, sum.States)
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return sum, err
		}
	}
}

// settledHint reads the handlers' counters: every establishment has an
// outcome and every invoice a settled state (a retried handler may count
// twice, and a refused deposit is not counted: the books decide).
func settledHint(stacks []*stack, n int) func() bool {
	return func() bool {
		c := map[string]int64{}
		for _, s := range stacks {
			for k, v := range s.p.Metrics.Snapshot() {
				c[k] += v
			}
		}
		issued := c["issued"]
		return issued+c["issue_free"]+c["issue_nothing_due"]+c["issue_failed"] >= int64(n) &&
			c["delivered"]+c["postal"]+c["awaiting_reference"]+c["flow_rejected"] >= issued
	}
}

// benchEnv is the environment of the bench's workers: the bench's database,
// and none of the tuning variables, so that a run does not depend on the
// shell it is started from (the issuer and deliberation files still apply).
func benchEnv(getenv env, dbURL string) env {
	return func(k string) string {
		switch {
		case k == envDatabaseURL:
			return dbURL
		case k == envDatabaseURL+"_FILE", k == envConcurrency, strings.HasPrefix(k, "CHORUSBILL_KICK_"),
			strings.HasPrefix(k, "CHORUSBILL_STALE_"), strings.HasPrefix(k, "CHORUSBILL_POLL_"), strings.HasPrefix(k, "CHORUSBILL_TRACK_"):
			return ""
		}
		return getenv(k)
	}
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

// benchSandbox serves a sandbox on 127.0.0.1 whose buyers are the embedded
// directory plus the generated establishments on Chorus Pro, with no latency
// and flows integrated as soon as deposited.
func benchSandbox(establishments []byte, n int) (*sandbox.Server, string, func(), error) {
	yaml, err := fs.ReadFile(fixtures.FS(), fixtures.ChorusBuyers)
	if err != nil {
		return nil, "", nil, err
	}
	dir, err := sandbox.LoadDirectory("fixtures/"+fixtures.ChorusBuyers, yaml,
		sandbox.EstablishmentsSource{Name: fmt.Sprintf("generated-%d.csv", n), Data: establishments})
	if err != nil {
		return nil, "", nil, err
	}
	sb, err := sandbox.New(sandbox.Config{Directory: dir, FlowProcessingDelay: -1, FlowIntegrationDelay: -1})
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return sb, "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
	p := memPeaks{hwm: resetPeakRSS()}
	p.startRSS, _ = procStatus("VmRSS")
	go func() {
		sample := []metrics.Sample{{Name: heapObjects}}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				p.peakHeap = max(p.peakHeap, sample[0].Value.Uint64())
			}
			if rss, ok := procStatus("VmRSS"); ok {
				p.peakRSS = max(p.peakRSS, rss)
			}
			select {
			case <-s.stopc:
				if hwm, ok := procStatus("VmHWM"); ok && p.hwm {
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

// resetPeakRSS sets VmHWM back to the current RSS (Linux ≥ 4.0, writing 5 to
// clear_refs); it reports whether the kernel allowed it.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// procStatus reads a "kB" field of /proc/self/status, in bytes.
func procStatus(field string) (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
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
	byName      map[string]uint64
}

// cpuShares is the CPU used during a phase, in cores.
type cpuShares struct {
	cores  int
	busy   float64
	byName map[string]float64
}

// userHZ is the unit of /proc's CPU times on Linux.
const userHZ = 100

// readCPU reads /proc/stat and the utime+stime of this process, postgres
// and redis-server processes. Processes that end during a phase (e.g.
// database connections closed) count in "other".
func readCPU() cpuSample {
	s := cpuSample{byName: map[string]uint64{}}
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
		// Keyed by pid too, so that a process that started during the
		// phase counts from zero.
		s.byName[name+"/"+e.Name()] = utime + stime
	}
	return s
}

func (s cpuSample) since(before cpuSample, elapsed time.Duration) cpuShares {
	out := cpuShares{cores: runtime.NumCPU(), byName: map[string]float64{}}
	secs := elapsed.Seconds()
	if secs <= 0 {
		return out
	}
	out.busy = float64(s.busy-before.busy) / userHZ / secs
	named := 0.0
	for k, v := range s.byName {
		name, _, _ := strings.Cut(k, "/")
		cores := float64(v-before.byName[k]) / userHZ / secs
		out.byName[name] += cores
		named += cores
	}
	out.byName["other"] = max(out.busy-named, 0)
	return out
}

func (c cpuShares) String() string {
	return fmt.Sprintf("%.2f of %d cores busy: this process %.2f, postgres %.2f, redis-server %.2f, other processes (e.g. builds; incl. exited ones) %.2f",
		c.busy, c.cores, c.byName["bench"], c.byName["postgres"], c.byName["redis-server"], c.byName["other"])
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

func (b *bencher) report(w io.Writer, ceil ceilingResult, results []pipelineResult) {
	cfg := b.cfg
	poll := "asynq's defaults: 1 s when idle, 5 s for scheduled tasks"
	if cfg.PollInterval > 0 {
		poll = cfg.PollInterval.String()
	}
	fmt.Fprintf(w, "chorusbill bench — %d CPU, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "Redis %s (flushed before each phase); PostgreSQL %s (a fresh schema per size, dropped after)\n", redactUserinfo(b.o.redisURL), redactUserinfo(b.o.postgresURL))
	fmt.Fprintf(w, "Chorus Pro: in-process sandbox on 127.0.0.1, no latency, flows integrated at once; buyers = the generated on_chorus=oui establishments\n")
	fmt.Fprintf(w, "workers: %d pipeline(s), each its own asynq.Server (concurrency %d, queues critical:6 default:3 low:1, polling %s), store pool and Chorus Pro client —\n", b.o.workers, cfg.Concurrency, poll)
	fmt.Fprintf(w, "  all in this one process, which they share with the sandbox and the bench driver: RSS, heap and CPU below are the whole process's\n\n")

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measure\tsize\tcount\tseconds\tper second\tpeak RSS\tpeak heap\t")
	fmt.Fprintf(tw, "asynq no-op, enqueue (%d clients)\t%s\t%s tasks\t%.2f\t%s\t\t\t\n", ceil.clients, thousands(ceil.n), thousands(ceil.n),
		ceil.enqueue.Seconds(), thousands(int(float64(ceil.n)/ceil.enqueue.Seconds())))
	fmt.Fprintf(tw, "asynq no-op, drain (%d server(s)) = ceiling\t%s\t%s tasks\t%.2f\t%s\t%s\t\t\n", ceil.servers, thousands(ceil.n), thousands(ceil.n),
		ceil.drain.Seconds(), thousands(int(ceil.rate())), mb(ceil.peakRSS))
	for _, r := range results {
		fmt.Fprintf(tw, "import establishments (not in the pipeline time)\t%s\t%s rows\t%.2f\t%s\t\t\t\n", thousands(r.n), thousands(r.n),
			r.imported.Seconds(), thousands(int(float64(r.n)/r.imported.Seconds())))
		fmt.Fprintf(tw, "pipeline: issue → CII → deposit → integrated\t%s\t%s invoices\t%.2f\t%.1f\t%s\t%s\t\n", thousands(r.n), thousands(r.invoices()),
			r.elapsed.Seconds(), r.rate(), mb(r.mem.peakRSS), mb(r.mem.peakHeap))
	}
	tw.Flush()

	for _, r := range results {
		s, m := r.sum, r.metrics
		fmt.Fprintf(w, "\n%s establishments:\n", thousands(r.n))
		fmt.Fprintf(w, "  outcomes: issued %d, free %d, nothing due %d, failed %d\n",
			s.Outcomes[string(worker.Issued)], s.Outcomes[string(worker.Free)], s.Outcomes[string(worker.NothingDue)], s.Outcomes["failed"])
		fmt.Fprintf(w, "  invoices: delivered %d (flows integrated at the sandbox %d), postal %d, awaiting references %d, rejected %d; Chorus Pro deposits %d\n",
			s.States[string(invoice.StateDelivered)], r.integrated, s.States[string(invoice.StatePostal)],
			s.States[string(invoice.StateAwaitingReference)], s.States[string(invoice.StateRejected)], m["deposit_calls"])
		fmt.Fprintf(w, "  asynq tasks run: %d (%d failed) = %.2f per invoice, %.0f tasks/s\n",
			r.tasks, r.failedTasks, float64(r.tasks)/float64(max(r.invoices(), 1)), float64(r.tasks)/r.elapsed.Seconds())
		rss := "peak RSS " + mb(r.mem.peakRSS)
		if r.mem.hwm {
			rss += " (VmHWM, reset at the start of the phase"
		} else {
			rss += " (highest VmRSS sampled: VmHWM could not be reset"
		}
		fmt.Fprintf(w, "  memory: %s, RSS at the start %s), peak Go heap %s (sampled), live heap at the end %s\n",
			rss, mb(r.mem.startRSS), mb(r.mem.peakHeap), mb(r.mem.endHeap))
		fmt.Fprintf(w, "  CPU: %s\n", r.cpu)
		if len(r.profiles) > 0 {
			fmt.Fprintf(w, "  profiles: %s\n", strings.Join(r.profiles, ", "))
		}
	}

	first, last := results[0], results[len(results)-1]
	if len(results) > 1 {
		fmt.Fprintf(w, "\ngrowth %s → %s establishments (×%.1f): time ×%.2f (linear: ×%.1f), invoices/s ×%.2f, peak RSS ×%.2f, peak heap ×%.2f (flat: ×1)\n",
			thousands(first.n), thousands(last.n), float64(last.n)/float64(first.n),
			last.elapsed.Seconds()/first.elapsed.Seconds(), float64(last.n)/float64(first.n), last.rate()/first.rate(),
			float64(last.mem.peakRSS)/float64(max(first.mem.peakRSS, 1)), float64(last.mem.peakHeap)/float64(max(first.mem.peakHeap, 1)))
	}
	fmt.Fprintf(w, "\neach invoice costs several asynq tasks (issue, deliver, track), and each establishment without an invoice an issue task:\n")
	fmt.Fprintf(w, "the ratio compares invoices/s at %s establishments (%.1f) with no-op tasks/s (%.0f)\n", thousands(last.n), last.rate(), ceil.rate())
	fmt.Fprintf(w, "pipeline/ceiling ratio: %.4f\n", last.rate()/ceil.rate())
}

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

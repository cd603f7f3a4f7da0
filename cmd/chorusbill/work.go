package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

const (
	envRedisURL    = "CHORUSBILL_REDIS_URL"
	envConcurrency = "CHORUSBILL_CONCURRENCY"
	defaultRedis   = "redis://127.0.0.1:6379/0"
)

// stack is what the pipeline commands share: the books, the queue, Chorus
// Pro, and the pipeline over them.
type stack struct {
	books *store.Store
	redis asynq.RedisConnOpt
	queue *asynq.Client
	api   *chorus.Client
	p     *worker.Pipeline
	// cfg is the pipeline's configuration, environment and flags applied.
	cfg    worker.Config
	closer []func()
}

func (s *stack) Close() {
	for i := len(s.closer) - 1; i >= 0; i-- {
		s.closer[i]()
	}
}

// stackOptions say how to build a stack; zero values read the environment.
type stackOptions struct {
	redisURL  string
	chorusCfg *chorus.Config
	cfg       worker.Config
	now       func() time.Time
	logger    *slog.Logger
	// observer, when set, is told of every exchange with Chorus Pro
	// (metrics: dashboard.Metrics.ObserveChorus).
	observer chorus.Observer
	// adjust, when set, changes the worker configuration last, after the
	// environment's tuning: a command's flags win over its environment.
	adjust func(*worker.Config)
}

func (c *cli) logger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// buildStack opens everything from the environment (or opts).
func (c *cli) buildStack(ctx context.Context, opts stackOptions) (*stack, error) {
	s := &stack{}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	books, err := c.openBooks(ctx)
	if err != nil {
		return nil, err
	}
	s.books = books
	s.closer = append(s.closer, func() { books.Close() })
	redisURL := opts.redisURL
	if redisURL == "" {
		if redisURL, err = c.secret(envRedisURL); err != nil {
			return nil, err
		}
	}
	if redisURL == "" {
		redisURL = defaultRedis
	}
	ropt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envRedisURL, err)
	}
	s.redis = ropt
	s.queue = asynq.NewClient(ropt)
	s.closer = append(s.closer, func() { s.queue.Close() })
	var ccfg chorus.Config
	if opts.chorusCfg != nil {
		ccfg = *opts.chorusCfg
	} else if ccfg, err = chorus.ConfigFromEnv(c.getenv); err != nil {
		return nil, err
	}
	log := opts.logger
	if log == nil {
		log = c.logger(c.stderr, slog.LevelInfo)
	}
	chorusOpts := []chorus.Option{chorus.WithLogger(log)}
	if opts.observer != nil {
		chorusOpts = append(chorusOpts, chorus.WithObserver(opts.observer))
	}
	if ccfg.RatePerSecond > 0 {
		// Every worker sharing this Redis shares the limit.
		if rc, ok := ropt.MakeRedisClient().(redis.UniversalClient); ok {
			s.closer = append(s.closer, func() { rc.Close() })
			chorusOpts = append(chorusOpts, chorus.WithLimiter(chorus.NewRedisLimiter(rc, "chorusbill:chorus-rate", max(int(ccfg.RatePerSecond), 1))))
		}
	}
	if s.api, err = chorus.New(ccfg, chorusOpts...); err != nil {
		return nil, err
	}
	cat, err := c.catalog("")
	if err != nil {
		return nil, err
	}
	is, err := c.issuer()
	if err != nil {
		return nil, err
	}
	legal, err := c.rateTable("", envLegalRates, fixtures.LegalInterestRates, invoice.ParseLegalRates)
	if err != nil {
		return nil, err
	}
	ecb, err := c.rateTable("", envECBRates, fixtures.ECBRates, invoice.ParseECBRates)
	if err != nil {
		return nil, err
	}
	cfg := opts.cfg
	if cfg.MaxRetry == 0 {
		cfg = worker.DefaultConfig()
	}
	if err := c.tuning(&cfg); err != nil {
		return nil, err
	}
	if v := c.getenv(envConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s %q is not a positive number", envConcurrency, v)
		}
		cfg.Concurrency = n
	}
	if opts.adjust != nil {
		opts.adjust(&cfg)
	}
	s.cfg = cfg
	s.p = worker.NewPipeline(worker.Deps{Books: books, Catalog: cat, Issuer: is, Chorus: s.api, Queue: s.queue,
		LegalRates: legal, ECBRates: ecb, Logger: log, Now: opts.now}, cfg)
	ok = true
	return s, nil
}

const workAbout = `Runs a worker: the asynq server that issues, delivers and tracks invoices,
and the scheduler that starts the yearly runs (contributions from 2 January,
overage of year n-1 from February), the daily late-payment interest and the
reconciliation of the queue with the books. Any number of workers may share
one Redis and one database. Configuration: ` + envRedisURL + ` (default ` + defaultRedis + `),
CHORUSBILL_DATABASE_URL, CHORUS_*, ` + envConcurrency + `, and ` + envMetricsAddr + `: serve
Prometheus metrics at /metrics on that address, without authentication (a
bare :PORT listens on 127.0.0.1 only).`

func runWork(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("work", "[flags]", workAbout)
	var (
		noAuto                 bool
		concurrency            int
		track                  durationList
		cpuProfile, memProfile string
	)
	fs.BoolVar(&noAuto, "no-auto-runs", false, "do not start the yearly runs by the calendar (runs only by `chorusbill run`)")
	// The flags below let `chorusbill bench` run its workers as processes
	// with its own configuration, whatever the environment says.
	fs.IntVar(&concurrency, "concurrency", 0, "tasks this worker runs at once (default $"+envConcurrency+", else 10)")
	fs.Var(&track, "track-intervals", "comma-separated `DELAYS` between the polls of a deposited or delivered invoice, the last repeating; 0s polls at once (default $CHORUSBILL_TRACK_INTERVALS, else 1m,5m,15m,1h,6h,24h)")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run into `FILE` when the worker stops (SIGTERM, Ctrl-C)")
	fs.StringVar(&memProfile, "memprofile", "", "write a heap profile into `FILE` when the worker stops")
	if err := parse(fs, args); err != nil {
		return err
	}
	if isSet(fs, "concurrency") && concurrency < 1 {
		return usagef("--concurrency must be 1 or more")
	}
	cfg := worker.DefaultConfig()
	cfg.AutoRuns = !noAuto
	opts := stackOptions{cfg: cfg, adjust: func(cfg *worker.Config) {
		if concurrency > 0 {
			cfg.Concurrency = concurrency
		}
		if len(track) > 0 {
			cfg.TrackIntervals = track
		}
	}}
	if cpuProfile != "" {
		stop, err := startCPUProfile(cpuProfile)
		if err != nil {
			return err
		}
		// Deferred before the stack is built, so run after it is closed:
		// the profile covers the whole life of the worker.
		defer stop()
	}
	if memProfile != "" {
		defer func() {
			if err := writeHeapProfile(memProfile); err != nil {
				fmt.Fprintf(c.stderr, "chorusbill work: %v\n", err)
			}
		}()
	}
	var metrics *dashboard.Metrics
	if c.getenv(envMetricsAddr) != "" {
		metrics = dashboard.NewMetrics()
		opts.observer = metrics.ObserveChorus
	}
	s, err := c.buildStack(ctx, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if metrics != nil {
		if err := watchMetrics(s, metrics, c.logger(c.stderr, slog.LevelInfo)); err != nil {
			return err
		}
		stop, err := c.serveMetrics(ctx, metrics)
		if err != nil {
			return err
		}
		defer stop()
	}
	slog.New(slog.NewTextHandler(c.stderr, nil)).Info("worker started", "database", s.books.Dialect(), "concurrency", s.cfg.Concurrency)
	return s.p.Serve(ctx, s.redis)
}

// durationList is a flag of comma-separated durations, zero allowed.
type durationList []time.Duration

func (l *durationList) String() string {
	parts := make([]string, len(*l))
	for i, d := range *l {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

func (l *durationList) Set(s string) error {
	var out []time.Duration
	for part := range strings.SplitSeq(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration (e.g. 0s, 1h)", part)
		}
		out = append(out, d)
	}
	*l = out
	return nil
}

// tuning reads the worker's timing settings from the environment:
// CHORUSBILL_KICK_EVERY, CHORUSBILL_STALE_AFTER, CHORUSBILL_POLL_INTERVAL
// (Go durations) and CHORUSBILL_TRACK_INTERVALS (comma-separated durations).
func (c *cli) tuning(cfg *worker.Config) error {
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"CHORUSBILL_KICK_EVERY", &cfg.KickEvery},
		{"CHORUSBILL_STALE_AFTER", &cfg.StaleAfter},
		{"CHORUSBILL_POLL_INTERVAL", &cfg.PollInterval},
	} {
		if v := c.getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				return fmt.Errorf("%s %q is not a positive duration (e.g. 5m)", d.name, v)
			}
			*d.dst = x
		}
	}
	if v := c.getenv("CHORUSBILL_TRACK_INTERVALS"); v != "" {
		var iv []time.Duration
		for _, part := range strings.Split(v, ",") {
			x, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || x <= 0 {
				return fmt.Errorf("CHORUSBILL_TRACK_INTERVALS: %q is not a positive duration", part)
			}
			iv = append(iv, x)
		}
		cfg.TrackIntervals = iv
	}
	return nil
}

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
	books  *store.Store
	redis  asynq.RedisConnOpt
	queue  *asynq.Client
	api    *chorus.Client
	p      *worker.Pipeline
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
	var noAuto bool
	fs.BoolVar(&noAuto, "no-auto-runs", false, "do not start the yearly runs by the calendar (runs only by `chorusbill run`)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := worker.DefaultConfig()
	cfg.AutoRuns = !noAuto
	opts := stackOptions{cfg: cfg}
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
	slog.New(slog.NewTextHandler(c.stderr, nil)).Info("worker started", "database", s.books.Dialect(), "concurrency", cfg.Concurrency)
	return s.p.Serve(ctx, s.redis)
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

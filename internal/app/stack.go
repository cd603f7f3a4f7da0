package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Stack is what the pipeline commands share: the books, the queue, Chorus
// Pro, and the pipeline over them.
type Stack struct {
	Books    *store.Store
	Redis    asynq.RedisConnOpt
	Queue    *asynq.Client
	API      *chorus.Client
	Pipeline *worker.Pipeline
	// Worker is the pipeline's configuration, environment and options
	// applied.
	Worker worker.Config
	// Now is the pipeline's civil clock: StackOptions.Now (or the
	// machine's), shifted by Config.ClockSkew.
	Now    func() time.Time
	closer []func()
}

// OnClose has Close call f (the last added first).
func (s *Stack) OnClose(f func()) { s.closer = append(s.closer, f) }

// Close closes what the stack opened, in the reverse order.
func (s *Stack) Close() {
	for i := len(s.closer) - 1; i >= 0; i-- {
		s.closer[i]()
	}
}

// StackOptions say how to build a stack; zero values take the Config's.
type StackOptions struct {
	// RedisURL replaces Config.RedisURL (the demo's embedded Redis).
	RedisURL string
	// Chorus replaces Config.Chorus (and so needs no CHORUS_ENV: the
	// harnesses and the demo name their own sandbox).
	Chorus *chorus.Config
	// Worker is the pipeline's configuration before the environment's
	// tuning (zero: worker.DefaultConfig).
	Worker worker.Config
	// Now is the pipeline's civil clock (nil: the machine's).
	Now func() time.Time
	// Logger receives the pipeline's and the Chorus Pro client's logs
	// (nil: slog.Default()).
	Logger *slog.Logger
	// Observer, when set, is told of every exchange with Chorus Pro
	// (metrics: chorus.LabelObserver(dashboard.Metrics.ObserveChorus)).
	Observer chorus.Observer
	// Adjust, when set, changes the worker configuration last, after the
	// environment's tuning: a command's flags win over its environment.
	Adjust func(*worker.Config)
}

// NewStack opens the books, the queue and the Chorus Pro client that cfg
// (and opts) name, loads the tables, and builds the pipeline over them.
func NewStack(ctx context.Context, cfg Config, opts StackOptions) (*Stack, error) {
	// Chorus Pro first: a stack with no platform named is refused before
	// it opens (or creates) anything.
	ccfg := cfg.Chorus
	if opts.Chorus != nil {
		ccfg = *opts.Chorus
	} else if _, err := cfg.ChorusConfig(); err != nil {
		return nil, err
	}
	s := &Stack{}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	books, err := cfg.OpenBooks(ctx)
	if err != nil {
		return nil, err
	}
	s.Books = books
	s.OnClose(func() { books.Close() })
	if books.Created() && opts.Logger != nil {
		opts.Logger.Info("no books were found: new, empty books were created", "where", cfg.BooksPlace(), "named by", EnvDatabaseURL)
	}
	redisURL := opts.RedisURL
	if redisURL == "" {
		redisURL = cfg.RedisURL
	}
	if redisURL == "" {
		redisURL = DefaultRedisURL
	}
	ropt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvRedisURL, err)
	}
	s.Redis = ropt
	s.Queue = asynq.NewClient(ropt)
	s.OnClose(func() { s.Queue.Close() })
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	// A Chorus Pro call retried inside a task is noted against its step.
	chorusOpts := []chorus.Option{chorus.WithLogger(log), chorus.WithFailedAttempts(worker.NoteFailedAttempt)}
	if opts.Observer != nil {
		chorusOpts = append(chorusOpts, chorus.WithObserver(opts.Observer))
	}
	if ccfg.RatePerSecond > 0 {
		// Every worker sharing this Redis shares the limit.
		if rc, ok := ropt.MakeRedisClient().(redis.UniversalClient); ok {
			s.OnClose(func() { rc.Close() })
			chorusOpts = append(chorusOpts, chorus.WithLimiter(chorus.NewRedisLimiter(rc, "chorusbill:chorus-rate", max(int(ccfg.RatePerSecond), 1))))
		}
	}
	if s.API, err = chorus.New(ccfg, chorusOpts...); err != nil {
		return nil, err
	}
	cat, err := cfg.Catalog("")
	if err != nil {
		return nil, err
	}
	is, err := cfg.LoadIssuer()
	if err != nil {
		return nil, err
	}
	legal, err := cfg.LegalRateTable("")
	if err != nil {
		return nil, err
	}
	ecb, err := cfg.ECBRateTable("")
	if err != nil {
		return nil, err
	}
	wcfg := opts.Worker
	if wcfg.MaxRetry == 0 {
		wcfg = worker.DefaultConfig()
	}
	cfg.Tune(&wcfg)
	if opts.Adjust != nil {
		opts.Adjust(&wcfg)
	}
	s.Worker = wcfg
	s.Now = cfg.Clock(opts.Now)
	s.Pipeline = worker.NewPipeline(worker.Deps{Books: books, Catalog: cat, Issuer: is, Chorus: s.API, Queue: s.Queue,
		LegalRates: legal, ECBRates: ecb, Logger: log, Now: s.Now}, wcfg)
	ok = true
	return s, nil
}

// Tune applies the environment's worker settings (concurrency, kick,
// staleness, polling, shutdown and tracking intervals) to w, those set only.
func (c Config) Tune(w *worker.Config) {
	for _, d := range []struct{ src, dst *time.Duration }{
		{&c.KickEvery, &w.KickEvery}, {&c.StaleAfter, &w.StaleAfter}, {&c.PollInterval, &w.PollInterval},
		{&c.ShutdownTimeout, &w.ShutdownTimeout}, {&c.SweepEvery, &w.SweepEvery}, {&c.SweepSoon, &w.SweepSoon}, {&c.SweepOverlap, &w.SweepOverlap},
		{&c.SearchLagWait, &w.SearchLagWait}, {&c.VerifyFor, &w.VerifyFor}, {&c.VerifyEvery, &w.VerifyEvery}, {&c.NotFoundAfter, &w.NotFoundAfter},
		{&c.DirectoryTTL, &w.DirectoryTTL}, {&c.DepositClaim, &w.DepositClaim},
	} {
		if *d.src > 0 {
			*d.dst = *d.src
		}
	}
	if len(c.TrackIntervals) > 0 {
		w.TrackIntervals = c.TrackIntervals
	}
	if c.DepositSyntax != "" {
		w.Syntax = c.DepositSyntax
	}
	if c.Concurrency > 0 {
		w.Concurrency = c.Concurrency
	}
}

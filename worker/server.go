package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
)

// Mux routes every task type to its handler, refusing tasks of other books
// than the pipeline's (sameBooks).
func (p *Pipeline) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(p.sameBooks)
	mux.HandleFunc(TypeKick, p.HandleKick)
	mux.HandleFunc(TypeRun, p.HandleRun)
	mux.HandleFunc(TypeIssueBatch, p.HandleIssueBatch)
	mux.HandleFunc(TypeCorrectBatch, p.HandleCorrectBatch)
	mux.HandleFunc(TypeTrackBatch, p.HandleTrackBatch)
	mux.HandleFunc(TypeDeliver, p.HandleDeliver)
	mux.HandleFunc(TypeTrack, p.HandleTrack)
	mux.HandleFunc(TypeSweep, p.HandleSweep)
	mux.HandleFunc(TypeCheckAccount, p.HandleCheckAccount)
	mux.HandleFunc(TypeInterest, p.HandleInterest)
	mux.HandleFunc(TypeReconcile, p.HandleReconcile)
	return mux
}

// retryDelay honours Chorus Pro's Retry-After, else doubles from RetryBase
// (capped at an hour), with jitter so that retries do not come in waves.
func (p *Pipeline) retryDelay(n int, err error, _ *asynq.Task) time.Duration {
	var ce *chorus.Error
	if errors.As(err, &ce) && ce.RetryAfter > 0 {
		return ce.RetryAfter
	}
	d := p.cfg.RetryBase << min(n, 12)
	if d > time.Hour || d <= 0 {
		d = time.Hour
	}
	return d/2 + rand.N(d/2+1)
}

// isFailure: Chorus Pro asking us to slow down is not the task's fault and
// must not use up its retries.
func isFailure(err error) bool {
	var ce *chorus.Error
	if errors.As(err, &ce) && (ce.Status == 429 || ce.Status == 503) {
		return false
	}
	return true
}

// Serve runs a worker: the asynq server with every handler, and the
// scheduler's kick, until ctx ends; then it stops taking tasks and lets the
// running ones finish (ShutdownTimeout), handing back the others.
func (p *Pipeline) Serve(ctx context.Context, redis asynq.RedisConnOpt) error {
	rc, ok := redis.MakeRedisClient().(goredis.UniversalClient)
	if !ok {
		return fmt.Errorf("start worker: no Redis client for %T", redis)
	}
	defer rc.Close()
	watch := newRedisWatch(ctx, rc, p.log)
	if err := watch.waitUp(ctx); err != nil {
		return nil // stopped while waiting: nothing was started
	}
	books, err := p.books.Identity(ctx)
	if ctx.Err() != nil {
		return nil // stopped while starting: nothing was started
	}
	if err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	kick, err := booksPayload(books, struct{}{})
	if err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	srv := asynq.NewServer(redis, asynq.Config{
		Concurrency:     p.cfg.Concurrency,
		Queues:          map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1},
		RetryDelayFunc:  p.retryDelay,
		IsFailure:       isFailure,
		ShutdownTimeout: p.cfg.ShutdownTimeout,
		// Polls are spaced by ProcessIn; asynq must look often enough to
		// honour short intervals (the demo and tests).
		DelayedTaskCheckInterval: p.cfg.PollInterval,
		TaskCheckInterval:        p.cfg.PollInterval,
		Logger:                   asynqLogger{p, watch},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			var other *OtherBooksError
			if errors.As(err, &other) {
				p.log.Error("refused a task of other books: archived", "type", t.Type(), "error", err.Error())
				return
			}
			// Said at Debug: the steps say at Warn when a step starts
			// failing (and remind while it lasts), not at every retry.
			if !watch.heldTaskError(err) {
				p.log.Debug("task failed", "type", t.Type(), "error", err.Error())
			}
		}),
	})
	// The steps see every outcome, a refused task of other books too: the
	// workers and `run --wait` of both deployments then say why.
	if err := srv.Start(newSteps(rc, p.log, p.wall).middleware(p.Mux())); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	sched := asynq.NewScheduler(redis, &asynq.SchedulerOpts{Location: time.UTC, Logger: asynqLogger{p, watch}})
	if _, err := sched.Register(fmt.Sprintf("@every %s", p.cfg.KickEvery), asynq.NewTask(TypeKick, kick), asynq.Queue(QueueCritical), asynq.MaxRetry(1)); err != nil {
		srv.Shutdown()
		return fmt.Errorf("schedule kick: %w", err)
	}
	if err := sched.Start(); err != nil {
		srv.Shutdown()
		return fmt.Errorf("start scheduler: %w", err)
	}
	// Rebuild the queue from the books at once: Redis may have lost it.
	if _, err := p.Reconcile(ctx); err != nil {
		p.log.Error("reconcile at start", "error", err)
	}
	<-ctx.Done()
	sched.Shutdown()
	srv.Shutdown()
	return nil
}

// asynqLogger sends asynq's own logs to slog, Redis being unreachable
// said once (redisWatch) rather than by every loop at every poll.
type asynqLogger struct {
	p     *Pipeline
	watch *redisWatch
}

func (l asynqLogger) Debug(args ...any) {}
func (l asynqLogger) Info(args ...any)  { l.p.log.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.say(slog.LevelWarn, args) }
func (l asynqLogger) Error(args ...any) { l.say(slog.LevelError, args) }
func (l asynqLogger) Fatal(args ...any) { l.say(slog.LevelError, args) }

func (l asynqLogger) say(level slog.Level, args []any) {
	msg := fmt.Sprint(args...)
	if !l.watch.held(msg) {
		l.p.log.Log(context.Background(), level, msg)
	}
}

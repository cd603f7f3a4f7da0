package worker

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisWatch says once that Redis is unreachable and once that it answers
// again. Without it each of asynq's loops (dequeue, heartbeat, recoverer,
// scheduler…) logs every failed poll: fifty lines in fifteen seconds that
// say one thing.
type redisWatch struct {
	rc  redis.UniversalClient
	log *slog.Logger
	// ctx ends with the worker: the goroutine waiting for Redis stops then.
	ctx context.Context
	// minWait and maxWait bound the backoff between pings while Redis is
	// down.
	minWait, maxWait time.Duration

	mu      sync.Mutex
	down    bool
	dropped int // messages held back while down
}

func newRedisWatch(ctx context.Context, rc redis.UniversalClient, log *slog.Logger) *redisWatch {
	return &redisWatch{rc: rc, log: log, ctx: ctx, minWait: 500 * time.Millisecond, maxWait: 30 * time.Second}
}

// waitUp pings Redis until it answers or ctx ends, backing off; it says
// once that it waits.
func (w *redisWatch) waitUp(ctx context.Context) error {
	wait := w.minWait
	for said := false; ; {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := w.rc.Ping(pctx).Err()
		cancel()
		if err == nil {
			if said {
				w.log.Info("Redis answers: the worker starts")
			}
			return nil
		}
		if !said {
			w.log.Warn("Redis unreachable: the worker waits for it (said once; it retries by itself, backing off up to "+w.maxWait.String()+")", "error", err.Error())
			said = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, w.maxWait)
	}
}

// held reports whether a log message about Redis being unreachable is
// held back: the first one is said, with the news that the worker keeps
// trying, and the others are counted until Redis answers again.
func (w *redisWatch) held(msg string) bool {
	if !isRedisDown(msg) {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down {
		w.dropped++
		return true
	}
	w.down, w.dropped = true, 0
	w.log.Warn("Redis unreachable: tasks wait; the worker keeps trying and says when it answers again (said once)", "error", msg)
	go w.recover()
	return true
}

// recover pings Redis until it answers, then says so.
func (w *redisWatch) recover() {
	wait := w.minWait
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-time.After(wait):
		}
		ctx, cancel := context.WithTimeout(w.ctx, 2*time.Second)
		err := w.rc.Ping(ctx).Err()
		cancel()
		if err == nil {
			w.mu.Lock()
			n := w.dropped
			w.down, w.dropped = false, 0
			w.mu.Unlock()
			w.log.Info("Redis answers again", "messages_held_back", n)
			return
		}
		wait = min(wait*2, w.maxWait)
	}
}

// isRedisDown tells a message about a connection that failed (refused,
// reset, timed out, closed) from the others, by its text: asynq hands its
// loops' errors to the logger as text only.
func isRedisDown(msg string) bool {
	for _, s := range []string{"dial tcp", "connection refused", "connection reset", "i/o timeout", "broken pipe", ": EOF", "use of closed network connection", "LOADING", "connection pool timeout"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// heldTaskError reports whether a task's failure is held back: while
// Redis is known to be down, tasks failing on a lost connection say
// nothing new. (A task's error alone cannot tell Redis from Chorus Pro.)
func (w *redisWatch) heldTaskError(err error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down && isRedisDown(err.Error()) {
		w.dropped++
		return true
	}
	return false
}

package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// stepsKey is the Redis hash where every worker notes, per step (task
// type), the failures since the step last succeeded. Redis, not the books:
// it is how the workers tell `run --wait` and the dashboard, in other
// processes, why work is not moving; losing it loses nothing of the books.
const stepsKey = "chorusbill:steps"

// StepTrouble is a step of the pipeline failing since it last succeeded:
// what `run --wait` and the dashboard show when work is not moving.
type StepTrouble struct {
	// Type is the task type; Step says what it does.
	Type, Step string
	// Error is the last failure, Since the first one since the step last
	// succeeded, At the last one.
	Error     string
	Since, At time.Time
	// Failures counts failed attempts (a Chorus Pro call retried inside a
	// task counts each try).
	Failures int64
}

// String is one line: the step, since when, how often, the last error.
func (t StepTrouble) String() string {
	return fmt.Sprintf("%s : en échec depuis %s (%d essais), dernière erreur à %s : %s",
		t.Step, t.Since.Local().Format("15:04:05"), t.Failures, t.At.Local().Format("15:04:05"), t.Error)
}

// StepName says in words what a task type does.
func StepName(typ string) string {
	switch typ {
	case TypeKick:
		return "planificateur"
	case TypeRun:
		return "lancement des runs"
	case TypeIssueBatch:
		return "émission des factures"
	case TypeCorrectBatch:
		return "corrections (avoirs, compléments)"
	case TypeDeliver:
		return "dépôt Chorus Pro"
	case TypeTrack, TypeTrackBatch:
		return "suivi Chorus Pro"
	case TypeInterest:
		return "intérêts de retard"
	case TypeReconcile:
		return "rapprochement de la file et des livres"
	}
	return typ
}

// Troubles reads the steps failing now, the most recent failure first.
func Troubles(ctx context.Context, rc redis.UniversalClient) ([]StepTrouble, error) {
	fields, err := rc.HGetAll(ctx, stepsKey).Result()
	if err != nil {
		return nil, fmt.Errorf("read the steps' failures from Redis: %w", err)
	}
	var out []StepTrouble
	for field, v := range fields {
		typ, ok := strings.CutPrefix(field, "fail:")
		if !ok {
			continue
		}
		var f failure
		if json.Unmarshal([]byte(v), &f) != nil {
			continue // written by another version: not worth failing a read
		}
		t := StepTrouble{Type: typ, Step: StepName(typ), Error: f.Error, At: f.At, Since: f.At}
		if s, err := time.Parse(time.RFC3339Nano, fields["since:"+typ]); err == nil && s.Before(f.At) {
			t.Since = s
		}
		fmt.Sscan(fields["count:"+typ], &t.Failures)
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}

// failure is the last failure of a step, as stored.
type failure struct {
	Error string    `json:"error"`
	At    time.Time `json:"at"`
}

// steps notes the failures and successes of the steps of one worker
// process in Redis, and logs when a step starts failing and when it moves
// again, once each rather than at every retry.
type steps struct {
	rc  redis.UniversalClient
	log *slog.Logger
	now func() time.Time
	// okEvery spaces the writes of successes, which are many.
	okEvery time.Duration

	// calm is how long a failing step must go without a failure before
	// it is said to move again (tasks of one step may fail and succeed by
	// turns); remind spaces the reminders that a step still fails.
	calm, remind time.Duration

	mu      sync.Mutex
	failing map[string]*failingStep // steps this process saw fail, not yet calm
	okAt    map[string]time.Time    // when this process last wrote a success
}

// failingStep is what this process said of a failing step.
type failingStep struct {
	lastFail, saidAt time.Time
	since            int // failures since it was last said
}

func newSteps(rc redis.UniversalClient, log *slog.Logger, now func() time.Time) *steps {
	return &steps{rc: rc, log: log, now: now, okEvery: time.Second, calm: 30 * time.Second, remind: 5 * time.Minute,
		failing: map[string]*failingStep{}, okAt: map[string]time.Time{}}
}

// stepContext is what a running task's context carries for the Chorus Pro
// client's failed attempts to be noted against its step.
type stepContext struct {
	s   *steps
	typ string
}

type stepContextKey struct{}

// NoteFailedAttempt notes err against the step of the task running in
// ctx, if any: the hook the Chorus Pro client calls before retrying
// (chorus.WithFailedAttempts), so that a call retried for minutes is
// seen while it is.
func NoteFailedAttempt(ctx context.Context, err error) {
	if sc, ok := ctx.Value(stepContextKey{}).(stepContext); ok {
		sc.s.failed(ctx, sc.typ, err)
	}
}

// middleware notes each task's outcome against its step.
func (s *steps) middleware(h asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		ctx = context.WithValue(ctx, stepContextKey{}, stepContext{s: s, typ: t.Type()})
		err := h.ProcessTask(ctx, t)
		switch {
		case err == nil:
			s.succeeded(ctx, t.Type())
		case ctx.Err() == nil: // not a worker stopping
			s.failed(ctx, t.Type(), err)
		}
		return err
	})
}

// write gives Redis its own short deadline: the task's context may be
// ending, and a slow Redis must not hold a task.
func (s *steps) write(ctx context.Context, f func(ctx context.Context, p redis.Pipeliner)) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_, err := s.rc.TxPipelined(ctx, func(p redis.Pipeliner) error {
		f(ctx, p)
		return nil
	})
	return err
}

func (s *steps) failed(ctx context.Context, typ string, err error) {
	now := s.now()
	data, _ := json.Marshal(failure{Error: err.Error(), At: now})
	werr := s.write(ctx, func(ctx context.Context, p redis.Pipeliner) {
		p.HSet(ctx, stepsKey, "fail:"+typ, data)
		p.HSetNX(ctx, stepsKey, "since:"+typ, now.Format(time.RFC3339Nano))
		p.HIncrBy(ctx, stepsKey, "count:"+typ, 1)
	})
	s.mu.Lock()
	f, known := s.failing[typ]
	if !known {
		f = &failingStep{}
		s.failing[typ] = f
	}
	f.lastFail = now
	f.since++
	first, reminder, n := !known, known && now.Sub(f.saidAt) >= s.remind, f.since
	if first || reminder {
		f.saidAt, f.since = now, 0
	}
	delete(s.okAt, typ) // the next success is written at once
	s.mu.Unlock()
	switch {
	case first:
		s.log.Warn("step failing (said once, then every "+s.remind.String()+" while it lasts; the queue retries)", "step", StepName(typ), "error", err.Error())
	case reminder:
		s.log.Warn("step still failing", "step", StepName(typ), "failures", n, "last_error", err.Error())
	default:
		s.log.Debug("step failed again", "step", StepName(typ), "error", err.Error())
	}
	if werr != nil && first {
		s.log.Warn("could not note the failure in Redis", "step", StepName(typ), "error", werr.Error())
	}
}

func (s *steps) succeeded(ctx context.Context, typ string) {
	now := s.now()
	s.mu.Lock()
	f, known := s.failing[typ]
	recovered := known && now.Sub(f.lastFail) >= s.calm
	if recovered {
		delete(s.failing, typ)
	}
	due := now.Sub(s.okAt[typ]) >= s.okEvery
	if due {
		s.okAt[typ] = now
	}
	s.mu.Unlock()
	if recovered {
		s.log.Info("step moving again", "step", StepName(typ))
	}
	if !due || known && !recovered {
		return // not calm yet: the failure stays shown
	}
	_ = s.write(ctx, func(ctx context.Context, p redis.Pipeliner) {
		p.HDel(ctx, stepsKey, "fail:"+typ, "since:"+typ, "count:"+typ)
	})
}

package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Two worker processes note their steps' outcomes in one Redis; Troubles
// reads the steps failing since they last succeeded, whoever noted them.
func TestStepTroubles(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: redistest.Start(t)})
	defer rc.Close()
	ctx := context.Background()
	clock := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	a := newSteps(rc, slog.New(slog.DiscardHandler), now)
	b := newSteps(rc, slog.New(slog.DiscardHandler), now)
	refused := errors.New("dial tcp: connection refused")
	fails := func(err error) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error { return err })
	}
	// A Chorus Pro call retried inside the task, then the task failing.
	retriedThenFails := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		NoteFailedAttempt(ctx, refused)
		return errors.New("gave up")
	})
	stopping, stop := context.WithCancel(ctx)
	stop()
	at := func(min int) time.Time { return time.Date(2026, 12, 3, 9, min, 0, 0, time.UTC) }
	for i, step := range []struct {
		name string
		s    *steps
		ctx  context.Context
		typ  string
		h    asynq.Handler
		want []StepTrouble
	}{
		{"a deposit fails", a, ctx, TypeDeliver, fails(refused),
			[]StepTrouble{{Type: TypeDeliver, Error: refused.Error(), Since: at(1), At: at(1), Failures: 1}}},
		{"another process fails a deposit", b, ctx, TypeDeliver, fails(errors.New("HTTP 503")),
			[]StepTrouble{{Type: TypeDeliver, Error: "HTTP 503", Since: at(1), At: at(2), Failures: 2}}},
		{"an issue batch succeeds: deposits still fail", a, ctx, TypeIssueBatch, fails(nil),
			[]StepTrouble{{Type: TypeDeliver, Error: "HTTP 503", Since: at(1), At: at(2), Failures: 2}}},
		{"a call retried inside a track task counts", a, ctx, TypeTrack, retriedThenFails,
			[]StepTrouble{{Type: TypeTrack, Error: "gave up", Since: at(4), At: at(4), Failures: 2},
				{Type: TypeDeliver, Error: "HTTP 503", Since: at(1), At: at(2), Failures: 2}}},
		{"a deposit succeeds in the other process: deposits move", b, ctx, TypeDeliver, fails(nil),
			[]StepTrouble{{Type: TypeTrack, Error: "gave up", Since: at(4), At: at(4), Failures: 2}}},
		{"a task cut short by its worker stopping is no failure", a, stopping, TypeTrack, fails(context.Canceled),
			[]StepTrouble{{Type: TypeTrack, Error: "gave up", Since: at(4), At: at(4), Failures: 2}}},
		{"tracking succeeds", a, ctx, TypeTrack, fails(nil), nil},
	} {
		clock = at(i + 1)
		_ = step.s.middleware(step.h).ProcessTask(step.ctx, asynq.NewTask(step.typ, nil))
		got, err := Troubles(ctx, rc)
		if err != nil {
			t.Fatal(err)
		}
		for j := range step.want {
			step.want[j].Step = StepName(step.want[j].Type)
		}
		if len(got) != len(step.want) {
			t.Fatalf("%s: troubles %+v, want %+v", step.name, got, step.want)
		}
		for j := range got {
			g, w := got[j], step.want[j]
			if g.Type != w.Type || g.Step != w.Step || g.Error != w.Error || !g.Since.Equal(w.Since) || !g.At.Equal(w.At) || g.Failures != w.Failures {
				t.Errorf("%s: trouble %d is %+v, want %+v", step.name, j, g, w)
			}
		}
	}
}

// Tasks of one step failing and succeeding by turns: the worker's log says
// once that the step fails (a reminder after five minutes), and that it
// moves again only after 30 s without a failure; the failure stays shown
// until then.
func TestStepFailingSaidOnce(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: redistest.Start(t)})
	defer rc.Close()
	ctx := context.Background()
	clock := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var logs strings.Builder
	s := newSteps(rc, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})), func() time.Time { return clock })
	run := func(err error) {
		_ = s.middleware(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return err })).ProcessTask(ctx, asynq.NewTask(TypeDeliver, nil))
	}
	refused := errors.New("connection refused")
	for i := 0; i < 40; i++ { // 40 tasks over 4 minutes, one in three succeeding
		clock = clock.Add(6 * time.Second)
		if i%3 == 0 {
			run(nil)
		} else {
			run(refused)
		}
	}
	if n := strings.Count(logs.String(), "step failing"); n != 1 {
		t.Errorf("'step failing' said %d times:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "moving again") {
		t.Errorf("said to move again while failing by turns:\n%s", logs.String())
	}
	if got, _ := Troubles(ctx, rc); len(got) != 1 {
		t.Errorf("troubles while failing by turns: %+v", got)
	}
	clock = clock.Add(2 * time.Minute) // past the five minutes
	run(refused)
	if !strings.Contains(logs.String(), "step still failing") {
		t.Errorf("no reminder after five minutes:\n%s", logs.String())
	}
	clock = clock.Add(40 * time.Second)
	run(nil)
	if !strings.Contains(logs.String(), "step moving again") {
		t.Errorf("not said to move again after 40 s without failure:\n%s", logs.String())
	}
	if got, _ := Troubles(ctx, rc); len(got) != 0 {
		t.Errorf("troubles once calm: %+v", got)
	}
}

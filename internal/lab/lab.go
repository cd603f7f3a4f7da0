// Package lab holds chorusbill's harnesses, apart from the product's
// commands: the bench (the pipeline against asynq's no-op ceiling), the
// chaos run (a year billed while workers are killed, Redis flushed and
// PostgreSQL restarted) and its checks of the books, and the demo's
// set-up and driving. They build their stacks with internal/app, as the
// commands do; cmd/chorusbill-lab runs the bench and the chaos run, and
// `chorusbill demo` the demo.
package lab

import (
	"context"
	"time"
)

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

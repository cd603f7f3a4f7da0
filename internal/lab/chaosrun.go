package lab

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/store"
)

// chaosRun is the chaos run under way: its fault phase, which injects
// the faults of its plan until each has happened, then its settle phase.
type chaosRun struct {
	ctx   context.Context
	o     ChaosOptions
	plan  faultPlan
	tally *FaultTally
	sb    *sandbox.Server
	proxy *faultProxy
	pool  *workerPool
	books *store.Store
	say   func(format string, a ...any)
	rng   *rand.Rand
	began time.Time
	// total is how many establishments the run bills: the first import's,
	// then the second's too (newCount more).
	total, newCount int
	// enqueueAgain asks the run again, importMore imports the second
	// files, pay enters the payments (enterPayments).
	enqueueAgain, importMore func() error
	pay                      func(lastChance bool) (chaosPayments, error)

	lastKill, lastHold, lastOneShot time.Time
	imported, redisDone, outageDone bool
	paid                            bool
	payments                        chaosPayments
}

// tick is how often the run looks at its progress and injects.
const tick = time.Second

// faultPhase injects the plan's faults: worker kills all along, the
// windowed faults until each has happened, the one-shot faults in order
// as billing passes their marks. It ends when every fault has happened,
// or a minute after the last one-shot fault if some never did (the
// summary then shows them ×0). The quirks, token failures and holds are
// off after it.
func (r *chaosRun) faultPhase() error {
	defer func() {
		r.sb.SetQuirks(sandbox.Quirks{})
		r.proxy.FailTokens(false)
		r.proxy.Hold(0)
	}()
	tokensFailing := true
	r.lastHold = r.began
	for {
		if err := sleepCtx(r.ctx, tick); err != nil {
			return fmt.Errorf("the fault phase did not end within --timeout: %w", err)
		}
		r.countSandbox()
		if gone, err := r.pool.restartExited(); err != nil {
			return err
		} else if len(gone) > 0 {
			r.say("workers %v had exited on their own: started again", gone)
		}
		r.killIfDue()
		if tokensFailing && time.Since(r.began) >= r.plan.TokenWindow && r.tally.Count(FaultTokenFailure) > 0 {
			r.proxy.FailTokens(false)
			tokensFailing = false
			r.say("token endpoint answering again after %d failures", r.tally.Count(FaultTokenFailure))
		}
		if r.tally.Count(FaultTimeout) == 0 && r.proxy.Holding() == 0 && time.Since(r.lastHold) > r.plan.CallTimeout+6*time.Second {
			// The calls held so far ended otherwise (their worker killed):
			// hold others.
			r.proxy.Hold(r.plan.Holds)
			r.lastHold = time.Now()
		}
		states, done, working, err := chaosProgress(r.ctx, r.books)
		if err != nil {
			r.say("progress unavailable (%v)", err) // PostgreSQL may be down
			continue
		}
		// Billing's progress is the share of establishments done with:
		// an outcome, and no invoice still being issued or delivered.
		// (Issuing is quick; delivering is most of the run.)
		if err := r.oneShot(float64(done-working) / float64(r.o.Establishments)); err != nil {
			return err
		}
		r.say("%5.0fs  %d/%d establishments, %d invoices working, %d kills  (%v)",
			time.Since(r.began).Seconds(), done, r.total, working, r.tally.Count(FaultWorkerKill), states)
		oneShotsDone := r.imported && (r.redisDone || !r.o.RestartRedis) && (r.outageDone || !r.o.RestartPostgres) && r.paid
		if oneShotsDone && !tokensFailing && len(r.tally.Missing()) == 0 {
			r.say("every fault happened: settling")
			return nil
		}
		if oneShotsDone && time.Since(r.lastOneShot) > time.Minute {
			r.say("giving up on %s after a minute: settling", strings.Join(r.tally.Missing(), ", "))
			return nil
		}
	}
}

// oneShot fires the next one-shot fault whose mark the share billed has
// passed: the second import, the Redis restart, the PostgreSQL outage,
// the payments, one a tick.
func (r *chaosRun) oneShot(share float64) error {
	switch {
	case !r.imported:
		if share < r.plan.ImportAt {
			return nil
		}
		if err := r.importMore(); err != nil {
			return err
		}
		if err := r.enqueueAgain(); err != nil {
			return err
		}
		r.imported = true
		r.total += r.newCount
		r.tally.Add(FaultImportDuringRun, 1)
		r.say("import during the run: %d new establishments, the run asked again", r.newCount)
	case r.o.RestartRedis && !r.redisDone:
		// A few seconds after the run was asked again, so that the ask
		// itself is not what the restart loses.
		if share < r.plan.RedisAt || time.Since(r.lastOneShot) < 3*time.Second {
			return nil
		}
		if err := r.o.Redis.Restart(); err != nil {
			return fmt.Errorf("restart the run's Redis: %w", err)
		}
		r.redisDone = true
		r.tally.Add(FaultRedisRestart, 1)
		r.say("Redis killed and started again, empty (the run's own, %s)", r.o.Redis.Addr)
	case r.o.RestartPostgres && !r.outageDone:
		if share < r.plan.OutageAt {
			return nil
		}
		if err := r.outage(); err != nil {
			return err
		}
		r.outageDone = true
		r.tally.Add(FaultPostgresOutage, 1)
	case !r.paid:
		// Wait for enough postal invoices, but not past most of the run.
		p, err := r.pay(share >= 0.9 || time.Since(r.lastOneShot) > 20*time.Second)
		if errors.Is(err, errTooFewPostal) {
			return nil // later: more are issued
		}
		r.paid, r.payments = true, p
		if err != nil {
			r.say("payments: %v", err)
			break
		}
		r.tally.Add(FaultDuplicatePayment, p.Duplicates)
		r.say("payments: %d postal invoices paid by a statement imported twice (again: %s), one overpaid", len(p.Entered)-1, p.Again)
	default:
		return nil
	}
	r.lastOneShot = time.Now()
	return nil
}

// outage stops the run's own PostgreSQL for the plan's Outage, workers
// still killed meanwhile, then starts it again.
func (r *chaosRun) outage() error {
	pg := r.o.Postgres
	if err := pg.Halt(r.ctx); err != nil {
		return fmt.Errorf("stop the run's PostgreSQL: %w", err)
	}
	r.say("PostgreSQL stopped (the run's own server, %s) for %s", pg.Addr(), r.plan.Outage)
	for end := time.Now().Add(r.plan.Outage); time.Now().Before(end); {
		if err := sleepCtx(r.ctx, min(tick, time.Until(end))); err != nil {
			break // Resume below all the same: the server must not stay down
		}
		r.killIfDue()
	}
	if err := pg.Resume(context.WithoutCancel(r.ctx)); err != nil {
		return fmt.Errorf("start the run's PostgreSQL again: %w", err)
	}
	r.say("PostgreSQL started again")
	return r.ctx.Err()
}

// killIfDue kills a random worker every KillEvery.
func (r *chaosRun) killIfDue() {
	if time.Since(r.lastKill) < r.plan.KillEvery {
		return
	}
	r.lastKill = time.Now()
	if err := r.pool.kill(r.rng.IntN(r.o.Workers)); err != nil {
		r.say("%v", err)
		return
	}
	r.tally.Add(FaultWorkerKill, 1)
}

// settle waits, for at most d, until every establishment has an outcome
// and no invoice is in a working state. It reports whether that happened
// and how long it waited.
func (r *chaosRun) settle(d time.Duration) (bool, time.Duration, error) {
	start := time.Now()
	for i := 0; ; i++ {
		states, done, working, err := chaosProgress(r.ctx, r.books)
		if err == nil && done >= r.total && working == 0 {
			r.say("settled in %s: %d/%d establishments, nothing working (%v)", time.Since(start).Round(time.Second), done, r.total, states)
			return true, time.Since(start), nil
		}
		if time.Since(start) >= d {
			r.say("NOT settled after %s: %d/%d establishments, %d invoices working (%v)", d, done, r.total, working, states)
			return false, time.Since(start), nil
		}
		if gone, err := r.pool.restartExited(); err != nil {
			return false, time.Since(start), err
		} else if len(gone) > 0 {
			r.say("workers %v had exited on their own: started again", gone)
		}
		if i%5 == 0 && err == nil {
			r.say("%5.0fs  settling: %d/%d establishments, %d invoices working  (%v)", time.Since(r.began).Seconds(), done, r.total, working, states)
		}
		if err := sleepCtx(r.ctx, tick); err != nil {
			return false, time.Since(start), fmt.Errorf("settling: %w", err)
		}
	}
}

// countSandbox reads what the sandbox played into the tally.
func (r *chaosRun) countSandbox() {
	fc := r.sb.FaultCounts()
	r.tally.Set(FaultDeposit4xx, int(fc.Deposit4xx))
	r.tally.Set(FaultLostResponse, int(fc.LostResponses))
	r.tally.Set(FaultSearchLag, int(fc.SearchLagHidden))
	coderetour := 0
	for _, d := range r.sb.Deposits() {
		if slices.Contains(strings.Split(d.Quirk, ","), sandbox.QuirkCodeRetourApplied) {
			coderetour++
		}
	}
	r.tally.Set(FaultDepositCodeRetour, coderetour)
}

// files are the input files imported, in order.
func (r *chaosRun) files(paths []string) []string {
	if r.imported {
		return paths
	}
	return paths[:1]
}

package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/hibiken/asynq"
)

// HandleKick is what the scheduler runs every few minutes. It only enqueues
// work under ids derived from the period (run:contribution:2027:d2027-01-02,
// interest:2027-03-01…), and decides from the books and the date what is
// due, so any number of schedulers is safe and a missed tick is caught up
// by the next one:
//   - the contribution run of the current year, from 2 January, once a
//     day: each pass bills what the run has not billed yet (establishments
//     added since, failures whose cause was fixed);
//   - the overage run of the previous year, from OverageFrom, likewise;
//   - the day's late-payment interest pass;
//   - the bulk tracking of invoices on Chorus Pro, every SweepEvery;
//   - while deliveries are paused, one delivery trying again;
//   - the technical account's password expiry, read once a day;
//   - a reconciliation of the queue with the books.
func (p *Pipeline) HandleKick(ctx context.Context, _ *asynq.Task) error {
	now := p.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if p.cfg.AutoRuns {
		if now.YearDay() >= 2 {
			if _, err := p.cat.For(now.Year()); err == nil {
				if _, err := p.enqueueRun(ctx, now.Year(), invoice.KindContribution, today, ":d"+today.Format(time.DateOnly), 0); err != nil {
					return err
				}
			}
		}
		if now.Month() >= p.cfg.OverageFrom {
			if _, err := p.cat.For(now.Year() - 1); err == nil {
				if _, err := p.enqueueRun(ctx, now.Year()-1, invoice.KindOverage, today, ":d"+today.Format(time.DateOnly), 0); err != nil {
					return err
				}
			}
		}
	}
	if err := p.EnqueueInterest(ctx, today); err != nil {
		return err
	}
	every := max(p.cfg.SweepEvery, time.Second)
	if err := p.enqueue(ctx, TypeSweep, struct{}{}, fmt.Sprintf("sweep:e%d", p.wall().UnixNano()/int64(every)),
		asynq.Queue(QueueCritical), asynq.Timeout(p.cfg.BatchTimeout)); err != nil {
		return err
	}
	if err := p.probePause(ctx); err != nil {
		return err
	}
	if err := p.EnqueueCheckAccount(ctx, today); err != nil {
		return err
	}
	period := max(int64(p.cfg.KickEvery/time.Second), 1)
	return p.enqueue(ctx, TypeReconcile, struct{}{}, fmt.Sprintf("reconcile:%d", p.wall().Unix()/period), asynq.Queue(QueueLow))
}

// Schedule says, one line each, what the scheduler of a worker with this
// configuration will start by itself (HandleKick is what does it): a worker
// prints it at start, so that billing by the calendar is never a surprise.
func (c Config) Schedule() []string {
	var out []string
	if c.AutoRuns {
		out = append(out,
			"the contribution run of the current year, from 2 January (a year no deliberation covers is skipped)",
			fmt.Sprintf("the overage run of the previous year, from 1 %s", c.OverageFrom))
	} else {
		out = append(out, "no yearly run by the calendar (--no-auto-runs): runs start only with `chorusbill run`")
	}
	return append(out,
		"the late-payment interest invoices, once a day",
		fmt.Sprintf("the bulk tracking of invoices on Chorus Pro, every %s (and soon after deposits)", c.SweepEvery),
		"the expiry of the Chorus Pro technical account's password, once a day",
		fmt.Sprintf("a reconciliation of the queue with the books, every %s", c.KickEvery))
}

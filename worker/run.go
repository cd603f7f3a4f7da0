package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/hibiken/asynq"
)

// Run outcomes recorded for establishments that get no invoice.
const (
	outcomeFailed = store.RunItemFailed
)

// PastIssueDateError refuses a run dated before today: an invoice is dated
// the day it is issued.
type PastIssueDateError struct {
	Day, Today time.Time
}

func (e *PastIssueDateError) Error() string {
	return fmt.Sprintf("issue date %s is in the past (today is %s): an invoice is dated the day it is issued; a later date schedules the run for that day",
		e.Day.Format(time.DateOnly), e.Today.Format(time.DateOnly))
}

// EnqueueRun asks for a billing run of a year and kind (see RequestRun).
func (p *Pipeline) EnqueueRun(ctx context.Context, year int, kind invoice.Kind, issueDate time.Time) error {
	_, err := p.RequestRun(ctx, year, kind, issueDate)
	return err
}

// RunRequest is a run asked for: its task's id, and the stamp its tasks'
// ids end with (the run's issue and correction batches), by which a
// caller can tell when the request's work is done.
type RunRequest struct {
	TaskID, Stamp string
	// Scheduled is the later day the run waits for; zero when it runs now.
	Scheduled time.Time
}

// RequestRun asks for a billing run of a year and kind. Each request acts:
// the first bills every establishment, a later one bills those the run has
// not billed yet — added since, or failed once, their cause perhaps fixed —
// and nothing twice, and checks the invoiced ones against today's facts
// (corrections). issueDate is today or later: a later day schedules the run
// for that day; an earlier one is refused (PastIssueDateError).
func (p *Pipeline) RequestRun(ctx context.Context, year int, kind invoice.Kind, issueDate time.Time) (RunRequest, error) {
	// A year no deliberation covers would only fail each establishment one
	// by one: refuse the run itself, saying which years are covered.
	if p.cat != nil {
		if _, err := p.cat.For(year); err != nil {
			return RunRequest{}, fmt.Errorf("%s run %d: %w", kind, year, err)
		}
	}
	now := p.now()
	today, day := invoice.CivilDay(now), invoice.CivilDay(issueDate)
	if day.Before(today) {
		return RunRequest{}, &PastIssueDateError{Day: day, Today: today}
	}
	stamp := fmt.Sprintf(":q%d", p.wall().UnixNano())
	id, err := p.enqueueRun(ctx, year, kind, day, stamp, day.Sub(now))
	req := RunRequest{TaskID: id, Stamp: stamp}
	if day.After(today) {
		req.Scheduled = day
	}
	return req, err
}

// enqueueRun enqueues a run task under an id ending in stamp, which its
// issue batches' ids carry too: a new request names new tasks, where the
// previous request's, retained after success, would swallow them.
func (p *Pipeline) enqueueRun(ctx context.Context, year int, kind invoice.Kind, day time.Time, stamp string, in time.Duration) (string, error) {
	id := fmt.Sprintf("run:%s:%d%s", kind, year, stamp)
	opts := []asynq.Option{asynq.Queue(QueueCritical)}
	if in > 0 {
		opts = append(opts, asynq.ProcessIn(in))
	}
	if err := p.enqueue(ctx, TypeRun, RunPayload{Year: year, Kind: string(kind), IssueDate: day.Format(time.DateOnly), Stamp: stamp, Recompute: true}, id, opts...); err != nil {
		return "", err
	}
	books, err := p.books.Identity(ctx)
	if err != nil {
		return "", err
	}
	return booksTaskID(books, id), nil // the id the queue knows it by
}

// HandleRun records the run in the books; for a request (Recompute, not a
// reconcile, which only finishes what is under way) forgets the outcomes
// that billed nothing — failed, free, nothing due — so that they are
// computed again from today's facts; and enqueues one issue-batch task per block
// of IssueBatch establishment ids holding those that have no outcome in
// the run, so that running it again (a new request, a repeated task, a
// reconcile after Redis lost its queue) only fills gaps; and one
// correct-batch task per block of the establishments already invoiced, so
// that each request reconciles what is invoiced with what today's facts
// say is owed.
func (p *Pipeline) HandleRun(ctx context.Context, t *asynq.Task) error {
	var pl RunPayload
	if err := decode(t, &pl); err != nil {
		return err
	}
	kind, err := invoice.ParseKind(pl.Kind)
	if err != nil || (kind != invoice.KindContribution && kind != invoice.KindOverage) {
		return fmt.Errorf("run of %q invoices: %w", pl.Kind, asynq.SkipRetry)
	}
	if _, err := p.cat.For(pl.Year); err != nil {
		return fmt.Errorf("run %s %d: %v: %w", kind, pl.Year, err, asynq.SkipRetry)
	}
	day, err := parseDay(pl.IssueDate)
	if err != nil {
		return fmt.Errorf("run issue date %q: %w", pl.IssueDate, asynq.SkipRetry)
	}
	run, _, err := p.books.StartRun(ctx, pl.Year, kind, day)
	if err != nil {
		return err
	}
	retried := 0
	if pl.Recompute {
		if retried, err = p.books.ReopenRun(ctx, run.ID); err != nil {
			return err
		}
	}
	total, err := p.books.CountEstablishments(ctx)
	if err != nil {
		return err
	}
	if err := p.books.SetRunEnqueued(ctx, run.ID, total); err != nil {
		return err
	}
	// Establishments go in batches by blocks of ids, so that enqueueing
	// again (a repeated run task) names the same tasks and adds none.
	size := int64(max(p.cfg.IssueBatch, 1))
	missing, block := 0, int64(-1)
	var batch []int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ids := batch
		batch = nil
		return p.enqueue(ctx, TypeIssueBatch, IssueBatchPayload{RunID: run.ID, EstablishmentIDs: ids, Year: pl.Year, Kind: pl.Kind, IssueDate: pl.IssueDate},
			fmt.Sprintf("issue:%s:%d:b%d%s", kind, pl.Year, block, pl.Stamp), asynq.Timeout(p.cfg.BatchTimeout))
	}
	err = p.books.MissingRunItems(ctx, run.ID, func(id int64) error {
		missing++
		if b := id / size; b != block {
			if err := flush(); err != nil {
				return err
			}
			block = b
		}
		batch = append(batch, id)
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	// Establishments already invoiced are checked against today's facts:
	// a termination, a corrected headcount… is corrected (correct.go).
	checked, err := p.enqueueCorrections(ctx, run.ID, pl.Year, kind, pl.Stamp, size)
	if err != nil {
		return err
	}
	if missing == 0 {
		if err := p.books.FinishRun(ctx, run.ID); err != nil {
			return err
		}
	}
	p.log.Info("billing run enqueued", "year", pl.Year, "kind", kind, "run", run.ID, "establishments", total, "enqueued", missing, "failed_before", retried, "checked", checked)
	return nil
}

// parseIssue reads an issue task's kind and date; a bad one is never
// retried.
func parseIssue(kind, date string) (invoice.Kind, time.Time, error) {
	k, err := invoice.ParseKind(kind)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue: %v: %w", err, asynq.SkipRetry)
	}
	day, err := parseDay(date)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue date %q: %w", date, asynq.SkipRetry)
	}
	return k, day, nil
}

// needsHuman reports errors that no retry will fix.
func needsHuman(err error) bool {
	var nt *tariff.NoTariffError
	var oc *tariff.OutsideConventionError
	var ue *tariff.UsageError
	return errors.As(err, &nt) || errors.As(err, &oc) || errors.As(err, &ue) || errors.Is(err, errNoHeadcount)
}

// EnqueueDeliver hands an invoice to delivery; suffix distinguishes a
// deliberate re-delivery (resubmit, reconcile) from the first one.
func (p *Pipeline) EnqueueDeliver(ctx context.Context, invoiceID int64, suffix string) error {
	return p.enqueue(ctx, TypeDeliver, InvoicePayload{InvoiceID: invoiceID}, fmt.Sprintf("deliver:%d%s", invoiceID, suffix), followUp())
}

// EnqueueTrack schedules the attempt-th poll of an invoice.
func (p *Pipeline) EnqueueTrack(ctx context.Context, invoiceID int64, attempt int, suffix string) error {
	iv := p.cfg.TrackIntervals
	wait := iv[min(attempt, len(iv)-1)]
	return p.enqueue(ctx, TypeTrack, InvoicePayload{InvoiceID: invoiceID, Attempt: attempt},
		fmt.Sprintf("track:%d:%d%s", invoiceID, attempt, suffix), asynq.ProcessIn(wait), followUp())
}

// followUp queues the work of invoices already issued ahead of issuing more:
// a run's issue batches are all queued at its start, and delivering and
// tracking behind them (FIFO) would leave the whole year half-done until
// the last batch is issued, its invoices held in working states.
func followUp() asynq.Option { return asynq.Queue(QueueCritical) }

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
	outcomeFailed = "failed"
)

// EnqueueRun asks for a billing run of a year and kind, its invoices dated
// issueDate. One run per year and kind: asking twice changes nothing.
func (p *Pipeline) EnqueueRun(ctx context.Context, year int, kind invoice.Kind, issueDate time.Time) error {
	// A year no deliberation covers would only fail each establishment one
	// by one: refuse the run itself, saying which years are covered.
	if p.cat != nil {
		if _, err := p.cat.For(year); err != nil {
			return fmt.Errorf("%s run %d: %w", kind, year, err)
		}
	}
	return p.enqueue(ctx, TypeRun, RunPayload{Year: year, Kind: string(kind), IssueDate: issueDate.Format(time.DateOnly)},
		fmt.Sprintf("run:%s:%d", kind, year), asynq.Queue(QueueCritical))
}

// HandleRun records the run in the books and enqueues one issue-batch task
// per block of IssueBatch establishment ids, holding those that have no
// outcome in the run yet, so that running it again (a repeated task, a
// reconcile after Redis lost its queue) only fills gaps.
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
	if run.IssueDate != nil {
		pl.IssueDate = run.IssueDate.UTC().Format(time.DateOnly) // the run's date wins over a reconcile's
	}
	if run.State == store.RunFinished {
		return nil
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
	if missing == 0 {
		return p.books.FinishRun(ctx, run.ID)
	}
	p.log.Info("billing run enqueued", "year", pl.Year, "kind", kind, "run", run.ID, "establishments", total, "enqueued", missing)
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

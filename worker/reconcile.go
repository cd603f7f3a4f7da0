package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// HandleReconcile rebuilds the queue from the books: every unfinished run
// is run again (it only fills gaps), and every invoice whose state says work
// is pending and that has not moved for StaleAfter gets its task again. So
// a flushed Redis, a crashed worker or a lost task delays the work but never
// loses it.
func (p *Pipeline) HandleReconcile(ctx context.Context, _ *asynq.Task) error {
	_, err := p.Reconcile(ctx)
	return err
}

// Reconcile does the reconciliation and says how many tasks it enqueued.
func (p *Pipeline) Reconcile(ctx context.Context) (int, error) {
	// Task ids carry the moment the work went stale (the run's last
	// activity, the invoice's last change): a lost task is replaced, while
	// the next reconcile of the same stale state finds its replacement
	// already queued instead of piling up duplicates under a backlog.
	n := 0
	runs, err := p.books.Runs(ctx)
	if err != nil {
		return n, err
	}
	cutoff := p.wall().Add(-p.cfg.StaleAfter)
	for _, r := range runs {
		if r.State == store.RunFinished {
			continue
		}
		last, err := p.books.RunLastActivity(ctx, r.ID)
		if err != nil {
			return n, err
		}
		if last.After(cutoff) {
			continue // moving: its tasks are in the queue
		}
		stamp := fmt.Sprintf(":r%d", last.UnixNano())
		// The run's issue date is kept in the task; a reconcile re-issues
		// with today's date only establishments not yet billed.
		if err := p.enqueue(ctx, TypeRun, RunPayload{Year: r.Year, Kind: r.Kind, IssueDate: p.now().Format(time.DateOnly), Stamp: stamp},
			fmt.Sprintf("run:%s:%d%s", r.Kind, r.Year, stamp), asynq.Queue(QueueCritical)); err != nil {
			return n, err
		}
		n++
	}
	refs, err := p.books.StaleInvoices(ctx, cutoff, invoice.StateFinalised, invoice.StateDelivering, invoice.StateDeposited)
	if err != nil {
		return n, err
	}
	// Delivered invoices are followed by the sweep: one no sweep mentioned
	// for TrackStaleAfter has its history read, as a safety net.
	delivered, err := p.books.StaleInvoices(ctx, p.wall().Add(-p.cfg.TrackStaleAfter), invoice.StateDelivered)
	if err != nil {
		return n, err
	}
	for _, inv := range append(refs, delivered...) {
		stamp := staleStamp(inv.UpdatedAt, p.wall(), p.cfg.StaleAfter)
		if invoice.State(inv.State) == invoice.StateDelivered {
			stamp = staleStamp(inv.UpdatedAt, p.wall(), p.cfg.TrackStaleAfter)
		}
		switch invoice.State(inv.State) {
		case invoice.StateFinalised, invoice.StateDelivering:
			err = p.EnqueueDeliver(ctx, inv.ID, stamp)
		case invoice.StateDeposited:
			if inv.ChorusStatus == StatusToVerify {
				continue // in a human's hands; the sweep adopts it if it appears
			}
			err = p.EnqueueTrack(ctx, inv.ID, 0, stamp)
		case invoice.StateDelivered:
			err = p.EnqueueTrack(ctx, inv.ID, 0, stamp)
		}
		if err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		p.log.Info("reconciled the queue with the books", "tasks", n)
	}
	return n, nil
}

// staleStamp names the reconcile task of an invoice unchanged since
// updated: one per period it stays stale. Within a period the next
// reconcile finds the task already queued (no pile of duplicates under a
// backlog); a new period gets a new task, so that an invoice whose only
// task waits far in a retry's backoff (a search failing all through a
// Chorus Pro outage) is taken up again — deposits stay single, by their
// claim (store.ClaimDeposit). The chaos run found invoices left delivering
// past its settle time behind such a task.
func staleStamp(updated, now time.Time, period time.Duration) string {
	n := int64(0)
	if period > 0 {
		n = int64(now.Sub(updated) / period)
	}
	return fmt.Sprintf(":r%d.%d", updated.UnixNano(), n)
}

package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types. Payloads carry ids only: the books hold the data, and no
// personal data sits in Redis (the queue console shows payloads). Every
// payload also names the books it belongs to, in its field "books" (see
// books.go).
const (
	TypeKick = "billing:kick"
	TypeRun  = "billing:run"
	// TypeIssueBatch bills a batch of a run's establishments and delivers
	// their invoices: one task, a few statements and commits for them all.
	TypeIssueBatch = "invoice:issue-batch"
	// TypeTrackBatch polls a batch of deposited invoices.
	TypeTrackBatch = "invoice:track-batch"
	TypeDeliver    = "invoice:deliver"
	TypeTrack      = "invoice:track"
	TypeInterest   = "interest:run"
	// TypeSweep is the bulk tracking of invoices on Chorus Pro (sweep.go).
	TypeSweep = "chorus:sweep"
	// TypeCheckAccount reads when the technical account's password
	// expires, once a day (account.go).
	TypeCheckAccount = "chorus:account"
	TypeReconcile    = "books:reconcile"
)

// Queues, by priority: runs, kicks and the follow-up of issued invoices
// (delivery, tracking) first, then the runs' issue batches, then the
// daily interest run and the reconciler.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// RunPayload asks for a billing run.
type RunPayload struct {
	Year      int    `json:"year"`
	Kind      string `json:"kind"`
	IssueDate string `json:"issue_date"` // YYYY-MM-DD
	// Stamp makes the issue tasks' ids new: each request's (RequestRun, the
	// daily kick), and the reconciler's, so that tasks orphaned by a killed
	// worker do not block their replacements.
	Stamp string `json:"stamp,omitempty"`
	// Recompute, set by a request (not by the reconciler, which only
	// finishes what is under way), has the run compute again what it billed
	// nothing for: failed, free, nothing due.
	Recompute bool `json:"recompute,omitempty"`
}

// IssueBatchPayload asks to bill a batch of establishments in a run.
type IssueBatchPayload struct {
	RunID            int64   `json:"run_id"`
	EstablishmentIDs []int64 `json:"establishment_ids"`
	Year             int     `json:"year"`
	Kind             string  `json:"kind"`
	IssueDate        string  `json:"issue_date"`
}

// TrackBatchPayload names the invoices a track-batch task polls.
type TrackBatchPayload struct {
	InvoiceIDs []int64 `json:"invoice_ids"`
	Attempt    int     `json:"attempt,omitempty"`
}

// InvoicePayload names the invoice a deliver or track task works on.
type InvoicePayload struct {
	InvoiceID int64 `json:"invoice_id"`
	// Attempt counts the polls of a track task, to space them out.
	Attempt int `json:"attempt,omitempty"`
}

// enqueuer is what the pipeline needs of an asynq client.
type enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// enqueue puts a task on the queue under a deterministic id; a task with
// that id already there (pending, running, retried, or retained after
// success) means the work is already in hand, which is not an error.
//
// The task carries the books' identity, in its payload and its id (see
// books.go): id is the id within the books.
func (p *Pipeline) enqueue(ctx context.Context, typ string, payload any, id string, opts ...asynq.Option) error {
	books, err := p.books.Identity(ctx)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	data, err := booksPayload(books, payload)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	id = booksTaskID(books, id)
	base := []asynq.Option{asynq.TaskID(id), asynq.MaxRetry(p.cfg.MaxRetry), asynq.Timeout(p.cfg.TaskTimeout),
		asynq.Retention(p.cfg.Retention), asynq.Queue(QueueDefault)}
	_, err = p.queue.EnqueueContext(ctx, asynq.NewTask(typ, data), append(base, opts...)...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	return nil
}

func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		// A payload that cannot be read will never be: do not retry it.
		return fmt.Errorf("%s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}

func parseDay(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

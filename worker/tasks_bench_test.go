package worker

import (
	"context"
	"testing"

	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/hibiken/asynq"
)

// discardQueue keeps the last task enqueued, and nothing else.
type discardQueue struct{ last *asynq.Task }

func (q *discardQueue) EnqueueContext(_ context.Context, t *asynq.Task, _ ...asynq.Option) (*asynq.TaskInfo, error) {
	q.last = t
	return &asynq.TaskInfo{}, nil
}

// batchPayload is an issue batch of a hundred establishments, the default
// batch size: the largest payload the pipeline enqueues often.
func batchPayload() IssueBatchPayload {
	ids := make([]int64, 100)
	for i := range ids {
		ids[i] = int64(100000 + i)
	}
	return IssueBatchPayload{RunID: 7, EstablishmentIDs: ids, Year: 2026, Kind: "contribution", IssueDate: "2026-03-02"}
}

// The cost of putting one issue batch on the queue, the queue itself aside.
func BenchmarkEnqueueBatch(b *testing.B) {
	ctx := context.Background()
	q := &discardQueue{}
	p := NewPipeline(Deps{Books: storetest.SQLite(b), Queue: q}, DefaultConfig())
	pl := batchPayload()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.enqueue(ctx, TypeIssueBatch, pl, "issue:contribution:2026:b1000"); err != nil {
			b.Fatal(err)
		}
	}
}

// The cost of reading one issue batch off the queue, the books' check
// included, up to its handler.
func BenchmarkDecodeBatch(b *testing.B) {
	ctx := context.Background()
	q := &discardQueue{}
	p := NewPipeline(Deps{Books: storetest.SQLite(b), Queue: q}, DefaultConfig())
	if err := p.enqueue(ctx, TypeIssueBatch, batchPayload(), "issue:contribution:2026:b1000"); err != nil {
		b.Fatal(err)
	}
	h := p.sameBooks(asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		var pl IssueBatchPayload
		return decode(t, &pl)
	}))
	b.ReportAllocs()
	for b.Loop() {
		if err := h.ProcessTask(ctx, q.last); err != nil {
			b.Fatal(err)
		}
	}
}

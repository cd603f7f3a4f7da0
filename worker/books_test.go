package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// A payload names its books first, whatever else it carries, and the
// books are read back from it; payloads of earlier versions name none.
func TestBooksPayload(t *testing.T) {
	const books = "0b6c3e52-7d7a-4f0e-9a39-3f1a3c1e8b0d"
	for _, tc := range []struct {
		name    string
		payload any
		want    string
	}{
		{"empty", struct{}{}, `{"books":"` + books + `"}`},
		{"invoice", InvoicePayload{InvoiceID: 42, Attempt: 2}, `{"books":"` + books + `","invoice_id":42,"attempt":2}`},
		{"run", RunPayload{Year: 2026, Kind: "contribution", IssueDate: "2026-03-02"},
			`{"books":"` + books + `","year":2026,"kind":"contribution","issue_date":"2026-03-02"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := booksPayload(books, tc.payload)
			if err != nil || string(data) != tc.want {
				t.Fatalf("payload %s, %v; want %s", data, err, tc.want)
			}
			if got, ok := taskBooks(data); !ok || got != books {
				t.Errorf("books read back: %q, %v", got, ok)
			}
			if !json.Valid(data) {
				t.Errorf("not JSON: %s", data)
			}
		})
	}
	if _, err := booksPayload(books, []int64{1}); err == nil {
		t.Error("a payload that is no JSON object was accepted")
	}
	for _, tc := range []struct {
		payload string
		want    string
		ok      bool
	}{
		{`{"invoice_id":1}`, "", false}, // an earlier version's
		{``, "", false},                 // an earlier version's kick
		{`{}`, "", false},
		{`not json`, "", false},
		{`{"invoice_id":1,"books":"` + books + `"}`, books, true}, // not first: read all the same
		{`{"books":""}`, "", true},
		{`{"books":"a\"b"}`, `a"b`, true},
	} {
		if got, ok := taskBooks([]byte(tc.payload)); got != tc.want || ok != tc.ok {
			t.Errorf("taskBooks(%s) = %q, %v; want %q, %v", tc.payload, got, ok, tc.want, tc.ok)
		}
	}
}

// Every task enqueued names its books in its id and its payload.
func TestEnqueueNamesTheBooks(t *testing.T) {
	ctx := context.Background()
	books := storetest.SQLite(t)
	id, err := books.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := &discardQueue{}
	rq := &recordingQueue{}
	for _, queue := range []enqueuer{q, rq} {
		p := NewPipeline(Deps{Books: books, Catalog: catalog(t), Queue: queue}, DefaultConfig())
		if err := p.EnqueueRun(ctx, 2026, invoice.KindContribution, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if len(rq.ids) != 1 || !strings.HasPrefix(rq.ids[0], id+":run:contribution:2026:q") {
		t.Errorf("task ids %v: want %s:run:contribution:2026", rq.ids, id)
	}
	if got, ok := taskBooks(q.last.Payload()); !ok || got != id {
		t.Errorf("payload %s names books %q, want %q", q.last.Payload(), got, id)
	}
}

// A worker runs the tasks of its books and of no books (an earlier
// version's), and refuses those of other books with an error that asynq
// archives and that says what to do.
func TestSameBooks(t *testing.T) {
	ctx := context.Background()
	books := storetest.SQLite(t)
	ours, _ := books.Identity(ctx)
	const theirs = "5d1f0a7e-2b9c-4c3e-8f11-0a2b3c4d5e6f"
	p := NewPipeline(Deps{Books: books}, DefaultConfig())
	ran := 0
	h := p.sameBooks(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { ran++; return nil }))
	mine, _ := booksPayload(ours, InvoicePayload{InvoiceID: 1})
	other, _ := booksPayload(theirs, InvoicePayload{InvoiceID: 1})
	for _, payload := range [][]byte{mine, []byte(`{"invoice_id":1}`), nil} {
		if err := h.ProcessTask(ctx, asynq.NewTask(TypeDeliver, payload)); err != nil {
			t.Errorf("%s: %v", payload, err)
		}
	}
	if ran != 3 {
		t.Errorf("ran %d tasks of 3", ran)
	}
	err := h.ProcessTask(ctx, asynq.NewTask(TypeDeliver, other))
	var ob *OtherBooksError
	if !errors.As(err, &ob) || !errors.Is(err, asynq.SkipRetry) || ran != 3 {
		t.Fatalf("task of other books: %v (ran %d)", err, ran)
	}
	for _, want := range []string{"of books " + theirs, "this worker serves books " + ours, "another deployment shares this Redis database", "CHORUSBILL_REDIS_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Two deployments on one Redis database: each worker refuses the other's
// tasks (archived, saying why, its own books untouched), their
// deterministic task ids do not collide, and each runs its own.
func TestE2ETwoDeploymentsOneRedis(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	a := newStackOn(t, storetest.SQLite(t), sandbox.Faults{}, addr)
	b := newStackOn(t, storetest.SQLite(t), sandbox.Faults{}, addr)
	loadSample(t, a.books)
	loadSample(t, b.books)
	idA, _ := a.books.Identity(ctx)
	idB, _ := b.books.Identity(ctx)
	insp := asynq.NewInspector(a.redis)
	t.Cleanup(func() { insp.Close() })
	// B's worker alone: A's run is archived with the reason, not run.
	b.startWorker()
	req, err := a.p.RequestRun(ctx, billedYear, invoice.KindContribution, a.issueDay)
	if err != nil {
		t.Fatal(err)
	}
	runID := req.TaskID
	if !strings.HasPrefix(runID, idA+":run:contribution:2026") {
		t.Fatalf("A's run task %s does not name A's books", runID)
	}
	info := waitFor(t, "A's run archived by B's worker", func() (*asynq.TaskInfo, bool) {
		info, err := insp.GetTaskInfo(QueueCritical, runID)
		return info, err == nil && info.State == asynq.TaskStateArchived
	})
	if want := "is of books " + idA + ", this worker serves books " + idB; !strings.Contains(info.LastErr, want) {
		t.Errorf("archived with %q, want it to say %q", info.LastErr, want)
	}
	if runs, err := b.books.Runs(ctx); err != nil || len(runs) != 0 {
		t.Fatalf("B's books have runs %v (%v): A's task ran there", runs, err)
	}
	rc := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rc.Close() })
	troubles, err := Troubles(ctx, rc)
	if err != nil || len(troubles) == 0 || !strings.Contains(troubles[0].Error, "another deployment shares this Redis database") {
		t.Errorf("troubles %v (%v): want the refusal said", troubles, err)
	}

	// B's own run of the same year and kind: same id within its books, no
	// collision with A's; B's worker runs it.
	if err := b.p.EnqueueRun(ctx, billedYear, invoice.KindContribution, b.issueDay); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B's run finished", func() (store.Run, bool) {
		r, err := b.books.RunFor(ctx, billedYear, invoice.KindContribution)
		return r, err == nil && r.State == store.RunFinished
	})
	b.stopWorker()

	// A's worker takes A's task, once run again from the archive.
	a.startWorker()
	if err := insp.RunTask(QueueCritical, runID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's run finished", func() (store.Run, bool) {
		r, err := a.books.RunFor(ctx, billedYear, invoice.KindContribution)
		return r, err == nil && r.State == store.RunFinished
	})
	for name, s := range map[string]*stack{"A": a, "B": b} {
		list, err := s.books.ListInvoices(ctx, store.InvoiceFilter{Year: billedYear, Kind: invoice.KindContribution})
		if err != nil || len(list) == 0 {
			t.Errorf("%s's books: %d invoices (%v)", name, len(list), err)
		}
	}
	// Each worker refused only the other's tasks, saying whose: of A's,
	// only the run (B's worker ran alone then); of B's, those still queued
	// when A's worker replaced B's (polls, kicks).
	archived, err := insp.ListArchivedTasks(QueueCritical, asynq.PageSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	other := map[string]string{idA: idB, idB: idA}
	for _, ti := range archived {
		books, _ := taskBooks(ti.Payload)
		if want := "is of books " + books + ", this worker serves books " + other[books]; other[books] == "" || !strings.Contains(ti.LastErr, want) {
			t.Errorf("archived %s (books %q): %s", ti.ID, books, ti.LastErr)
		}
		if books == idA && ti.ID != runID {
			t.Errorf("A's task %s archived: %s", ti.ID, ti.LastErr)
		}
	}
}

// waitFor polls f until it says done, for up to 30 s.
func waitFor[T any](t *testing.T, what string, f func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, done := f()
		if done {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30 s (%+v)", what, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

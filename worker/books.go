package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"
)

// One deployment per books. Tasks name rows of the books by bare ids, so a
// task run against other books — another deployment sharing the same Redis
// database — would bill, deliver or track the wrong rows. Every task
// therefore carries the identity of its books (store.Identity, a UUID):
//   - in its payload, as the field "books", first, where the queue console
//     shows it (a UUID, no personal data);
//   - in its id, as a prefix ("<books>:run:contribution:2026"), so that two
//     deployments' deterministic ids do not dedupe against each other.
//
// A worker refuses a task of other books: OtherBooksError, which asynq
// archives at once with its message. A task without the field, enqueued by
// an earlier version, is accepted (said once per task type): during an
// upgrade the queue still holds such tasks (polls scheduled days ahead),
// and refusing them would hold the invoices until the reconciler's
// StaleAfter.

// booksKey is the payload field that carries the books' identity.
const booksKey = "books"

// OtherBooksError is a task of other books than the worker's: another
// deployment shares this Redis database. It wraps asynq.SkipRetry, so the
// task is archived at once, never run.
type OtherBooksError struct {
	// TaskType and TaskID name the task; Task is the identity of its
	// books, Worker that of this worker's.
	TaskType, TaskID string
	Task, Worker     string
}

func (e *OtherBooksError) Error() string {
	return fmt.Sprintf("task %s (%s) is of books %s, this worker serves books %s: another deployment shares this Redis database; give each deployment its own Redis database (CHORUSBILL_REDIS_URL, e.g. redis://host:6379/1)",
		e.TaskID, e.TaskType, e.Task, e.Worker)
}

// Unwrap makes asynq archive the task rather than retry it.
func (e *OtherBooksError) Unwrap() error { return asynq.SkipRetry }

// booksPayload is payload as JSON with the books' identity as its first
// field; payload must marshal to a JSON object.
func booksPayload(books string, payload any) ([]byte, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("payload %T is not a JSON object", payload)
	}
	id, err := json.Marshal(books)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(id)+len(booksKey)+4)
	out = append(out, `{"`+booksKey+`":`...)
	out = append(out, id...)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}

// booksTaskID is a task id under the books' identity.
func booksTaskID(books, id string) string { return books + ":" + id }

// taskBooks reads the identity of a task's books; ok is false when the
// payload has none (an earlier version's task, or no JSON object at all,
// which the handler's decode refuses).
func taskBooks(payload []byte) (books string, ok bool) {
	// Fast path: the field first, as booksPayload writes it, a UUID with
	// nothing to unescape.
	const head = `{"` + booksKey + `":"`
	if rest, found := bytes.CutPrefix(payload, []byte(head)); found {
		if end := bytes.IndexByte(rest, '"'); end > 0 && bytes.IndexByte(rest[:end], '\\') < 0 {
			return string(rest[:end]), true
		}
	}
	var v struct {
		Books *string `json:"books"`
	}
	if json.Unmarshal(payload, &v) != nil || v.Books == nil {
		return "", false
	}
	return *v.Books, true
}

// sameBooks is the middleware that refuses tasks of other books than the
// worker's (OtherBooksError) and accepts, said once per type, those that
// name none.
func (p *Pipeline) sameBooks(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		ours, err := p.books.Identity(ctx)
		if err != nil {
			return err // the database: retried
		}
		theirs, ok := taskBooks(t.Payload())
		switch {
		case !ok:
			if p.unmarked.first(t.Type()) {
				p.log.Warn("task without the identity of its books (enqueued by an earlier version): accepted, said once per type",
					"type", t.Type())
			}
		case theirs != ours:
			id, _ := asynq.GetTaskID(ctx)
			return &OtherBooksError{TaskType: t.Type(), TaskID: id, Task: theirs, Worker: ours}
		}
		return next.ProcessTask(ctx, t)
	})
}

package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// ImportResult says what an import did: rows read, and of them how many were
// added, changed, or already there as they are (a re-import is idempotent).
type ImportResult struct {
	File      string
	Rows      int
	Added     int
	Changed   int
	Unchanged int
}

func (r ImportResult) String() string {
	return fmt.Sprintf("%s: %d rows — %d added, %d changed, %d unchanged", r.File, r.Rows, r.Added, r.Changed, r.Unchanged)
}

// batchRows is how many rows one multi-row statement carries: well under
// both engines' limits on bound parameters, few round trips for large files.
const batchRows = 400

// batcher writes rows with multi-row statements, prefix VALUES (…), (…)
// suffix, holding at most one batch of rows in memory.
type batcher struct {
	s              *Store
	tx             *sqlx.Tx
	prefix, suffix string
	rows           int
	args           []any
	q              strings.Builder
}

func (s *Store) newBatcher(tx *sqlx.Tx, prefix, suffix string) *batcher {
	return &batcher{s: s, tx: tx, prefix: prefix, suffix: suffix}
}

// add queues one row, writing the batch when it is full.
func (b *batcher) add(ctx context.Context, row ...any) error {
	if b.rows == 0 {
		b.q.Reset()
		b.q.WriteString(b.prefix + " VALUES ")
	} else {
		b.q.WriteString(", ")
	}
	b.q.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(row)), ", ") + ")")
	b.args = append(b.args, row...)
	b.rows++
	if b.rows == batchRows {
		return b.flush(ctx)
	}
	return nil
}

// flush writes what is queued.
func (b *batcher) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	_, err := b.tx.ExecContext(ctx, b.s.rebind(b.q.String()+" "+b.suffix), b.args...)
	b.rows, b.args = 0, b.args[:0]
	return err
}

// establishmentIDs maps every SIRET in the books to its id.
func (s *Store) establishmentIDs(ctx context.Context, q sqlx.QueryerContext) (map[string]int64, error) {
	rows, err := q.QueryxContext(ctx, `SELECT siret, id FROM establishments`)
	if err != nil {
		return nil, fmt.Errorf("read establishments: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var siret string
		var id int64
		if err := rows.Scan(&siret, &id); err != nil {
			return nil, err
		}
		out[siret] = id
	}
	return out, rows.Err()
}

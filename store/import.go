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

// execBatches writes rows with multi-row statements: prefix VALUES (…), (…) suffix.
func (s *Store) execBatches(ctx context.Context, tx *sqlx.Tx, prefix, suffix string, rows [][]any) error {
	for start := 0; start < len(rows); start += batchRows {
		end := min(start+batchRows, len(rows))
		var q strings.Builder
		q.WriteString(prefix + " VALUES ")
		var args []any
		for i, r := range rows[start:end] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(r)), ", ") + ")")
			args = append(args, r...)
		}
		q.WriteString(" " + suffix)
		if _, err := tx.ExecContext(ctx, s.rebind(q.String()), args...); err != nil {
			return err
		}
	}
	return nil
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

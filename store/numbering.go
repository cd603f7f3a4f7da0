package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// takeNumbers takes the next n numbers of a series and returns the first;
// the others follow it. The upsert locks the counter row until the
// transaction ends (a row lock on PostgreSQL, like SELECT … FOR UPDATE; the
// database write lock on SQLite), so concurrent finalisations are
// serialised on it, and a rollback gives the numbers back: no gap. It is the
// only place a number is taken, for Finalise and FinaliseMany alike; a
// transaction taking several series takes them in name order.
func (s *Store) takeNumbers(ctx context.Context, tx *sqlx.Tx, series string, n int64) (int64, error) {
	if n <= 0 {
		return 0, fmt.Errorf("take %d numbers in series %s", n, series)
	}
	var last int64
	if err := tx.GetContext(ctx, &last, s.rebind(`INSERT INTO invoice_counters (series, last) VALUES (?, ?)
		ON CONFLICT (series) DO UPDATE SET last = invoice_counters.last + excluded.last RETURNING last`), series, n); err != nil {
		return 0, fmt.Errorf("take %d numbers in series %s: %w", n, series, err)
	}
	return last - n + 1, nil
}

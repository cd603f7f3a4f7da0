package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Sweep is the state of the bulk tracking of invoices on Chorus Pro: every
// status change dated before Cursor has been applied to the books.
type Sweep struct {
	Cursor  time.Time `db:"cursor_at"`
	SweptAt time.Time `db:"swept_at"`
	// Pages and Found are the last sweep's calls and invoices seen.
	Pages int `db:"pages"`
	Found int `db:"found"`
}

// SweepState reads the bulk tracking's state; ok is false before the first
// sweep.
func (s *Store) SweepState(ctx context.Context) (sw Sweep, ok bool, err error) {
	err = s.db.GetContext(ctx, &sw, `SELECT cursor_at, swept_at, pages, found FROM chorus_sweep WHERE one = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return Sweep{}, false, nil
	}
	if err != nil {
		return Sweep{}, false, fmt.Errorf("read the sweep's state: %w", err)
	}
	sw.Cursor, sw.SweptAt = sw.Cursor.UTC(), sw.SweptAt.UTC()
	return sw, true, nil
}

// RecordSweep records a sweep. The cursor never goes back: two workers
// sweeping at once leave the later cursor.
func (s *Store) RecordSweep(ctx context.Context, sw Sweep) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO chorus_sweep (one, cursor_at, swept_at, pages, found) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (one) DO UPDATE SET
			cursor_at = CASE WHEN excluded.cursor_at > chorus_sweep.cursor_at THEN excluded.cursor_at ELSE chorus_sweep.cursor_at END,
			swept_at = excluded.swept_at, pages = excluded.pages, found = excluded.found`),
		sw.Cursor.UTC(), sw.SweptAt.UTC(), sw.Pages, sw.Found)
	if err != nil {
		return fmt.Errorf("record the sweep: %w", err)
	}
	return nil
}

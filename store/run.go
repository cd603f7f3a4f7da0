package store

import (
	"context"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
)

// Run is a billing run: one pass over the establishments for a year and a kind.
type Run struct {
	ID         int64      `db:"id"`
	Year       int        `db:"year"`
	Kind       string     `db:"kind"`
	State      string     `db:"state"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Enqueued   int        `db:"enqueued"`
	Issued     int        `db:"issued"`
	Free       int        `db:"free"`
	NothingDue int        `db:"nothing_due"`
	Failed     int        `db:"failed"`
}

// StartRun records the start of a billing run.
func (s *Store) StartRun(ctx context.Context, year int, kind invoice.Kind) (Run, error) {
	var id int64
	if err := s.db.GetContext(ctx, &id, s.rebind(`INSERT INTO billing_runs (year, kind, state, started_at) VALUES (?, ?, 'running', ?) RETURNING id`),
		year, string(kind), s.timestamp()); err != nil {
		return Run{}, fmt.Errorf("start %s run %d: %w", kind, year, err)
	}
	return s.RunByID(ctx, id)
}

// RunByID reads a billing run.
func (s *Store) RunByID(ctx context.Context, id int64) (Run, error) {
	var r Run
	if err := s.db.GetContext(ctx, &r, s.rebind(`SELECT id, year, kind, state, started_at, finished_at, enqueued, issued, free, nothing_due, failed
		FROM billing_runs WHERE id = ?`), id); err != nil {
		return r, fmt.Errorf("read run #%d: %w", id, err)
	}
	return r, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
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
	IssueDate  *time.Time `db:"issue_date"`
}

// Run states.
const (
	RunRunning  = "running"
	RunFinished = "finished"
)

// StartRun records a billing run for a year and kind, or returns the one
// already recorded (there is one run per year and kind): starting twice is
// harmless.
func (s *Store) StartRun(ctx context.Context, year int, kind invoice.Kind, issueDate time.Time) (run Run, created bool, err error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO billing_runs (year, kind, state, started_at, issue_date) VALUES (?, ?, 'running', ?, ?)
		ON CONFLICT (year, kind) DO NOTHING`), year, string(kind), s.timestamp(), nullDate(issueDate))
	if err != nil {
		return Run{}, false, fmt.Errorf("start %s run %d: %w", kind, year, err)
	}
	n, _ := res.RowsAffected()
	var id int64
	if err := s.db.GetContext(ctx, &id, s.rebind(`SELECT id FROM billing_runs WHERE year = ? AND kind = ?`), year, string(kind)); err != nil {
		return Run{}, false, fmt.Errorf("start %s run %d: %w", kind, year, err)
	}
	run, err = s.RunByID(ctx, id)
	return run, n == 1, err
}

// RunFor reads the run of a year and kind.
func (s *Store) RunFor(ctx context.Context, year int, kind invoice.Kind) (Run, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, s.rebind(`SELECT id FROM billing_runs WHERE year = ? AND kind = ?`), year, string(kind))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("%s run %d: %w", kind, year, ErrNotFound)
	}
	if err != nil {
		return Run{}, err
	}
	return s.RunByID(ctx, id)
}

// Runs lists the runs, newest first.
func (s *Store) Runs(ctx context.Context) ([]Run, error) {
	var out []Run
	err := s.db.SelectContext(ctx, &out, `SELECT id, year, kind, state, started_at, finished_at, enqueued, issued, free, nothing_due, failed, issue_date
		FROM billing_runs ORDER BY year DESC, kind, id DESC`)
	return out, err
}

// SetRunEnqueued records how many establishments a run handed to the queue.
func (s *Store) SetRunEnqueued(ctx context.Context, id int64, n int) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE billing_runs SET enqueued = ? WHERE id = ?`), n, id)
	return err
}

// FinishRun marks a run finished (every establishment has an outcome).
func (s *Store) FinishRun(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE billing_runs SET state = 'finished', finished_at = ? WHERE id = ? AND state <> 'finished'`), s.timestamp(), id)
	return err
}

// RecordRunItem records what a run did for one establishment; recording it
// again (a repeated task) overwrites it, so counts stay exact.
func (s *Store) RecordRunItem(ctx context.Context, runID, establishmentID int64, outcome string, invoiceID *int64, detail string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO run_items (run_id, establishment_id, outcome, invoice_id, detail, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, establishment_id)
		DO UPDATE SET outcome = excluded.outcome, invoice_id = excluded.invoice_id, detail = excluded.detail, updated_at = excluded.updated_at`),
		runID, establishmentID, outcome, invoiceID, detail, s.timestamp())
	if err != nil {
		return fmt.Errorf("record run %d item %d: %w", runID, establishmentID, err)
	}
	return nil
}

// RunSummary counts a run's establishments by outcome and its invoices by
// state, with the amounts invoiced and collected.
type RunSummary struct {
	Run      Run
	Items    int
	Outcomes map[string]int
	States   map[string]int
	// Invoiced is the total TTC of the run's invoices less its credit notes
	// (a cancelled invoice counts, against the credit note cancelling it).
	Invoiced decimal.Decimal
	// Collected is what was received against them.
	Collected decimal.Decimal
}

// Working counts the run's invoices the pipeline still has to act on
// (invoice.WorkingStates): a run is settled when it has none.
func (r RunSummary) Working() int {
	n := 0
	for _, st := range invoice.WorkingStates() {
		n += r.States[string(st)]
	}
	return n
}

// Summary counts a run's progress from the books.
func (s *Store) Summary(ctx context.Context, runID int64) (RunSummary, error) {
	run, err := s.RunByID(ctx, runID)
	if err != nil {
		return RunSummary{}, err
	}
	sum := RunSummary{Run: run, Outcomes: map[string]int{}, States: map[string]int{}}
	var rows []struct {
		Key string `db:"k"`
		N   int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT outcome AS k, COUNT(*) AS n FROM run_items WHERE run_id = ? GROUP BY outcome`), runID); err != nil {
		return sum, fmt.Errorf("summary of run %d: %w", runID, err)
	}
	for _, r := range rows {
		sum.Outcomes[r.Key] = r.N
		sum.Items += r.N
	}
	rows = nil
	if err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT state AS k, COUNT(*) AS n FROM invoices WHERE run_id = ? GROUP BY state`), runID); err != nil {
		return sum, fmt.Errorf("summary of run %d: %w", runID, err)
	}
	for _, r := range rows {
		sum.States[r.Key] = r.N
	}
	var money struct {
		Invoiced  *int64 `db:"invoiced"`
		Collected *int64 `db:"collected"`
	}
	if err := s.db.GetContext(ctx, &money, s.rebind(`SELECT
		(SELECT SUM(CASE WHEN kind = '`+string(invoice.KindCreditNote)+`' THEN -total_ttc_cents ELSE total_ttc_cents END) FROM invoices WHERE run_id = ?) AS invoiced,
		(SELECT SUM(p.amount_cents) FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE i.run_id = ?) AS collected`), runID, runID); err != nil {
		return sum, fmt.Errorf("summary of run %d: %w", runID, err)
	}
	if money.Invoiced != nil {
		sum.Invoiced = fromCents(*money.Invoiced)
	}
	if money.Collected != nil {
		sum.Collected = fromCents(*money.Collected)
	}
	return sum, nil
}

// RunGaps counts what asking for a run again would bill: establishments
// it has no outcome for (added since, or never reached) and those it
// failed for (a headcount missing, say), to be tried again.
type RunGaps struct {
	Missing, Failed int
}

// Gaps counts a run's gaps (see RunGaps).
func (s *Store) Gaps(ctx context.Context, runID int64) (RunGaps, error) {
	var g RunGaps
	err := s.db.GetContext(ctx, &g.Missing, s.rebind(`SELECT COUNT(*) FROM establishments e
		WHERE NOT EXISTS (SELECT 1 FROM run_items r WHERE r.run_id = ? AND r.establishment_id = e.id)`), runID)
	if err == nil {
		err = s.db.GetContext(ctx, &g.Failed, s.rebind(`SELECT COUNT(*) FROM run_items WHERE run_id = ? AND outcome = ?`), runID, RunItemFailed)
	}
	if err != nil {
		return g, fmt.Errorf("gaps of run %d: %w", runID, err)
	}
	return g, nil
}

// Outcomes of an establishment a run billed nothing for: it failed (its
// cause named in the item's detail), it is free, or nothing is due.
const (
	RunItemFailed     = "failed"
	RunItemFree       = "free"
	RunItemNothingDue = "nothing_due"
)

// ReopenRun forgets a run's outcomes that billed nothing — failed, free,
// nothing due — so that they are computed again from today's facts as
// gaps (a cause fixed, a headcount corrected upwards, a convention signed
// late), and marks the run running if it had finished; it returns how many
// failed outcomes it forgot. (Establishments already invoiced are checked
// by the corrections instead.)
func (s *Store) ReopenRun(ctx context.Context, runID int64) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &n, s.rebind(`SELECT COUNT(*) FROM run_items WHERE run_id = ? AND outcome = ?`), runID, RunItemFailed); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM run_items WHERE run_id = ? AND outcome IN (?, ?, ?)`),
			runID, RunItemFailed, RunItemFree, RunItemNothingDue); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.rebind(`UPDATE billing_runs SET state = 'running', finished_at = NULL WHERE id = ? AND state = 'finished'`), runID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reopen run %d: %w", runID, err)
	}
	return n, nil
}

// MissingRunItems streams the establishments a run has no outcome for yet.
func (s *Store) MissingRunItems(ctx context.Context, runID int64, fn func(establishmentID int64) error) error {
	rows, err := s.db.QueryxContext(ctx, s.rebind(`SELECT e.id FROM establishments e
		WHERE NOT EXISTS (SELECT 1 FROM run_items r WHERE r.run_id = ? AND r.establishment_id = e.id) ORDER BY e.id`), runID)
	if err != nil {
		return fmt.Errorf("establishments missing from run %d: %w", runID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RunByID reads a billing run.
func (s *Store) RunByID(ctx context.Context, id int64) (Run, error) {
	var r Run
	if err := s.db.GetContext(ctx, &r, s.rebind(`SELECT id, year, kind, state, started_at, finished_at, enqueued, issued, free, nothing_due, failed, issue_date
		FROM billing_runs WHERE id = ?`), id); err != nil {
		return r, fmt.Errorf("read run #%d: %w", id, err)
	}
	return r, nil
}

// RunLastActivity is when a run last recorded an outcome (or started).
func (s *Store) RunLastActivity(ctx context.Context, runID int64) (time.Time, error) {
	run, err := s.RunByID(ctx, runID)
	if err != nil {
		return time.Time{}, err
	}
	// ORDER BY … LIMIT 1 rather than MAX(): SQLite's MAX loses the
	// column's timestamp type and answers a string.
	var items []time.Time
	if err := s.db.SelectContext(ctx, &items, s.rebind(`SELECT updated_at FROM run_items WHERE run_id = ? ORDER BY updated_at DESC LIMIT 1`), runID); err != nil {
		return time.Time{}, fmt.Errorf("activity of run %d: %w", runID, err)
	}
	if len(items) == 1 && items[0].After(run.StartedAt) {
		return items[0].UTC(), nil
	}
	return run.StartedAt.UTC(), nil
}

// RunItem is what a run did for one establishment, for RecordRunItems.
type RunItem struct {
	EstablishmentID int64
	Outcome         string
	InvoiceID       *int64
	Detail          string
}

// RecordRunItems records several outcomes of a run at once; as
// RecordRunItem, recording one again overwrites it.
func (s *Store) RecordRunItems(ctx context.Context, runID int64, items []RunItem) error {
	if len(items) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		b := s.newBatcher(tx, `INSERT INTO run_items (run_id, establishment_id, outcome, invoice_id, detail, updated_at)`,
			`ON CONFLICT (run_id, establishment_id) DO UPDATE SET outcome = excluded.outcome, invoice_id = excluded.invoice_id,
			detail = excluded.detail, updated_at = excluded.updated_at`)
		now := s.timestamp()
		for _, it := range items {
			if err := b.add(ctx, runID, it.EstablishmentID, it.Outcome, it.InvoiceID, it.Detail, now); err != nil {
				return err
			}
		}
		return b.flush(ctx)
	})
	if err != nil {
		return fmt.Errorf("record %d items of run %d: %w", len(items), runID, err)
	}
	return nil
}

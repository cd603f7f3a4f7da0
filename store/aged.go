package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// The aged balance (balance âgée): what each buyer still owes on a day,
// split by how late it is. It sums exactly what the overview calls
// outstanding (outstandingSQL), so that its grand total is the overview's;
// its late buckets sum exactly what the overview calls overdue
// (overdueSQL). The one difference between the two is the invoices
// outstanding but not open — rejected ones, whose payment period runs
// again only once deposited again or replaced: they are neither due nor
// late, and have their own column rather than being aged by a due date
// that no longer holds.

// AgedAmounts are the amounts of the aged balance's columns.
type AgedAmounts struct {
	// NotDue is due on or after the day (non échu).
	NotDue decimal.Decimal
	// Late30, Late60, Late90 and Over90 are past due by 1–30, 31–60,
	// 61–90 and more than 90 days.
	Late30, Late60, Late90, Over90 decimal.Decimal
	// Rejected is owed on invoices whose payment period does not run
	// (invoice.OpenStates excludes them): not aged.
	Rejected decimal.Decimal
	// Total is the sum of the columns: what remains due.
	Total decimal.Decimal
}

// Overdue is what is past due: the late buckets, as the overview's
// Overdue counts it.
func (a AgedAmounts) Overdue() decimal.Decimal {
	return a.Late30.Add(a.Late60).Add(a.Late90).Add(a.Over90)
}

// AgedRow is one buyer of the aged balance.
type AgedRow struct {
	SIRET, Name string
	AgedAmounts
}

// AgedFilter selects and orders the aged balance.
type AgedFilter struct {
	// Day is the civil day the lateness is reckoned on.
	Day time.Time
	// Sort is name, total or over90; a leading "-" sorts descending.
	// Default: name.
	Sort string
	// Limit and Offset select a page of AgedBalance (Limit defaults to
	// DefaultPageSize and is at most MaxPageSize).
	Limit, Offset int
}

// AgedPage is a page of the aged balance with the count and totals of
// every buyer with something outstanding.
type AgedPage struct {
	Rows []AgedRow
	// Count is the number of buyers; Totals the grand totals of them all.
	Count  int
	Totals AgedAmounts
	// Offset and Limit are the page's, as applied.
	Offset, Limit int
}

// agedSums are the columns AgedFilter.Sort orders by, besides the name.
var agedSums = map[string]string{
	"total":  "a.total_cents",
	"over90": "a.over90_cents",
}

// agedBuckets are the sums of the aged balance's columns over invoices i
// with settlementJoins, with their arguments. The bucket boundaries are
// dates computed here, compared with due_date: no date arithmetic in SQL,
// which the two engines spell differently. Days late is day − due_date, so
// that due_date < day is late, as overdueSQL has it.
func agedBuckets(day time.Time) (string, []any) {
	d := dayArg(day)
	d30, d60, d90 := d.AddDate(0, 0, -30), d.AddDate(0, 0, -60), d.AddDate(0, 0, -90)
	open := "i.state IN (" + sqlList(invoice.OpenStates()) + ")"
	sum := func(cond, alias string) string {
		return "SUM(CASE WHEN " + cond + " THEN " + dueSQL + " ELSE 0 END) AS " + alias
	}
	cols := []string{
		sum(open+" AND i.due_date >= ?", "not_due_cents"),
		sum(open+" AND i.due_date < ? AND i.due_date >= ?", "late30_cents"),
		sum(open+" AND i.due_date < ? AND i.due_date >= ?", "late60_cents"),
		sum(open+" AND i.due_date < ? AND i.due_date >= ?", "late90_cents"),
		sum(open+" AND i.due_date < ?", "over90_cents"),
		sum("NOT "+open, "rejected_cents"),
		"SUM(" + dueSQL + ") AS total_cents",
	}
	return strings.Join(cols, ",\n\t\t"), []any{d, d, d30, d30, d60, d60, d90, d90}
}

// agedFrom is the outstanding invoices.
func agedFrom() string {
	return ` FROM invoices i ` + settlementJoins + `
		WHERE ` + billedSQL() + ` AND ` + outstandingSQL()
}

// agedRowDB is a row of sums as read; the sums are NULL over no invoice.
type agedRowDB struct {
	SIRET    string `db:"siret"`
	Name     string `db:"name"`
	NotDue   *int64 `db:"not_due_cents"`
	Late30   *int64 `db:"late30_cents"`
	Late60   *int64 `db:"late60_cents"`
	Late90   *int64 `db:"late90_cents"`
	Over90   *int64 `db:"over90_cents"`
	Rejected *int64 `db:"rejected_cents"`
	Total    *int64 `db:"total_cents"`
}

func (r agedRowDB) amounts() AgedAmounts {
	cents := func(p *int64) decimal.Decimal {
		if p == nil {
			return decimal.Zero
		}
		return fromCents(*p)
	}
	return AgedAmounts{NotDue: cents(r.NotDue), Late30: cents(r.Late30), Late60: cents(r.Late60), Late90: cents(r.Late90),
		Over90: cents(r.Over90), Rejected: cents(r.Rejected), Total: cents(r.Total)}
}

func (f AgedFilter) order() string {
	key, desc := strings.CutPrefix(f.Sort, "-")
	dir := ""
	if desc {
		dir = " DESC"
	}
	// The SIRET breaks ties (two buyers of one name, equal sums), so that
	// pages never overlap.
	if col, ok := agedSums[key]; ok {
		// Equal sums by name as stored: folding every name costs as much
		// as the sums themselves.
		return " ORDER BY " + col + dir + ", e.name, e.siret"
	}
	if key != "name" {
		dir = ""
	}
	// Names sort as searches compare them (« École » among the E), on
	// both engines alike.
	return " ORDER BY " + foldSQL("e.name") + dir + ", e.siret" + dir
}

// query sums each buyer's invoices, then names the buyers: grouping by
// the invoices' one integer column before the join is twice as fast as
// grouping by the buyer's SIRET and name.
func (f AgedFilter) query() (string, []any) {
	cols, args := agedBuckets(f.Day)
	return `SELECT e.siret AS siret, e.name AS name, a.not_due_cents, a.late30_cents, a.late60_cents, a.late90_cents,
		a.over90_cents, a.rejected_cents, a.total_cents
		FROM (SELECT i.establishment_id, ` + cols + agedFrom() + `
			GROUP BY i.establishment_id) a
		JOIN establishments e ON e.id = a.establishment_id` + f.order(), args
}

// AgedTotals counts the buyers with something outstanding on f.Day and
// sums the aged balance's columns over them all.
func (s *Store) AgedTotals(ctx context.Context, f AgedFilter) (count int, totals AgedAmounts, err error) {
	cols, args := agedBuckets(f.Day)
	var row struct {
		N int `db:"n"`
		agedRowDB
	}
	if err := s.db.GetContext(ctx, &row, s.rebind(`SELECT COUNT(DISTINCT i.establishment_id) AS n,
		`+cols+agedFrom()), args...); err != nil {
		return 0, AgedAmounts{}, fmt.Errorf("aged balance totals on %s: %w", f.Day.Format(time.DateOnly), err)
	}
	return row.N, row.amounts(), nil
}

// AgedBalance reads one page of the aged balance on f.Day: the buyers with
// something outstanding, each with its amounts by lateness, and the count
// and grand totals of them all.
func (s *Store) AgedBalance(ctx context.Context, f AgedFilter) (AgedPage, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	f.Limit = min(f.Limit, MaxPageSize)
	f.Offset = max(f.Offset, 0)
	count, totals, err := s.AgedTotals(ctx, f)
	if err != nil {
		return AgedPage{}, err
	}
	page := AgedPage{Count: count, Totals: totals, Offset: f.Offset, Limit: f.Limit}
	if count == 0 || f.Offset >= count {
		return page, nil
	}
	q, args := f.query()
	var rows []agedRowDB
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q+fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, f.Offset)), args...); err != nil {
		return AgedPage{}, fmt.Errorf("aged balance on %s: %w", f.Day.Format(time.DateOnly), err)
	}
	page.Rows = make([]AgedRow, len(rows))
	for i, r := range rows {
		page.Rows[i] = AgedRow{SIRET: r.SIRET, Name: r.Name, AgedAmounts: r.amounts()}
	}
	return page, nil
}

// EachAged calls fn with every buyer of the aged balance on f.Day, in its
// order, without a limit (the export); fn must not use the store, whose
// connection the rows hold. It stops at fn's first error.
func (s *Store) EachAged(ctx context.Context, f AgedFilter, fn func(AgedRow) error) error {
	q, args := f.query()
	rows, err := s.db.QueryxContext(ctx, s.rebind(q), args...)
	if err != nil {
		return fmt.Errorf("aged balance on %s: %w", f.Day.Format(time.DateOnly), err)
	}
	defer rows.Close()
	for rows.Next() {
		var r agedRowDB
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("aged balance on %s: %w", f.Day.Format(time.DateOnly), err)
		}
		if err := fn(AgedRow{SIRET: r.SIRET, Name: r.Name, AgedAmounts: r.amounts()}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("aged balance on %s: %w", f.Day.Format(time.DateOnly), err)
	}
	return nil
}

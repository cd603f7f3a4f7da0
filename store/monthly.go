package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// What was invoiced and collected month by month, for the overview's
// chart. The months' boundaries are dates computed here and compared
// with the DATE columns: no date functions in SQL, which the two engines
// spell differently.

// MonthTotals are one month's amounts, TTC.
type MonthTotals struct {
	// Month is the month's first day.
	Month time.Time
	// Invoiced sums the invoices issued that month, less the credit notes
	// that reduce them, as Money counts them (billedSQL).
	Invoiced decimal.Decimal
	// Collected sums the payments received that month on those invoices.
	Collected decimal.Decimal
}

// Monthly sums what was invoiced and collected in each of the n months
// ending with day's month, oldest first; a month with nothing is zero.
func (s *Store) Monthly(ctx context.Context, day time.Time, n int) ([]MonthTotals, error) {
	if n <= 0 {
		return nil, nil
	}
	d := dayArg(day)
	last := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	bounds := make([]time.Time, n+1) // bounds[i] starts month i; bounds[n] ends the last
	for i := range bounds {
		bounds[i] = last.AddDate(0, i-n+1, 0)
	}
	out := make([]MonthTotals, n)
	for i := range out {
		out[i] = MonthTotals{Month: bounds[i], Invoiced: decimal.Zero, Collected: decimal.Zero}
	}
	invoiced, err := s.monthSums(ctx, "i.issue_date", "i.total_ttc_cents - COALESCE(c.credited, 0)", `FROM invoices i `+settlementJoins, bounds)
	if err != nil {
		return nil, fmt.Errorf("invoiced by month: %w", err)
	}
	collected, err := s.monthSums(ctx, "pay.paid_on", "pay.amount_cents", `FROM payments pay JOIN invoices i ON i.id = pay.invoice_id`, bounds)
	if err != nil {
		return nil, fmt.Errorf("collected by month: %w", err)
	}
	for m, cents := range invoiced {
		out[m].Invoiced = fromCents(cents)
	}
	for m, cents := range collected {
		out[m].Collected = fromCents(cents)
	}
	return out, nil
}

// monthSums sums amount over from's rows of billedSQL's invoices, by the
// month of bounds that column falls in: month index → cents.
func (s *Store) monthSums(ctx context.Context, column, amount, from string, bounds []time.Time) (map[int]int64, error) {
	var (
		month strings.Builder
		args  []any
	)
	// The rows are within bounds (WHERE): a row before month i's end is
	// in month i.
	for i := 1; i < len(bounds)-1; i++ {
		month.WriteString(" WHEN " + column + " < ? THEN " + strconv.Itoa(i-1))
		args = append(args, bounds[i])
	}
	m := strconv.Itoa(len(bounds) - 2)
	if month.Len() > 0 {
		m = "CASE" + month.String() + " ELSE " + m + " END"
	}
	args = append(args, bounds[0], bounds[len(bounds)-1])
	var rows []struct {
		Month int   `db:"m"`
		Cents int64 `db:"cents"`
	}
	q := `SELECT m, SUM(amount) AS cents FROM (SELECT ` + m + ` AS m, ` + amount + ` AS amount
		` + from + `
		WHERE ` + billedSQL() + ` AND ` + column + ` >= ? AND ` + column + ` < ?) x GROUP BY m`
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, err
	}
	out := make(map[int]int64, len(rows))
	for _, r := range rows {
		out[r.Month] = r.Cents
	}
	return out, nil
}

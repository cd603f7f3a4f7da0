package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// The finance team's work lists: invoices with their buyer and what was paid.

// WorkFilter selects the rows of a work list.
type WorkFilter struct {
	States []invoice.State
	// ChorusStatuses, when set, keeps only invoices with one of them.
	ChorusStatuses []string
	// OverdueOn keeps the invoices overdue on that day (invoice.Overdue),
	// as the overview's overdue totals count them.
	OverdueOn time.Time
	Year      int
	// Query matches the number, the SIRET or the name (case-insensitive).
	Query string
	// Sort is one of number, date, due, amount, name, state; a leading
	// "-" sorts descending. Default: number.
	Sort  string
	Limit int
}

// WorkRow is an invoice of a work list with its buyer and what was paid.
type WorkRow struct {
	Invoice
	EstablishmentName string
	SIRET             string
	Paid              decimal.Decimal
	// Credited is what credit notes for a difference took off the invoice
	// (corrections), without cancelling it.
	Credited decimal.Decimal
}

// Due is what remains due: the total less what was credited and paid.
func (r WorkRow) Due() decimal.Decimal { return r.TotalTTC.Sub(r.Credited).Sub(r.Paid) }

var workSorts = map[string]string{
	"number": "i.series, i.seq",
	"date":   "i.issue_date, i.series, i.seq",
	"due":    "i.due_date, i.series, i.seq",
	"amount": "i.total_ttc_cents, i.series, i.seq",
	"name":   "e.name, i.series, i.seq",
	"state":  "i.state, i.chorus_status, i.series, i.seq",
}

// WorkList lists invoices for the finance team's work lists.
func (s *Store) WorkList(ctx context.Context, f WorkFilter) ([]WorkRow, error) {
	var (
		where []string
		args  []any
	)
	if len(f.States) > 0 {
		where = append(where, "i.state IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if len(f.ChorusStatuses) > 0 {
		where = append(where, "i.chorus_status IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.ChorusStatuses)), ", ")+")")
		for _, st := range f.ChorusStatuses {
			args = append(args, st)
		}
	}
	if !f.OverdueOn.IsZero() {
		where = append(where, overdueSQL())
		args = append(args, dayArg(f.OverdueOn))
	}
	if f.Year != 0 {
		where, args = append(where, "i.year = ?"), append(args, f.Year)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + escapeLike(strings.ToLower(q)) + "%"
		where = append(where, `(LOWER(i.number) LIKE ? ESCAPE '\' OR e.siret LIKE ? ESCAPE '\' OR LOWER(e.name) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	sortKey, desc := strings.CutPrefix(f.Sort, "-")
	order, ok := workSorts[sortKey]
	if !ok {
		order = workSorts["number"]
	}
	if desc {
		parts := strings.Split(order, ", ")
		for i := range parts {
			parts[i] += " DESC"
		}
		order = strings.Join(parts, ", ")
	}
	q := `SELECT ` + prefixed("i.", invoiceColumns) + `, e.name AS est_name, e.siret AS est_siret, COALESCE(p.paid, 0) AS paid_cents,
		COALESCE(c.credited, 0) AS credited_cents
		FROM invoices i JOIN establishments e ON e.id = i.establishment_id
		` + settlementJoins
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + order
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	q += fmt.Sprintf(" LIMIT %d", limit)
	var rows []struct {
		invoiceRow
		Name     string `db:"est_name"`
		SIRET    string `db:"est_siret"`
		Paid     int64  `db:"paid_cents"`
		Credited int64  `db:"credited_cents"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("work list: %w", err)
	}
	out := make([]WorkRow, len(rows))
	for i, r := range rows {
		out[i] = WorkRow{Invoice: r.invoiceRow.invoice(), EstablishmentName: r.Name, SIRET: r.SIRET, Paid: fromCents(r.Paid), Credited: fromCents(r.Credited)}
	}
	return out, nil
}

// prefixed qualifies a comma-separated column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

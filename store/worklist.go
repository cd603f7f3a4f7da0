package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// The register of invoices and the finance team's work lists: invoices
// with their buyer and what settles them, filtered, sorted, and read a
// page at a time with the count and totals of everything the filter
// selects — never silently cut.

// WorkFilter selects the rows of the register or of a work list. Zero
// fields select everything.
type WorkFilter struct {
	States []invoice.State
	Kinds  []invoice.Kind
	// Channel keeps the invoices sent that way ("chorus" or "postal").
	Channel string
	// ChorusStatuses, when set, keeps only invoices with one of them.
	ChorusStatuses []string
	// OverdueOn keeps the invoices overdue on that day (invoice.Overdue),
	// as the overview's overdue totals count them.
	OverdueOn time.Time
	Year      int
	// SIRET keeps one buyer's invoices.
	SIRET string
	// MinTTC and MaxTTC bound the invoice's total, inclusive.
	MinTTC, MaxTTC *decimal.Decimal
	// IssuedFrom and IssuedTo bound the issue date, inclusive.
	IssuedFrom, IssuedTo time.Time
	// NotAudited keeps the invoices with no audit event of that action
	// (the postal invoices not yet marked mailed).
	NotAudited string
	// RemindersDueOn, with ReminderSteps, keeps the invoices with a
	// reminder step due that day (invoice.ReminderSteps.Due): overdue,
	// reminders not paused, the latest step come not sent nor any after.
	RemindersDueOn time.Time
	ReminderSteps  invoice.ReminderSteps
	// IDs, when set, keeps only those invoices (a print batch).
	IDs []int64
	// Query matches the number, the SIRET or the name, ignoring case and
	// accents (fold).
	Query string
	// Sort is one of number, date, due, amount, name, state; a leading
	// "-" sorts descending. Default: number.
	Sort string
	// Limit and Offset select a page of WorkPage (Limit defaults to
	// DefaultPageSize and is at most MaxPageSize).
	Limit, Offset int
}

// Page sizes of WorkPage.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

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

// WorkTotals are the count and sums of every invoice a filter selects.
type WorkTotals struct {
	Count int
	// TotalTTC sums the invoices' totals; Due what remains due on them.
	TotalTTC, Due decimal.Decimal
}

// WorkPage is one page of a filter's invoices with the totals of all.
type WorkPage struct {
	Rows []WorkRow
	WorkTotals
	// Offset and Limit are the page's, as applied.
	Offset, Limit int
}

var workSorts = map[string]string{
	"number": "i.series, i.seq",
	"date":   "i.issue_date, i.series, i.seq",
	"due":    "i.due_date, i.series, i.seq",
	"amount": "i.total_ttc_cents, i.series, i.seq",
	"name":   "e.name, i.series, i.seq",
	"state":  "i.state, i.chorus_status, i.series, i.seq",
}

// WorkSorts are the sort keys WorkFilter.Sort accepts.
func WorkSorts() []string { return []string{"number", "date", "due", "amount", "name", "state"} }

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// where is the filter's condition over invoices i joined with
// establishments e and settlementJoins, with its arguments.
func (f WorkFilter) where() (string, []any) {
	var (
		conds []string
		args  []any
	)
	if len(f.States) > 0 {
		conds = append(conds, "i.state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if len(f.Kinds) > 0 {
		conds = append(conds, "i.kind IN ("+placeholders(len(f.Kinds))+")")
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	if f.Channel != "" {
		conds, args = append(conds, "i.channel = ?"), append(args, f.Channel)
	}
	if len(f.ChorusStatuses) > 0 {
		conds = append(conds, "i.chorus_status IN ("+placeholders(len(f.ChorusStatuses))+")")
		for _, st := range f.ChorusStatuses {
			args = append(args, st)
		}
	}
	if !f.OverdueOn.IsZero() {
		conds, args = append(conds, overdueSQL()), append(args, dayArg(f.OverdueOn))
	}
	if f.Year != 0 {
		conds, args = append(conds, "i.year = ?"), append(args, f.Year)
	}
	if f.SIRET != "" {
		conds, args = append(conds, "e.siret = ?"), append(args, f.SIRET)
	}
	if f.MinTTC != nil {
		conds, args = append(conds, "i.total_ttc_cents >= ?"), append(args, f.MinTTC.Shift(2).Ceil().IntPart())
	}
	if f.MaxTTC != nil {
		conds, args = append(conds, "i.total_ttc_cents <= ?"), append(args, f.MaxTTC.Shift(2).Floor().IntPart())
	}
	if !f.IssuedFrom.IsZero() {
		conds, args = append(conds, "i.issue_date >= ?"), append(args, dayArg(f.IssuedFrom))
	}
	if !f.IssuedTo.IsZero() {
		conds, args = append(conds, "i.issue_date <= ?"), append(args, dayArg(f.IssuedTo))
	}
	if f.NotAudited != "" {
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.entity = 'invoice' AND a.entity_id = i.id AND a.action = ?)")
		args = append(args, f.NotAudited)
	}
	if !f.RemindersDueOn.IsZero() {
		cond, a := remindersDueSQL(f.RemindersDueOn, f.ReminderSteps)
		conds, args = append(conds, cond), append(args, a...)
	}
	if len(f.IDs) > 0 {
		conds = append(conds, "i.id IN ("+placeholders(len(f.IDs))+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := foldLike(q)
		conds = append(conds, `(LOWER(i.number) LIKE ? ESCAPE '\' OR e.siret LIKE ? ESCAPE '\' OR `+foldSQL("e.name")+` LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (f WorkFilter) order() string {
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
	return " ORDER BY " + order
}

var workFrom = ` FROM invoices i JOIN establishments e ON e.id = i.establishment_id
		` + settlementJoins

type workRowDB struct {
	invoiceRow
	Name     string `db:"est_name"`
	SIRET    string `db:"est_siret"`
	Paid     int64  `db:"paid_cents"`
	Credited int64  `db:"credited_cents"`
}

func (r workRowDB) row() WorkRow {
	return WorkRow{Invoice: r.invoiceRow.invoice(), EstablishmentName: r.Name, SIRET: r.SIRET, Paid: fromCents(r.Paid), Credited: fromCents(r.Credited)}
}

func workSelect() string {
	return `SELECT ` + prefixed("i.", invoiceColumns) + `, e.name AS est_name, e.siret AS est_siret, COALESCE(p.paid, 0) AS paid_cents,
		COALESCE(c.credited, 0) AS credited_cents` + workFrom
}

// WorkCount counts and sums every invoice the filter selects (its Sort,
// Limit and Offset are ignored).
func (s *Store) WorkCount(ctx context.Context, f WorkFilter) (WorkTotals, error) {
	where, args := f.where()
	var row struct {
		N   int    `db:"n"`
		TTC *int64 `db:"ttc"`
		Due *int64 `db:"due"`
	}
	if err := s.db.GetContext(ctx, &row, s.rebind(`SELECT COUNT(*) AS n, SUM(i.total_ttc_cents) AS ttc, SUM(`+dueSQL+`) AS due`+workFrom+where), args...); err != nil {
		return WorkTotals{}, fmt.Errorf("count work list: %w", err)
	}
	t := WorkTotals{Count: row.N, TotalTTC: decimal.Zero, Due: decimal.Zero}
	if row.TTC != nil {
		t.TotalTTC = fromCents(*row.TTC)
	}
	if row.Due != nil {
		t.Due = fromCents(*row.Due)
	}
	return t, nil
}

// WorkPage reads one page of the invoices the filter selects, with the
// count and totals of them all.
func (s *Store) WorkPage(ctx context.Context, f WorkFilter) (WorkPage, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	f.Limit = min(f.Limit, MaxPageSize)
	f.Offset = max(f.Offset, 0)
	totals, err := s.WorkCount(ctx, f)
	if err != nil {
		return WorkPage{}, err
	}
	page := WorkPage{WorkTotals: totals, Offset: f.Offset, Limit: f.Limit}
	if totals.Count == 0 || f.Offset >= totals.Count {
		return page, nil
	}
	where, args := f.where()
	q := workSelect() + where + f.order() + fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, f.Offset)
	var rows []workRowDB
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return WorkPage{}, fmt.Errorf("work list: %w", err)
	}
	page.Rows = make([]WorkRow, len(rows))
	for i, r := range rows {
		page.Rows[i] = r.row()
	}
	return page, nil
}

// EachWork calls fn with every invoice the filter selects, in its order,
// without a limit (exports, print batches); fn must not use the store,
// whose connection the rows hold. It stops at fn's first error.
func (s *Store) EachWork(ctx context.Context, f WorkFilter, fn func(WorkRow) error) error {
	where, args := f.where()
	rows, err := s.db.QueryxContext(ctx, s.rebind(workSelect()+where+f.order()), args...)
	if err != nil {
		return fmt.Errorf("work list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r workRowDB
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("work list: %w", err)
		}
		if err := fn(r.row()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("work list: %w", err)
	}
	return nil
}

// WorkList reads every invoice the filter selects (Limit and Offset
// ignored): for the callers that need them all at once.
func (s *Store) WorkList(ctx context.Context, f WorkFilter) ([]WorkRow, error) {
	var out []WorkRow
	err := s.EachWork(ctx, f, func(r WorkRow) error { out = append(out, r); return nil })
	return out, err
}

// prefixed qualifies a comma-separated column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

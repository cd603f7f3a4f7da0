package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// This file holds the queries of the finance dashboard: money totals, work
// lists with their establishment, search, references and usage per year,
// and operator notes in the audit trail.

// MoneyTotals are the amounts of the books, TTC, credit notes and
// cancelled invoices aside.
type MoneyTotals struct {
	Invoiced    decimal.Decimal
	Collected   decimal.Decimal
	Outstanding decimal.Decimal
	Overdue     decimal.Decimal
	// OverdueCount is the number of invoices past due with something unpaid.
	OverdueCount int
}

// Money sums what was invoiced, collected, what remains due, and what of it
// is past due on day today.
func (s *Store) Money(ctx context.Context, today time.Time) (MoneyTotals, error) {
	var row struct {
		Invoiced     *int64 `db:"invoiced"`
		Collected    *int64 `db:"collected"`
		Outstanding  *int64 `db:"outstanding"`
		Overdue      *int64 `db:"overdue"`
		OverdueCount int    `db:"overdue_count"`
	}
	// Outstanding counts every invoice not settled, rejected ones included
	// (still owed once deposited again or replaced); overdue only the open
	// ones, as the overdue list.
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT
		SUM(i.total_ttc_cents) AS invoiced,
		SUM(COALESCE(p.paid, 0)) AS collected,
		SUM(CASE WHEN i.state NOT IN (`+sqlList(invoice.TerminalStates())+`) AND i.total_ttc_cents > COALESCE(p.paid, 0) THEN i.total_ttc_cents - COALESCE(p.paid, 0) ELSE 0 END) AS outstanding,
		SUM(CASE WHEN `+overdueSQL()+` THEN i.total_ttc_cents - COALESCE(p.paid, 0) ELSE 0 END) AS overdue,
		COUNT(CASE WHEN `+overdueSQL()+` THEN 1 END) AS overdue_count
		FROM invoices i LEFT JOIN (SELECT invoice_id, SUM(amount_cents) AS paid FROM payments GROUP BY invoice_id) p ON p.invoice_id = i.id
		WHERE i.kind IN (`+sqlList(invoice.PayableKinds())+`) AND i.`+notCancelled), dayArg(today), dayArg(today))
	if err != nil {
		return MoneyTotals{}, fmt.Errorf("money totals: %w", err)
	}
	cents := func(p *int64) decimal.Decimal {
		if p == nil {
			return decimal.Zero
		}
		return fromCents(*p)
	}
	return MoneyTotals{Invoiced: cents(row.Invoiced), Collected: cents(row.Collected), Outstanding: cents(row.Outstanding),
		Overdue: cents(row.Overdue), OverdueCount: row.OverdueCount}, nil
}

// dayArg is a civil day as the DATE columns hold it.
func dayArg(t time.Time) time.Time { return invoice.CivilDay(t) }

// InvoiceCounts counts the invoices by state.
func (s *Store) InvoiceCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT state, COUNT(*) AS n FROM invoices GROUP BY state`); err != nil {
		return nil, fmt.Errorf("count invoices: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

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
}

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
	q := `SELECT ` + prefixed("i.", invoiceColumns) + `, e.name AS est_name, e.siret AS est_siret, COALESCE(p.paid, 0) AS paid_cents
		FROM invoices i JOIN establishments e ON e.id = i.establishment_id
		LEFT JOIN (SELECT invoice_id, SUM(amount_cents) AS paid FROM payments GROUP BY invoice_id) p ON p.invoice_id = i.id`
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
		Name  string `db:"est_name"`
		SIRET string `db:"est_siret"`
		Paid  int64  `db:"paid_cents"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("work list: %w", err)
	}
	out := make([]WorkRow, len(rows))
	for i, r := range rows {
		out[i] = WorkRow{Invoice: r.invoiceRow.invoice(), EstablishmentName: r.Name, SIRET: r.SIRET, Paid: fromCents(r.Paid)}
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

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchEstablishments finds establishments by SIRET or name
// (case-insensitive substring), by name.
func (s *Store) SearchEstablishments(ctx context.Context, query string, limit int) ([]Establishment, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	like := "%" + escapeLike(strings.ToLower(q)) + "%"
	var out []Establishment
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT `+establishmentColumns+` FROM establishments e
		WHERE e.siret LIKE ? ESCAPE '\' OR LOWER(e.name) LIKE ? ESCAPE '\' ORDER BY e.name, e.siret LIMIT `+fmt.Sprint(limit)), like, like)
	if err != nil {
		return nil, fmt.Errorf("search establishments: %w", err)
	}
	return out, nil
}

// YearReferences are the references an establishment gave for one year.
type YearReferences struct {
	Year int `db:"year"`
	References
	UpdatedAt time.Time `db:"updated_at"`
}

// ReferencesByYear lists an establishment's references, latest year first.
func (s *Store) ReferencesByYear(ctx context.Context, establishmentID int64) ([]YearReferences, error) {
	var out []YearReferences
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT year, code_service, engagement, updated_at FROM buyer_references
		WHERE establishment_id = ? ORDER BY year DESC`), establishmentID)
	if err != nil {
		return nil, fmt.Errorf("references of #%d: %w", establishmentID, err)
	}
	return out, nil
}

// UsageYears lists the years an establishment has usage quantities for,
// latest first.
func (s *Store) UsageYears(ctx context.Context, establishmentID int64) ([]int, error) {
	var out []int
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT DISTINCT year FROM usage_quantities WHERE establishment_id = ? ORDER BY year DESC`), establishmentID)
	if err != nil {
		return nil, fmt.Errorf("usage years of #%d: %w", establishmentID, err)
	}
	return out, nil
}

// SetReferences records the references an establishment gave for a year
// (as an import of references would), with an audit row.
func (s *Store) SetReferences(ctx context.Context, establishmentID int64, year int, codeService, engagement, actor string) error {
	switch {
	case actor == "":
		return errors.New("set references: the actor is required for the audit trail")
	case codeService == "" && engagement == "":
		return errors.New("set references: code service and engagement are both empty")
	case utf8.RuneCountInString(codeService) > maxCodeService:
		return fmt.Errorf("code service longer than Chorus Pro's %d characters", maxCodeService)
	case utf8.RuneCountInString(engagement) > maxEngagement:
		return fmt.Errorf("engagement number longer than Chorus Pro's %d characters", maxEngagement)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO buyer_references (establishment_id, year, code_service, engagement, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (establishment_id, year)
			DO UPDATE SET code_service = excluded.code_service, engagement = excluded.engagement, updated_at = excluded.updated_at`),
			establishmentID, year, codeService, engagement, now)
		if err != nil {
			return fmt.Errorf("set references of #%d for %d: %w", establishmentID, year, err)
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "establishment", EntityID: establishmentID, Action: "references",
			Reason: fmt.Sprintf("%d : code service %q, engagement %q", year, codeService, engagement)})
	})
}

// RecordAudit appends an event that changes nothing else (an operator's
// note, "mailed on 12/03/2026"…).
func (s *Store) RecordAudit(ctx context.Context, e AuditEvent) error {
	if e.Entity == "" || e.Action == "" {
		return errors.New("record audit: entity and action are required")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return s.audit(ctx, tx, e) })
}

// LastAudit returns, per entity id, the latest event of an action on an
// entity kind (e.g. when each postal invoice was marked as mailed).
func (s *Store) LastAudit(ctx context.Context, entity, action string) (map[int64]AuditEvent, error) {
	var rows []AuditEvent
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT id, at, actor, entity, entity_id, action, from_state, to_state, reason
		FROM audit_events WHERE entity = ? AND action = ? ORDER BY id`), entity, action)
	if err != nil {
		return nil, fmt.Errorf("audit %s %s: %w", entity, action, err)
	}
	out := make(map[int64]AuditEvent, len(rows))
	for _, r := range rows {
		r.At = r.At.UTC()
		out[r.EntityID] = r
	}
	return out, nil
}

// DocumentFormats lists the formats stored for an invoice.
func (s *Store) DocumentFormats(ctx context.Context, invoiceID int64) (map[string]Document, error) {
	var rows []Document
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT id, invoice_id, format, path, sha256, size, created_at
		FROM documents WHERE invoice_id = ?`), invoiceID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("documents of #%d: %w", invoiceID, err)
	}
	out := make(map[string]Document, len(rows))
	for _, d := range rows {
		out[d.Format] = d
	}
	return out, nil
}

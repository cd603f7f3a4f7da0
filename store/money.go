package store

import (
	"context"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// The money totals of the books, for the dashboard's overview.

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
		SUM(i.total_ttc_cents - COALESCE(c.credited, 0)) AS invoiced,
		SUM(COALESCE(p.paid, 0)) AS collected,
		SUM(CASE WHEN `+outstandingSQL()+` THEN `+dueSQL+` ELSE 0 END) AS outstanding,
		SUM(CASE WHEN `+overdueSQL()+` THEN `+dueSQL+` ELSE 0 END) AS overdue,
		COUNT(CASE WHEN `+overdueSQL()+` THEN 1 END) AS overdue_count
		FROM invoices i `+settlementJoins+`
		WHERE `+billedSQL()), dayArg(today), dayArg(today))
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

// creditedSQL sums the credit notes that reduce invoice ? without
// cancelling it (see settlementJoins).
const creditedSQL = `SELECT COALESCE(SUM(total_ttc_cents), 0) FROM invoices
	WHERE original_invoice_id = ? AND kind = '` + string(invoice.KindCreditNote) + `' AND cancels_invoice_id IS NULL AND ` + notCancelled

// Credited is what credit notes for a difference took off an invoice
// without cancelling it: what is due on it is its total less this.
func (s *Store) Credited(ctx context.Context, invoiceID int64) (decimal.Decimal, error) {
	return s.credited(ctx, s.db, invoiceID)
}

func (s *Store) credited(ctx context.Context, q sqlx.QueryerContext, invoiceID int64) (decimal.Decimal, error) {
	var cents int64
	if err := sqlx.GetContext(ctx, q, &cents, s.rebind(creditedSQL), invoiceID); err != nil {
		return decimal.Zero, fmt.Errorf("credit notes of invoice #%d: %w", invoiceID, err)
	}
	return fromCents(cents), nil
}

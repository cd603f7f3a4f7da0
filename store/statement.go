package store

import (
	"context"
	"fmt"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
)

// statementRow is a usage statement row as the books store it.
type statementRow struct {
	InvoiceID int64  `db:"invoice_id"`
	Code      string `db:"code"`
	Label     string `db:"label"`
	Unit      string `db:"unit"`
	Observed  string `db:"observed"`
	Allowance string `db:"allowance"`
	Excess    string `db:"excess"`
	BlockSize string `db:"block_size"`
	Blocks    int64  `db:"blocks"`
	UnitPrice string `db:"unit_price"`
	Amount    int64  `db:"amount_cents"`
}

func statementRowOf(id int64, r invoice.StatementRow) (statementRow, error) {
	cents, err := toCents(r.Amount)
	if err != nil {
		return statementRow{}, fmt.Errorf("statement row %s: %w", r.Code, err)
	}
	u := r.Usage
	return statementRow{InvoiceID: id, Code: r.Code, Label: r.Label, Unit: r.Unit, Observed: u.Observed.String(),
		Allowance: u.Allowance.String(), Excess: u.Excess.String(), BlockSize: u.BlockSize.String(), Blocks: u.Blocks,
		UnitPrice: r.UnitPrice.String(), Amount: cents}, nil
}

func (r statementRow) row() invoice.StatementRow {
	return invoice.StatementRow{Code: r.Code, Label: r.Label, Unit: r.Unit,
		Usage: invoice.Usage{Observed: mustDecimal(r.Observed), Allowance: mustDecimal(r.Allowance), Excess: mustDecimal(r.Excess),
			BlockSize: mustDecimal(r.BlockSize), Blocks: r.Blocks},
		UnitPrice: mustDecimal(r.UnitPrice), Amount: fromCents(r.Amount)}
}

// statementAsStored gives a statement as the books will read it back.
func statementAsStored(rows []invoice.StatementRow) ([]invoice.StatementRow, error) {
	var out []invoice.StatementRow
	for _, r := range rows {
		sr, err := statementRowOf(0, r)
		if err != nil {
			return nil, err
		}
		out = append(out, sr.row())
	}
	return out, nil
}

func (s *Store) insertStatement(ctx context.Context, tx *sqlx.Tx, id int64, rows []invoice.StatementRow) error {
	b := s.newBatcher(tx, `INSERT INTO invoice_statement_rows (invoice_id, position, code, label, unit, observed, allowance,
		excess, block_size, blocks, unit_price, amount_cents)`, "")
	for i, r := range rows {
		sr, err := statementRowOf(id, r)
		if err != nil {
			return err
		}
		if err := b.add(ctx, id, i+1, sr.Code, sr.Label, sr.Unit, sr.Observed, sr.Allowance, sr.Excess,
			sr.BlockSize, sr.Blocks, sr.UnitPrice, sr.Amount); err != nil {
			return fmt.Errorf("store statement: %w", err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("store statement: %w", err)
	}
	return nil
}

func (s *Store) statement(ctx context.Context, q sqlx.QueryerContext, id int64) ([]invoice.StatementRow, error) {
	m, err := s.statementsOf(ctx, q, []int64{id})
	return m[id], err
}

// statementsOf reads the statements of several invoices, by invoice.
func (s *Store) statementsOf(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64][]invoice.StatementRow, error) {
	var rows []statementRow
	query, args, err := s.in(`SELECT invoice_id, code, label, unit, observed, allowance, excess, block_size, blocks,
		unit_price, amount_cents FROM invoice_statement_rows WHERE invoice_id IN (?) ORDER BY invoice_id, position`, ids)
	if err != nil {
		return nil, err
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("read statements of invoices %v: %w", ids[:min(len(ids), 3)], err)
	}
	out := map[int64][]invoice.StatementRow{}
	for _, r := range rows {
		out[r.InvoiceID] = append(out[r.InvoiceID], r.row())
	}
	return out, nil
}

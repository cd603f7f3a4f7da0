package store

import (
	"context"
	"fmt"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
)

func (s *Store) insertStatement(ctx context.Context, tx *sqlx.Tx, id int64, rows []invoice.StatementRow) error {
	b := s.newBatcher(tx, `INSERT INTO invoice_statement_rows (invoice_id, position, code, label, unit, observed, allowance,
		excess, block_size, blocks, unit_price, amount_cents)`, "")
	for i, r := range rows {
		cents, err := toCents(r.Amount)
		if err != nil {
			return fmt.Errorf("statement row %s: %w", r.Code, err)
		}
		u := r.Usage
		if err := b.add(ctx, id, i+1, r.Code, r.Label, r.Unit, u.Observed.String(), u.Allowance.String(), u.Excess.String(),
			u.BlockSize.String(), u.Blocks, r.UnitPrice.String(), cents); err != nil {
			return fmt.Errorf("store statement: %w", err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("store statement: %w", err)
	}
	return nil
}

func (s *Store) statement(ctx context.Context, q sqlx.QueryerContext, id int64) ([]invoice.StatementRow, error) {
	var rows []struct {
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
	if err := sqlx.SelectContext(ctx, q, &rows, s.rebind(`SELECT code, label, unit, observed, allowance, excess, block_size, blocks,
		unit_price, amount_cents FROM invoice_statement_rows WHERE invoice_id = ? ORDER BY position`), id); err != nil {
		return nil, fmt.Errorf("read statement of invoice #%d: %w", id, err)
	}
	var out []invoice.StatementRow
	for _, r := range rows {
		out = append(out, invoice.StatementRow{Code: r.Code, Label: r.Label, Unit: r.Unit,
			Usage: invoice.Usage{Observed: mustDecimal(r.Observed), Allowance: mustDecimal(r.Allowance), Excess: mustDecimal(r.Excess),
				BlockSize: mustDecimal(r.BlockSize), Blocks: r.Blocks},
			UnitPrice: mustDecimal(r.UnitPrice), Amount: fromCents(r.Amount)})
	}
	return out, nil
}

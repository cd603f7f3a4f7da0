package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
)

// The lines of invoices: how they are written and read back.

type lineRow struct {
	InvoiceID      int64   `db:"invoice_id"`
	Code           string  `db:"code"`
	Label          string  `db:"label"`
	Quantity       string  `db:"quantity"`
	Unit           string  `db:"unit"`
	UnitPrice      string  `db:"unit_price"`
	BaseQuantity   string  `db:"base_quantity"`
	Amount         int64   `db:"amount_cents"`
	VATCategory    string  `db:"vat_category"`
	VATRate        string  `db:"vat_rate"`
	VATMention     string  `db:"vat_mention"`
	UsageObserved  *string `db:"usage_observed"`
	UsageAllowance *string `db:"usage_allowance"`
	UsageExcess    *string `db:"usage_excess"`
	UsageBlock     *string `db:"usage_block"`
	UsageBlocks    *int64  `db:"usage_blocks"`
}

// lineRowOf is a line as the books store it.
func lineRowOf(id int64, l invoice.Line) (lineRow, error) {
	cents, err := toCents(l.Amount)
	if err != nil {
		return lineRow{}, err
	}
	r := lineRow{InvoiceID: id, Code: l.Code, Label: l.Label, Quantity: l.Quantity.String(), Unit: l.Unit,
		UnitPrice: l.UnitPrice.String(), BaseQuantity: l.BaseQuantity.String(), Amount: cents,
		VATCategory: string(l.VAT.Category), VATRate: l.VAT.Percent.String(), VATMention: l.VAT.Mention}
	if u := l.Usage; u != nil {
		o, a, e, b := u.Observed.String(), u.Allowance.String(), u.Excess.String(), u.BlockSize.String()
		r.UsageObserved, r.UsageAllowance, r.UsageExcess, r.UsageBlock, r.UsageBlocks = &o, &a, &e, &b, &u.Blocks
	}
	return r, nil
}

// lineRowArgs gives the invoice_lines values of the line at index i.
func lineRowArgs(id int64, i int, l invoice.Line) ([]any, error) {
	r, err := lineRowOf(id, l)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", i+1, err)
	}
	return []any{id, i + 1, r.Code, r.Label, r.Quantity, r.Unit, r.UnitPrice, r.BaseQuantity,
		r.Amount, r.VATCategory, r.VATRate, r.VATMention, r.UsageObserved, r.UsageAllowance, r.UsageExcess, r.UsageBlock, r.UsageBlocks}, nil
}

// line reads a stored line.
func (r lineRow) line() invoice.Line {
	l := invoice.Line{
		Code: r.Code, Label: r.Label, Quantity: mustDecimal(r.Quantity), Unit: r.Unit,
		UnitPrice: mustDecimal(r.UnitPrice), BaseQuantity: mustDecimal(r.BaseQuantity), Amount: fromCents(r.Amount),
		VAT: invoice.VATRate{Category: invoice.VATCategory(r.VATCategory), Percent: mustDecimal(r.VATRate), Mention: r.VATMention},
	}
	if r.UsageObserved != nil && r.UsageBlocks != nil {
		l.Usage = &invoice.Usage{Observed: mustDecimal(*r.UsageObserved), Allowance: mustDecimal(deref(r.UsageAllowance)),
			Excess: mustDecimal(deref(r.UsageExcess)), BlockSize: mustDecimal(deref(r.UsageBlock)), Blocks: *r.UsageBlocks}
	}
	return l
}

// asStored gives lines as the books will read them back (decimals through
// their stored text, amounts through cents), without reading them back.
func asStored(lines []invoice.Line) ([]invoice.Line, error) {
	out := make([]invoice.Line, 0, len(lines))
	for i, l := range lines {
		r, err := lineRowOf(0, l)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, r.line())
	}
	return out, nil
}

func (s *Store) insertLines(ctx context.Context, tx *sqlx.Tx, id int64, lines []invoice.Line) error {
	var (
		q    strings.Builder
		args []any
	)
	q.WriteString(`INSERT INTO invoice_lines (invoice_id, position, code, label, quantity, unit, unit_price, base_quantity,
		amount_cents, vat_category, vat_rate, vat_mention, usage_observed, usage_allowance, usage_excess, usage_block, usage_blocks) VALUES `)
	for i, l := range lines {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		row, err := lineRowArgs(id, i, l)
		if err != nil {
			return err
		}
		args = append(args, row...)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(q.String()), args...); err != nil {
		return fmt.Errorf("store lines: %w", err)
	}
	return nil
}

func (s *Store) lines(ctx context.Context, q sqlx.QueryerContext, id int64) ([]invoice.Line, error) {
	m, err := s.linesOf(ctx, q, []int64{id})
	if err != nil {
		return nil, err
	}
	if m[id] == nil {
		return []invoice.Line{}, nil
	}
	return m[id], nil
}

// linesOf reads the lines of several invoices, by invoice.
func (s *Store) linesOf(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64][]invoice.Line, error) {
	var rows []lineRow
	query, args, err := s.in(`SELECT invoice_id, code, label, quantity, unit, unit_price, base_quantity, amount_cents,
		vat_category, vat_rate, vat_mention, usage_observed, usage_allowance, usage_excess, usage_block, usage_blocks
		FROM invoice_lines WHERE invoice_id IN (?) ORDER BY invoice_id, position`, ids)
	if err != nil {
		return nil, err
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("read lines of invoices %v: %w", ids[:min(len(ids), 3)], err)
	}
	out := map[int64][]invoice.Line{}
	for _, r := range rows {
		out[r.InvoiceID] = append(out[r.InvoiceID], r.line())
	}
	return out, nil
}

// withLines loads the lines and statements of invoices in two queries.
func (s *Store) withLines(ctx context.Context, q sqlx.QueryerContext, invs []Invoice) error {
	if len(invs) == 0 {
		return nil
	}
	ids := make([]int64, len(invs))
	for i, inv := range invs {
		ids[i] = inv.ID
	}
	lines, err := s.linesOf(ctx, q, ids)
	if err != nil {
		return err
	}
	statements, err := s.statementsOf(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range invs {
		invs[i].Lines, invs[i].Statement = lines[invs[i].ID], statements[invs[i].ID]
		if invs[i].Lines == nil {
			invs[i].Lines = []invoice.Line{}
		}
	}
	return nil
}

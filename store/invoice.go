package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Draft is an invoice about to be finalised: everything but its number.
type Draft struct {
	Kind            invoice.Kind
	Year            int
	EstablishmentID int64
	RunID           *int64
	IssueDate       time.Time
	DueDate         time.Time
	// PeriodStart and PeriodEnd (inclusive) are the service period billed;
	// zero when not applicable.
	PeriodStart, PeriodEnd time.Time
	Lines                  []invoice.Line
	// Statement is the usage statement of an overage invoice.
	Statement         []invoice.StatementRow
	CodeService       string
	Engagement        string
	OriginalInvoiceID *int64
	// CancelsInvoiceID is set on a credit note cancelling a whole invoice.
	CancelsInvoiceID *int64
	// ReplacesInvoiceID is set on the invoice replacing a rejected one.
	ReplacesInvoiceID *int64
	// InterestPaymentID is the late payment an interest invoice bills.
	InterestPaymentID *int64
	LatePaymentRegime invoice.Regime
	Note              string
	// Actor is who finalises it, for the audit trail ("billing-run", a user…).
	Actor string
}

// Invoice is a finalised invoice as kept in the books.
type Invoice struct {
	ID                int64
	Kind              invoice.Kind
	Series            string
	Seq               int64
	Number            string
	Year              int
	EstablishmentID   int64
	RunID             *int64
	IssueDate         time.Time
	DueDate           time.Time
	PeriodStart       *time.Time
	PeriodEnd         *time.Time
	TotalHT           decimal.Decimal
	TotalVAT          decimal.Decimal
	TotalTTC          decimal.Decimal
	State             invoice.State
	Channel           string
	CodeService       string
	Engagement        string
	ChorusFlowNumber  string
	ChorusInvoiceID   *int64
	ChorusStatus      string
	OriginalInvoiceID *int64
	CancelsInvoiceID  *int64
	ReplacesInvoiceID *int64
	InterestPaymentID *int64
	LatePaymentRegime invoice.Regime
	Note              string
	// StatusReason says why the invoice waits or was rejected.
	StatusReason string
	// PaidOn is when it was paid in full, when known.
	PaidOn      *time.Time
	FinalisedAt time.Time
	UpdatedAt   time.Time
	// Lines and Statement are loaded by InvoiceByNumber and InvoiceByID.
	Lines     []invoice.Line
	Statement []invoice.StatementRow
}

// invoiceRow is the database shape of an invoice: money in cents.
type invoiceRow struct {
	ID                int64      `db:"id"`
	Kind              string     `db:"kind"`
	Series            string     `db:"series"`
	Seq               int64      `db:"seq"`
	Number            string     `db:"number"`
	Year              int        `db:"year"`
	EstablishmentID   int64      `db:"establishment_id"`
	RunID             *int64     `db:"run_id"`
	IssueDate         time.Time  `db:"issue_date"`
	DueDate           time.Time  `db:"due_date"`
	PeriodStart       *time.Time `db:"period_start"`
	PeriodEnd         *time.Time `db:"period_end"`
	TotalHT           int64      `db:"total_ht_cents"`
	TotalVAT          int64      `db:"total_vat_cents"`
	TotalTTC          int64      `db:"total_ttc_cents"`
	State             string     `db:"state"`
	Channel           string     `db:"channel"`
	CodeService       string     `db:"code_service"`
	Engagement        string     `db:"engagement"`
	ChorusFlowNumber  string     `db:"chorus_flow_number"`
	ChorusInvoiceID   *int64     `db:"chorus_invoice_id"`
	ChorusStatus      string     `db:"chorus_status"`
	OriginalInvoiceID *int64     `db:"original_invoice_id"`
	CancelsInvoiceID  *int64     `db:"cancels_invoice_id"`
	ReplacesInvoiceID *int64     `db:"replaces_invoice_id"`
	InterestPaymentID *int64     `db:"interest_payment_id"`
	StatusReason      string     `db:"status_reason"`
	PaidOn            *time.Time `db:"paid_on"`
	LatePaymentRegime string     `db:"late_payment_regime"`
	Note              string     `db:"note"`
	FinalisedAt       time.Time  `db:"finalised_at"`
	UpdatedAt         time.Time  `db:"updated_at"`
}

const invoiceColumns = `id, kind, series, seq, number, year, establishment_id, run_id, issue_date, due_date,
	period_start, period_end, total_ht_cents, total_vat_cents, total_ttc_cents, state, channel,
	code_service, engagement, chorus_flow_number, chorus_invoice_id, chorus_status,
	original_invoice_id, cancels_invoice_id, replaces_invoice_id, interest_payment_id, status_reason, paid_on,
	late_payment_regime, note, finalised_at, updated_at`

func (r invoiceRow) invoice() Invoice {
	return Invoice{
		ID: r.ID, Kind: invoice.Kind(r.Kind), Series: r.Series, Seq: r.Seq, Number: r.Number, Year: r.Year,
		EstablishmentID: r.EstablishmentID, RunID: r.RunID, IssueDate: r.IssueDate.UTC(), DueDate: r.DueDate.UTC(),
		PeriodStart: utcPtr(r.PeriodStart), PeriodEnd: utcPtr(r.PeriodEnd),
		TotalHT: fromCents(r.TotalHT), TotalVAT: fromCents(r.TotalVAT), TotalTTC: fromCents(r.TotalTTC),
		State: invoice.State(r.State), Channel: r.Channel, CodeService: r.CodeService, Engagement: r.Engagement,
		ChorusFlowNumber: r.ChorusFlowNumber, ChorusInvoiceID: r.ChorusInvoiceID, ChorusStatus: r.ChorusStatus,
		OriginalInvoiceID: r.OriginalInvoiceID, CancelsInvoiceID: r.CancelsInvoiceID, ReplacesInvoiceID: r.ReplacesInvoiceID,
		InterestPaymentID: r.InterestPaymentID, StatusReason: r.StatusReason, PaidOn: utcPtr(r.PaidOn),
		LatePaymentRegime: invoice.Regime(r.LatePaymentRegime),
		Note:              r.Note, FinalisedAt: r.FinalisedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// toCents converts an amount already rounded to the cent; anything finer is a
// bug upstream, refused rather than silently rounded.
func toCents(d decimal.Decimal) (int64, error) {
	c := d.Shift(2)
	if !c.Equal(c.Truncate(0)) {
		return 0, fmt.Errorf("amount %s is not rounded to the cent", d)
	}
	return c.IntPart(), nil
}

func fromCents(c int64) decimal.Decimal { return decimal.New(c, -2) }

func nullDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// onePerYear reports whether the kind is billed at most once per
// establishment and year (the unique index invoices_once_per_year).
func onePerYear(k invoice.Kind) bool {
	return k == invoice.KindContribution || k == invoice.KindOverage
}

// Finalise stores a draft as a finalised invoice: it takes the next number of
// the kind's series for the issue year from the locked counter row, and
// stores the invoice, its lines and an audit row, all in one transaction —
// so a number exists only for an invoice that exists, and numbers are
// gap-free and in finalisation order whatever the number of workers.
//
// A contribution or overage already finalised for the same establishment,
// year and kind is returned as it is, with created false: a repeated task
// never bills twice, and the database's unique index guarantees it even when
// two workers race.
func (s *Store) Finalise(ctx context.Context, d Draft) (inv Invoice, created bool, err error) {
	if err := validateDraft(d); err != nil {
		return Invoice{}, false, err
	}
	totals := invoice.ComputeTotals(d.Lines)
	series, err := invoice.Series(d.Kind, d.IssueDate.Year())
	if err != nil {
		return Invoice{}, false, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		if onePerYear(d.Kind) {
			existing, err := s.invoiceOnce(ctx, s.db, d.EstablishmentID, d.Year, d.Kind)
			if err == nil {
				return existing, false, nil
			}
			if !errors.Is(err, ErrNotFound) {
				return Invoice{}, false, err
			}
		}
		var id int64
		err = s.inTx(ctx, func(tx *sqlx.Tx) error {
			seq, err := s.takeNumbers(ctx, tx, series, 1)
			if err != nil {
				return err
			}
			number, err := invoice.Number(series, seq)
			if err != nil {
				return err
			}
			id, err = s.insertInvoice(ctx, tx, d, totals, series, seq, number)
			if err != nil {
				return err
			}
			if err := s.insertLines(ctx, tx, id, d.Lines); err != nil {
				return err
			}
			if err := s.insertStatement(ctx, tx, id, d.Statement); err != nil {
				return err
			}
			return s.audit(ctx, tx, auditEvent{Actor: d.Actor, Entity: "invoice", EntityID: id, Action: "finalise",
				From: string(invoice.StateDraft), To: string(invoice.StateFinalised), Reason: number})
		})
		if err == nil {
			inv, err := s.InvoiceByID(ctx, id)
			return inv, true, err
		}
		if onePerYear(d.Kind) && isUniqueViolation(err) {
			continue // another worker finalised it first: return theirs
		}
		return Invoice{}, false, fmt.Errorf("finalise %s %d for establishment #%d: %w", d.Kind, d.Year, d.EstablishmentID, err)
	}
	return Invoice{}, false, fmt.Errorf("finalise %s %d for establishment #%d: conflicting finalisations did not settle", d.Kind, d.Year, d.EstablishmentID)
}

func validateDraft(d Draft) error {
	switch {
	case d.Kind.Prefix() == "":
		return fmt.Errorf("finalise: unknown invoice kind %q", d.Kind)
	case d.EstablishmentID == 0:
		return fmt.Errorf("finalise %s: no establishment", d.Kind)
	case len(d.Lines) == 0:
		return fmt.Errorf("finalise %s %d: an invoice needs at least one line", d.Kind, d.Year)
	case d.IssueDate.IsZero() || d.DueDate.IsZero():
		return fmt.Errorf("finalise %s %d: issue and due dates are required", d.Kind, d.Year)
	case d.DueDate.Before(d.IssueDate):
		return fmt.Errorf("finalise %s %d: due date before issue date", d.Kind, d.Year)
	case d.Kind == invoice.KindCreditNote && d.OriginalInvoiceID == nil:
		return fmt.Errorf("finalise credit note: the original invoice is required")
	case d.Actor == "":
		return fmt.Errorf("finalise %s %d: the actor is required for the audit trail", d.Kind, d.Year)
	}
	return nil
}

func (s *Store) insertInvoice(ctx context.Context, tx *sqlx.Tx, d Draft, t invoice.Totals, series string, seq int64, number string) (int64, error) {
	args, err := draftRowArgs(d, t, series, seq, number, s.timestamp())
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, s.rebind(`INSERT INTO invoices (`+draftColumns+`) VALUES (`+draftPlaceholders+`) RETURNING id`), args...)
	if err != nil {
		return 0, fmt.Errorf("store invoice %s: %w", number, err)
	}
	return id, nil
}

// draftColumns are the columns a finalisation writes, in draftRowArgs' order.
const draftColumns = `kind, series, seq, number, year, establishment_id, run_id,
	issue_date, due_date, period_start, period_end, total_ht_cents, total_vat_cents, total_ttc_cents, state,
	code_service, engagement, original_invoice_id, cancels_invoice_id, replaces_invoice_id, interest_payment_id,
	late_payment_regime, note, finalised_at, updated_at`

const draftPlaceholders = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

// draftRowArgs gives the values of a draft finalised under number.
func draftRowArgs(d Draft, t invoice.Totals, series string, seq int64, number string, now time.Time) ([]any, error) {
	var cents [3]int64
	for i, amount := range []decimal.Decimal{t.HT, t.VAT, t.TTC} {
		c, err := toCents(amount)
		if err != nil {
			return nil, fmt.Errorf("invoice %s: %w", number, err)
		}
		cents[i] = c
	}
	regime := d.LatePaymentRegime
	if regime == "" {
		regime = invoice.RegimeLegal
	}
	return []any{string(d.Kind), series, seq, number, d.Year, d.EstablishmentID, d.RunID,
		nullDate(d.IssueDate), nullDate(d.DueDate), nullDate(d.PeriodStart), nullDate(d.PeriodEnd), cents[0], cents[1], cents[2],
		string(invoice.StateFinalised), d.CodeService, d.Engagement, d.OriginalInvoiceID, d.CancelsInvoiceID, d.ReplacesInvoiceID,
		d.InterestPaymentID, string(regime), d.Note, now, now}, nil
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

func (s *Store) invoiceOnce(ctx context.Context, q sqlx.QueryerContext, establishmentID int64, year int, kind invoice.Kind) (Invoice, error) {
	var r invoiceRow
	err := sqlx.GetContext(ctx, q, &r, s.rebind(`SELECT `+invoiceColumns+` FROM invoices WHERE establishment_id = ? AND year = ? AND kind = ? AND `+notCancelled),
		establishmentID, year, string(kind))
	if errors.Is(err, sql.ErrNoRows) {
		return Invoice{}, ErrNotFound
	}
	if err != nil {
		return Invoice{}, fmt.Errorf("look for %s %d of establishment #%d: %w", kind, year, establishmentID, err)
	}
	inv := r.invoice()
	if inv.Lines, err = s.lines(ctx, q, inv.ID); err != nil {
		return inv, err
	}
	inv.Statement, err = s.statement(ctx, q, inv.ID)
	return inv, err
}

// InvoiceByID reads an invoice with its lines.
func (s *Store) InvoiceByID(ctx context.Context, id int64) (Invoice, error) {
	return s.oneInvoice(ctx, "id = ?", id, fmt.Sprintf("#%d", id))
}

// InvoiceByNumber reads an invoice with its lines.
func (s *Store) InvoiceByNumber(ctx context.Context, number string) (Invoice, error) {
	return s.oneInvoice(ctx, "number = ?", number, number)
}

func (s *Store) oneInvoice(ctx context.Context, where string, arg any, name string) (Invoice, error) {
	var r invoiceRow
	err := s.db.GetContext(ctx, &r, s.rebind(`SELECT `+invoiceColumns+` FROM invoices WHERE `+where), arg)
	if errors.Is(err, sql.ErrNoRows) {
		return Invoice{}, fmt.Errorf("invoice %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return Invoice{}, fmt.Errorf("read invoice %s: %w", name, err)
	}
	inv := r.invoice()
	if inv.Lines, err = s.lines(ctx, s.db, inv.ID); err != nil {
		return inv, err
	}
	inv.Statement, err = s.statement(ctx, s.db, inv.ID)
	return inv, err
}

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

// deref reads an optional string; absent reads as empty.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// mustDecimal reads a decimal string written by this package; a bad one
// reads as zero rather than failing a listing (the value was validated on
// the way in and the immutability triggers keep it so).
func mustDecimal(s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero
	}
	return d
}

// InvoiceFilter selects invoices to list; zero fields select everything.
type InvoiceFilter struct {
	Year            int
	Kind            invoice.Kind
	State           invoice.State
	EstablishmentID int64
	Limit           int
}

// ListInvoices lists invoices (without lines) by series and number.
func (s *Store) ListInvoices(ctx context.Context, f InvoiceFilter) ([]Invoice, error) {
	var (
		where []string
		args  []any
	)
	if f.Year != 0 {
		where, args = append(where, "year = ?"), append(args, f.Year)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.EstablishmentID != 0 {
		where, args = append(where, "establishment_id = ?"), append(args, f.EstablishmentID)
	}
	q := `SELECT ` + invoiceColumns + ` FROM invoices`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY series, seq"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	var rows []invoiceRow
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}
	out := make([]Invoice, len(rows))
	for i, r := range rows {
		out[i] = r.invoice()
	}
	return out, nil
}

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
	// Parties are the seller, buyer and convention frozen at finalisation;
	// nil for an invoice finalised before they were (migration 0014).
	Parties *Parties
	// partiesErr is why the stored parties could not be read.
	partiesErr error
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
	PartiesJSON       *string    `db:"parties_json"`
}

const invoiceColumns = `id, kind, series, seq, number, year, establishment_id, run_id, issue_date, due_date,
	period_start, period_end, total_ht_cents, total_vat_cents, total_ttc_cents, state, channel,
	code_service, engagement, chorus_flow_number, chorus_invoice_id, chorus_status,
	original_invoice_id, cancels_invoice_id, replaces_invoice_id, interest_payment_id, status_reason, paid_on,
	late_payment_regime, note, finalised_at, updated_at, parties_json`

func (r invoiceRow) invoice() Invoice {
	parties, err := unmarshalParties(r.PartiesJSON)
	return Invoice{
		Parties: parties, partiesErr: err,
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

// FrozenParties returns the parties frozen at finalisation; frozen is false
// for an invoice finalised before they were. An error means the stored
// snapshot cannot be read: its documents must not be rendered from
// anything else.
func (inv Invoice) FrozenParties() (p Parties, frozen bool, err error) {
	if inv.partiesErr != nil {
		return Parties{}, false, fmt.Errorf("invoice %s: %w", inv.Number, inv.partiesErr)
	}
	if inv.Parties == nil {
		return Parties{}, false, nil
	}
	return *inv.Parties, true, nil
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

func (s *Store) invoiceOnce(ctx context.Context, q sqlx.QueryerContext, establishmentID int64, year int, kind invoice.Kind) (Invoice, error) {
	var r invoiceRow
	err := sqlx.GetContext(ctx, q, &r, s.rebind(`SELECT `+invoiceColumns+` FROM invoices WHERE establishment_id = ? AND year = ? AND kind = ? AND `+notCancelled+` AND `+notComplement),
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
	// ChorusStatus selects a Chorus Pro status (or one of chorusbill's own,
	// such as the invoices to check on Chorus Pro).
	ChorusStatus string
	Limit        int
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
	if f.ChorusStatus != "" {
		where, args = append(where, "chorus_status = ?"), append(args, f.ChorusStatus)
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

// InvoicesByIDs reads invoices without their lines (what tracking needs);
// ids not in the books are absent.
func (s *Store) InvoicesByIDs(ctx context.Context, ids []int64) (map[int64]Invoice, error) {
	out := make(map[int64]Invoice, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := s.invoicesIn(ctx, "id", ids)
	for _, inv := range list {
		out[inv.ID] = inv
	}
	return out, err
}

// InvoicesByNumbers reads invoices without their lines by number (what
// the bulk tracking needs); numbers not in the books are absent.
func (s *Store) InvoicesByNumbers(ctx context.Context, numbers []string) (map[string]Invoice, error) {
	out := make(map[string]Invoice, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	list, err := s.invoicesIn(ctx, "number", numbers)
	for _, inv := range list {
		out[inv.Number] = inv
	}
	return out, err
}

// invoicesIn reads the invoices whose column is one of values (a slice).
func (s *Store) invoicesIn(ctx context.Context, column string, values any) ([]Invoice, error) {
	q, args, err := s.in(`SELECT `+invoiceColumns+` FROM invoices WHERE `+column+` IN (?)`, values)
	if err != nil {
		return nil, err
	}
	var rows []invoiceRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read invoices by %s: %w", column, err)
	}
	out := make([]Invoice, len(rows))
	for i, r := range rows {
		out[i] = r.invoice()
	}
	return out, nil
}

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

// InvoiceRef is the little the reconciler needs to know of an invoice.
type InvoiceRef struct {
	ID           int64     `db:"id"`
	Number       string    `db:"number"`
	State        string    `db:"state"`
	ChorusStatus string    `db:"chorus_status"`
	UpdatedAt    time.Time `db:"updated_at"`
}

// InvoicesInStates lists the invoices in any of the states: the work the
// queue must hold for them is derived from the books, never from Redis.
func (s *Store) InvoicesInStates(ctx context.Context, states ...invoice.State) ([]InvoiceRef, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = string(st)
	}
	var out []InvoiceRef
	q := `SELECT id, number, state, chorus_status, updated_at FROM invoices WHERE state IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `) ORDER BY id`
	if err := s.db.SelectContext(ctx, &out, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list invoices by state: %w", err)
	}
	return out, nil
}

// StaleInvoices lists the invoices in any of the states that have not
// changed since before: the reconciler's candidates, chosen in SQL so that a
// large year costs one query, not one per invoice.
func (s *Store) StaleInvoices(ctx context.Context, before time.Time, states ...invoice.State) ([]InvoiceRef, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := []any{before.UTC()}
	for _, st := range states {
		args = append(args, string(st))
	}
	var out []InvoiceRef
	q := `SELECT id, number, state, chorus_status, updated_at FROM invoices WHERE updated_at < ? AND state IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `) ORDER BY id`
	if err := s.db.SelectContext(ctx, &out, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list stale invoices: %w", err)
	}
	return out, nil
}

// InvoiceReplacing returns the invoice that replaces another, if any.
func (s *Store) InvoiceReplacing(ctx context.Context, id int64) (Invoice, error) {
	return s.oneInvoice(ctx, "replaces_invoice_id = ?", id, fmt.Sprintf("replacing #%d", id))
}

// CreditNoteCancelling returns the credit note cancelling an invoice, if any.
func (s *Store) CreditNoteCancelling(ctx context.Context, id int64) (Invoice, error) {
	return s.oneInvoice(ctx, "cancels_invoice_id = ?", id, fmt.Sprintf("cancelling #%d", id))
}

// InterestFor returns the interest invoice billing a payment, if any.
func (s *Store) InterestFor(ctx context.Context, paymentID int64) (Invoice, error) {
	return s.oneInvoice(ctx, "interest_payment_id = ?", paymentID, fmt.Sprintf("interest of payment #%d", paymentID))
}

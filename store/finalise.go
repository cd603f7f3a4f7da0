package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Finalising drafts: the one-invoice form and the batch form of a run.
// Numbers come from takeNumbers (numbering.go) in the same transaction.

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
	// Parties are the seller, buyer and convention as the invoice states
	// them, frozen by the finalising INSERT. Every path that issues sets
	// them (worker.checkRenderable, from the issuer and the establishment);
	// nil stores none, and the documents then follow the live books.
	Parties *Parties
	// Actor is who finalises it, for the audit trail ("billing-run", a user…).
	Actor string
}

// onePerYear reports whether the kind is billed at most once per
// establishment and year (the unique index invoices_once_per_year).
func onePerYear(k invoice.Kind) bool {
	return k == invoice.KindContribution || k == invoice.KindOverage
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

// Finalise stores a draft as a finalised invoice: it takes the next number of
// the kind's series for the issue year from the locked counter row, and
// stores the invoice, its lines and an audit row, all in one transaction —
// so a number exists only for an invoice that exists, and numbers are
// gap-free and in finalisation order whatever the number of workers.
//
// A contribution or overage already finalised for the same establishment,
// year and kind is returned as it is, with created false: a repeated task
// never bills twice, and the database's unique index guarantees it even when
// two workers race. A complementary invoice (one naming the invoice it
// completes, OriginalInvoiceID) is not that one invoice: see
// ApplyCorrection.
func (s *Store) Finalise(ctx context.Context, d Draft) (inv Invoice, created bool, err error) {
	if err := validateDraft(d); err != nil {
		return Invoice{}, false, err
	}
	totals := invoice.ComputeTotals(d.Lines)
	series, err := invoice.Series(d.Kind, d.IssueDate.Year())
	if err != nil {
		return Invoice{}, false, err
	}
	once := onePerYear(d.Kind) && d.OriginalInvoiceID == nil
	for attempt := 0; attempt < 3; attempt++ {
		if once {
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
		if once && isUniqueViolation(err) {
			continue // another worker finalised it first: return theirs
		}
		return Invoice{}, false, fmt.Errorf("finalise %s %d for establishment #%d: %w", d.Kind, d.Year, d.EstablishmentID, err)
	}
	return Invoice{}, false, fmt.Errorf("finalise %s %d for establishment #%d: conflicting finalisations did not settle", d.Kind, d.Year, d.EstablishmentID)
}

// FinaliseMany finalises drafts of one kind and year — a batch of a run —
// in one transaction: numbers are taken from the counter once per series
// (gap-free, in the drafts' order), and the invoices, lines, statements and
// audit rows are written with multi-row statements. It returns one invoice
// per draft, in order; a draft whose establishment already has its invoice
// of that kind and year gets that invoice (created false), as Finalise does.
//
// Should another worker finalise one of the same establishments at the same
// moment, the unique index refuses the whole batch; the drafts are then
// finalised one by one, where that race is settled.
func (s *Store) FinaliseMany(ctx context.Context, drafts []Draft) (invs []Invoice, created []bool, err error) {
	if len(drafts) == 0 {
		return nil, nil, nil
	}
	kind, year := drafts[0].Kind, drafts[0].Year
	if !onePerYear(kind) {
		return nil, nil, fmt.Errorf("finalise many: %s invoices are finalised one by one", kind)
	}
	for _, d := range drafts {
		if err := validateDraft(d); err != nil {
			return nil, nil, err
		}
		if d.Kind != kind || d.Year != year {
			return nil, nil, fmt.Errorf("finalise many: drafts of %s %d and %s %d in one batch", kind, year, d.Kind, d.Year)
		}
	}
	invs, created = make([]Invoice, len(drafts)), make([]bool, len(drafts))
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.finaliseMany(ctx, tx, drafts, invs, created)
	})
	if err == nil {
		return invs, created, nil
	}
	if !isUniqueViolation(err) {
		return nil, nil, fmt.Errorf("finalise %d %s %d: %w", len(drafts), kind, year, err)
	}
	for i, d := range drafts {
		if invs[i], created[i], err = s.Finalise(ctx, d); err != nil {
			return nil, nil, err
		}
	}
	return invs, created, nil
}

func (s *Store) finaliseMany(ctx context.Context, tx *sqlx.Tx, drafts []Draft, invs []Invoice, created []bool) error {
	kind, year := drafts[0].Kind, drafts[0].Year
	ids := make([]int64, len(drafts))
	for i, d := range drafts {
		ids[i] = d.EstablishmentID
	}
	q, args, err := s.in(`SELECT `+invoiceColumns+` FROM invoices WHERE year = ? AND kind = ? AND `+notCancelled+` AND `+notComplement+` AND establishment_id IN (?)`,
		year, string(kind), ids)
	if err != nil {
		return err
	}
	var existing []invoiceRow
	if err := tx.SelectContext(ctx, &existing, q, args...); err != nil {
		return fmt.Errorf("look for invoices already finalised: %w", err)
	}
	have := make(map[int64]invoiceRow, len(existing))
	for _, r := range existing {
		have[r.EstablishmentID] = r
	}
	// New drafts by series, in order: each series' numbers are taken at once.
	type pending struct {
		i      int
		series string
		totals invoice.Totals
	}
	var (
		todo     []pending
		repeated []int // finalised before: read back with their lines at the end
	)
	perSeries := map[string]int64{}
	for i, d := range drafts {
		if r, ok := have[d.EstablishmentID]; ok {
			invs[i] = r.invoice()
			repeated = append(repeated, i)
			continue
		}
		series, err := invoice.Series(d.Kind, d.IssueDate.Year())
		if err != nil {
			return err
		}
		todo = append(todo, pending{i: i, series: series, totals: invoice.ComputeTotals(d.Lines)})
		perSeries[series]++
	}
	next := map[string]int64{}
	names := make([]string, 0, len(perSeries))
	for series := range perSeries {
		names = append(names, series)
	}
	sort.Strings(names) // one lock order for every worker
	for _, series := range names {
		first, err := s.takeNumbers(ctx, tx, series, perSeries[series])
		if err != nil {
			return err
		}
		next[series] = first
	}
	now := s.timestamp()
	byNumber := make(map[string]int, len(todo))
	for start := 0; start < len(todo); start += batchRows {
		chunk := todo[start:min(start+batchRows, len(todo))]
		var qb strings.Builder
		qb.WriteString(`INSERT INTO invoices (` + draftColumns + `) VALUES `)
		args = args[:0]
		for j, p := range chunk {
			d := drafts[p.i]
			seq := next[p.series]
			next[p.series]++
			number, err := invoice.Number(p.series, seq)
			if err != nil {
				return err
			}
			row, err := draftRowArgs(d, p.totals, p.series, seq, number, now)
			if err != nil {
				return err
			}
			if j > 0 {
				qb.WriteString(", ")
			}
			qb.WriteString("(" + draftPlaceholders + ")")
			args = append(args, row...)
			byNumber[number] = p.i
		}
		qb.WriteString(" RETURNING " + invoiceColumns)
		var rows []invoiceRow
		if err := tx.SelectContext(ctx, &rows, s.rebind(qb.String()), args...); err != nil {
			return fmt.Errorf("store %d invoices: %w", len(chunk), err)
		}
		for _, r := range rows {
			i, ok := byNumber[r.Number]
			if !ok {
				return fmt.Errorf("store invoices: the books answered an unknown number %s", r.Number)
			}
			inv := r.invoice()
			if inv.Lines, err = asStored(drafts[i].Lines); err != nil {
				return err
			}
			if inv.Statement, err = statementAsStored(drafts[i].Statement); err != nil {
				return err
			}
			invs[i], created[i] = inv, true
		}
	}
	lines := s.newBatcher(tx, `INSERT INTO invoice_lines (invoice_id, position, code, label, quantity, unit, unit_price, base_quantity,
		amount_cents, vat_category, vat_rate, vat_mention, usage_observed, usage_allowance, usage_excess, usage_block, usage_blocks)`, "")
	audit := s.newBatcher(tx, `INSERT INTO audit_events (at, actor, entity, entity_id, action, from_state, to_state, reason)`, "")
	for _, p := range todo {
		inv := invs[p.i]
		for k, l := range drafts[p.i].Lines {
			row, err := lineRowArgs(inv.ID, k, l)
			if err != nil {
				return fmt.Errorf("invoice %s: %w", inv.Number, err)
			}
			if err := lines.add(ctx, row...); err != nil {
				return fmt.Errorf("store lines: %w", err)
			}
		}
		if err := s.insertStatement(ctx, tx, inv.ID, drafts[p.i].Statement); err != nil {
			return err
		}
		if err := audit.add(ctx, now, drafts[p.i].Actor, "invoice", inv.ID, "finalise",
			string(invoice.StateDraft), string(invoice.StateFinalised), inv.Number); err != nil {
			return fmt.Errorf("audit finalisations: %w", err)
		}
	}
	if err := lines.flush(ctx); err != nil {
		return fmt.Errorf("store lines: %w", err)
	}
	if err := audit.flush(ctx); err != nil {
		return fmt.Errorf("audit finalisations: %w", err)
	}
	// New invoices carry their lines as the books hold them (asStored), so
	// a document rendered now is the one rendered from the books later,
	// without reading them back under the counter's lock.
	again := make([]Invoice, len(repeated))
	for k, i := range repeated {
		again[k] = invs[i]
	}
	if err := s.withLines(ctx, tx, again); err != nil {
		return err
	}
	for k, i := range repeated {
		invs[i] = again[k]
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
	late_payment_regime, note, finalised_at, updated_at, parties_json`

const draftPlaceholders = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

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
	parties, err := marshalParties(d.Parties)
	if err != nil {
		return nil, fmt.Errorf("invoice %s: %w", number, err)
	}
	return []any{string(d.Kind), series, seq, number, d.Year, d.EstablishmentID, d.RunID,
		nullDate(d.IssueDate), nullDate(d.DueDate), nullDate(d.PeriodStart), nullDate(d.PeriodEnd), cents[0], cents[1], cents[2],
		string(invoice.StateFinalised), d.CodeService, d.Engagement, d.OriginalInvoiceID, d.CancelsInvoiceID, d.ReplacesInvoiceID,
		d.InterestPaymentID, string(regime), d.Note, now, now, parties}, nil
}

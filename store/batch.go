package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
)

// The batch forms of the run's reads and writes. A yearly run bills tens of
// thousands of establishments; one statement and one commit per batch of
// them, rather than per invoice, is what keeps PostgreSQL from being the
// pipeline's bound (issue 8's profile: ≈40 statements and 7 commits per
// invoice before). Each keeps the guarantees of its one-invoice form.

// in expands "IN (?)" over ids and rebinds for the engine.
func (s *Store) in(q string, args ...any) (string, []any, error) {
	q, args, err := sqlx.In(q, args...)
	if err != nil {
		return "", nil, err
	}
	return s.rebind(q), args, nil
}

// EstablishmentsByIDs reads establishments with all their headcounts, by
// id; ids not in the books are absent from the map.
func (s *Store) EstablishmentsByIDs(ctx context.Context, ids []int64) (map[int64]Establishment, error) {
	out := make(map[int64]Establishment, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := s.in(`SELECT `+establishmentColumns+` FROM establishments e WHERE e.id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []Establishment
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read %d establishments: %w", len(ids), err)
	}
	for _, e := range rows {
		e.Headcounts = map[int]int{}
		out[e.ID] = e
	}
	q, args, err = s.in(`SELECT establishment_id, year, headcount FROM headcounts WHERE establishment_id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var hc []struct {
		ID        int64 `db:"establishment_id"`
		Year      int   `db:"year"`
		Headcount int   `db:"headcount"`
	}
	if err := s.db.SelectContext(ctx, &hc, q, args...); err != nil {
		return nil, fmt.Errorf("read headcounts of %d establishments: %w", len(ids), err)
	}
	for _, h := range hc {
		if e, ok := out[h.ID]; ok {
			e.Headcounts[h.Year] = h.Headcount
		}
	}
	return out, nil
}

// ReferencesForMany reads the references given for a year by several
// establishments; those that gave none are absent.
func (s *Store) ReferencesForMany(ctx context.Context, ids []int64, year int) (map[int64]References, error) {
	out := make(map[int64]References, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := s.in(`SELECT establishment_id, code_service, engagement FROM buyer_references WHERE year = ? AND establishment_id IN (?)`, year, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID int64 `db:"establishment_id"`
		References
	}
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read references of %d establishments for %d: %w", len(ids), year, err)
	}
	for _, r := range rows {
		out[r.ID] = r.References
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
	q, args, err := s.in(`SELECT `+invoiceColumns+` FROM invoices WHERE id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []invoiceRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read %d invoices: %w", len(ids), err)
	}
	for _, r := range rows {
		out[r.ID] = r.invoice()
	}
	return out, nil
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
	q, args, err := s.in(`SELECT `+invoiceColumns+` FROM invoices WHERE year = ? AND kind = ? AND `+notCancelled+` AND establishment_id IN (?)`,
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

// IDChange is a change to one invoice, for ApplyEach.
type IDChange struct {
	ID int64
	Change
}

// ApplyEach applies changes to invoices that must all be in state from, in
// one transaction with one audit row each, as Apply does one by one. An
// invoice no longer in state from was moved by someone else: it is left
// alone and absent from the ids returned, as Apply's StaleStateError.
func (s *Store) ApplyEach(ctx context.Context, from invoice.State, changes []IDChange) (applied []int64, err error) {
	for _, c := range changes {
		if c.Actor == "" {
			return nil, fmt.Errorf("change invoice #%d: the actor is required for the audit trail", c.ID)
		}
		if c.To != "" && c.To != from {
			if err := from.Transition(c.To); err != nil {
				return nil, fmt.Errorf("invoice #%d: %w", c.ID, err)
			}
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		applied = applied[:0]
		now := s.timestamp()
		audit := s.newBatcher(tx, `INSERT INTO audit_events (at, actor, entity, entity_id, action, from_state, to_state, reason)`, "")
		done := map[int64]bool{}
		// Changes setting the same fields to the same state go in one
		// statement per batchRows (a batch's changes all do).
		for _, group := range groupChanges(from, changes) {
			ids, err := s.applyGroup(ctx, tx, from, group, now)
			if err != nil {
				return err
			}
			for _, id := range ids {
				done[id] = true
			}
		}
		for _, c := range changes {
			if !done[c.ID] {
				continue
			}
			delete(done, c.ID) // an id changed twice is audited once
			to := from
			if c.To != "" {
				to = c.To
			}
			applied = append(applied, c.ID)
			_, _, changed := changeSet(c.Change, to, now)
			if err := audit.add(ctx, now, c.Actor, "invoice", c.ID, changeAction(from, to, changed), string(from), string(to), c.Reason); err != nil {
				return fmt.Errorf("audit changes: %w", err)
			}
		}
		return audit.flush(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("change %d invoices: %w", len(changes), err)
	}
	return applied, nil
}

// groupChanges groups changes by target state and fields set, in order.
func groupChanges(from invoice.State, changes []IDChange) [][]IDChange {
	var (
		groups [][]IDChange
		index  = map[string]int{}
	)
	for _, c := range changes {
		to := from
		if c.To != "" {
			to = c.To
		}
		key := string(to)
		for _, f := range changeFields(c.Change) {
			key += "," + f.col
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], c)
	}
	return groups
}

// applyGroup updates invoices still in state from with changes that all
// set the same fields: the per-invoice values come from a VALUES list
// (columns column1… on both engines). It returns the ids updated.
func (s *Store) applyGroup(ctx context.Context, tx *sqlx.Tx, from invoice.State, group []IDChange, now time.Time) ([]int64, error) {
	var out []int64
	for start := 0; start < len(group); start += batchRows {
		chunk := group[start:min(start+batchRows, len(group))]
		first := chunk[0]
		to := from
		if first.To != "" {
			to = first.To
		}
		fields := changeFields(first.Change)
		if slices.ContainsFunc(fields, func(f changeField) bool { return f.cast == "DATE" }) {
			// SQLite's CAST to DATE is numeric and would mangle the date:
			// these (payments, one at a time) are updated row by row.
			for _, c := range chunk {
				set, args, _ := changeSet(c.Change, to, now)
				args = append(args, c.ID, string(from))
				res, err := tx.ExecContext(ctx, s.rebind(`UPDATE invoices SET `+strings.Join(set, ", ")+` WHERE id = ? AND state = ?`), args...)
				if err != nil {
					return nil, fmt.Errorf("update invoice #%d: %w", c.ID, err)
				}
				if n, _ := res.RowsAffected(); n == 1 {
					out = append(out, c.ID)
				}
			}
			continue
		}
		set := []string{"state = ?", "updated_at = ?"}
		args := []any{string(to), now}
		for i, f := range fields {
			set = append(set, fmt.Sprintf("%s = v.column%d", f.col, i+2))
		}
		row := "(CAST(? AS BIGINT)"
		for _, f := range fields {
			row += ", CAST(? AS " + f.cast + ")"
		}
		row += ")"
		var q strings.Builder
		q.WriteString(`UPDATE invoices SET ` + strings.Join(set, ", ") + ` FROM (VALUES `)
		for i, c := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
			args = append(args, c.ID)
			for _, f := range changeFields(c.Change) {
				args = append(args, f.v)
			}
		}
		q.WriteString(`) AS v WHERE invoices.id = v.column1 AND invoices.state = ? RETURNING invoices.id`)
		args = append(args, string(from))
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, s.rebind(q.String()), args...); err != nil {
			return nil, fmt.Errorf("update %d invoices: %w", len(chunk), err)
		}
		out = append(out, ids...)
	}
	return out, nil
}

// NewDocument is a rendering to store, for PutDocuments.
type NewDocument struct {
	InvoiceID int64
	Format    string
	Content   []byte
}

// PutDocuments stores documents once each, in one transaction, as
// PutDocument does one by one: the same bytes again are a no-op, other
// bytes a *DocumentMismatchError (after the others are stored).
func (s *Store) PutDocuments(ctx context.Context, docs []NewDocument, actor string) error {
	if len(docs) == 0 {
		return nil
	}
	sums := make([]string, len(docs))
	for i, d := range docs {
		sum := sha256.Sum256(d.Content)
		sums[i] = hex.EncodeToString(sum[:])
	}
	type key struct {
		id     int64
		format string
	}
	var mismatch error
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		inserted := map[key]bool{}
		for start := 0; start < len(docs); start += batchRows {
			end := min(start+batchRows, len(docs))
			var qb strings.Builder
			qb.WriteString(`INSERT INTO documents (invoice_id, format, content, path, sha256, size, created_at) VALUES `)
			var args []any
			for i := start; i < end; i++ {
				if i > start {
					qb.WriteString(", ")
				}
				qb.WriteString("(?, ?, ?, '', ?, ?, ?)")
				d := docs[i]
				args = append(args, d.InvoiceID, d.Format, d.Content, sums[i], int64(len(d.Content)), now)
			}
			qb.WriteString(` ON CONFLICT (invoice_id, format) DO NOTHING RETURNING invoice_id, format`)
			var rows []struct {
				ID     int64  `db:"invoice_id"`
				Format string `db:"format"`
			}
			if err := tx.SelectContext(ctx, &rows, s.rebind(qb.String()), args...); err != nil {
				return fmt.Errorf("store %d documents: %w", end-start, err)
			}
			for _, r := range rows {
				inserted[key{r.ID, r.Format}] = true
			}
		}
		audit := s.newBatcher(tx, `INSERT INTO audit_events (at, actor, entity, entity_id, action, from_state, to_state, reason)`, "")
		for i, d := range docs {
			if inserted[key{d.InvoiceID, d.Format}] {
				if err := audit.add(ctx, now, actor, "invoice", d.InvoiceID, "document", "", "", d.Format+" "+sums[i]); err != nil {
					return fmt.Errorf("audit documents: %w", err)
				}
				continue
			}
			// Stored before (a repeated task): it must be the same bytes.
			var stored string
			if err := tx.GetContext(ctx, &stored, s.rebind(`SELECT sha256 FROM documents WHERE invoice_id = ? AND format = ?`), d.InvoiceID, d.Format); err != nil {
				return fmt.Errorf("read %s document of invoice #%d: %w", d.Format, d.InvoiceID, err)
			}
			if stored != sums[i] && mismatch == nil {
				mismatch = &DocumentMismatchError{InvoiceID: d.InvoiceID, Format: d.Format}
			}
		}
		return audit.flush(ctx)
	})
	if err != nil {
		return err
	}
	return mismatch
}

// RunItem is what a run did for one establishment, for RecordRunItems.
type RunItem struct {
	EstablishmentID int64
	Outcome         string
	InvoiceID       *int64
	Detail          string
}

// RecordRunItems records several outcomes of a run at once; as
// RecordRunItem, recording one again overwrites it.
func (s *Store) RecordRunItems(ctx context.Context, runID int64, items []RunItem) error {
	if len(items) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		b := s.newBatcher(tx, `INSERT INTO run_items (run_id, establishment_id, outcome, invoice_id, detail, updated_at)`,
			`ON CONFLICT (run_id, establishment_id) DO UPDATE SET outcome = excluded.outcome, invoice_id = excluded.invoice_id,
			detail = excluded.detail, updated_at = excluded.updated_at`)
		now := s.timestamp()
		for _, it := range items {
			if err := b.add(ctx, runID, it.EstablishmentID, it.Outcome, it.InvoiceID, it.Detail, now); err != nil {
				return err
			}
		}
		return b.flush(ctx)
	})
	if err != nil {
		return fmt.Errorf("record %d items of run %d: %w", len(items), runID, err)
	}
	return nil
}

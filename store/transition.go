package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
)

// Change is what may change on a finalised invoice: its state and its
// delivery fields. Nil fields are left as they are.
type Change struct {
	// To is the new state; empty keeps the state (a delivery-field update).
	To               invoice.State
	Channel          *string
	CodeService      *string
	Engagement       *string
	ChorusFlowNumber *string
	ChorusInvoiceID  *int64
	ChorusStatus     *string
	StatusReason     *string
	PaidOn           *time.Time
	Actor            string
	Reason           string
}

// StaleStateError means the invoice was not in the state the caller
// expected: someone else moved it first. Re-read and decide again.
type StaleStateError struct {
	Number         string
	Expected, Have invoice.State
}

func (e *StaleStateError) Error() string {
	return fmt.Sprintf("invoice %s is %s, not %s", e.Number, e.Have, e.Expected)
}

// Apply changes an invoice that must be in state from, checks the transition
// against the lifecycle, and writes the audit row, all in one transaction.
// The invoice row is locked (FOR UPDATE on PostgreSQL) so two workers cannot
// both move it.
func (s *Store) Apply(ctx context.Context, id int64, from invoice.State, c Change) (Invoice, error) {
	if c.Actor == "" {
		return Invoice{}, fmt.Errorf("change invoice #%d: the actor is required for the audit trail", id)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur struct {
			Number string `db:"number"`
			State  string `db:"state"`
		}
		lock := ""
		if s.dialect == Postgres {
			lock = " FOR UPDATE"
		}
		err := tx.GetContext(ctx, &cur, s.rebind(`SELECT number, state FROM invoices WHERE id = ?`+lock), id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("invoice #%d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read invoice #%d: %w", id, err)
		}
		have := invoice.State(cur.State)
		if have != from {
			return &StaleStateError{Number: cur.Number, Expected: from, Have: have}
		}
		to := have
		if c.To != "" && c.To != have {
			if err := have.Transition(c.To); err != nil {
				return fmt.Errorf("invoice %s: %w", cur.Number, err)
			}
			to = c.To
		}
		set, args, changed := changeSet(c, to, s.timestamp())
		args = append(args, id)
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE invoices SET `+strings.Join(set, ", ")+` WHERE id = ?`), args...); err != nil {
			return fmt.Errorf("update invoice %s: %w", cur.Number, err)
		}
		action := changeAction(have, to, changed)
		return s.audit(ctx, tx, auditEvent{Actor: c.Actor, Entity: "invoice", EntityID: id, Action: action,
			From: string(have), To: string(to), Reason: c.Reason})
	})
	if err != nil {
		return Invoice{}, err
	}
	return s.InvoiceByID(ctx, id)
}

// changeField is one delivery field a change sets.
type changeField struct {
	col  string
	v    any
	cast string // its SQL type, for a VALUES list
}

// changeFields lists the fields a change sets, in a fixed order.
func changeFields(c Change) []changeField {
	var out []changeField
	for _, f := range []struct {
		changeField
		ok bool
	}{
		{changeField{"channel", deref(c.Channel), "TEXT"}, c.Channel != nil},
		{changeField{"code_service", deref(c.CodeService), "TEXT"}, c.CodeService != nil},
		{changeField{"engagement", deref(c.Engagement), "TEXT"}, c.Engagement != nil},
		{changeField{"chorus_flow_number", deref(c.ChorusFlowNumber), "TEXT"}, c.ChorusFlowNumber != nil},
		{changeField{"chorus_invoice_id", c.ChorusInvoiceID, "BIGINT"}, c.ChorusInvoiceID != nil},
		{changeField{"chorus_status", deref(c.ChorusStatus), "TEXT"}, c.ChorusStatus != nil},
		{changeField{"status_reason", deref(c.StatusReason), "TEXT"}, c.StatusReason != nil},
		{changeField{"paid_on", dateArg(c.PaidOn), "DATE"}, c.PaidOn != nil},
	} {
		if f.ok {
			out = append(out, f.changeField)
		}
	}
	return out
}

// changeSet gives the SET clause of a change to state to: the state, the
// time, and the fields the change sets (named in changed, for the audit).
func changeSet(c Change, to invoice.State, now time.Time) (set []string, args []any, changed []string) {
	set = []string{"state = ?", "updated_at = ?"}
	args = []any{string(to), now}
	for _, f := range changeFields(c) {
		set, args = append(set, f.col+" = ?"), append(args, f.v)
		changed = append(changed, f.col)
	}
	return set, args, changed
}

// changeAction names a change in the audit trail: a transition, or the
// fields updated in place.
func changeAction(from, to invoice.State, changed []string) string {
	if to == from {
		return "update " + strings.Join(changed, ", ")
	}
	return "transition"
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

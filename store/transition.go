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

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditEvent is one row of the append-only audit trail: who did what to
// which entity, when, from which state to which, and why.
type AuditEvent struct {
	ID       int64     `db:"id"`
	At       time.Time `db:"at"`
	Actor    string    `db:"actor"`
	Entity   string    `db:"entity"`
	EntityID int64     `db:"entity_id"`
	Action   string    `db:"action"`
	From     string    `db:"from_state"`
	To       string    `db:"to_state"`
	Reason   string    `db:"reason"`
}

type auditEvent = AuditEvent

// audit appends an event within the caller's transaction, so the change and
// its trace commit or roll back together.
func (s *Store) audit(ctx context.Context, tx *sqlx.Tx, e auditEvent) error {
	if e.Actor == "" {
		return fmt.Errorf("audit %s #%d %s: no actor", e.Entity, e.EntityID, e.Action)
	}
	_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO audit_events (at, actor, entity, entity_id, action, from_state, to_state, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), s.timestamp(), e.Actor, e.Entity, e.EntityID, e.Action, e.From, e.To, e.Reason)
	if err != nil {
		return fmt.Errorf("audit %s #%d %s: %w", e.Entity, e.EntityID, e.Action, err)
	}
	return nil
}

// AuditTrail lists the events of one entity, oldest first.
func (s *Store) AuditTrail(ctx context.Context, entity string, id int64) ([]AuditEvent, error) {
	var out []AuditEvent
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT id, at, actor, entity, entity_id, action, from_state, to_state, reason
		FROM audit_events WHERE entity = ? AND entity_id = ? ORDER BY id`), entity, id)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s #%d: %w", entity, id, err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// RecordAudit appends an event that changes nothing else (an operator's
// note, "mailed on 12/03/2026"…).
func (s *Store) RecordAudit(ctx context.Context, e AuditEvent) error {
	return s.RecordAudits(ctx, []AuditEvent{e})
}

// LastAudit returns, per entity id, the latest event of an action on an
// entity kind (e.g. when each postal invoice was marked as mailed).
func (s *Store) LastAudit(ctx context.Context, entity, action string) (map[int64]AuditEvent, error) {
	var rows []AuditEvent
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT id, at, actor, entity, entity_id, action, from_state, to_state, reason
		FROM audit_events WHERE entity = ? AND action = ? ORDER BY id`), entity, action)
	if err != nil {
		return nil, fmt.Errorf("audit %s %s: %w", entity, action, err)
	}
	out := make(map[int64]AuditEvent, len(rows))
	for _, r := range rows {
		r.At = r.At.UTC()
		out[r.EntityID] = r
	}
	return out, nil
}

// RecordAudits appends events that change nothing else, all or none.
func (s *Store) RecordAudits(ctx context.Context, events []AuditEvent) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, e := range events {
			if e.Entity == "" || e.Action == "" {
				return errors.New("record audit: entity and action are required")
			}
			if err := s.audit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// LastAuditOf is LastAudit for the given entities only (a page's rows).
func (s *Store) LastAuditOf(ctx context.Context, entity, action string, ids []int64) (map[int64]AuditEvent, error) {
	out := map[int64]AuditEvent{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{entity, action}
	for _, id := range ids {
		args = append(args, id)
	}
	var rows []AuditEvent
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT id, at, actor, entity, entity_id, action, from_state, to_state, reason
		FROM audit_events WHERE entity = ? AND action = ? AND entity_id IN (`+placeholders(len(ids))+`) ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("audit %s %s: %w", entity, action, err)
	}
	for _, r := range rows {
		r.At = r.At.UTC()
		out[r.EntityID] = r
	}
	return out, nil
}

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

// Reminders (relances) of overdue invoices: the letters sent, one per step
// and invoice, and the invoices finance paused reminders for (migration
// 0019). Which step is due is invoice.ReminderSteps' rule; the list of
// invoices with one due is WorkFilter.RemindersDueOn.

// Audit actions of reminders, in French as the invoice page shows them.
const (
	// ActionReminder is a reminder letter sent.
	ActionReminder = "relance"
	// ActionRemindersPaused and ActionRemindersResumed are finance pausing
	// and resuming an invoice's reminders.
	ActionRemindersPaused  = "relances suspendues"
	ActionRemindersResumed = "relances reprises"
)

// Errors of the reminders' records.
var (
	// ErrReminderSent: that step of that invoice was sent already.
	ErrReminderSent = errors.New("reminder step already sent")
	// ErrRemindersPaused: the invoice's reminders are paused already.
	ErrRemindersPaused = errors.New("reminders already paused")
	// ErrRemindersNotPaused: the invoice's reminders are not paused.
	ErrRemindersNotPaused = errors.New("reminders not paused")
)

// Reminder is one reminder letter sent for an invoice.
type Reminder struct {
	InvoiceID int64 `db:"invoice_id"`
	// Step is the step sent (1 for the first reminder), Days the days
	// after the due date it stood for then.
	Step int `db:"step"`
	Days int `db:"days"`
	// SentOn is the civil day the letter went out (midnight UTC).
	SentOn time.Time `db:"sent_on"`
	// Credited and Paid are what the letter stated was credited and
	// paid: it says what remained due from them, and is printed again
	// with them.
	Credited      decimal.Decimal `db:"-"`
	Paid          decimal.Decimal `db:"-"`
	CreditedCents int64           `db:"credited_cents"`
	PaidCents     int64           `db:"paid_cents"`
	Actor         string          `db:"actor"`
	At            time.Time       `db:"at"`
}

// ReminderPause is why finance paused an invoice's reminders.
type ReminderPause struct {
	InvoiceID int64     `db:"invoice_id"`
	PausedBy  string    `db:"paused_by"`
	Reason    string    `db:"reason"`
	At        time.Time `db:"at"`
}

// ReminderReason is the audit trail's account of a reminder sent.
func ReminderReason(step, days int, sentOn time.Time) string {
	return fmt.Sprintf("relance n°%d (%d jours après l'échéance) envoyée le %s", step, days, sentOn.Format("02/01/2006"))
}

// RecordReminders records reminder letters sent, each with its audit
// event (ActionReminder), all in one transaction: if one step of one
// invoice was sent already (ErrReminderSent) or anything fails, none is
// recorded. Each reminder's Actor is actor; batch, when set, follows the
// audit reason (which print batch the letter went out in).
func (s *Store) RecordReminders(ctx context.Context, rs []Reminder, batch, actor string) error {
	if len(rs) == 0 {
		return errors.New("record reminders: none")
	}
	at := s.timestamp()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, r := range rs {
			if r.Step < 1 || r.Days < 1 || r.SentOn.IsZero() {
				return fmt.Errorf("record reminder of invoice #%d: step, days and day sent are required", r.InvoiceID)
			}
			credited, err := toCents(r.Credited)
			if err != nil {
				return fmt.Errorf("record reminder %d of invoice #%d: credited: %w", r.Step, r.InvoiceID, err)
			}
			paid, err := toCents(r.Paid)
			if err != nil {
				return fmt.Errorf("record reminder %d of invoice #%d: paid: %w", r.Step, r.InvoiceID, err)
			}
			state, err := s.stateOf(ctx, tx, r.InvoiceID)
			if err != nil {
				return fmt.Errorf("record reminder %d of invoice #%d: %w", r.Step, r.InvoiceID, err)
			}
			_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO reminders (invoice_id, step, days, sent_on, credited_cents, paid_cents, actor, at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), r.InvoiceID, r.Step, r.Days, dayArg(r.SentOn), credited, paid, actor, at)
			if isUniqueViolation(err) {
				return fmt.Errorf("record reminder %d of invoice #%d: %w", r.Step, r.InvoiceID, ErrReminderSent)
			}
			if err != nil {
				return fmt.Errorf("record reminder %d of invoice #%d: %w", r.Step, r.InvoiceID, err)
			}
			if err := s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "invoice", EntityID: r.InvoiceID, Action: ActionReminder,
				From: state, To: state, Reason: strings.TrimSuffix(ReminderReason(r.Step, r.Days, r.SentOn)+", "+batch, ", ")}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reminders lists the reminders sent for an invoice, by step.
func (s *Store) Reminders(ctx context.Context, invoiceID int64) ([]Reminder, error) {
	m, err := s.RemindersOf(ctx, []int64{invoiceID})
	return m[invoiceID], err
}

// RemindersOf lists the reminders sent for each of the invoices, by step.
func (s *Store) RemindersOf(ctx context.Context, ids []int64) (map[int64][]Reminder, error) {
	out := map[int64][]Reminder{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := s.in(`SELECT invoice_id, step, days, sent_on, credited_cents, paid_cents, actor, at FROM reminders WHERE invoice_id IN (?) ORDER BY invoice_id, step`, ids)
	if err != nil {
		return nil, fmt.Errorf("read reminders: %w", err)
	}
	var rows []Reminder
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read reminders: %w", err)
	}
	for _, r := range rows {
		r.SentOn, r.At = civilDate(r.SentOn.UTC()), r.At.UTC()
		r.Credited, r.Paid = fromCents(r.CreditedCents), fromCents(r.PaidCents)
		out[r.InvoiceID] = append(out[r.InvoiceID], r)
	}
	return out, nil
}

// Steps are the steps of reminders sent, for invoice.ReminderSteps.Due.
func Steps(rs []Reminder) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Step
	}
	return out
}

// PauseReminders pauses an invoice's reminders for reason, in the audit
// trail with it (ErrRemindersPaused when they are already).
func (s *Store) PauseReminders(ctx context.Context, invoiceID int64, reason, actor string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf("pause reminders of invoice #%d: a reason is required", invoiceID)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		state, err := s.stateOf(ctx, tx, invoiceID)
		if err != nil {
			return fmt.Errorf("pause reminders of invoice #%d: %w", invoiceID, err)
		}
		_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO reminder_pauses (invoice_id, paused_by, reason, at) VALUES (?, ?, ?, ?)`),
			invoiceID, actor, reason, s.timestamp())
		if isUniqueViolation(err) {
			return fmt.Errorf("pause reminders of invoice #%d: %w", invoiceID, ErrRemindersPaused)
		}
		if err != nil {
			return fmt.Errorf("pause reminders of invoice #%d: %w", invoiceID, err)
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "invoice", EntityID: invoiceID, Action: ActionRemindersPaused,
			From: state, To: state, Reason: reason})
	})
}

// ResumeReminders lifts the pause of an invoice's reminders, in the audit
// trail with reason (ErrRemindersNotPaused when they were not paused).
func (s *Store) ResumeReminders(ctx context.Context, invoiceID int64, reason, actor string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf("resume reminders of invoice #%d: a reason is required", invoiceID)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		state, err := s.stateOf(ctx, tx, invoiceID)
		if err != nil {
			return fmt.Errorf("resume reminders of invoice #%d: %w", invoiceID, err)
		}
		res, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM reminder_pauses WHERE invoice_id = ?`), invoiceID)
		if err != nil {
			return fmt.Errorf("resume reminders of invoice #%d: %w", invoiceID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("resume reminders of invoice #%d: %w", invoiceID, ErrRemindersNotPaused)
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "invoice", EntityID: invoiceID, Action: ActionRemindersResumed,
			From: state, To: state, Reason: reason})
	})
}

// RemindersPause reads the pause of an invoice's reminders; ok is false
// when they are not paused.
func (s *Store) RemindersPause(ctx context.Context, invoiceID int64) (p ReminderPause, ok bool, err error) {
	err = s.db.GetContext(ctx, &p, s.rebind(`SELECT invoice_id, paused_by, reason, at FROM reminder_pauses WHERE invoice_id = ?`), invoiceID)
	if errors.Is(err, sql.ErrNoRows) {
		return ReminderPause{}, false, nil
	}
	if err != nil {
		return ReminderPause{}, false, fmt.Errorf("read the reminders' pause of invoice #%d: %w", invoiceID, err)
	}
	p.At = p.At.UTC()
	return p, true, nil
}

// stateOf reads an invoice's state within tx (ErrNotFound when there is
// no such invoice).
func (s *Store) stateOf(ctx context.Context, tx *sqlx.Tx, invoiceID int64) (string, error) {
	var state string
	err := tx.GetContext(ctx, &state, s.rebind(`SELECT state FROM invoices WHERE id = ?`), invoiceID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return state, err
}

// remindersDueSQL is the condition of WorkFilter.RemindersDueOn over
// invoices i with settlementJoins, with its arguments: overdue on day
// (overdueSQL), reminders not paused, and for the latest step whose day
// has come (due_date ≤ day − its days, and > day − the next step's), no
// reminder of that step or a later one sent — invoice.ReminderSteps.Due,
// the dates computed here so that neither engine does date arithmetic.
func remindersDueSQL(day time.Time, steps invoice.ReminderSteps) (string, []any) {
	if len(steps) == 0 {
		return "1 = 0", nil
	}
	args := []any{dayArg(day)}
	var alts []string
	for n := 1; n <= len(steps); n++ {
		alt := "i.due_date <= ?"
		args = append(args, dayArg(day.AddDate(0, 0, -steps[n-1])))
		if n < len(steps) {
			alt += " AND i.due_date > ?"
			args = append(args, dayArg(day.AddDate(0, 0, -steps[n])))
		}
		alt += " AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.invoice_id = i.id AND r.step >= ?)"
		args = append(args, n)
		alts = append(alts, "("+alt+")")
	}
	return overdueSQL() + " AND NOT EXISTS (SELECT 1 FROM reminder_pauses rp WHERE rp.invoice_id = i.id) AND (" +
		strings.Join(alts, " OR ") + ")", args
}

package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// Reminders (relances) of overdue invoices: which step is due
// (invoice.ReminderSteps.Due), the letter (document.Reminder), printing a
// batch of them — which records them sent — and pausing an invoice's
// reminders.

// MaxReminderReason bounds the reason of a pause or a resumption, which
// goes into the audit trail.
const MaxReminderReason = 500

// Errors of the reminders' use cases.
var (
	// ErrReminderNotDue: the letter asked for is not the step due today
	// (sent already, its day not come, the invoice paid, paused…).
	ErrReminderNotDue = errors.New("reminder not due")
	// ErrNotRemindable: the invoice is settled, cancelled or a credit
	// note: it has no reminders to pause or resume.
	ErrNotRemindable = errors.New("invoice has no reminders")
	// ErrReminderReason: a pause or resumption without a reason, or with
	// one longer than MaxReminderReason.
	ErrReminderReason = errors.New("reason required, at most 500 characters")
)

// ReminderLetter names one letter of a batch: an invoice and the step of
// its letter, as the list the operator printed from showed it.
type ReminderLetter struct {
	Number string
	Step   int
}

// ReminderNotDueError says which letter of a batch is not due, and what
// is (Due 0: none).
type ReminderNotDueError struct {
	Number    string
	Step, Due int
	Paused    bool
}

func (e *ReminderNotDueError) Error() string {
	return fmt.Sprintf("reminder %d of %s is not due (due: %d, paused: %v)", e.Step, e.Number, e.Due, e.Paused)
}

func (e *ReminderNotDueError) Unwrap() error { return ErrReminderNotDue }

// reminderBooks is what the reminders read and write.
type reminderBooks interface {
	documentBooks
	Credited(ctx context.Context, invoiceID int64) (decimal.Decimal, error)
	Reminders(ctx context.Context, invoiceID int64) ([]store.Reminder, error)
	RemindersPause(ctx context.Context, invoiceID int64) (store.ReminderPause, bool, error)
}

// ReminderStatus is where an invoice stands with its reminders on a day.
type ReminderStatus struct {
	// Sent are the reminders sent, by step.
	Sent []store.Reminder
	// Paused is set while finance paused them, with why.
	Paused bool
	Pause  store.ReminderPause
	// Credited, Paid and Remaining settle the invoice: remaining is its
	// total less both (zero when settled or not owed).
	Credited, Paid, Remaining decimal.Decimal
	// Overdue is invoice.Overdue on the day.
	Overdue bool
	// Due is the step due on the day (0: none): never while paused.
	Due int
	// Next is the step to send next and NextOn its day (Next 0: none),
	// whether paused or not.
	Next   int
	NextOn time.Time
}

// RemindersOf says where an invoice stands with its reminders on day,
// under steps.
func RemindersOf(ctx context.Context, books reminderBooks, inv store.Invoice, steps invoice.ReminderSteps, day time.Time) (ReminderStatus, error) {
	var st ReminderStatus
	var err error
	if st.Sent, err = books.Reminders(ctx, inv.ID); err != nil {
		return st, err
	}
	if st.Pause, st.Paused, err = books.RemindersPause(ctx, inv.ID); err != nil {
		return st, err
	}
	if st.Credited, err = books.Credited(ctx, inv.ID); err != nil {
		return st, err
	}
	pays, err := books.Payments(ctx, inv.ID)
	if err != nil {
		return st, err
	}
	st.Paid = decimal.Zero
	for _, p := range pays {
		st.Paid = st.Paid.Add(p.Amount)
	}
	st.Remaining = inv.TotalTTC.Sub(st.Credited).Sub(st.Paid)
	if inv.State.Terminal() || !inv.Kind.Payable() || st.Remaining.IsNegative() {
		st.Remaining = decimal.Zero
	}
	st.Overdue = invoice.Overdue(inv.State, inv.Kind, inv.DueDate, st.Remaining, day)
	sent := store.Steps(st.Sent)
	if n, ok := steps.Due(inv.DueDate, st.Overdue, sent, day); ok && !st.Paused {
		st.Due = n
	}
	if st.Remaining.IsPositive() && inv.State.Open() && inv.Kind.Payable() {
		st.Next, st.NextOn, _ = steps.Next(inv.DueDate, sent, day)
	}
	return st, nil
}

// BuildReminder builds the letter of step for an invoice, as of day: the
// letter of a step sent, as it was sent (dated that day, with the amounts
// it stated), or the letter of the step due on day, as the batch prints
// it. Any other step is a *ReminderNotDueError: no letter is produced that
// was not or would not be sent. It writes nothing.
func BuildReminder(ctx context.Context, books reminderBooks, is document.Issuer, inv store.Invoice, step int, steps invoice.ReminderSteps, day time.Time) (document.Reminder, error) {
	sent, err := books.Reminders(ctx, inv.ID)
	if err != nil {
		return document.Reminder{}, fmt.Errorf("reminder %d of %s: %w", step, inv.Number, err)
	}
	for _, s := range sent {
		if s.Step == step {
			return reminderLetter(ctx, books, is, inv, s.Step, s.SentOn, sent, s.Credited, s.Paid)
		}
	}
	return dueReminder(ctx, books, is, inv, step, steps, day)
}

// dueReminder builds the letter of step if it is the step due on day.
func dueReminder(ctx context.Context, books reminderBooks, is document.Issuer, inv store.Invoice, step int, steps invoice.ReminderSteps, day time.Time) (document.Reminder, error) {
	st, err := RemindersOf(ctx, books, inv, steps, day)
	if err != nil {
		return document.Reminder{}, fmt.Errorf("reminder %d of %s: %w", step, inv.Number, err)
	}
	if st.Due == 0 || st.Due != step {
		return document.Reminder{}, &ReminderNotDueError{Number: inv.Number, Step: step, Due: st.Due, Paused: st.Paused}
	}
	return reminderLetter(ctx, books, is, inv, step, invoice.CivilDay(day), st.Sent, st.Credited, st.Paid)
}

// reminderLetter is the letter of step dated on, recalling the reminders
// of earlier steps among sent.
func reminderLetter(ctx context.Context, books reminderBooks, is document.Issuer, inv store.Invoice, step int, on time.Time, sent []store.Reminder, credited, paid decimal.Decimal) (document.Reminder, error) {
	d, err := BuildDocument(ctx, books, is, inv)
	if err != nil {
		return document.Reminder{}, err
	}
	r := document.Reminder{Invoice: d, Step: step, Date: on, Credited: credited, Paid: paid}
	for _, s := range sent {
		if s.Step < step {
			r.Previous = append(r.Previous, s.SentOn)
		}
	}
	return r, nil
}

// PrintReminders prints the letters asked for, dated day, as one PDF for
// mailing, and records each sent that day (store.RecordReminders: the
// reminder, and its audit event naming the batch by its SHA-256). Every letter must be the step due that
// day for its invoice, once: otherwise nothing is printed nor recorded (a
// *ReminderNotDueError, or store.ErrNotFound). What is recorded is exactly
// what the PDF holds: the PDF is rendered first and handed out only once
// the record is committed.
func (p *Pipeline) PrintReminders(ctx context.Context, letters []ReminderLetter, steps invoice.ReminderSteps, day time.Time, actor string) ([]byte, error) {
	if len(letters) == 0 {
		return nil, errors.New("print reminders: no letter")
	}
	seen := map[string]bool{}
	rs := make([]document.Reminder, 0, len(letters))
	recs := make([]store.Reminder, 0, len(letters))
	for _, l := range letters {
		if seen[l.Number] {
			return nil, fmt.Errorf("print reminders: %s twice", l.Number)
		}
		seen[l.Number] = true
		inv, err := p.books.InvoiceByNumber(ctx, l.Number)
		if err != nil {
			return nil, fmt.Errorf("print reminder of %s: %w", l.Number, err)
		}
		r, err := dueReminder(ctx, p.books, p.issuer, inv, l.Step, steps, day)
		if err != nil {
			return nil, err
		}
		days, _ := steps.Days(l.Step)
		rs = append(rs, r)
		recs = append(recs, store.Reminder{InvoiceID: inv.ID, Step: l.Step, Days: days, SentOn: r.Date, Credited: r.Credited, Paid: r.Paid})
	}
	pdf, err := document.RenderReminders(rs)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pdf)
	batch := fmt.Sprintf("lot de %d lettre(s), sha256 %s", len(rs), hex.EncodeToString(sum[:]))
	if err := p.books.RecordReminders(ctx, recs, batch, actor); err != nil {
		return nil, fmt.Errorf("print reminders: %w", err)
	}
	return pdf, nil
}

// PauseReminders pauses an invoice's reminders, for reason (audited).
func (p *Pipeline) PauseReminders(ctx context.Context, number, reason, actor string) error {
	inv, err := p.remindable(ctx, number, reason)
	if err != nil {
		return err
	}
	return p.books.PauseReminders(ctx, inv.ID, strings.TrimSpace(reason), actor)
}

// ResumeReminders resumes an invoice's paused reminders, for reason
// (audited).
func (p *Pipeline) ResumeReminders(ctx context.Context, number, reason, actor string) error {
	inv, err := p.remindable(ctx, number, reason)
	if err != nil {
		return err
	}
	return p.books.ResumeReminders(ctx, inv.ID, strings.TrimSpace(reason), actor)
}

// remindable reads an invoice whose reminders may be paused or resumed,
// checking the reason given.
func (p *Pipeline) remindable(ctx context.Context, number, reason string) (store.Invoice, error) {
	if r := strings.TrimSpace(reason); r == "" || utf8.RuneCountInString(r) > MaxReminderReason {
		return store.Invoice{}, ErrReminderReason
	}
	inv, err := p.books.InvoiceByNumber(ctx, number)
	if err != nil {
		return store.Invoice{}, fmt.Errorf("reminders of %s: %w", number, err)
	}
	if inv.State.Terminal() || !inv.Kind.Payable() || inv.State == invoice.StateDraft {
		return store.Invoice{}, &StateError{Number: number, State: inv.State, Err: ErrNotRemindable}
	}
	return inv, nil
}

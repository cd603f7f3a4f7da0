package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/shopspring/decimal"
)

// Printing reminders records exactly the letters printed: a batch holding
// one letter not due prints and records nothing; a due batch records each
// letter with its audit event, and the same letters are then no longer due.
func TestPrintReminders(t *testing.T) {
	ctx := context.Background()
	s := storetest.SQLite(t)
	loadSample(t, s)
	is := issuer(t)
	p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: is, Chorus: engagementDirectory{}, Queue: &recordingQueue{}}, DefaultConfig())
	steps := invoice.ReminderSteps{15, 45}
	var invs []store.Invoice
	for _, siret := range []string{"21299951000010", "19290263300010"} {
		_, inv, err := issueOne(ctx, s, catalog(t), establishmentBySIRET(t, s, siret), 2026, invoice.KindContribution, time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		invs = append(invs, inv)
	}
	day := invs[0].DueDate.AddDate(0, 0, 20)
	reminders := func(inv store.Invoice) []store.Reminder {
		t.Helper()
		rs, err := s.Reminders(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}

	for _, c := range []struct {
		name    string
		letters []ReminderLetter
		want    error
	}{
		{"a step not due", []ReminderLetter{{invs[0].Number, 1}, {invs[1].Number, 2}}, ErrReminderNotDue},
		{"an unknown invoice", []ReminderLetter{{invs[0].Number, 1}, {"CT2099-999999", 1}}, store.ErrNotFound},
	} {
		pdf, err := p.PrintReminders(ctx, c.letters, steps, day, "user:olivia")
		if !errors.Is(err, c.want) || pdf != nil {
			t.Fatalf("%s: %d bytes, %v; want %v", c.name, len(pdf), err, c.want)
		}
		if rs := reminders(invs[0]); len(rs) != 0 {
			t.Fatalf("%s: recorded %+v", c.name, rs)
		}
	}

	pdf, err := p.PrintReminders(ctx, []ReminderLetter{{invs[0].Number, 1}, {invs[1].Number, 1}}, steps, day, "user:olivia")
	if err != nil {
		t.Fatal(err)
	}
	if len(pdf) < 1000 || string(pdf[:5]) != "%PDF-" {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	for _, inv := range invs {
		rs := reminders(inv)
		if len(rs) != 1 || rs[0].Step != 1 || rs[0].Days != 15 || !rs[0].SentOn.Equal(day) || rs[0].Actor != "user:olivia" {
			t.Fatalf("%s: reminders %+v", inv.Number, rs)
		}
		trail, _ := s.AuditTrail(ctx, "invoice", inv.ID)
		sum := sha256.Sum256(pdf)
		want := store.ReminderReason(1, 15, day) + ", lot de 2 lettre(s), sha256 " + hex.EncodeToString(sum[:])
		if last := trail[len(trail)-1]; last.Action != store.ActionReminder || last.Reason != want {
			t.Fatalf("%s: last audit %+v", inv.Number, last)
		}
	}
	if _, err := p.PrintReminders(ctx, []ReminderLetter{{invs[0].Number, 1}}, steps, day, "user:olivia"); !errors.Is(err, ErrReminderNotDue) {
		t.Fatalf("printing a sent letter again: %v", err)
	}
	// A letter sent is printed again as it was sent, whatever was paid
	// since.
	later := day.AddDate(0, 0, 10)
	if _, err := s.RecordPayment(ctx, store.Payment{InvoiceID: invs[0].ID, PaidOn: later, Amount: decimal.RequireFromString("100.00"),
		Source: store.PaymentImported, Reference: "VIR-9"}, later, "test"); err != nil {
		t.Fatal(err)
	}
	again, err := BuildReminder(ctx, s, is, invs[0], 1, steps, later)
	if err != nil || again.Step != 1 || !again.Date.Equal(day) || !again.Paid.IsZero() || !again.Remaining().Equal(invs[0].TotalTTC) {
		t.Fatalf("letter printed again: %+v, %v", again, err)
	}
	st, err := RemindersOf(ctx, s, invs[0], steps, day)
	if err != nil || st.Due != 0 || st.Next != 2 || !st.NextOn.Equal(invs[0].DueDate.AddDate(0, 0, 45)) {
		t.Fatalf("status after the first letter: %+v, %v", st, err)
	}
}

// Pausing needs a reason; a paused invoice has no step due, its next step
// still said; resuming makes it due again.
func TestPauseReminders(t *testing.T) {
	ctx := context.Background()
	s := storetest.SQLite(t)
	loadSample(t, s)
	p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: issuer(t), Chorus: engagementDirectory{}, Queue: &recordingQueue{}}, DefaultConfig())
	steps := invoice.ReminderSteps{15, 45}
	_, inv, err := issueOne(ctx, s, catalog(t), establishmentBySIRET(t, s, "21299951000010"), 2026, invoice.KindContribution, time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	day := inv.DueDate.AddDate(0, 0, 50)
	due := func() int {
		t.Helper()
		st, err := RemindersOf(ctx, s, inv, steps, day)
		if err != nil {
			t.Fatal(err)
		}
		return st.Due
	}
	for _, reason := range []string{"", "   ", string(make([]rune, MaxReminderReason+1))} {
		if err := p.PauseReminders(ctx, inv.Number, reason, "user:olivia"); !errors.Is(err, ErrReminderReason) {
			t.Fatalf("pause with reason %q: %v", reason, err)
		}
	}
	if due() != 2 {
		t.Fatalf("due %d before the pause, want the late start's step 2", due())
	}
	if err := p.PauseReminders(ctx, inv.Number, "litige sur le nombre d'agents", "user:olivia"); err != nil {
		t.Fatal(err)
	}
	if due() != 0 {
		t.Fatal("a paused invoice has a step due")
	}
	if _, err := p.PrintReminders(ctx, []ReminderLetter{{inv.Number, 2}}, steps, day, "user:olivia"); !errors.Is(err, ErrReminderNotDue) {
		t.Fatalf("printing a paused invoice's letter: %v", err)
	}
	if err := p.ResumeReminders(ctx, inv.Number, "litige réglé", "user:olivia"); err != nil {
		t.Fatal(err)
	}
	if due() != 2 {
		t.Fatal("resumed reminders not due again")
	}
	if err := p.ResumeReminders(ctx, inv.Number, "encore", "user:olivia"); !errors.Is(err, store.ErrRemindersNotPaused) {
		t.Fatalf("resuming twice: %v", err)
	}
}

package invoice

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestStateCategories(t *testing.T) {
	for _, tc := range []struct {
		s                                 State
		working, followed, open, terminal bool
	}{
		{StateDraft, false, false, false, false},
		{StateFinalised, true, true, true, false},
		{StateAwaitingReference, false, false, true, false},
		{StateDelivering, true, true, true, false},
		{StateDeposited, true, true, true, false},
		{StateDelivered, false, true, true, false},
		{StateRejected, false, false, false, false},
		{StatePaid, false, false, false, true},
		{StateCancelled, false, false, false, true},
		{StatePostal, false, false, true, false},
	} {
		if got := [4]bool{tc.s.Working(), tc.s.Followed(), tc.s.Open(), tc.s.Terminal()}; got != [4]bool{tc.working, tc.followed, tc.open, tc.terminal} {
			t.Errorf("%s: working, followed, open, terminal = %v", tc.s, got)
		}
		if tc.s.Terminal() && len(tc.s.Next()) != 0 {
			t.Errorf("%s is terminal but may move to %v", tc.s, tc.s.Next())
		}
	}
	if len(States()) != 10 {
		t.Errorf("a new state: place it in the categories above")
	}
}

func TestOverdue(t *testing.T) {
	due := time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC)
	late := time.Date(2026, 2, 5, 8, 30, 0, 0, time.UTC)
	owed := decimal.RequireFromString("0.01")
	for _, tc := range []struct {
		name   string
		s      State
		k      Kind
		unpaid decimal.Decimal
		day    time.Time
		want   bool
	}{
		{"late and owed", StateDelivered, KindContribution, owed, late, true},
		{"postal interest invoice", StatePostal, KindInterest, owed, late, true},
		{"due today is not late", StateDelivered, KindContribution, owed, due.Add(23 * time.Hour), false},
		{"settled by payments", StateDelivered, KindOverage, decimal.Zero, late, false},
		{"credit note", StateFinalised, KindCreditNote, owed, late, false},
		{"rejected", StateRejected, KindContribution, owed, late, false},
		{"draft", StateDraft, KindContribution, owed, late, false},
		{"paid", StatePaid, KindContribution, owed, late, false},
		{"cancelled", StateCancelled, KindContribution, owed, late, false},
	} {
		if got := Overdue(tc.s, tc.k, due, tc.unpaid, tc.day); got != tc.want {
			t.Errorf("%s: Overdue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

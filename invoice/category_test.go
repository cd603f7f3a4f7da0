package invoice

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestStateCategories(t *testing.T) {
	for _, tc := range []struct {
		s                                         State
		working, followed, open, terminal, unsent bool
	}{
		{StateDraft, false, false, false, false, false},
		{StateFinalised, true, true, true, false, true},
		{StateAwaitingReference, false, false, true, false, true},
		{StateDelivering, true, true, true, false, false},
		{StateDeposited, true, true, true, false, false},
		{StateDelivered, false, true, true, false, false},
		{StateRejected, false, false, false, false, false},
		{StatePaid, false, false, false, true, false},
		{StateCancelled, false, false, false, true, false},
		{StatePostal, false, false, true, false, false},
	} {
		if got := [5]bool{tc.s.Working(), tc.s.Followed(), tc.s.Open(), tc.s.Terminal(), tc.s.Unsent()}; got != [5]bool{tc.working, tc.followed, tc.open, tc.terminal, tc.unsent} {
			t.Errorf("%s: working, followed, open, terminal, unsent = %v", tc.s, got)
		}
		if tc.s.Terminal() && len(tc.s.Next()) != 0 {
			t.Errorf("%s is terminal but may move to %v", tc.s, tc.s.Next())
		}
	}
	if len(States()) != 10 {
		t.Errorf("a new state: place it in the categories above")
	}
}

func TestKindCategories(t *testing.T) {
	for _, tc := range []struct {
		k                      Kind
		payable, bearsInterest bool
	}{
		{KindContribution, true, true},
		{KindOverage, true, true},
		{KindInterest, true, false},
		{KindCreditNote, false, false},
	} {
		if tc.k.Payable() != tc.payable || tc.k.BearsInterest() != tc.bearsInterest {
			t.Errorf("%s: payable %v, bears interest %v", tc.k, tc.k.Payable(), tc.k.BearsInterest())
		}
	}
	if len(Kinds()) != 4 {
		t.Errorf("a new kind: place it in the categories above")
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

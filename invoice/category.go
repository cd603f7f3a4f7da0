package invoice

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// The categories of states below are the one home of "which invoices are
// still being worked on, which are owed, which are over". The store builds
// its SQL from them, and the worker, the dashboard and the commands ask them
// rather than listing states of their own.

// WorkingStates lists the states in which the pipeline itself still has to
// act, without waiting for anyone:
//   - finalised: its documents are ready, delivery has not begun;
//   - delivering: it is being (or must again be) deposited on Chorus Pro;
//   - deposited: Chorus Pro took the flow; its integration report is polled.
//
// An invoice left in one of them once a run has settled is stuck. Not
// working: awaiting_reference and rejected (they wait for a human),
// delivered and postal (they wait for the buyer's payment), draft (not
// issued), paid and cancelled (terminal).
func WorkingStates() []State {
	return []State{StateFinalised, StateDelivering, StateDeposited}
}

// Working reports whether the pipeline still has to act on an invoice in
// state s (see WorkingStates).
func (s State) Working() bool { return slices.Contains(WorkingStates(), s) }

// Unsent reports whether an invoice in state s was issued but has left for
// no channel yet: finalised, or awaiting the buyer's references. Only then
// may its documents be rendered again (with the references now known) and
// its delivery begin.
func (s State) Unsent() bool { return s == StateFinalised || s == StateAwaitingReference }

// FollowedStates lists the states for which the worker holds a task in its
// queue: the working states, and delivered, whose lifecycle on Chorus Pro is
// polled until payment (or a rejection). The reconciler rebuilds the
// missing tasks of invoices in these states from the books.
func FollowedStates() []State {
	return append(WorkingStates(), StateDelivered)
}

// Followed reports whether the worker follows an invoice in state s (see
// FollowedStates).
func (s State) Followed() bool { return slices.Contains(FollowedStates(), s) }

// OpenStates lists the states of an invoice issued to its buyer and not yet
// settled, whose payment is therefore awaited:
//   - finalised, awaiting_reference, delivering, deposited: issued (it has
//     its number, issue and due dates) and on its way to the buyer;
//   - delivered: in the buyer's hands on Chorus Pro;
//   - postal: sent on paper.
//
// Not open: draft (not issued), rejected (refused; the payment period runs
// again only once it is deposited again or replaced), paid and cancelled
// (terminal).
func OpenStates() []State {
	return []State{StateFinalised, StateAwaitingReference, StateDelivering, StateDeposited, StateDelivered, StatePostal}
}

// Open reports whether an invoice in state s awaits payment (see
// OpenStates).
func (s State) Open() bool { return slices.Contains(OpenStates(), s) }

// TerminalStates lists the states an invoice never leaves: paid (settled)
// and cancelled (by a credit note).
func TerminalStates() []State {
	return []State{StatePaid, StateCancelled}
}

// Terminal reports whether s is final: paid or cancelled.
func (s State) Terminal() bool { return slices.Contains(TerminalStates(), s) }

// Payable reports whether the buyer owes what an invoice of kind k bills:
// every kind but the credit note, whose amount is owed to the buyer — so a
// credit note is never overdue.
func (k Kind) Payable() bool { return k != KindCreditNote }

// PayableKinds lists the kinds whose invoices the buyer owes (see Payable).
func PayableKinds() []Kind {
	var out []Kind
	for _, k := range Kinds() {
		if k.Payable() {
			out = append(out, k)
		}
	}
	return out
}

// BearsInterest reports whether a late payment of an invoice of kind k
// earns late-payment interest: contributions and overage, not the interest
// invoices themselves (no interest on interest) nor credit notes.
func (k Kind) BearsInterest() bool { return k == KindContribution || k == KindOverage }

// InterestBearingKinds lists the kinds that bear interest (see BearsInterest).
func InterestBearingKinds() []Kind {
	var out []Kind
	for _, k := range Kinds() {
		if k.BearsInterest() {
			out = append(out, k)
		}
	}
	return out
}

// Overdue reports whether an invoice is overdue on day: open (see
// OpenStates), of a payable kind, due before that civil day (an invoice due
// on day is not late yet) and with something unpaid. The store's overdue
// queries select exactly these invoices.
func Overdue(s State, k Kind, dueDate time.Time, unpaid decimal.Decimal, day time.Time) bool {
	return s.Open() && k.Payable() && dueDate.Before(CivilDay(day)) && unpaid.IsPositive()
}

// CivilDay is day's calendar date at midnight UTC, as due dates are held.
func CivilDay(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
}

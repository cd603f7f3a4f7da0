package invoice

import (
	"fmt"
	"slices"
	"strings"
)

// State is where an invoice stands in its lifecycle, from draft to payment or
// cancellation.
type State string

const (
	// StateDraft is an invoice being prepared: no number yet, still editable.
	StateDraft State = "draft"
	// StateFinalised has a number and is immutable.
	StateFinalised State = "finalised"
	// StateAwaitingReference waits for a buyer reference (service code or
	// engagement number) that Chorus Pro requires for this buyer.
	StateAwaitingReference State = "awaiting_reference"
	// StateDelivering is being deposited on Chorus Pro.
	StateDelivering State = "delivering"
	// StateDeposited was accepted by the Chorus Pro platform.
	StateDeposited State = "deposited"
	// StateDelivered was made available to the buyer.
	StateDelivered State = "delivered"
	// StateRejected was rejected, by the platform (fix and deposit the same
	// number again) or by the buyer (cancel with a credit note, issue anew).
	StateRejected State = "rejected"
	// StatePaid is paid: terminal.
	StatePaid State = "paid"
	// StateCancelled is cancelled by a credit note: terminal.
	StateCancelled State = "cancelled"
	// StatePostal is sent on paper, for a buyer outside Chorus Pro.
	StatePostal State = "postal"
)

// States lists every state in lifecycle order.
func States() []State {
	return []State{
		StateDraft, StateFinalised, StateAwaitingReference, StateDelivering,
		StateDeposited, StateDelivered, StateRejected, StatePaid, StateCancelled,
		StatePostal,
	}
}

// ParseState parses a state name as stored in the database.
func ParseState(s string) (State, error) {
	st := State(strings.TrimSpace(s))
	if !slices.Contains(States(), st) {
		return "", fmt.Errorf("unknown invoice state %q", s)
	}
	return st, nil
}

// Next lists the states s may move to; none for a terminal or unknown state.
func (s State) Next() []State {
	switch s {
	case StateDraft:
		return []State{StateFinalised}
	case StateFinalised:
		return []State{StateAwaitingReference, StateDelivering, StatePostal, StateCancelled}
	case StateAwaitingReference:
		return []State{StateDelivering, StatePostal, StateCancelled}
	case StateDelivering:
		// Back to awaiting_reference when the pre-flight finds a reference is
		// now required; postal when the buyer turns out not to be on Chorus Pro;
		// delivered when Chorus Pro turns out to hold it already (a deposit
		// whose answer was lost or wrong).
		return []State{StateDeposited, StateDelivered, StateAwaitingReference, StatePostal, StateRejected}
	case StateDeposited:
		// delivering: deposited again after a human found it absent from
		// Chorus Pro (statusToVerify in the worker).
		return []State{StateDelivering, StateDelivered, StateRejected, StatePaid}
	case StateDelivered:
		return []State{StatePaid, StateRejected, StateCancelled}
	case StateRejected:
		// delivering: re-deposit after a platform rejection (same number);
		// cancelled: credit note after a buyer rejection (new invoice);
		// delivered: a deposit refused in its answer that Chorus Pro had in
		// fact applied, found live at the buyer.
		return []State{StateDelivering, StateDelivered, StateCancelled}
	case StatePostal:
		return []State{StatePaid, StateCancelled}
	}
	return nil
}

// CanTransition reports whether an invoice in state s may move to state to.
func (s State) CanTransition(to State) bool {
	return slices.Contains(s.Next(), to)
}

// Transition returns nil if s may move to state to, else a *TransitionError.
func (s State) Transition(to State) error {
	if !s.CanTransition(to) {
		return &TransitionError{From: s, To: to}
	}
	return nil
}

// TransitionError reports a lifecycle move that is not allowed.
type TransitionError struct {
	From, To State
}

// Error implements error.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("invoice cannot go from %s to %s", e.From, e.To)
}

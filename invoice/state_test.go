package invoice

import (
	"errors"
	"testing"
)

func TestStateTransitions(t *testing.T) {
	// Expected lifecycle, written independently of State.Next.
	allowed := map[State][]State{
		StateDraft:             {StateFinalised},
		StateFinalised:         {StateAwaitingReference, StateDelivering, StatePostal, StateCancelled},
		StateAwaitingReference: {StateDelivering, StatePostal, StateCancelled},
		StateDelivering:        {StateDeposited, StateDelivered, StateAwaitingReference, StatePostal, StateRejected},
		StateDeposited:         {StateDelivering, StateDelivered, StateRejected, StatePaid},
		StateDelivered:         {StatePaid, StateRejected, StateCancelled},
		StateRejected:          {StateDelivering, StateDelivered, StateCancelled},
		StatePostal:            {StatePaid, StateCancelled},
		StatePaid:              nil,
		StateCancelled:         nil,
	}
	if len(allowed) != len(States()) {
		t.Fatalf("test table has %d states, States() has %d", len(allowed), len(States()))
	}
	all := append(States(), State("unknown"))
	for _, from := range all {
		for _, to := range all {
			want := false
			for _, s := range allowed[from] {
				want = want || s == to
			}
			if got := from.CanTransition(to); got != want {
				t.Errorf("%s.CanTransition(%s) = %v, want %v", from, to, got, want)
			}
			err := from.Transition(to)
			if want {
				if err != nil {
					t.Errorf("%s.Transition(%s) = %v, want nil", from, to, err)
				}
				continue
			}
			var te *TransitionError
			if !errors.As(err, &te) || te.From != from || te.To != to {
				t.Errorf("%s.Transition(%s) = %v, want a *TransitionError", from, to, err)
			}
		}
	}
	if err := StateDraft.Transition(StatePaid); err == nil || err.Error() != "invoice cannot go from draft to paid" {
		t.Errorf("draft→paid error = %v", err)
	}
}

func TestStateTerminal(t *testing.T) {
	for _, s := range States() {
		want := s == StatePaid || s == StateCancelled
		if got := s.Terminal(); got != want {
			t.Errorf("%s.Terminal() = %v, want %v", s, got, want)
		}
		if got := len(s.Next()) == 0; got != want {
			t.Errorf("%s has no next state = %v, want %v (only terminal states are dead ends)", s, got, want)
		}
	}
}

func TestParseState(t *testing.T) {
	for _, s := range States() {
		got, err := ParseState(string(s))
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %q, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "Paid", "canceled", "sent"} {
		if _, err := ParseState(bad); err == nil {
			t.Errorf("ParseState(%q) succeeded, want an error", bad)
		}
	}
}

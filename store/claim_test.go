package store

import (
	"context"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
)

// TestClaimDeposit: one claim at a time per invoice; another owner gets it
// once it is released or expired; releasing another's claim does nothing.
func TestClaimDeposit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return clock }
		inv, _, err := s.Finalise(ctx, contributionDraft(t, addEstablishment(t, s, "00000000000001"), 2026, 12))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ClaimDeposit(ctx, inv.ID, "a", time.Minute); ok || err != nil {
			t.Fatalf("claimed a finalised invoice: %v, %v", ok, err)
		}
		if inv, err = s.Apply(ctx, inv.ID, inv.State, Change{To: invoice.StateDelivering, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		step := func(what string, got bool, err error, want bool) {
			t.Helper()
			if err != nil || got != want {
				t.Fatalf("%s: %v, %v; want %v", what, got, err, want)
			}
		}
		ok, err := s.ClaimDeposit(ctx, inv.ID, "a", time.Minute)
		step("a claims", ok, err, true)
		ok, err = s.ClaimDeposit(ctx, inv.ID, "b", time.Minute)
		step("b while a holds it", ok, err, false)
		step("b releases a's claim", false, s.ReleaseDeposit(ctx, inv.ID, "b"), false)
		ok, err = s.ClaimDeposit(ctx, inv.ID, "b", time.Minute)
		step("b still kept out", ok, err, false)
		clock = clock.Add(61 * time.Second)
		ok, err = s.ClaimDeposit(ctx, inv.ID, "b", time.Minute)
		step("b once a's claim expired", ok, err, true)
		step("b releases", false, s.ReleaseDeposit(ctx, inv.ID, "b"), false)
		ok, err = s.ClaimDeposit(ctx, inv.ID, "c", time.Minute)
		step("c after the release", ok, err, true)
		// Recorded deposited by c (which then lets go): a delivery that read
		// it delivering before does not get it.
		if _, err := s.Apply(ctx, inv.ID, invoice.StateDelivering, Change{To: invoice.StateDeposited, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		step("c releases", false, s.ReleaseDeposit(ctx, inv.ID, "c"), false)
		ok, err = s.ClaimDeposit(ctx, inv.ID, "d", time.Minute)
		step("d once recorded deposited", ok, err, false)
	})
}

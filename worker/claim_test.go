package worker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// TestConcurrentDeliveriesDepositOnce: several deliveries of one invoice
// at the same moment — its task rebuilt from the books after Redis lost
// the queue while the first still ran, as the chaos run found — deposit it
// once; the others leave it to the one that holds the claim.
func TestConcurrentDeliveriesDepositOnce(t *testing.T) {
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, books *store.Store) {
		loadSample(t, books)
		// Slow answers: the deliveries overlap during the call.
		s := newStackOn(t, books, sandbox.Faults{Latency: sandbox.Duration(300 * time.Millisecond)}, redistest.Start(t))
		_, inv, err := issueOne(ctx, books, catalog(t), establishmentBySIRET(t, books, "21299951000010"), 2026, invoice.KindContribution,
			time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := RenderAndStore(ctx, books, issuer(t), inv, []string{"cii"}, "test"); err != nil {
			t.Fatal(err)
		}
		if inv, err = books.Apply(ctx, inv.ID, inv.State, store.Change{To: invoice.StateDelivering, Channel: ptr("chorus"), Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { errs[i] = s.p.deposit(ctx, inv) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("delivery %d: %v", i, err)
			}
		}
		// A delivery that read the invoice delivering before the deposit
		// was recorded, and reaches the call only now, does not deposit it.
		if err := s.p.depositNow(ctx, inv, chorus.Buyer{}); err != nil {
			t.Errorf("a late delivery: %v", err)
		}
		if n := s.depositsPerNumber()[inv.Number]; n != 1 {
			t.Fatalf("%s deposited %d times, want once", inv.Number, n)
		}
		got, err := books.InvoiceByID(ctx, inv.ID)
		if err != nil || got.State != invoice.StateDeposited {
			t.Fatalf("the invoice is %s (%v), want deposited", got.State, err)
		}
	})
}

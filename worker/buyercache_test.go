package worker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// countingDirectory answers every buyer and counts the look-ups.
type countingDirectory struct {
	chorusAPI
	calls map[string]int
}

func (d *countingDirectory) LookupBuyer(_ context.Context, siret string) (chorus.Buyer, error) {
	d.calls[siret]++
	return chorus.Buyer{SIRET: siret, OnChorus: true}, nil
}

func TestBuyerCacheBoundedAndExpiring(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		size      int
		ttl       time.Duration
		advance   time.Duration
		buyers    int
		wantCalls int // for two passes over the buyers
		wantKept  int
	}{
		{"unbounded keeps all", 0, time.Hour, 0, 50, 50, 50},
		{"bounded forgets the oldest", 10, time.Hour, 0, 50, 100, 10},
		{"bounded but large enough", 100, time.Hour, 0, 50, 50, 50},
		{"expired entries are looked up again", 0, time.Hour, 2 * time.Hour, 50, 100, 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := now
			dir := &countingDirectory{calls: map[string]int{}}
			c := &buyerCache{ttl: tc.ttl, size: tc.size, now: func() time.Time { return clock }, entries: map[string]cachedBuyer{}}
			for pass := 0; pass < 2; pass++ {
				for i := range tc.buyers {
					siret := fmt.Sprintf("%014d", i)
					b, err := c.buyer(context.Background(), dir, siret)
					if err != nil || b.SIRET != siret {
						t.Fatalf("get %s: %+v %v", siret, b, err)
					}
				}
				clock = clock.Add(tc.advance)
			}
			total := 0
			for _, n := range dir.calls {
				total += n
			}
			if total != tc.wantCalls || len(c.entries) != tc.wantKept || len(c.order) != tc.wantKept {
				t.Errorf("%d look-ups, %d kept (%d in order), want %d and %d", total, len(c.entries), len(c.order), tc.wantCalls, tc.wantKept)
			}
		})
	}
}

// servicesDirectory also lists services and answers their rules, and
// counts how often.
type servicesDirectory struct {
	countingDirectory
	loads, rules int
}

func (d *servicesDirectory) LoadServices(_ context.Context, b chorus.Buyer) (chorus.Buyer, error) {
	d.loads++
	b.Services, b.ServicesLoaded = []chorus.ServiceStructure{{IDService: 7, CodeService: "GESTION", EstActif: true}}, true
	return b, nil
}

func (d *servicesDirectory) ServiceRules(_ context.Context, _, idService int64) (chorus.ServiceRules, error) {
	d.rules++
	return chorus.ServiceRules{EngagementRequired: idService == 7}, nil
}

// The services are read only for an invoice with a code service, once per
// entry (an entry without them is completed, not looked up again); a
// service's engagement rule only for an invoice naming it without an
// engagement number, once.
func TestBuyerCacheLoadsServicesWhenNeeded(t *testing.T) {
	dir := &servicesDirectory{countingDirectory: countingDirectory{calls: map[string]int{}}}
	c := &buyerCache{ttl: time.Hour, now: time.Now, entries: map[string]cachedBuyer{}}
	ctx := context.Background()
	steps := []struct {
		code, engagement string
		wantProblem      ReferenceCode
	}{
		{"", "", ""},
		{"", "EJ-1", ""},
		{"GESTION", "EJ-1", ""},
		{"GESTION", "", RefsServiceNeedsEngagement},
		{"GESTION", "", RefsServiceNeedsEngagement},
		{"", "", ""},
	}
	for i, st := range steps {
		e, err := c.get(ctx, dir, "26223144200035", st.code, st.engagement)
		if err != nil || (st.code != "" && (!e.Buyer.ServicesLoaded || e.Buyer.Check(st.code, st.engagement) != nil)) {
			t.Fatalf("get %d (%+v): %+v %v", i, st, e, err)
		}
		got := ReferenceCode("")
		if p := e.serviceProblem(st.code, st.engagement); p != nil {
			got = p.Code
		}
		if got != st.wantProblem {
			t.Errorf("get %d (%+v): problem %q, want %q", i, st, got, st.wantProblem)
		}
	}
	if dir.calls["26223144200035"] != 1 || dir.loads != 1 || dir.rules != 1 {
		t.Errorf("%d look-ups, %d service loads, %d rules, want 1, 1 and 1", dir.calls["26223144200035"], dir.loads, dir.rules)
	}
}

package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/store"
)

// buyerEntry is what is kept of a buyer: its directory entry (its services
// once an invoice named one), and the engagement rule of each service an
// invoice named without an engagement number.
type buyerEntry struct {
	Buyer chorus.Buyer `json:"buyer"`
	// EngagementRequired is structures/v1/consulter/service's rule, by code
	// service, for the services checked.
	EngagementRequired map[string]bool `json:"engagementRequired,omitempty"`
}

// serviceProblem is the per-service rule: a service requiring an
// engagement number refuses an invoice without one (OCA checks it; an
// invoice not checked bounces once).
func (e buyerEntry) serviceProblem(codeService, engagement string) *ReferenceProblem {
	if codeService != "" && engagement == "" && e.EngagementRequired[codeService] {
		return &ReferenceProblem{Code: RefsServiceNeedsEngagement, Service: codeService}
	}
	return nil
}

// decideChannelFor is decideChannel with the per-service rule.
func decideChannelFor(est store.Establishment, e buyerEntry, codeService, engagement string) ChannelDecision {
	d := decideChannel(est, e.Buyer, codeService, engagement)
	if d.Channel != ChannelChorus {
		return d
	}
	if p := e.serviceProblem(codeService, engagement); p != nil {
		return ChannelDecision{Channel: ChannelAwaiting, Reason: p.Reason(), Problem: p}
	}
	return d
}

// directoryBooks is where the directory entries are kept between workers
// and runs.
type directoryBooks interface {
	DirectoryEntry(ctx context.Context, siret string) (store.DirectoryEntry, error)
	PutDirectoryEntry(ctx context.Context, e store.DirectoryEntry) error
	ForgetDirectoryEntry(ctx context.Context, siret string) error
}

// buyerCache keeps buyers' directory entries: in memory for BuyerCacheTTL
// (at most BuyerCacheSize of them, the oldest forgotten first: a run over
// 100,000 establishments would otherwise keep 38 MB of entries its batches
// no longer need), and in the books for DirectoryTTL, shared by every
// worker. Two calls per buyer (rechercher, consulter) were two thirds of
// what an invoice costs in calls: with entries kept over a year, the next
// yearly run, the overage run and re-submissions ask none. An entry Chorus
// Pro contradicts (a flow refused) is forgotten at once, and a person
// typing references always has them checked afresh (FillReferences). A
// buyer found absent from Chorus Pro is kept only for notOnChorusTTL: it
// may join, and asking again costs one call.
//
// Its clock is the pipeline's civil one: the ages are of the books'
// calendar (the demo and the bench move it faster than the machine's).
type buyerCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	keep    time.Duration
	size    int
	now     func() time.Time
	books   directoryBooks // nil: memory only
	entries map[string]cachedBuyer
	order   []string // insertion order, for eviction
}

// notOnChorusTTL is how long a buyer found absent from Chorus Pro is taken
// as absent without asking again: a day, for one run's deliveries.
const notOnChorusTTL = 24 * time.Hour

type cachedBuyer struct {
	e       buyerEntry
	fetched time.Time // asked of Chorus Pro
	at      time.Time // put in memory
}

func newBuyerCache(books *store.Store, cfg Config, now func() time.Time) *buyerCache {
	c := &buyerCache{ttl: cfg.BuyerCacheTTL, keep: cfg.DirectoryTTL, size: cfg.BuyerCacheSize, now: now, entries: map[string]cachedBuyer{}}
	if books != nil && cfg.DirectoryTTL > 0 {
		c.books = books
	}
	return c
}

// get returns a buyer's entry with what an invoice naming codeService (and
// engagement) needs: its services when it names one, the service's
// engagement rule when it names one without an engagement number.
func (c *buyerCache) get(ctx context.Context, api chorusAPI, siret, codeService, engagement string) (buyerEntry, error) {
	e, fetched, ok := c.memory(siret)
	if !ok {
		e, fetched, ok = c.kept(ctx, siret)
	}
	changed := false
	if !ok {
		b, err := api.LookupBuyer(ctx, siret)
		if err != nil {
			return e, err
		}
		e, fetched, changed = buyerEntry{Buyer: b}, c.now(), true
	}
	if codeService != "" && e.Buyer.OnChorus {
		if !e.Buyer.ServicesLoaded {
			b, err := api.LoadServices(ctx, e.Buyer)
			if err != nil {
				return e, err
			}
			e.Buyer, changed = b, true
		}
		if _, known := e.EngagementRequired[codeService]; engagement == "" && !known {
			for _, s := range e.Buyer.Services {
				if s.CodeService != codeService || !s.EstActif {
					continue
				}
				rules, err := api.ServiceRules(ctx, e.Buyer.IDStructure, s.IDService)
				if err != nil {
					return e, err
				}
				if e.EngagementRequired == nil {
					e.EngagementRequired = map[string]bool{}
				}
				e.EngagementRequired[codeService], changed = rules.EngagementRequired, true
			}
		}
	}
	if changed {
		c.remember(siret, e, fetched)
		if err := c.keepInBooks(ctx, siret, e, fetched); err != nil {
			return e, err
		}
	}
	return e, nil
}

// buyer is get's chorus.Buyer, for callers with no code service to check.
func (c *buyerCache) buyer(ctx context.Context, api chorusAPI, siret string) (chorus.Buyer, error) {
	e, err := c.get(ctx, api, siret, "", "")
	return e.Buyer, err
}

func (c *buyerCache) memory(siret string) (buyerEntry, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.entries[siret]
	now := c.now()
	if !ok || now.Sub(m.at) >= c.ttl || (c.keep > 0 && now.Sub(m.fetched) >= c.keep) {
		return buyerEntry{}, time.Time{}, false
	}
	return m.e, m.fetched, true
}

// kept reads the books' entry when it is recent enough; a missing or
// unreadable one is looked up again.
func (c *buyerCache) kept(ctx context.Context, siret string) (buyerEntry, time.Time, bool) {
	if c.books == nil {
		return buyerEntry{}, time.Time{}, false
	}
	d, err := c.books.DirectoryEntry(ctx, siret)
	if err != nil || c.now().Sub(d.FetchedAt) >= c.keep {
		return buyerEntry{}, time.Time{}, false
	}
	var e buyerEntry
	if json.Unmarshal([]byte(d.Data), &e) != nil || e.Buyer.SIRET != siret {
		return buyerEntry{}, time.Time{}, false
	}
	if !e.Buyer.OnChorus && c.now().Sub(d.FetchedAt) >= notOnChorusTTL {
		return buyerEntry{}, time.Time{}, false
	}
	c.remember(siret, e, d.FetchedAt)
	return e, d.FetchedAt, true
}

func (c *buyerCache) keepInBooks(ctx context.Context, siret string, e buyerEntry, fetched time.Time) error {
	if c.books == nil {
		return nil
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("directory entry of %s: %w", siret, err)
	}
	return c.books.PutDirectoryEntry(ctx, store.DirectoryEntry{SIRET: siret, Data: string(data), FetchedAt: fetched})
}

func (c *buyerCache) remember(siret string, e buyerEntry, fetched time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[siret]; !ok {
		c.order = append(c.order, siret)
	}
	c.entries[siret] = cachedBuyer{e: e, fetched: fetched, at: c.now()}
	for c.size > 0 && len(c.entries) > c.size {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	if cap(c.order) > 4*max(c.size, 1024) {
		c.order = append([]string(nil), c.order...) // let the evicted prefix go
	}
}

// forget drops an establishment's buyer entry (Chorus Pro refused an
// invoice for what it may have said): the next delivery asks again. It is
// best effort: an entry not forgotten is only used until DirectoryTTL.
func (c *buyerCache) forget(ctx context.Context, books *store.Store, establishmentID int64) {
	est, err := books.EstablishmentByID(ctx, establishmentID)
	if err != nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, est.SIRET)
	c.mu.Unlock()
	if c.books != nil {
		_ = c.books.ForgetDirectoryEntry(ctx, est.SIRET)
	}
}

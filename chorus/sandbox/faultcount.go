package sandbox

import (
	"sync"
	"sync/atomic"
)

// FaultCounts counts the faults and quirks the sandbox actually played
// since it started (Reset does not clear them), for a harness that reports
// what it injected: a rate or a quirk switched on says what may happen,
// these say what did.
type FaultCounts struct {
	// LostResponses counts the applied /cpro calls whose answer was lost
	// (Faults.LostResponseRate: the connection closed without an answer).
	LostResponses int64 `json:"lostResponses"`
	// Deposit4xx counts the deposits answered HTTP 400 by the deposit-4xx
	// quirk (not applied: no flow, so Deposits does not list them).
	Deposit4xx int64 `json:"deposit4xx"`
	// SearchLagHidden counts the invoices that a supplier search did not
	// return because of the search-lag quirk although they were already
	// Chorus Pro invoices (each invoice once, however many searches missed
	// it).
	SearchLagHidden int64 `json:"searchLagHidden"`
}

// faultCount is the Server's tally behind FaultCounts. It has its own
// lock: it is bumped both with and without Server.mu held.
type faultCount struct {
	lost, deposit4xx atomic.Int64
	mu               sync.Mutex
	lagHidden        map[int64]bool // by identifiantFactureCPP
}

// hiddenByLag notes that a search missed invoice id because of the lag.
func (c *faultCount) hiddenByLag(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lagHidden == nil {
		c.lagHidden = map[int64]bool{}
	}
	c.lagHidden[id] = true
}

// FaultCounts returns what the sandbox played so far.
func (s *Server) FaultCounts() FaultCounts {
	c := &s.faultCount
	c.mu.Lock()
	defer c.mu.Unlock()
	return FaultCounts{LostResponses: c.lost.Load(), Deposit4xx: c.deposit4xx.Load(), SearchLagHidden: int64(len(c.lagHidden))}
}

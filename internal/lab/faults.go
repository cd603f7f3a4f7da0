package lab

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
)

// The fault families of the chaos run, as its summary names them.
const (
	FaultWorkerKill        = "worker-kill"
	FaultRedisRestart      = "redis-restart"
	FaultPostgresOutage    = "postgres-outage"
	FaultDeposit4xx        = "deposit-4xx"
	FaultDepositCodeRetour = "deposit-coderetour"
	FaultLostResponse      = "lost-response"
	FaultSearchLag         = "search-lag"
	FaultTokenFailure      = "token-failure"
	FaultClockSkew         = "clock-skew"
	FaultDuplicatePayment  = "duplicate-payment"
	FaultImportDuringRun   = "import-during-run"
	// FaultTimeout is a /cpro call the fault proxy held until the client
	// gave up: printed after the eleven families of issue 17.
	FaultTimeout = "timeout"
)

// FaultNames lists the fault families in the order the summary prints them.
func FaultNames() []string {
	return []string{FaultWorkerKill, FaultRedisRestart, FaultPostgresOutage, FaultDeposit4xx, FaultDepositCodeRetour,
		FaultLostResponse, FaultSearchLag, FaultTokenFailure, FaultClockSkew, FaultDuplicatePayment, FaultImportDuringRun,
		FaultTimeout}
}

// FaultTally counts the faults the chaos run injected, each only once it
// actually happened (a rate switched on that never fired counts nothing),
// and says which families were left out on purpose. It is safe for
// concurrent use: the fault proxy counts from its handlers.
type FaultTally struct {
	mu      sync.Mutex
	n       map[string]int
	skipped map[string]string // family → why it was not injected
}

// NewFaultTally returns an empty tally.
func NewFaultTally() *FaultTally {
	return &FaultTally{n: map[string]int{}, skipped: map[string]string{}}
}

// Add counts k more of fault name.
func (t *FaultTally) Add(name string, k int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n[name] += k
}

// Set replaces the count of name: for the faults the sandbox counted
// itself, read once at the end.
func (t *FaultTally) Set(name string, k int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n[name] = k
}

// Count is how many of fault name happened.
func (t *FaultTally) Count(name string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n[name]
}

// Skip records that family name is not injected in this run, and why (a
// server the run does not own): the summary says so, and Missing does not
// list it.
func (t *FaultTally) Skip(name, why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.skipped[name] = why
}

// Missing lists, in summary order, the families that were meant to be
// injected and never happened.
func (t *FaultTally) Missing() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, name := range FaultNames() {
		if _, skipped := t.skipped[name]; !skipped && t.n[name] == 0 {
			out = append(out, name)
		}
	}
	return out
}

// WriteSummary prints one line `fault: NAME ×N` per family, in the order
// of FaultNames, ×0 included so that a family missing from the run shows,
// followed by why each skipped family was.
func (t *FaultTally) WriteSummary(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, name := range FaultNames() {
		fmt.Fprintf(w, "fault: %s ×%d\n", name, t.n[name])
	}
	for _, name := range FaultNames() {
		if why, ok := t.skipped[name]; ok {
			fmt.Fprintf(w, "chaos: %s not injected: %s\n", name, why)
		}
	}
}

// faultPlan is when, and for how long, the chaos run injects each fault.
// One-shot faults fire when the share of the first import's
// establishments done with (an outcome, no invoice still being issued or
// delivered) reaches their mark, in this order: the second import, the
// Redis restart, the PostgreSQL outage, then the payments.
// Windowed faults (token failures, held calls, the deposit and search
// quirks) stay on until each has happened at least once.
type faultPlan struct {
	// KillEvery is how often a random worker is killed, during the fault
	// phase.
	KillEvery time.Duration
	// ImportAt, RedisAt and OutageAt are the marks of the second import,
	// the Redis restart and the PostgreSQL outage (shares in [0, 1]).
	ImportAt, RedisAt, OutageAt float64
	// Outage is how long the run's PostgreSQL stays down.
	Outage time.Duration
	// TokenWindow is how long, from the start of billing, the token
	// endpoint fails (longer if no token was asked meanwhile).
	TokenWindow time.Duration
	// Holds is how many /cpro calls the proxy holds past the workers'
	// CallTimeout at a time (held again until one has timed out).
	Holds int
	// CallTimeout is the workers' Chorus Pro call timeout
	// (CHORUS_CALL_TIMEOUT): lower than the client's 60 s default so that
	// a held call times out within seconds, before a worker kill ends it.
	CallTimeout time.Duration
	// Skews are the clock offsets of the first workers
	// (CHORUSBILL_CLOCK_SKEW), one each.
	Skews []time.Duration
	// Quirks are the sandbox's quirks during the fault phase: deposits
	// answered 400 or codeRetour ≠ 0, a search lagging the integration.
	Quirks sandbox.Quirks
	// Payments is how many postal invoices the run pays (by a bank
	// statement imported twice), plus one overpaid.
	Payments int
	// NewShare is the share of new establishments of the second import.
	NewShare float64
}

// planFor is the fault plan of a run of n establishments: the outage
// lasts 20 s, 10 s in the short form (under 1,000).
func planFor(n int, killEvery, outage time.Duration) faultPlan {
	if outage == 0 {
		outage = 20 * time.Second
		if n < 1000 {
			outage = 10 * time.Second
		}
	}
	return faultPlan{
		KillEvery: killEvery, ImportAt: 0.25, RedisAt: 1.0 / 3, OutageAt: 0.5, Outage: outage,
		TokenWindow: 5 * time.Second, Holds: 4, CallTimeout: 4 * time.Second,
		Skews: []time.Duration{90 * time.Second, -90 * time.Second},
		// The business clock runs an hour a second: a one-hour lag is a
		// second of wall time, within the workers' search-lag wait.
		Quirks:   sandbox.Quirks{Deposit4xxRate: 0.05, CodeRetourAppliedRate: 0.05, SearchLag: sandbox.Duration(time.Hour)},
		Payments: 10, NewShare: 0.01,
	}
}

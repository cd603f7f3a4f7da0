package dashboard

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// LoginLimits shape the delays after failed logins. A hard lock would let
// anyone lock a user out by guessing wrong on purpose, and one address
// (a proxy, an office's NAT) is many users: so failures only make the
// next attempts wait, per user name and address, and only much later per
// address alone. Zero fields take their defaults.
type LoginLimits struct {
	// Free is how many failures of a name from an address pass without
	// delay (default 3); after that, each attempt waits FirstDelay, then
	// twice as long after each further failure, up to MaxDelay (defaults
	// 1 s and 15 min).
	Free                 int
	FirstDelay, MaxDelay time.Duration
	// AddressFree is how many failures from an address, whatever the
	// names, pass without delay (default 100: a guard against trying one
	// password on many names); after that each attempt from it waits
	// FirstDelay, doubling, up to AddressMaxDelay (default 1 min: an
	// office behind one address is slowed down, never shut out).
	AddressFree     int
	AddressMaxDelay time.Duration
	// Forget is how long failures are remembered after the last one
	// (default 24 h); MaxEntries bounds what is remembered (default
	// 100,000 of each kind), the oldest forgotten first.
	Forget     time.Duration
	MaxEntries int
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.Free <= 0 {
		l.Free = 3
	}
	if l.FirstDelay <= 0 {
		l.FirstDelay = time.Second
	}
	if l.MaxDelay <= 0 {
		l.MaxDelay = 15 * time.Minute
	}
	if l.AddressFree <= 0 {
		l.AddressFree = 100
	}
	if l.AddressMaxDelay <= 0 {
		l.AddressMaxDelay = time.Minute
	}
	if l.Forget <= 0 {
		l.Forget = 24 * time.Hour
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 100_000
	}
	return l
}

// loginLimiter remembers failed logins in memory (one process; a restart
// forgets, acceptable for a brake on guessing).
type loginLimiter struct {
	mu     sync.Mutex
	limits LoginLimits
	now    func() time.Time
	// pairs are the failures of a name from an address, addrs those from
	// an address.
	pairs map[pairKey]*failures
	addrs map[netip.Prefix]*failures
	// swept is when the forgotten failures were last removed.
	swept time.Time
}

type pairKey struct {
	addr netip.Prefix
	user string
}

// failures are the failures counted since the last success, the last one
// at last; no attempt is checked before until.
type failures struct {
	n     int
	last  time.Time
	until time.Time
}

func newLoginLimiter(l LoginLimits, now func() time.Time) *loginLimiter {
	return &loginLimiter{limits: l.withDefaults(), now: now, pairs: map[pairKey]*failures{}, addrs: map[netip.Prefix]*failures{}}
}

// addrKey is whom an address stands for: itself, or for IPv6 its /64 (one
// subscriber's network, which it may spread its attempts over).
func addrKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := a.BitLen()
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// wait is how long the client at addr must wait before a password for
// user is checked (0: now).
func (l *loginLimiter) wait(addr netip.Addr, user string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	k := addrKey(addr)
	var until time.Time
	if f := l.live(l.pairs[pairKey{k, user}], now); f != nil {
		until = f.until
	}
	if f := l.live(l.addrs[k], now); f != nil && f.until.After(until) {
		until = f.until
	}
	return max(until.Sub(now), 0)
}

// live is f unless it is nil or forgotten.
func (l *loginLimiter) live(f *failures, now time.Time) *failures {
	if f == nil || now.Sub(f.last) > l.limits.Forget {
		return nil
	}
	return f
}

// fail counts a failure of user from addr.
func (l *loginLimiter) fail(addr netip.Addr, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	k := addrKey(addr)
	pk := pairKey{k, user}
	l.pairs[pk] = l.count(l.pairs[pk], now, l.limits.Free, l.limits.MaxDelay)
	l.addrs[k] = l.count(l.addrs[k], now, l.limits.AddressFree, l.limits.AddressMaxDelay)
	if now.Sub(l.swept) >= sweepEvery {
		l.swept = now
		forget(l.pairs, now, l.limits.Forget)
		forget(l.addrs, now, l.limits.Forget)
	}
	bound(l.pairs, l.limits.MaxEntries, now, l.limits.Forget)
	bound(l.addrs, l.limits.MaxEntries, now, l.limits.Forget)
}

// sweepEvery spaces the removals of forgotten failures (at a failure).
const sweepEvery = time.Minute

// forget removes the failures older than the memory.
func forget[K comparable](m map[K]*failures, now time.Time, memory time.Duration) {
	for k, f := range m {
		if now.Sub(f.last) > memory {
			delete(m, k)
		}
	}
}

// count adds a failure to f: past free, the next attempt waits the first
// delay, doubled at each further failure, up to limit.
func (l *loginLimiter) count(f *failures, now time.Time, free int, limit time.Duration) *failures {
	if f = l.live(f, now); f == nil {
		f = &failures{}
	}
	f.n++
	f.last = now
	if f.n >= free {
		d := limit
		if shift := f.n - free; shift < 32 {
			d = min(l.limits.FirstDelay<<shift, limit)
		}
		f.until = now.Add(d)
	}
	return f
}

// succeed forgets the failures of user from addr (those of the address
// stay: a spray's one success must not clear it).
func (l *loginLimiter) succeed(addr netip.Addr, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs, pairKey{addrKey(addr), user})
}

// bound keeps m under max entries: the forgotten go first, then the
// oldest half, so that a flood of names costs a sort now and then, not
// memory.
func bound[K comparable](m map[K]*failures, maxEntries int, now time.Time, memory time.Duration) {
	if len(m) <= maxEntries {
		return
	}
	forget(m, now, memory)
	if len(m) <= maxEntries {
		return
	}
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b K) int { return m[a].last.Compare(m[b].last) })
	for _, k := range keys[:len(keys)-maxEntries/2] {
		delete(m, k)
	}
}

// waitText says a wait of secs seconds in French, rounded up.
func waitText(secs int64) string {
	if secs < 60 {
		return fmt.Sprintf("%d\u00a0s", secs)
	}
	return fmt.Sprintf("%d\u00a0min", (secs+59)/60)
}

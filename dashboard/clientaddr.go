package dashboard

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address of the client: the TCP peer's, unless the peer
// is a trusted proxy; then X-Forwarded-For is read from the right (each
// proxy appends the peer it saw), and the first address not itself a
// trusted proxy is the client's. What lies left of it the client wrote
// and is ignored; so is the whole header from an untrusted peer.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHostAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			break // not written by a proxy of ours: the last hop stands
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client
}

// parseHostAddr reads an address with or without a port ("" or garbage:
// the zero Addr).
func parseHostAddr(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

package lab

import (
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// faultProxy stands between the workers and the sandbox and plays the
// faults the sandbox cannot: a token endpoint that fails (500, 503, a
// connection closed without an answer, in turn) and /cpro calls that get
// no answer before the client gives up. Everything else passes through;
// an answer the sandbox drops (its lost responses) is dropped on to the
// client, not turned into a 502, so that the client sees what it would
// see without the proxy. It counts each fault it played in tally.
type faultProxy struct {
	rp    *httputil.ReverseProxy
	tally *FaultTally
	// hold is how long a held call waits for its client to give up before
	// the proxy drops it anyway; minWait is how long a client must have
	// waited for its giving up to count as a timeout (not a worker killed
	// meanwhile).
	hold, minWait time.Duration

	mu         sync.Mutex
	failTokens bool
	failed     int // token requests failed so far, to vary the failure
	holds      int // /cpro calls still to hold
}

// newFaultProxy proxies to target (the sandbox's base URL). A call is held
// past callTimeout, the client's timeout.
func newFaultProxy(target *url.URL, tally *FaultTally, callTimeout time.Duration) *faultProxy {
	p := &faultProxy{tally: tally, hold: callTimeout + 5*time.Second, minWait: callTimeout * 9 / 10}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) },
		// The sandbox closed the connection without an answer (a lost
		// response): close the client's too.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { dropAnswer(w) },
	}
	return p
}

// FailTokens switches the token endpoint's failures on or off.
func (p *faultProxy) FailTokens(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failTokens = on
}

// Hold has the proxy hold the next n /cpro calls, replacing what an
// earlier Hold left to hold.
func (p *faultProxy) Hold(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holds = n
}

// Holding reports how many calls are still to be held.
func (p *faultProxy) Holding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.holds
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	failToken := p.failTokens && r.URL.Path == chorus.PathToken
	nth := p.failed
	if failToken {
		p.failed++
	}
	hold := !failToken && p.holds > 0 && strings.HasPrefix(r.URL.Path, "/cpro/")
	if hold {
		p.holds--
	}
	p.mu.Unlock()
	switch {
	case failToken:
		p.tally.Add(FaultTokenFailure, 1)
		switch nth % 3 {
		case 0:
			http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		case 1:
			http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
		default:
			dropAnswer(w)
		}
	case hold:
		p.holdCall(w, r)
	default:
		p.rp.ServeHTTP(w, r)
	}
}

// holdCall never forwards the call (the platform never saw it) and never
// answers it: it waits until the client gives up, counted as a timeout,
// or until p.hold, then closes the connection.
func (p *faultProxy) holdCall(w http.ResponseWriter, r *http.Request) {
	// The server notices a client gone only once the body is read.
	io.Copy(io.Discard, r.Body)
	start := time.Now()
	t := time.NewTimer(p.hold)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		if time.Since(start) >= p.minWait {
			p.tally.Add(FaultTimeout, 1)
		}
	case <-t.C:
	}
	dropAnswer(w)
}

// dropAnswer closes the client's connection without an answer.
func dropAnswer(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
}

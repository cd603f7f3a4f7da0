package lab

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// proxyFixture is a fault proxy in front of a backend that answers 200
// "ok" and counts what reaches it, except /lost, whose answer it drops.
func proxyFixture(t *testing.T, callTimeout time.Duration) (*faultProxy, *FaultTally, string, *atomic.Int64) {
	t.Helper()
	var reached atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if r.URL.Path == "/cpro/lost" {
			dropAnswer(w)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(backend.Close)
	target, _ := url.Parse(backend.URL)
	tally := NewFaultTally()
	p := newFaultProxy(target, tally, callTimeout)
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	return p, tally, front.URL, &reached
}

// fresh is a client that never reuses a connection the proxy closed.
func fresh(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

func post(c *http.Client, u string) (int, error) {
	resp, err := c.Post(u, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// While the window is open, the token endpoint answers 500, 503, then
// closes the connection, each counted and none reaching the sandbox; the
// /cpro calls pass; once closed, tokens pass again.
func TestProxyTokenFailures(t *testing.T) {
	p, tally, front, reached := proxyFixture(t, time.Second)
	c := fresh(5 * time.Second)
	p.FailTokens(true)
	var got []string
	for range 3 {
		status, err := post(c, front+chorus.PathToken)
		if err != nil {
			got = append(got, "closed")
		} else {
			got = append(got, http.StatusText(status))
		}
	}
	if want := "Internal Server Error,Service Unavailable,closed"; strings.Join(got, ",") != want {
		t.Errorf("token answers %v, want %s", got, want)
	}
	if status, err := post(c, front+"/cpro/x"); err != nil || status != 200 {
		t.Errorf("a /cpro call during the window: %d, %v", status, err)
	}
	p.FailTokens(false)
	if status, err := post(c, front+chorus.PathToken); err != nil || status != 200 {
		t.Errorf("after the window: %d, %v", status, err)
	}
	if n := tally.Count(FaultTokenFailure); n != 3 {
		t.Errorf("token-failure ×%d, want 3", n)
	}
	if n := reached.Load(); n != 2 {
		t.Errorf("%d calls reached the sandbox, want 2 (the /cpro call and the last token)", n)
	}
}

// A held call is never forwarded: the client gives up at its timeout,
// counted once; the next call passes. A client that gives up early (a
// worker killed) is not a timeout.
func TestProxyHoldsPastTheClientTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	p, tally, front, reached := proxyFixture(t, timeout)
	p.Hold(1)
	start := time.Now()
	if _, err := post(fresh(timeout), front+"/cpro/deposer"); err == nil {
		t.Fatal("a held call was answered")
	}
	if waited := time.Since(start); waited < timeout {
		t.Errorf("gave up after %s", waited)
	}
	if status, err := post(fresh(timeout), front+"/cpro/deposer"); err != nil || status != 200 {
		t.Errorf("the next call: %d, %v", status, err)
	}
	waitFor(t, func() bool { return tally.Count(FaultTimeout) == 1 })
	if n := reached.Load(); n != 1 {
		t.Errorf("%d calls reached the sandbox, want 1", n)
	}
	if p.Holding() != 0 {
		t.Errorf("still holding %d", p.Holding())
	}

	p.Hold(1)
	if _, err := post(fresh(timeout/10), front+"/cpro/deposer"); err == nil {
		t.Fatal("a held call was answered")
	}
	time.Sleep(timeout)
	if n := tally.Count(FaultTimeout); n != 1 {
		t.Errorf("a client gone early counted: timeout ×%d", n)
	}
}

// An answer the sandbox drops is dropped on, not turned into a 502.
func TestProxyPassesLostResponses(t *testing.T) {
	_, _, front, _ := proxyFixture(t, time.Second)
	if status, err := post(fresh(5*time.Second), front+"/cpro/lost"); err == nil {
		t.Errorf("a lost answer came back as %d", status)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

func TestFaultKinds(t *testing.T) {
	depositBody := func(n string) chorus.DeposerFluxRequest {
		return chorus.DeposerFluxRequest{FichierFlux: newInvoice(n, siretPlougastel).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B}
	}
	tests := []struct {
		name   string
		faults Faults
		// check receives the deposit's outcome and the number of flows the
		// sandbox recorded.
		check func(t *testing.T, resp *http.Response, err error, flows int)
	}{
		{"5xx", Faults{ErrorRate: 1}, func(t *testing.T, resp *http.Response, err error, flows int) {
			if err != nil || (resp.StatusCode != 500 && resp.StatusCode != 503) {
				t.Fatalf("want 500 or 503, got %v %v", resp, err)
			}
			if flows != 0 {
				t.Errorf("a 5xx deposit was applied")
			}
		}},
		{"429", Faults{RateLimitRate: 1, RetryAfter: Duration(7 * time.Second)}, func(t *testing.T, resp *http.Response, err error, flows int) {
			if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
				t.Fatalf("want 429 Retry-After 7, got %v %v", resp, err)
			}
			if flows != 0 {
				t.Errorf("a 429 deposit was applied")
			}
		}},
		{"429 without delay", Faults{RateLimitRate: 1}, func(t *testing.T, resp *http.Response, err error, flows int) {
			if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "0" {
				t.Fatalf("want 429 Retry-After 0, got %v %v", resp, err)
			}
		}},
		{"429 sub-second Retry-After rounds up", Faults{RateLimitRate: 1, RetryAfter: Duration(1500 * time.Millisecond)}, func(t *testing.T, resp *http.Response, err error, flows int) {
			if err != nil || resp.Header.Get("Retry-After") != "2" {
				t.Fatalf("want Retry-After 2, got %v %v", resp, err)
			}
		}},
		{"lost response", Faults{LostResponseRate: 1}, func(t *testing.T, resp *http.Response, err error, flows int) {
			if err == nil {
				t.Fatalf("want a connection error, got HTTP %d", resp.StatusCode)
			}
			if flows != 1 {
				t.Errorf("the deposit whose response was lost was not applied (%d flows)", flows)
			}
		}},
		{"faults limited to other paths", Faults{ErrorRate: 1, LostResponseRate: 1, Paths: []string{"/cpro/structures/"}}, func(t *testing.T, resp *http.Response, err error, flows int) {
			if err != nil || resp.StatusCode != 200 || flows != 1 {
				t.Fatalf("want a clean deposit, got %v %v (%d flows)", resp, err, flows)
			}
		}},
		{"faults limited to this path", Faults{ErrorRate: 1, Paths: []string{chorus.PathDeposerFlux}}, func(t *testing.T, resp *http.Response, err error, flows int) {
			if err != nil || resp.StatusCode < 500 || flows != 0 {
				t.Fatalf("want a 5xx, got %v %v (%d flows)", resp, err, flows)
			}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.token = h.getToken()
			if err := h.srv.SetFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			// A fresh client so that a dropped connection is not reused.
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, _, err := h.doWith(c, chorus.PathDeposerFlux, depositBody(fmt.Sprintf("FAULT-%d", i)), h.token, cproAccount(DefaultTechLogin, DefaultTechPassword))
			tc.check(t, resp, err, len(h.srv.Deposits()))
		})
	}
}

func TestLostResponseThenReconcile(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Faults = Faults{LostResponseRate: 1, Paths: []string{chorus.PathDeposerFlux}}
	})
	h.token = h.getToken()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, _, err := h.doWith(c, chorus.PathDeposerFlux, chorus.DeposerFluxRequest{
		FichierFlux: newInvoice("LOST-1", siretPlougastel).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B,
	}, h.token, cproAccount(DefaultTechLogin, DefaultTechPassword))
	if err == nil {
		t.Fatal("want a connection error")
	}
	if d := h.srv.Deposits(); len(d) != 1 || !d[0].AnswerLost {
		t.Fatalf("the deposit whose answer was lost is not marked so: %+v", d)
	}
	// The caller reconciles by searching the number: once the flow is
	// processed, the invoice is there.
	h.advance(testIntegration)
	if id := h.findID("LOST-1"); id == 0 {
		t.Fatal("no invoice")
	}
	deps := h.srv.Deposits()
	if len(deps) != 1 || deps[0].EtatFinal != chorus.EtatFluxIntegre || deps[0].NumeroFacture != "LOST-1" {
		t.Errorf("deposits: %+v", deps)
	}
}

func TestLatency(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Faults = Faults{Latency: Duration(time.Minute)} })
	// The token endpoint is slowed down too: a client with a short timeout
	// gives up.
	c := &http.Client{Timeout: 50 * time.Millisecond}
	_, err := c.PostForm(h.http.URL+chorus.PathToken, goodForm())
	if err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("want a client timeout, got %v", err)
	}
	_, _, err = h.doWith(c, chorus.PathStructuresActivesFournisseur, struct{}{}, "x", "y")
	if err == nil {
		t.Fatal("want a client timeout on /cpro")
	}
	if err := h.srv.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PostForm(h.http.URL+chorus.PathToken, goodForm()); err != nil {
		t.Fatalf("without latency: %v", err)
	}
}

func TestFlakyInvalidClient(t *testing.T) {
	run := func(seed uint64) []int {
		h := newHarness(t, func(c *Config) { c.Seed = seed; c.Faults = Faults{InvalidClientRate: 0.5} })
		var statuses []int
		for range 40 {
			resp, body := h.tokenRequest(goodForm(), "", "")
			if resp.StatusCode != 200 && !strings.Contains(string(body), `"invalid_client"`) {
				t.Fatalf("status %d %s", resp.StatusCode, body)
			}
			statuses = append(statuses, resp.StatusCode)
		}
		return statuses
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different fault sequences")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same fault sequence")
	}
	fails := 0
	for _, s := range a {
		if s != 200 {
			fails++
		}
	}
	if fails == 0 || fails == len(a) {
		t.Errorf("%d refusals out of %d at rate 0.5", fails, len(a))
	}
	// Wrong credentials are still refused when the draw would let them in.
	h := newHarness(t, nil)
	bad := goodForm()
	bad.Set("client_secret", "x")
	if resp, _ := h.tokenRequest(bad, "", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad credentials: %d", resp.StatusCode)
	}
}

func TestFaultRatesAreDeterministic(t *testing.T) {
	run := func() (string, int) {
		h := newHarness(t, func(c *Config) {
			c.Faults = Faults{ErrorRate: 0.2, RateLimitRate: 0.1, Paths: []string{"/cpro/"}}
		})
		h.token = h.getToken()
		var seq strings.Builder
		n5xx := 0
		for range 200 {
			resp, _, err := h.do(chorus.PathStructuresActivesFournisseur, struct{}{})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&seq, "%d,", resp.StatusCode)
			if resp.StatusCode >= 500 {
				n5xx++
			}
		}
		return seq.String(), n5xx
	}
	a, n := run()
	b, _ := run()
	if a != b {
		t.Error("the same seed gave different fault sequences")
	}
	if n < 20 || n > 60 {
		t.Errorf("%d 5xx out of 200 at rate 0.2", n)
	}
}

func TestFaultsValidation(t *testing.T) {
	bad := []Faults{
		{ErrorRate: -0.1}, {ErrorRate: 1.1}, {RateLimitRate: 0.6, ErrorRate: 0.6},
		{LostResponseRate: 2}, {InvalidClientRate: -1}, {Latency: -1},
	}
	for i, f := range bad {
		if f.Validate() == nil {
			t.Errorf("faults %d accepted: %+v", i, f)
		}
	}
	if _, err := New(Config{Faults: Faults{ErrorRate: 3}}); err == nil {
		t.Error("New accepted bad faults")
	}
}

// Many goroutines deposit, search and poll at once while the clock moves and
// the admin lists everything: run with -race.
func TestConcurrency(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Faults = Faults{ErrorRate: 0.1, RateLimitRate: 0.1, LostResponseRate: 0.05}
	})
	h.token = h.getToken()
	account := cproAccount(DefaultTechLogin, DefaultTechPassword)
	const workers, perWorker = 16, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{}}
			for i := range perWorker {
				number := fmt.Sprintf("CC-%02d-%03d", w, i)
				body := chorus.DeposerFluxRequest{FichierFlux: newInvoice(number, siretCrozon).cii(), NomFichier: number + ".xml", SyntaxeFlux: chorus.SyntaxeCII16B}
				// Deposit until an answer comes back; after a lost response,
				// reconcile by searching the number first (advancing the
				// clock so that pending flows are processed).
				for attempt := 0; ; attempt++ {
					if attempt > 50 {
						errs <- fmt.Errorf("%s: too many attempts", number)
						return
					}
					resp, data, err := h.doWith(c, chorus.PathDeposerFlux, body, h.token, account)
					if err != nil {
						if applied(h, number) {
							break
						}
						continue
					}
					if resp.StatusCode != 200 {
						continue
					}
					var out chorus.DeposerFluxResponse
					if json.Unmarshal(data, &out) != nil || !out.OK() {
						errs <- fmt.Errorf("%s: %s", number, data)
						return
					}
					break
				}
				_ = h.srv.Advance(time.Second)
				_ = h.srv.Invoices()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			_ = h.srv.Deposits()
			_ = h.srv.Now()
			_ = h.srv.SetFaults(h.srv.Faults())
			_, _ = h.srv.Buyer(siretCrozon)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	h.advance(testIntegration)
	count := map[string]int{}
	for _, inv := range h.srv.Invoices() {
		count[inv.NumeroFacture]++
	}
	if len(count) != workers*perWorker {
		t.Errorf("%d numbers integrated, want %d", len(count), workers*perWorker)
	}
	for n, c := range count {
		if c != 1 {
			t.Errorf("%s integrated %d times", n, c)
		}
	}
}

// applied reports whether the number already has a flow that integrates
// (a deposit whose response was lost was applied).
func applied(h *harness, number string) bool {
	for _, d := range h.srv.Deposits() {
		if d.NumeroFacture == number && d.EtatFinal == chorus.EtatFluxIntegre {
			return true
		}
	}
	return false
}

func TestAdminEndpoints(t *testing.T) {
	h := newHarness(t, nil)
	admin := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, h.http.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes()
	}
	h.integrate(newInvoice("ADM-1", siretPlougastel))
	if code, body := admin("GET", "/_sandbox/deposits", ""); code != 200 || !strings.Contains(string(body), `"numeroFacture":"ADM-1"`) {
		t.Errorf("deposits: %d %s", code, body)
	}
	code, body := admin("GET", "/_sandbox/invoices", "")
	var invs []Invoice
	if code != 200 || json.Unmarshal(body, &invs) != nil || len(invs) != 1 || invs[0].Statut != chorus.StatutDeposee {
		t.Fatalf("invoices: %d %s", code, body)
	}
	before := h.srv.Now()
	if code, body := admin("POST", "/_sandbox/clock/advance", `{"duration":"11d"}`); code != 200 || !strings.Contains(string(body), `"now"`) {
		t.Errorf("advance: %d %s", code, body)
	}
	if got := h.srv.Now().Sub(before); got != 11*day {
		t.Errorf("clock moved %v", got)
	}
	if code, _ := admin("POST", "/_sandbox/clock/advance", `{"duration":"-1h"}`); code != 400 {
		t.Errorf("negative advance: %d", code)
	}
	if code, _ := admin("POST", "/_sandbox/clock/advance", `{"duration":3600}`); code != 200 {
		t.Errorf("advance in seconds: %d", code)
	}
	_, body = admin("GET", "/_sandbox/invoices", "")
	_ = json.Unmarshal(body, &invs)
	if invs[0].Statut != chorus.StatutMiseEnPaiement {
		t.Errorf("after advancing: %+v", invs[0])
	}
	if code, body := admin("POST", "/_sandbox/buyers/"+siretPlougastel+"/behaviour",
		`{"lifecycle":[{"status":"REJETEE","after":"1h","comment":"non"}]}`); code != 200 || !strings.Contains(string(body), "REJETEE") {
		t.Errorf("behaviour: %d %s", code, body)
	}
	if code, _ := admin("POST", "/_sandbox/buyers/"+siretPlougastel+"/behaviour", `{"lifecycle":[{"status":"REJETEE"}]}`); code != 400 {
		t.Errorf("behaviour without reason: %d", code)
	}
	if code, _ := admin("POST", "/_sandbox/buyers/"+siretJosselin+"/behaviour", `{}`); code != 404 {
		t.Errorf("behaviour of a buyer not on Chorus Pro: %d", code)
	}
	if code, _ := admin("POST", "/_sandbox/buyers/"+siretPlougastel+"/behaviour", `{"typo":1}`); code != 400 {
		t.Errorf("unknown field: %d", code)
	}
	if code, body := admin("GET", "/_sandbox/buyers/"+siretPaimpol, ""); code != 200 || !strings.Contains(string(body), "DAF-FOURNISSEURS") {
		t.Errorf("buyer: %d %s", code, body)
	}
	if code, body := admin("POST", "/_sandbox/faults", `{"errorRate":0.2,"rateLimitRate":0.1,"retryAfter":"2s","lostResponseRate":0.05}`); code != 200 || !strings.Contains(string(body), `"retryAfter":"2s"`) {
		t.Errorf("faults: %d %s", code, body)
	}
	if f := h.srv.Faults(); f.ErrorRate != 0.2 || time.Duration(f.RetryAfter) != 2*time.Second {
		t.Errorf("faults in effect: %+v", f)
	}
	if code, _ := admin("POST", "/_sandbox/faults", `{"errorRate":2}`); code != 400 {
		t.Errorf("bad faults: %d", code)
	}
	if code, _ := admin("POST", "/_sandbox/reset", ""); code != 200 {
		t.Errorf("reset: %d", code)
	}
	if len(h.srv.Deposits()) != 0 || len(h.srv.Invoices()) != 0 || h.srv.Faults().ErrorRate != 0 || !h.srv.Now().Equal(h.clock.Now()) {
		t.Error("reset left state behind")
	}
	if b, _ := h.srv.Buyer(siretPlougastel); b.Behaviour.Lifecycles[0][0].Status != chorus.StatutMiseADisposition {
		t.Errorf("reset did not restore the behaviour: %+v", b.Behaviour)
	}
	// Tokens survive a reset.
	if resp, _, _ := h.do(chorus.PathStructuresActivesFournisseur, struct{}{}); resp.StatusCode != 200 {
		t.Errorf("token after reset: %d", resp.StatusCode)
	}
	if code, _ := admin("GET", "/_sandbox/nothing", ""); code != 404 {
		t.Errorf("unknown admin endpoint: %d", code)
	}

	off := newHarness(t, func(c *Config) { c.Admin = false })
	resp, err := off.http.Client().Get(off.http.URL + "/_sandbox/deposits")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("admin disabled: %d", resp.StatusCode)
	}
}

func TestClockSpeed(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ClockSpeed = 3600 })
	start := h.srv.Now()
	h.clock.Add(time.Second)
	if got := h.srv.Now().Sub(start); got != time.Hour {
		t.Errorf("one wall second moved the business clock %v", got)
	}
	// Tokens still follow the wall clock.
	h.token = h.getToken()
	h.clock.Add(10 * time.Second) // ten business hours
	if resp, _, _ := h.do(chorus.PathStructuresActivesFournisseur, struct{}{}); resp.StatusCode != 200 {
		t.Errorf("token refused after 10 wall seconds: %d", resp.StatusCode)
	}
}

// The business clock may start elsewhere than the wall clock, and change
// speed from where it stands: never a jump, never backwards.
func TestClockStartAndSpeedChange(t *testing.T) {
	begin := time.Date(2026, 9, 29, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, func(c *Config) { c.ClockSpeed, c.Start = 3600, begin })
	if got := h.srv.Now(); !got.Equal(begin) {
		t.Fatalf("business clock starts at %v, want %v", got, begin)
	}
	h.clock.Add(2 * time.Second) // two business hours
	if err := h.srv.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	want := begin.Add(26 * time.Hour)
	if got := h.srv.Now(); !got.Equal(want) {
		t.Fatalf("after 2 s and a day: %v, want %v", got, want)
	}
	if err := h.srv.SetClockSpeed(1); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Now(); !got.Equal(want) {
		t.Fatalf("the speed change moved the clock: %v, want %v", got, want)
	}
	h.clock.Add(time.Minute)
	if got := h.srv.Now(); !got.Equal(want.Add(time.Minute)) {
		t.Errorf("at real time a wall minute moved it to %v, want %v", got, want.Add(time.Minute))
	}
	for _, bad := range []float64{0, -1} {
		if err := h.srv.SetClockSpeed(bad); err == nil {
			t.Errorf("speed %v accepted", bad)
		}
	}
}

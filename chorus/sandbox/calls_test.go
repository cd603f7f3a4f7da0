package sandbox

import (
	"encoding/json"
	"maps"
	"net/http"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

func TestCallCounts(t *testing.T) {
	h := newHarness(t, nil)
	h.token = h.getToken()
	h.getToken()
	// Two deposits, one search, one 401, one unknown route, one 5xx fault:
	// every /cpro call counts, whatever its answer.
	h.integrate(newInvoice("CALLS-1", siretPlougastel)) // deposit, CR, search
	h.deposit(newInvoice("CALLS-2", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	if resp, _, _ := h.doWith(h.http.Client(), chorus.PathConsulterHistorique, struct{}{}, "bad-token", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
	if resp, _, _ := h.do("/cpro/factures/v1/nothing", struct{}{}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown route: %d", resp.StatusCode)
	}
	if err := h.srv.SetFaults(Faults{ErrorRate: 1, Paths: []string{chorus.PathConsulterCRDetaille}}); err != nil {
		t.Fatal(err)
	}
	if resp, _, _ := h.do(chorus.PathConsulterCRDetaille, struct{}{}); resp.StatusCode < 500 {
		t.Fatalf("fault: %d", resp.StatusCode)
	}
	want := CallCounts{
		Calls: map[string]int64{
			chorus.PathDeposerFlux:                  2,
			chorus.PathConsulterCRDetaille:          2,
			chorus.PathRechercherFactureFournisseur: 1,
			chorus.PathConsulterHistorique:          1,
			"/cpro/factures/v1/nothing":             1,
		},
		Token: 2, Total: 7,
	}
	got := h.srv.Calls()
	if !maps.Equal(got.Calls, want.Calls) || got.Token != want.Token || got.Total != want.Total {
		t.Errorf("calls %+v, want %+v", got, want)
	}
	// Admin calls are not counted; the admin view is the same.
	code, body := h.admin("GET", "/_sandbox/calls", "")
	var viaAdmin CallCounts
	if code != 200 || json.Unmarshal(body, &viaAdmin) != nil || !maps.Equal(viaAdmin.Calls, want.Calls) || viaAdmin.Total != 7 || viaAdmin.Token != 2 {
		t.Errorf("GET /_sandbox/calls: %d %s", code, body)
	}
	if code, body := h.admin("POST", "/_sandbox/calls/reset", ""); code != 200 || string(body) != `{"calls":{},"token":0,"total":0}` {
		t.Errorf("POST /_sandbox/calls/reset: %d %s", code, body)
	}
	h.do(chorus.PathHealthCheck, nil)
	if got := h.srv.Calls(); got.Total != 1 || got.Calls[chorus.PathHealthCheck] != 1 || got.Token != 0 {
		t.Errorf("after reset: %+v", got)
	}
	h.srv.ResetCalls()
	h.getToken()
	if got := h.srv.Calls(); got.Total != 0 || got.Token != 1 {
		t.Errorf("after ResetCalls: %+v", got)
	}
	h.srv.Reset()
	if got := h.srv.Calls(); got.Total != 0 || got.Token != 0 {
		t.Errorf("after Reset: %+v", got)
	}
}

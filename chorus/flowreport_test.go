package chorus_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// The flow report is asked with the flow number alone (fidelity C-2), and
// a flow to deposit again says so.
func TestFlowReportSendsTheNumberAlone(t *testing.T) {
	var mu sync.Mutex
	var sent map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == chorus.PathToken {
			_ = json.NewEncoder(w).Encode(chorus.TokenResponse{AccessToken: "tok", TokenType: "Bearer", ExpiresIn: 3600})
			return
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		_ = json.Unmarshal(body, &sent)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"codeRetour":0,"libelle":"TRA_MSG_00.000","etatCourantDepotFlux":"IN_A_RELANCER"}`))
	}))
	t.Cleanup(srv.Close)
	r, err := fakeClient(t, srv.URL).FlowReport(context.Background(), "CPP0011106000000000000001", chorus.SyntaxeCII16B)
	if err != nil || r.State != chorus.EtatFluxARelancer || r.Outcome != chorus.IssueARedeposer || !r.State.Terminal() {
		t.Fatalf("report %+v %v, want IN_A_RELANCER to deposit again", r, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 1 || sent["numeroFluxDepot"] != "CPP0011106000000000000001" {
		t.Errorf("sent %v, want numeroFluxDepot alone", sent)
	}
}

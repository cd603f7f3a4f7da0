package sandbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// FaultCounts counts what was played, not what was switched on: a 400 of
// deposit-4xx, a lost answer, an invoice a search missed for the lag (once
// however many searches missed it); nothing while the faults are off.
func TestFaultCounts(t *testing.T) {
	h := newHarness(t, nil)
	h.token = h.getToken()
	noKeepAlive := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	deposit := func(number string) {
		t.Helper()
		h.doWith(noKeepAlive, chorus.PathDeposerFlux, chorus.DeposerFluxRequest{
			FichierFlux: newInvoice(number, siretPlougastel).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B},
			h.token, cproAccount(DefaultTechLogin, DefaultTechPassword))
	}
	deposit("FC-0")
	if c := h.srv.FaultCounts(); c != (FaultCounts{}) {
		t.Fatalf("nothing switched on, counts %+v", c)
	}
	setQuirks(t, h, Quirks{Deposit4xxRate: 1})
	deposit("FC-1")
	deposit("FC-1")
	setQuirks(t, h, Quirks{SearchLag: Duration(time.Hour)})
	if err := h.srv.SetFaults(Faults{LostResponseRate: 1, Paths: []string{chorus.PathDeposerFlux}}); err != nil {
		t.Fatal(err)
	}
	deposit("FC-2")
	if err := h.srv.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	h.advance(testIntegration)
	h.searchNumber("FC-2")
	h.searchNumber("FC-2")
	h.searchNumber("FC-404") // no such invoice: nothing hidden
	want := FaultCounts{Deposit4xx: 2, LostResponses: 1, SearchLagHidden: 1}
	if c := h.srv.FaultCounts(); c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
}

package chorus_test

import (
	"context"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// A service may require an engagement its structure does not: the
// Centre hospitalier de Paimpol's DAF-FOURNISSEURS does, its
// FACTURES_PUBLIQUES does not (fixtures/chorus-buyers.yaml).
func TestServiceRules(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	b, err := e.client.LookupBuyer(ctx, buyerServiceEngagement)
	if err == nil {
		b, err = e.client.LoadServices(ctx, b)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{chorus.CodeServiceFacturesPubliques: false, "DAF-FOURNISSEURS": true, "DAF-MARCHES": true}
	for _, s := range b.Services {
		r, err := e.client.ServiceRules(ctx, b.IDStructure, s.IDService)
		if err != nil || r.EngagementRequired != want[s.CodeService] {
			t.Errorf("%s: %+v %v, want engagement required %v", s.CodeService, r, err, want[s.CodeService])
		}
		delete(want, s.CodeService)
	}
	if len(want) != 0 {
		t.Errorf("services not found: %v", want)
	}
	if _, err := e.client.ServiceRules(ctx, b.IDStructure, 1); !chorus.IsPermanent(err) {
		t.Errorf("unknown service: %v", err)
	}
}

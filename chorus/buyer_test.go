package chorus

import (
	"errors"
	"slices"
	"testing"
)

func TestBuyerCheckSaysWhatIsWrong(t *testing.T) {
	services := []ServiceStructure{{CodeService: "GESTION", EstActif: true}, {CodeService: "ANCIEN", EstActif: false}}
	buyer := func(ex Exigence) Buyer {
		return Buyer{SIRET: "26223144200035", OnChorus: true, Exigence: ex, Services: services}
	}
	for _, tt := range []struct {
		name      string
		buyer     Buyer
		code, eng string
		problem   ReferenceProblem // 0: no error
		missing   []Reference
		service   string
		message   string
	}{
		{"nothing required", buyer(ExigenceAucune), "", "", 0, nil, "", ""},
		{"engagement given", buyer(ExigenceEngagement), "", "EJ-1", 0, nil, "", ""},
		{"not on Chorus Pro", Buyer{SIRET: "26223144200035"}, "", "", BuyerNotOnChorus, nil, "", "buyer 26223144200035: not on Chorus Pro"},
		{"code service missing", buyer(ExigenceCodeService), "", "EJ-1", ReferencesMissing, []Reference{RefCodeService}, "",
			"buyer 26223144200035 requires a code service"},
		{"both missing", buyer(ExigenceCodeServiceEtEngagement), "", "", ReferencesMissing, []Reference{RefCodeService, RefEngagement}, "",
			"buyer 26223144200035 requires a code service and an engagement number"},
		{"either missing", buyer(ExigenceCodeServiceOuEngagement), "", "", ReferencesMissing, []Reference{RefCodeServiceOrEngagement}, "",
			"buyer 26223144200035 requires a code service or an engagement number"},
		{"reserved service", buyer(ExigenceCodeService), CodeServiceFacturesPubliques, "", ServiceReserved, nil, CodeServiceFacturesPubliques,
			"buyer 26223144200035: the code service FACTURES_PUBLIQUES is reserved to the public sphere"},
		{"inactive service", buyer(ExigenceCodeService), "ANCIEN", "", ServiceInactive, nil, "ANCIEN", "buyer 26223144200035: service ANCIEN is inactive"},
		{"unknown service", buyer(ExigenceAucune), "NOPE", "", ServiceUnknown, nil, "NOPE", "buyer 26223144200035: no service NOPE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.buyer.Check(tt.code, tt.eng)
			if tt.problem == 0 {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var re *ReferenceError
			if !errors.As(err, &re) {
				t.Fatalf("Check = %v, want a *ReferenceError", err)
			}
			if re.Problem != tt.problem || !slices.Equal(re.Missing, tt.missing) || re.Service != tt.service || re.Error() != tt.message {
				t.Fatalf("Check = %+v (%q), want problem %d missing %v service %q (%q)", re, re.Error(), tt.problem, tt.missing, tt.service, tt.message)
			}
		})
	}
}

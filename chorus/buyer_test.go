package chorus

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBuyerCheckSaysWhatIsWrong(t *testing.T) {
	services := []ServiceStructure{{CodeService: "GESTION", EstActif: true}, {CodeService: "ANCIEN", EstActif: false}}
	buyer := func(ex Exigence) Buyer {
		return Buyer{SIRET: "26223144200035", OnChorus: true, Exigence: ex, Services: services, ServicesLoaded: true}
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
		{"no services at all", Buyer{SIRET: "26223144200035", OnChorus: true, ServicesLoaded: true}, "GESTION", "", ServiceUnknown, nil, "GESTION",
			"buyer 26223144200035: no service GESTION"},
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

// A code service cannot be checked against services that were not read:
// Check says so rather than pass it or call it unknown.
func TestBuyerCheckNeedsLoadedServices(t *testing.T) {
	b := Buyer{SIRET: "26223144200035", OnChorus: true, Exigence: ExigenceCodeService}
	err := b.Check("GESTION", "")
	var re *ReferenceError
	if !errors.Is(err, ErrServicesNotLoaded) || errors.As(err, &re) {
		t.Fatalf("Check with services not loaded = %v, want ErrServicesNotLoaded and no *ReferenceError", err)
	}
	// What needs no service list is still answered.
	if err := b.Check("", ""); !errors.As(err, &re) || re.Problem != ReferencesMissing {
		t.Errorf("missing code service: %v", err)
	}
	if err := b.Check(CodeServiceFacturesPubliques, ""); !errors.As(err, &re) || re.Problem != ServiceReserved {
		t.Errorf("reserved service: %v", err)
	}
	if err := (Buyer{SIRET: "26223144200035"}).Check("GESTION", ""); !errors.As(err, &re) || re.Problem != BuyerNotOnChorus {
		t.Errorf("not on Chorus Pro: %v", err)
	}
}

// The worker keeps buyers in the books as JSON: the names are fixed, and a
// buyer comes back as it went.
func TestBuyerJSON(t *testing.T) {
	for _, b := range []Buyer{
		{SIRET: "25561145100014"},
		{SIRET: "21299951000010", OnChorus: true, IDStructure: 25100001, Name: "Commune", Exigence: ExigenceAucune},
		{SIRET: "26223144200035", OnChorus: true, IDStructure: 25100007, Name: "CH", Exigence: ExigenceCodeServiceEtEngagement,
			PaymentNotReported: true, ServicesLoaded: true,
			Services: []ServiceStructure{{IDService: 7, CodeService: "DAF", LibelleService: "DAF", EstActif: true}}},
	} {
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var back Buyer
		if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, b) {
			t.Errorf("%s came back as %+v (%v)", data, back, err)
		}
	}
	data, _ := json.Marshal(Buyer{SIRET: "1", OnChorus: true, IDStructure: 2, Name: "n", Exigence: ExigenceEngagement, PaymentNotReported: true,
		ServicesLoaded: true, Services: []ServiceStructure{{IDService: 3, CodeService: "C"}}})
	for _, key := range []string{`"siret":"1"`, `"on_chorus":true`, `"id_structure":2`, `"name":"n"`, `"exigence":"engagement"`,
		`"payment_not_reported":true`, `"services_loaded":true`, `"services":[{"idService":3,"codeService":"C"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("%s lacks %s", data, key)
		}
	}
}

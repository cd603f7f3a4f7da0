package document

import (
	"os"
	"strings"
	"testing"
)

func TestParseIssuer(t *testing.T) {
	orig, err := os.ReadFile("../fixtures/issuer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	is, err := ParseIssuer("issuer.yaml", orig)
	if err != nil || is.Bank.IBAN != "FR7630001000640000035200079" || is.Seller.SIRET != "25351449100047" ||
		is.ContractReference() != "2025-004" || is.Convention.Mention() != "Convention n° 2025-004 (délibération n° 2024-33 du 15/11/2024)." {
		t.Fatalf("issuer = %+v, %v", is, err)
	}
	tests := []struct{ old, new, want string }{
		{`siret: "25351449100047"`, `siret: "25351449100048"`, "seller.siret"},
		{`iban: "FR76 3000 1000 6400 0003 5200 079"`, `iban: "FR76 3000 1000 6400 0003 5200 078"`, "bank.iban"},
		{`bic: "BDFEFRPPCCT"`, `bic: ""`, "bank.bic"},
		{`    city: "Cesson-Sévigné"`, `    town: "Cesson-Sévigné"`, "field town not found"},
		{`  number: "2025-004"`, `  number: ""`, "convention.number is required"},
		{`  deliberation: "2024-33"`, `  deliberation: ""`, "convention.deliberation is required"},
		{`  deliberation_date: "2024-11-15"`, `  deliberation_date: "15/11/2024"`, "convention.deliberation_date"},
		{`convention:`, `old_convention:`, "field old_convention not found"},
	}
	for _, tt := range tests {
		broken := strings.Replace(string(orig), tt.old, tt.new, 1)
		if broken == string(orig) {
			t.Fatalf("fixture no longer has %q", tt.old)
		}
		if _, err := ParseIssuer("issuer.yaml", []byte(broken)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v", tt.want, err)
		}
	}
}

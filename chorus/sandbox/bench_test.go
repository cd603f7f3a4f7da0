package sandbox

import (
	"fmt"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

func BenchmarkParseCII(b *testing.B) {
	data := newInvoice("CT2025-000001", siretPaimpol).with(func(i *testInvoice) { i.CodeService, i.EJ = "DAF-FOURNISSEURS", "EJ-1" }).cii()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseInvoiceXML(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeposit measures a deposit through HTTP (token and cpro-account
// checks, parsing, decision), the sandbox's share of a pipeline benchmark.
func BenchmarkDeposit(b *testing.B) {
	h := newHarness(b, nil)
	h.token = h.getToken()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := chorus.DeposerFluxRequest{FichierFlux: newInvoice(fmt.Sprintf("B-%d", i), siretCrozon).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B}
		resp, _, err := h.do(chorus.PathDeposerFlux, body)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err)
		}
	}
}

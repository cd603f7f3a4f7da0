package sandbox

import (
	"testing"
)

func TestParseInvoiceXML(t *testing.T) {
	full := newInvoice("CT2025-000001", siretPaimpol).with(func(i *testInvoice) { i.CodeService, i.EJ = "DAF-FOURNISSEURS", "EJ-1" })
	tests := []struct {
		name string
		data []byte
		want document
	}{
		{"CII", full.cii(), document{Syntax: syntaxCII, Number: "CT2025-000001", TypeCode: "380", IssueDate: "2026-01-15", Currency: "EUR",
			SellerID: DefaultSupplierSIRET, BuyerID: siretPaimpol, BuyerName: "Acheteur public", BuyerReference: "DAF-FOURNISSEURS",
			OrderReference: "EJ-1", TotalHT: "2012.50", TotalTTC: "2415.00", DuePayable: "2415.00"}},
		{"UBL", full.ubl(), document{Syntax: syntaxUBL, Number: "CT2025-000001", TypeCode: "380", IssueDate: "2026-01-15", Currency: "EUR",
			SellerID: DefaultSupplierSIRET, BuyerID: siretPaimpol, BuyerName: "Acheteur public", BuyerReference: "DAF-FOURNISSEURS",
			OrderReference: "EJ-1", TotalHT: "920.00", TotalTTC: "1104.00", DuePayable: "1104.00"}},
		{"UBL credit note", newInvoice("AV-1", siretPlougastel).with(func(i *testInvoice) { i.TypeCode = "381" }).ubl(),
			document{Syntax: syntaxUBL, Number: "AV-1", TypeCode: "381", CreditNote: true, IssueDate: "2026-01-15", Currency: "EUR",
				SellerID: DefaultSupplierSIRET, BuyerID: siretPlougastel, BuyerName: "Acheteur public",
				TotalHT: "920.00", TotalTTC: "1104.00", DuePayable: "1104.00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseInvoiceXML(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	bad := map[string]string{
		"empty":            "",
		"text":             "hello",
		"unclosed":         "<a><b></a>",
		"two roots":        "<a/><b/>",
		"trailing text":    "<a/>junk",
		"doctype":          `<!DOCTYPE a [<!ENTITY x "y">]><a/>`,
		"other root":       `<Invoice xmlns="urn:example"/>`,
		"latin-1 declared": `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`,
	}
	for name, data := range bad {
		if _, err := parseInvoiceXML([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPickSIRET(t *testing.T) {
	if got := pickSIRET([]string{"FR123"}, []string{" 21299951000010 "}); got != "21299951000010" {
		t.Errorf("got %q", got)
	}
	if got := pickSIRET(nil, []string{"", "356000000"}); got != "356000000" {
		t.Errorf("got %q", got)
	}
}

// FuzzParseInvoiceXML: the sandbox's XML parsing never panics, and what it
// accepts is well-formed with an identified syntax.
func FuzzParseInvoiceXML(f *testing.F) {
	f.Add(newInvoice("F-1", siretPlougastel).cii())
	f.Add(newInvoice("F-2", siretPlougastel).with(func(i *testInvoice) { i.TypeCode = "381"; i.EJ = "E" }).ubl())
	f.Add([]byte(`<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>`))
	f.Add([]byte("<a><b></a>"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseInvoiceXML(data)
		if err != nil {
			return
		}
		if d.Syntax != syntaxCII && d.Syntax != syntaxUBL {
			t.Fatalf("accepted without a syntax: %+v", d)
		}
		for _, a := range []string{d.TotalHT, d.TotalTTC, d.DuePayable} {
			if a != "" && !amountPattern.MatchString(a) {
				t.Fatalf("amount %q is not a JSON-safe decimal", a)
			}
		}
	})
}

// FuzzExtractFacturX: hostile PDFs never crash the sandbox.
func FuzzExtractFacturX(f *testing.F) {
	f.Add(minimalPDF())
	f.Add([]byte("%PDF-1.7\n%%EOF"))
	f.Add([]byte("not a pdf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = extractFacturX(data)
	})
}

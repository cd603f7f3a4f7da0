package document

import (
	"testing"

	"github.com/beevik/etree"
	"github.com/chorusbill/chorusbill/invoice"
)

func TestRenderUBLGolden(t *testing.T) {
	for _, s := range sampleDocuments(t) {
		t.Run(s.name, func(t *testing.T) {
			got, err := RenderUBL(s.doc)
			if err != nil {
				t.Fatal(err)
			}
			checkXMLGolden(t, xmlGoldenPath(s.name, "ubl"), got)
		})
	}
}

// TestRenderUBLValidates runs the EN 16931 validator, with the French rules,
// over the UBL rendering of every sample document, in one call.
func TestRenderUBLValidates(t *testing.T) {
	t.Parallel()
	runEinvoiceValidate(t, "ubl", xmlRenderSamples(t, "ubl", RenderUBL, t.TempDir()))
}

// ublFacts reads a UBL rendering back.
func ublFacts(t *testing.T, b []byte) xmlFacts {
	t.Helper()
	root := xmlParse(t, b)
	credit := root.Tag == "CreditNote"
	seller := root.FindElement("cac:AccountingSupplierParty/cac:Party")
	buyer := root.FindElement("cac:AccountingCustomerParty/cac:Party")
	if seller == nil || buyer == nil {
		t.Fatal("no seller or buyer party")
	}
	address := func(p *etree.Element) string {
		return xmlFindAttr(p, "cbc:EndpointID", "schemeID") + ":" + xmlFind(p, "cbc:EndpointID")
	}
	f := xmlFacts{
		root:          root.Tag,
		typeCode:      xmlFind(root, "cbc:InvoiceTypeCode"),
		framework:     xmlFind(root, "cbc:ProfileID"),
		specification: xmlFind(root, "cbc:CustomizationID"),
		number:        xmlFind(root, "cbc:ID"),
		issueDate:     xmlFind(root, "cbc:IssueDate"),
		dueDate:       xmlFindOpt(root, "cbc:DueDate"),
		currency:      xmlFind(root, "cbc:DocumentCurrencyCode"),
		buyerRef:      xmlFindOpt(root, "cbc:BuyerReference"),
		purchaseOrder: xmlFindOpt(root, "cac:OrderReference/cbc:ID"),
		contract:      xmlFindOpt(root, "cac:ContractDocumentReference/cbc:ID"),
		precedingNum:  xmlFindOpt(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
		precedingDate: xmlFindOpt(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate"),
		periodStart:   xmlFindOpt(root, "cac:InvoicePeriod/cbc:StartDate"),
		periodEnd:     xmlFindOpt(root, "cac:InvoicePeriod/cbc:EndDate"),
		sellerSIRET:   xmlFind(seller, "cac:PartyIdentification/cbc:ID[@schemeID='0009']"),
		buyerSIRET:    xmlFind(buyer, "cac:PartyIdentification/cbc:ID[@schemeID='0009']"),
		sellerAddress: address(seller),
		buyerAddress:  address(buyer),
		sellerVAT:     xmlFindOpt(seller, "cac:PartyTaxScheme/cbc:CompanyID"),
		paymentMeans:  xmlFindOpt(root, "cac:PaymentMeans/cbc:PaymentMeansCode"),
		iban:          xmlFindOpt(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
		bic:           xmlFindOpt(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"),
		paymentTerms:  xmlFindOpt(root, "cac:PaymentTerms/cbc:Note"),
		ht:            xmlFind(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount"),
		taxBasis:      xmlFind(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
		vat:           xmlFind(root, "cac:TaxTotal/cbc:TaxAmount"),
		ttc:           xmlFind(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
		paid:          xmlFind(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount"),
		due:           xmlFind(root, "cac:LegalMonetaryTotal/cbc:PayableAmount"),
	}
	lineTag, quantityTag := "cac:InvoiceLine", "cbc:InvoicedQuantity"
	if credit {
		f.typeCode = xmlFind(root, "cbc:CreditNoteTypeCode")
		lineTag, quantityTag = "cac:CreditNoteLine", "cbc:CreditedQuantity"
	}
	const penalty = "#PMD#"
	for _, n := range root.SelectElements("cbc:Note") {
		if s := n.Text(); len(s) > len(penalty) && s[:len(penalty)] == penalty {
			f.penaltyNote = xmlPtr(s[len(penalty):])
		} else {
			f.notes = append(f.notes, s)
		}
	}
	for _, line := range root.SelectElements(lineTag) {
		f.lines = append(f.lines, lineFacts{
			id:       xmlFind(line, "cbc:ID"),
			name:     xmlFind(line, "cac:Item/cbc:Name"),
			code:     xmlFind(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
			quantity: xmlFind(line, quantityTag),
			unit:     xmlFindAttr(line, quantityTag, "unitCode"),
			price:    xmlFind(line, "cac:Price/cbc:PriceAmount"),
			baseQty:  xmlFind(line, "cac:Price/cbc:BaseQuantity"),
			baseUnit: xmlFindAttr(line, "cac:Price/cbc:BaseQuantity", "unitCode"),
			amount:   xmlFind(line, "cbc:LineExtensionAmount"),
			category: xmlFind(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
			rate:     xmlFindOpt(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
		})
	}
	for _, sub := range root.FindElements("cac:TaxTotal/cac:TaxSubtotal") {
		f.breakdown = append(f.breakdown, taxFacts{
			base:     xmlFind(sub, "cbc:TaxableAmount"),
			amount:   xmlFind(sub, "cbc:TaxAmount"),
			category: xmlFind(sub, "cac:TaxCategory/cbc:ID"),
			rate:     xmlFindOpt(sub, "cac:TaxCategory/cbc:Percent"),
			reason:   xmlFindOpt(sub, "cac:TaxCategory/cbc:TaxExemptionReason"),
			code:     xmlFindOpt(sub, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
		})
	}
	for _, ref := range root.SelectElements("cac:AdditionalDocumentReference") {
		f.attachments = append(f.attachments, attachmentFacts{
			id:        xmlFind(ref, "cbc:ID"),
			qualifier: xmlFind(ref, "cbc:DocumentDescription"),
			mime:      xmlFindAttr(ref, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject", "mimeCode"),
			filename:  xmlFindAttr(ref, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject", "filename"),
			content:   xmlDecodeBase64(t, xmlFind(ref, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")),
		})
	}
	return f
}

// TestRenderUBLStructure reads every sample's UBL back and checks it says
// what the document says, with the root and line elements of its kind.
func TestRenderUBLStructure(t *testing.T) {
	for _, s := range sampleDocuments(t) {
		t.Run(s.name, func(t *testing.T) {
			b, err := RenderUBL(s.doc)
			if err != nil {
				t.Fatal(err)
			}
			f := ublFacts(t, b)
			want := "Invoice"
			if s.doc.Kind == invoice.KindCreditNote {
				want = "CreditNote"
			}
			if f.root != want {
				t.Errorf("root %s, want %s", f.root, want)
			}
			checkXMLFacts(t, s.doc, f)

			root := xmlParse(t, b)
			for _, party := range []struct {
				path string
				p    Party
			}{{"cac:AccountingSupplierParty/cac:Party", s.doc.Seller}, {"cac:AccountingCustomerParty/cac:Party", s.doc.Buyer}} {
				if got := xmlFind(root, party.path+"/cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0002']"); got != party.p.SIREN() {
					t.Errorf("%s legal registration (BT-30/BT-47) = %q, want SIREN %q", party.path, got, party.p.SIREN())
				}
			}
			for _, e := range root.FindElements(".//*") {
				if len(e.Tag) > 6 && e.Tag[len(e.Tag)-6:] == "Amount" && e.SelectAttrValue("currencyID", "") != "EUR" {
					t.Errorf("%s has no currencyID EUR", e.GetPath())
				}
			}
		})
	}
}

// TestRenderUBLReferences checks BT-10 and BT-13 appear exactly when set.
func TestRenderUBLReferences(t *testing.T) {
	base := sampleDocuments(t)[0].doc
	for _, c := range []struct{ service, engagement string }{
		{"", ""}, {"SERV-1", ""}, {"", "EJ-1"}, {"SERV-1", "EJ-1"},
	} {
		d := base
		d.BuyerReference, d.PurchaseOrder = c.service, c.engagement
		b, err := RenderUBL(d)
		if err != nil {
			t.Fatal(err)
		}
		checkXMLFacts(t, d, ublFacts(t, b))
	}
}

func BenchmarkRenderUBL(b *testing.B) {
	d := sampleDocuments(b)[0].doc
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderUBL(d); err != nil {
			b.Fatal(err)
		}
	}
}

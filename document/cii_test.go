package document

import (
	"testing"
)

func TestRenderCIIGolden(t *testing.T) {
	for _, s := range sampleDocuments(t) {
		t.Run(s.name, func(t *testing.T) {
			got, err := RenderCII(s.doc)
			if err != nil {
				t.Fatal(err)
			}
			checkXMLGolden(t, xmlGoldenPath(s.name, "cii"), got)
		})
	}
}

// TestRenderCIIValidates runs the EN 16931 validator, with the French rules,
// over the CII rendering of every sample document, in one call.
func TestRenderCIIValidates(t *testing.T) {
	t.Parallel()
	runEinvoiceValidate(t, "cii", xmlRenderSamples(t, "cii", RenderCII, t.TempDir()))
}

// ciiISODate turns a CII date (format 102, YYYYMMDD) into YYYY-MM-DD.
func ciiISODate(s string) string {
	if len(s) != 8 {
		return s
	}
	return s[:4] + "-" + s[4:6] + "-" + s[6:]
}

func ciiISODateOpt(p *string) *string {
	if p == nil {
		return nil
	}
	return xmlPtr(ciiISODate(*p))
}

// ciiFacts reads a CII rendering back.
func ciiFacts(t *testing.T, b []byte) xmlFacts {
	t.Helper()
	root := xmlParse(t, b)
	tx := root.FindElement("rsm:SupplyChainTradeTransaction")
	if tx == nil {
		t.Fatal("no rsm:SupplyChainTradeTransaction")
	}
	agr := tx.FindElement("ram:ApplicableHeaderTradeAgreement")
	set := tx.FindElement("ram:ApplicableHeaderTradeSettlement")
	seller := agr.FindElement("ram:SellerTradeParty")
	buyer := agr.FindElement("ram:BuyerTradeParty")
	address := func(party string) string {
		return xmlFindAttr(agr, party+"/ram:URIUniversalCommunication/ram:URIID", "schemeID") + ":" +
			xmlFind(agr, party+"/ram:URIUniversalCommunication/ram:URIID")
	}
	f := xmlFacts{
		root:          root.FullTag(),
		typeCode:      xmlFind(root, "rsm:ExchangedDocument/ram:TypeCode"),
		framework:     xmlFind(root, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"),
		specification: xmlFind(root, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
		number:        xmlFind(root, "rsm:ExchangedDocument/ram:ID"),
		issueDate:     ciiISODate(xmlFind(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")),
		dueDate:       ciiISODateOpt(xmlFindOpt(set, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString")),
		currency:      xmlFind(set, "ram:InvoiceCurrencyCode"),
		buyerRef:      xmlFindOpt(agr, "ram:BuyerReference"),
		purchaseOrder: xmlFindOpt(agr, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
		contract:      xmlFindOpt(agr, "ram:ContractReferencedDocument/ram:IssuerAssignedID"),
		precedingNum:  xmlFindOpt(set, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
		precedingDate: ciiISODateOpt(xmlFindOpt(set, "ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString")),
		periodStart:   ciiISODateOpt(xmlFindOpt(set, "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString")),
		periodEnd:     ciiISODateOpt(xmlFindOpt(set, "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString")),
		sellerSIRET:   xmlFind(seller, "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']"),
		buyerSIRET:    xmlFind(buyer, "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']"),
		sellerAddress: address("ram:SellerTradeParty"),
		buyerAddress:  address("ram:BuyerTradeParty"),
		sellerVAT:     xmlFindOpt(seller, "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
		paymentMeans:  xmlFindOpt(set, "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"),
		iban:          xmlFindOpt(set, "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID"),
		bic:           xmlFindOpt(set, "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"),
		paymentTerms:  xmlFindOpt(set, "ram:SpecifiedTradePaymentTerms/ram:Description"),
		ht:            xmlFind(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount"),
		taxBasis:      xmlFind(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxBasisTotalAmount"),
		vat:           xmlFind(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount[@currencyID='EUR']"),
		ttc:           xmlFind(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount"),
		paid:          xmlFind(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TotalPrepaidAmount"),
		due:           xmlFind(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount"),
	}
	for _, n := range root.FindElements("rsm:ExchangedDocument/ram:IncludedNote") {
		if xmlFind(n, "ram:SubjectCode") == "PMD" {
			f.penaltyNote = xmlPtr(xmlFind(n, "ram:Content"))
			continue
		}
		f.notes = append(f.notes, xmlFind(n, "ram:Content"))
	}
	for _, item := range tx.SelectElements("ram:IncludedSupplyChainTradeLineItem") {
		f.lines = append(f.lines, lineFacts{
			id:       xmlFind(item, "ram:AssociatedDocumentLineDocument/ram:LineID"),
			name:     xmlFind(item, "ram:SpecifiedTradeProduct/ram:Name"),
			code:     xmlFind(item, "ram:SpecifiedTradeProduct/ram:SellerAssignedID"),
			quantity: xmlFind(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"),
			unit:     xmlFindAttr(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", "unitCode"),
			price:    xmlFind(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"),
			baseQty:  xmlFind(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity"),
			baseUnit: xmlFindAttr(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity", "unitCode"),
			amount:   xmlFind(item, "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"),
			category: xmlFind(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"),
			rate:     xmlFindOpt(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"),
		})
	}
	for _, tax := range set.SelectElements("ram:ApplicableTradeTax") {
		f.breakdown = append(f.breakdown, taxFacts{
			base:     xmlFind(tax, "ram:BasisAmount"),
			amount:   xmlFind(tax, "ram:CalculatedAmount"),
			category: xmlFind(tax, "ram:CategoryCode"),
			rate:     xmlFindOpt(tax, "ram:RateApplicablePercent"),
			reason:   xmlFindOpt(tax, "ram:ExemptionReason"),
			code:     xmlFindOpt(tax, "ram:ExemptionReasonCode"),
		})
	}
	for _, ref := range agr.SelectElements("ram:AdditionalReferencedDocument") {
		if xmlFind(ref, "ram:TypeCode") != "916" {
			t.Errorf("attachment %s: type code %q, want 916", xmlFind(ref, "ram:IssuerAssignedID"), xmlFind(ref, "ram:TypeCode"))
		}
		f.attachments = append(f.attachments, attachmentFacts{
			id:        xmlFind(ref, "ram:IssuerAssignedID"),
			qualifier: xmlFind(ref, "ram:Name"),
			mime:      xmlFindAttr(ref, "ram:AttachmentBinaryObject", "mimeCode"),
			filename:  xmlFindAttr(ref, "ram:AttachmentBinaryObject", "filename"),
			content:   xmlDecodeBase64(t, xmlFind(ref, "ram:AttachmentBinaryObject")),
		})
	}
	return f
}

// TestRenderCIIStructure reads every sample's CII back and checks it says
// what the document says: references only when set, credit note and its
// invoice, VAT categories and exemption, totals to the cent, attachments.
func TestRenderCIIStructure(t *testing.T) {
	for _, s := range sampleDocuments(t) {
		t.Run(s.name, func(t *testing.T) {
			b, err := RenderCII(s.doc)
			if err != nil {
				t.Fatal(err)
			}
			f := ciiFacts(t, b)
			if f.root != "rsm:CrossIndustryInvoice" {
				t.Errorf("root %s", f.root)
			}
			checkXMLFacts(t, s.doc, f)

			root := xmlParse(t, b)
			for _, party := range []string{"ram:SellerTradeParty", "ram:BuyerTradeParty"} {
				p := root.FindElement("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/" + party)
				if p.FindElement("ram:GlobalID") != nil {
					t.Errorf("%s has a GlobalID (BT-29/BT-46), which Chorus Pro does not use", party)
				}
			}
		})
	}
}

// TestRenderCIIReferences checks BT-10 and BT-13 appear exactly when set,
// whatever the combination.
func TestRenderCIIReferences(t *testing.T) {
	base := sampleDocuments(t)[0].doc
	for _, c := range []struct{ service, engagement string }{
		{"", ""}, {"SERV-1", ""}, {"", "EJ-1"}, {"SERV-1", "EJ-1"},
	} {
		d := base
		d.BuyerReference, d.PurchaseOrder = c.service, c.engagement
		b, err := RenderCII(d)
		if err != nil {
			t.Fatal(err)
		}
		f := ciiFacts(t, b)
		checkXMLFacts(t, d, f)
	}
}

func BenchmarkRenderCII(b *testing.B) {
	d := sampleDocuments(b)[0].doc
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderCII(d); err != nil {
			b.Fatal(err)
		}
	}
}

package document

import (
	"encoding/base64"
	"strconv"

	"github.com/beevik/etree"
	"github.com/chorusbill/chorusbill/invoice"
)

// UN/CEFACT Cross Industry Invoice D16B namespaces.
const (
	ciiNamespaceRSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	ciiNamespaceRAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	ciiNamespaceQDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
	ciiNamespaceUDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
)

// RenderCII renders the document as a UN/CEFACT Cross Industry Invoice D16B
// (rsm:CrossIndustryInvoice) in the EN 16931 profile, as Chorus Pro takes it
// in an IN_DP_E1_CII_16B flow and as Factur-X embeds it: billing framework
// A1 (BT-23), parties identified by their SIRET, the code service in BT-10
// and the engagement in BT-13 when the document has them, payment by
// credit transfer to the seller's IBAN.
//
// Every figure is the document's own, formatted with two decimals: nothing
// is recomputed. The document is validated first; the same document always
// gives the same bytes. Elements follow the order of the D16B schema.
func RenderCII(d Document) ([]byte, error) {
	if err := checkXML(d); err != nil {
		return nil, err
	}
	doc := newXMLDocument()
	root := doc.CreateElement("rsm:CrossIndustryInvoice")
	root.CreateAttr("xmlns:rsm", ciiNamespaceRSM)
	root.CreateAttr("xmlns:ram", ciiNamespaceRAM)
	root.CreateAttr("xmlns:qdt", ciiNamespaceQDT)
	root.CreateAttr("xmlns:udt", ciiNamespaceUDT)

	ctx := root.CreateElement("rsm:ExchangedDocumentContext")
	xmlText(ctx.CreateElement("ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", xmlBillingFramework)
	xmlText(ctx.CreateElement("ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", xmlSpecificationID)

	ciiHeader(root.CreateElement("rsm:ExchangedDocument"), d)

	tx := root.CreateElement("rsm:SupplyChainTradeTransaction")
	for i, l := range d.Lines {
		ciiLine(tx.CreateElement("ram:IncludedSupplyChainTradeLineItem"), i+1, l)
	}
	ciiAgreement(tx.CreateElement("ram:ApplicableHeaderTradeAgreement"), d)
	tx.CreateElement("ram:ApplicableHeaderTradeDelivery")
	ciiSettlement(tx.CreateElement("ram:ApplicableHeaderTradeSettlement"), d)

	return xmlBytes(doc)
}

// ciiHeader writes BT-1, BT-3, BT-2 and the notes (BG-1).
func ciiHeader(h *etree.Element, d Document) {
	xmlText(h, "ram:ID", d.Number)
	xmlText(h, "ram:TypeCode", d.Kind.TypeCode())
	udtDate(h.CreateElement("ram:IssueDateTime"), ciiDate(d.IssueDate))
	for _, n := range xmlNotes(d) {
		if n != "" {
			xmlText(h.CreateElement("ram:IncludedNote"), "ram:Content", n)
		}
	}
	for _, n := range subjectNotes(d) {
		note := h.CreateElement("ram:IncludedNote")
		xmlText(note, "ram:Content", n.text)
		xmlText(note, "ram:SubjectCode", n.code)
	}
}

// udtDate writes a udt:DateTimeString, format 102, into parent.
func udtDate(parent *etree.Element, value string) {
	e := xmlText(parent, "udt:DateTimeString", value)
	e.CreateAttr("format", "102")
}

// ciiLine writes one invoice line (BG-25).
func ciiLine(item *etree.Element, n int, l invoice.Line) {
	xmlText(item.CreateElement("ram:AssociatedDocumentLineDocument"), "ram:LineID", strconv.Itoa(n))

	product := item.CreateElement("ram:SpecifiedTradeProduct")
	xmlOptional(product, "ram:SellerAssignedID", l.Code)
	xmlText(product, "ram:Name", l.Label)

	price := item.CreateElement("ram:SpecifiedLineTradeAgreement").CreateElement("ram:NetPriceProductTradePrice")
	xmlText(price, "ram:ChargeAmount", xmlPrice(l.UnitPrice))
	xmlText(price, "ram:BasisQuantity", xmlQuantity(l.BaseQuantity)).CreateAttr("unitCode", l.Unit)

	xmlText(item.CreateElement("ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", xmlQuantity(l.Quantity)).
		CreateAttr("unitCode", l.Unit)

	settlement := item.CreateElement("ram:SpecifiedLineTradeSettlement")
	tax := settlement.CreateElement("ram:ApplicableTradeTax")
	xmlText(tax, "ram:TypeCode", "VAT")
	xmlText(tax, "ram:CategoryCode", string(l.VAT.Category))
	if xmlHasRate(l.VAT) {
		xmlText(tax, "ram:RateApplicablePercent", xmlQuantity(l.VAT.Percent))
	}
	xmlText(settlement.CreateElement("ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount", xmlAmount(l.Amount))
}

// ciiAgreement writes BT-10, the seller and the buyer, BT-13, BT-12 and the
// attachments (BG-24).
func ciiAgreement(a *etree.Element, d Document) {
	xmlOptional(a, "ram:BuyerReference", d.BuyerReference)
	scheme := d.SIRETScheme.orDefault()
	ciiParty(a.CreateElement("ram:SellerTradeParty"), d.Seller, xmlPartyVAT(d, d.Seller), scheme)
	ciiParty(a.CreateElement("ram:BuyerTradeParty"), d.Buyer, xmlPartyVAT(d, d.Buyer), scheme)
	if d.PurchaseOrder != "" {
		xmlText(a.CreateElement("ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", d.PurchaseOrder)
	}
	if d.Contract != "" {
		xmlText(a.CreateElement("ram:ContractReferencedDocument"), "ram:IssuerAssignedID", d.Contract)
	}
	for _, att := range d.Attachments {
		ref := a.CreateElement("ram:AdditionalReferencedDocument")
		xmlText(ref, "ram:IssuerAssignedID", att.ID)
		xmlText(ref, "ram:TypeCode", xmlAttachmentTypeCode)
		xmlText(ref, "ram:Name", xmlAttachmentQualifier)
		bin := xmlText(ref, "ram:AttachmentBinaryObject", base64.StdEncoding.EncodeToString(att.Content))
		bin.CreateAttr("mimeCode", att.MimeType)
		bin.CreateAttr("filename", att.Filename)
	}
}

// ciiParty writes a trade party: name, legal organisation (the SIRET under
// scheme, see SIRETScheme), contact, address, electronic address (the SIRET
// under 0009, see schemeSIRET) and VAT identifier.
func ciiParty(p *etree.Element, party Party, vat string, scheme SIRETScheme) {
	xmlText(p, "ram:Name", party.Name)
	xmlText(p.CreateElement("ram:SpecifiedLegalOrganization"), "ram:ID", party.SIRET).CreateAttr("schemeID", string(scheme))
	if party.Phone != "" || party.Email != "" {
		contact := p.CreateElement("ram:DefinedTradeContact")
		if party.Phone != "" {
			xmlText(contact.CreateElement("ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", party.Phone)
		}
		if party.Email != "" {
			xmlText(contact.CreateElement("ram:EmailURIUniversalCommunication"), "ram:URIID", party.Email)
		}
	}
	addr := p.CreateElement("ram:PostalTradeAddress")
	xmlOptional(addr, "ram:PostcodeCode", party.Address.Postcode)
	xmlOptional(addr, "ram:LineOne", party.Address.Line1)
	xmlOptional(addr, "ram:LineTwo", party.Address.Line2)
	xmlOptional(addr, "ram:CityName", party.Address.City)
	xmlText(addr, "ram:CountryID", party.Address.CountryCode())
	xmlText(p.CreateElement("ram:URIUniversalCommunication"), "ram:URIID", party.SIRET).CreateAttr("schemeID", schemeSIRET)
	if vat != "" {
		xmlText(p.CreateElement("ram:SpecifiedTaxRegistration"), "ram:ID", vat).CreateAttr("schemeID", "VA")
	}
}

// ciiSettlement writes the currency, the payment means, the VAT breakdown,
// the service period, the payment terms, the totals and, for a credit note,
// the invoice it corrects.
func ciiSettlement(s *etree.Element, d Document) {
	currency := d.CurrencyCode()
	xmlText(s, "ram:InvoiceCurrencyCode", currency)

	if xmlHasPaymentMeans(d) {
		means := s.CreateElement("ram:SpecifiedTradeSettlementPaymentMeans")
		xmlText(means, "ram:TypeCode", xmlCreditTransfer)
		account := means.CreateElement("ram:PayeePartyCreditorFinancialAccount")
		xmlText(account, "ram:IBANID", d.Bank.IBAN)
		xmlOptional(account, "ram:AccountName", d.Bank.Holder)
		if d.Bank.BIC != "" {
			xmlText(means.CreateElement("ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", d.Bank.BIC)
		}
	}

	for _, b := range d.Totals.Breakdown {
		tax := s.CreateElement("ram:ApplicableTradeTax")
		xmlText(tax, "ram:CalculatedAmount", xmlAmount(b.Amount))
		xmlText(tax, "ram:TypeCode", "VAT")
		if b.VAT.Category != invoice.VATStandard {
			xmlOptional(tax, "ram:ExemptionReason", b.VAT.Mention)
		}
		xmlText(tax, "ram:BasisAmount", xmlAmount(b.Base))
		xmlText(tax, "ram:CategoryCode", string(b.VAT.Category))
		xmlOptional(tax, "ram:ExemptionReasonCode", xmlExemptionCode(b.VAT))
		if xmlHasRate(b.VAT) {
			xmlText(tax, "ram:RateApplicablePercent", xmlQuantity(b.VAT.Percent))
		}
	}

	if !d.PeriodStart.IsZero() || !d.PeriodEnd.IsZero() {
		period := s.CreateElement("ram:BillingSpecifiedPeriod")
		if !d.PeriodStart.IsZero() {
			udtDate(period.CreateElement("ram:StartDateTime"), ciiDate(d.PeriodStart))
		}
		if !d.PeriodEnd.IsZero() {
			udtDate(period.CreateElement("ram:EndDateTime"), ciiDate(d.PeriodEnd))
		}
	}

	terms := s.CreateElement("ram:SpecifiedTradePaymentTerms")
	xmlOptional(terms, "ram:Description", d.PaymentTerms)
	udtDate(terms.CreateElement("ram:DueDateDateTime"), ciiDate(d.DueDate))

	sum := s.CreateElement("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	xmlText(sum, "ram:LineTotalAmount", xmlAmount(d.Totals.HT))
	xmlText(sum, "ram:TaxBasisTotalAmount", xmlAmount(d.Totals.HT))
	xmlText(sum, "ram:TaxTotalAmount", xmlAmount(d.Totals.VAT)).CreateAttr("currencyID", currency)
	xmlText(sum, "ram:GrandTotalAmount", xmlAmount(d.Totals.TTC))
	xmlText(sum, "ram:TotalPrepaidAmount", xmlAmount(d.PaidAmount))
	xmlText(sum, "ram:DuePayableAmount", xmlAmount(d.DueAmount()))

	if d.Preceding != nil {
		ref := s.CreateElement("ram:InvoiceReferencedDocument")
		xmlText(ref, "ram:IssuerAssignedID", d.Preceding.Number)
		xmlText(ref.CreateElement("ram:FormattedIssueDateTime"), "qdt:DateTimeString", ciiDate(d.Preceding.IssueDate)).
			CreateAttr("format", "102")
	}
}

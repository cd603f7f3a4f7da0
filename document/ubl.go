package document

import (
	"encoding/base64"
	"strconv"

	"github.com/beevik/etree"
	"github.com/chorusbill/chorusbill/invoice"
)

// OASIS UBL 2.1 namespaces.
const (
	ublNamespaceInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	ublNamespaceCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	ublNamespaceCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	ublNamespaceCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// RenderUBL renders the document as an OASIS UBL 2.1 Invoice, or a
// CreditNote for a credit note, following EN 16931 (CustomizationID
// urn:cen.eu:en16931:2017) as Chorus Pro takes it in an IN_DP_E1_UBL_INVOICE
// flow: billing framework A1 in ProfileID (BT-23), parties identified by
// their SIRET, the code service in BuyerReference (BT-10) and the engagement
// in OrderReference (BT-13) when the document has them, payment by credit
// transfer to the seller's IBAN.
//
// Every figure is the document's own, formatted with two decimals: nothing
// is recomputed. The document is validated first; the same document always
// gives the same bytes. Elements follow the order of the UBL 2.1 schemas.
func RenderUBL(d Document) ([]byte, error) {
	if err := checkXML(d); err != nil {
		return nil, err
	}
	credit := d.Kind == invoice.KindCreditNote
	currency := d.CurrencyCode()

	doc := newXMLDocument()
	var root *etree.Element
	if credit {
		root = doc.CreateElement("CreditNote")
		root.CreateAttr("xmlns", ublNamespaceCreditNote)
	} else {
		root = doc.CreateElement("Invoice")
		root.CreateAttr("xmlns", ublNamespaceInvoice)
	}
	root.CreateAttr("xmlns:cac", ublNamespaceCAC)
	root.CreateAttr("xmlns:cbc", ublNamespaceCBC)

	xmlText(root, "cbc:CustomizationID", xmlSpecificationID)
	xmlText(root, "cbc:ProfileID", xmlBillingFramework)
	xmlText(root, "cbc:ID", d.Number)
	xmlText(root, "cbc:IssueDate", ublDate(d.IssueDate))
	if credit {
		// A UBL CreditNote has no DueDate: BT-9 would go in the payment
		// means, which a credit note to Chorus Pro does not carry.
		xmlText(root, "cbc:CreditNoteTypeCode", d.Kind.TypeCode())
	} else {
		xmlText(root, "cbc:DueDate", ublDate(d.DueDate))
		xmlText(root, "cbc:InvoiceTypeCode", d.Kind.TypeCode())
	}
	for _, n := range xmlNotes(d) {
		xmlOptional(root, "cbc:Note", n)
	}
	for _, n := range subjectNotes(d) {
		xmlText(root, "cbc:Note", "#"+n.code+"#"+n.text)
	}
	xmlText(root, "cbc:DocumentCurrencyCode", currency)
	xmlOptional(root, "cbc:BuyerReference", d.BuyerReference)
	if !d.PeriodStart.IsZero() || !d.PeriodEnd.IsZero() {
		period := root.CreateElement("cac:InvoicePeriod")
		if !d.PeriodStart.IsZero() {
			xmlText(period, "cbc:StartDate", ublDate(d.PeriodStart))
		}
		if !d.PeriodEnd.IsZero() {
			xmlText(period, "cbc:EndDate", ublDate(d.PeriodEnd))
		}
	}
	if d.PurchaseOrder != "" {
		xmlText(root.CreateElement("cac:OrderReference"), "cbc:ID", d.PurchaseOrder)
	}
	if d.Preceding != nil {
		ref := root.CreateElement("cac:BillingReference").CreateElement("cac:InvoiceDocumentReference")
		xmlText(ref, "cbc:ID", d.Preceding.Number)
		xmlText(ref, "cbc:IssueDate", ublDate(d.Preceding.IssueDate))
	}
	if d.Contract != "" {
		xmlText(root.CreateElement("cac:ContractDocumentReference"), "cbc:ID", d.Contract)
	}
	for _, att := range d.Attachments {
		ref := root.CreateElement("cac:AdditionalDocumentReference")
		xmlText(ref, "cbc:ID", att.ID)
		xmlText(ref, "cbc:DocumentDescription", xmlAttachmentQualifier)
		bin := xmlText(ref.CreateElement("cac:Attachment"), "cbc:EmbeddedDocumentBinaryObject", base64.StdEncoding.EncodeToString(att.Content))
		bin.CreateAttr("mimeCode", att.MimeType)
		bin.CreateAttr("filename", att.Filename)
	}

	ublParty(root.CreateElement("cac:AccountingSupplierParty").CreateElement("cac:Party"), d.Seller, xmlPartyVAT(d, d.Seller))
	ublParty(root.CreateElement("cac:AccountingCustomerParty").CreateElement("cac:Party"), d.Buyer, xmlPartyVAT(d, d.Buyer))

	if xmlHasPaymentMeans(d) {
		means := root.CreateElement("cac:PaymentMeans")
		xmlText(means, "cbc:PaymentMeansCode", xmlCreditTransfer)
		account := means.CreateElement("cac:PayeeFinancialAccount")
		xmlText(account, "cbc:ID", d.Bank.IBAN)
		xmlOptional(account, "cbc:Name", d.Bank.Holder)
		if d.Bank.BIC != "" {
			xmlText(account.CreateElement("cac:FinancialInstitutionBranch"), "cbc:ID", d.Bank.BIC)
		}
	}
	if d.PaymentTerms != "" {
		xmlText(root.CreateElement("cac:PaymentTerms"), "cbc:Note", d.PaymentTerms)
	}

	taxTotal := root.CreateElement("cac:TaxTotal")
	ublAmount(taxTotal, "cbc:TaxAmount", xmlAmount(d.Totals.VAT), currency)
	for _, b := range d.Totals.Breakdown {
		sub := taxTotal.CreateElement("cac:TaxSubtotal")
		ublAmount(sub, "cbc:TaxableAmount", xmlAmount(b.Base), currency)
		ublAmount(sub, "cbc:TaxAmount", xmlAmount(b.Amount), currency)
		cat := sub.CreateElement("cac:TaxCategory")
		xmlText(cat, "cbc:ID", string(b.VAT.Category))
		if xmlHasRate(b.VAT) {
			xmlText(cat, "cbc:Percent", xmlQuantity(b.VAT.Percent))
		}
		xmlOptional(cat, "cbc:TaxExemptionReasonCode", xmlExemptionCode(b.VAT))
		if b.VAT.Category != invoice.VATStandard {
			xmlOptional(cat, "cbc:TaxExemptionReason", b.VAT.Mention)
		}
		xmlText(cat.CreateElement("cac:TaxScheme"), "cbc:ID", "VAT")
	}

	total := root.CreateElement("cac:LegalMonetaryTotal")
	ublAmount(total, "cbc:LineExtensionAmount", xmlAmount(d.Totals.HT), currency)
	ublAmount(total, "cbc:TaxExclusiveAmount", xmlAmount(d.Totals.HT), currency)
	ublAmount(total, "cbc:TaxInclusiveAmount", xmlAmount(d.Totals.TTC), currency)
	ublAmount(total, "cbc:PrepaidAmount", xmlAmount(d.PaidAmount), currency)
	ublAmount(total, "cbc:PayableAmount", xmlAmount(d.DueAmount()), currency)

	lineTag, quantityTag := "cac:InvoiceLine", "cbc:InvoicedQuantity"
	if credit {
		lineTag, quantityTag = "cac:CreditNoteLine", "cbc:CreditedQuantity"
	}
	for i, l := range d.Lines {
		line := root.CreateElement(lineTag)
		xmlText(line, "cbc:ID", strconv.Itoa(i+1))
		xmlText(line, quantityTag, xmlQuantity(l.Quantity)).CreateAttr("unitCode", l.Unit)
		ublAmount(line, "cbc:LineExtensionAmount", xmlAmount(l.Amount), currency)
		item := line.CreateElement("cac:Item")
		xmlText(item, "cbc:Name", l.Label)
		if l.Code != "" {
			xmlText(item.CreateElement("cac:SellersItemIdentification"), "cbc:ID", l.Code)
		}
		cat := item.CreateElement("cac:ClassifiedTaxCategory")
		xmlText(cat, "cbc:ID", string(l.VAT.Category))
		if xmlHasRate(l.VAT) {
			xmlText(cat, "cbc:Percent", xmlQuantity(l.VAT.Percent))
		}
		xmlText(cat.CreateElement("cac:TaxScheme"), "cbc:ID", "VAT")
		price := line.CreateElement("cac:Price")
		ublAmount(price, "cbc:PriceAmount", xmlPrice(l.UnitPrice), currency)
		xmlText(price, "cbc:BaseQuantity", xmlQuantity(l.BaseQuantity)).CreateAttr("unitCode", l.Unit)
	}

	return xmlBytes(doc)
}

// ublAmount writes an amount with its currency, as UBL requires on every one.
func ublAmount(parent *etree.Element, tag, value, currency string) {
	xmlText(parent, tag, value).CreateAttr("currencyID", currency)
}

// ublParty writes a party: electronic address and party identification (the
// SIRET), address, VAT identifier, legal entity (name and SIREN; see
// schemeSIRET) and contact.
func ublParty(p *etree.Element, party Party, vat string) {
	xmlText(p, "cbc:EndpointID", party.SIRET).CreateAttr("schemeID", schemeSIRET)
	xmlText(p.CreateElement("cac:PartyIdentification"), "cbc:ID", party.SIRET).CreateAttr("schemeID", schemeSIRET)
	addr := p.CreateElement("cac:PostalAddress")
	xmlOptional(addr, "cbc:StreetName", party.Address.Line1)
	xmlOptional(addr, "cbc:AdditionalStreetName", party.Address.Line2)
	xmlOptional(addr, "cbc:CityName", party.Address.City)
	xmlOptional(addr, "cbc:PostalZone", party.Address.Postcode)
	xmlText(addr.CreateElement("cac:Country"), "cbc:IdentificationCode", party.Address.CountryCode())
	if vat != "" {
		scheme := p.CreateElement("cac:PartyTaxScheme")
		xmlText(scheme, "cbc:CompanyID", vat)
		xmlText(scheme.CreateElement("cac:TaxScheme"), "cbc:ID", "VAT")
	}
	legal := p.CreateElement("cac:PartyLegalEntity")
	xmlText(legal, "cbc:RegistrationName", party.Name)
	xmlText(legal, "cbc:CompanyID", party.SIREN()).CreateAttr("schemeID", schemeSIREN)
	if party.Phone != "" || party.Email != "" {
		contact := p.CreateElement("cac:Contact")
		xmlOptional(contact, "cbc:Telephone", party.Phone)
		xmlOptional(contact, "cbc:ElectronicMail", party.Email)
	}
}

package document

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// What the CII and UBL renderings (RenderCII, RenderUBL) have in common:
// the EN 16931 and Chorus Pro codes they write, the checks a document must
// pass before either is rendered, and the formatting of dates, amounts,
// prices and quantities.

const (
	// xmlSpecificationID is BT-24, the specification the invoice follows:
	// EN 16931 itself (CII GuidelineSpecifiedDocumentContextParameter, UBL
	// CustomizationID), which is also the Factur-X EN 16931 profile.
	xmlSpecificationID = "urn:cen.eu:en16931:2017"

	// xmlBillingFramework is BT-23, the business process: Chorus Pro's
	// "cadre de facturation" A1, the deposit of a supplier invoice
	// (A1_FACTURE_FOURNISSEUR), in CII BusinessProcessSpecifiedDocument-
	// ContextParameter/ID and UBL ProfileID. Chorus Pro reads its framework
	// there and rejected a flow that carried the reform code M1 instead
	// (research/chorus-pro.md §3.5). The French reform rules
	// (FNFE-MPE BR-FR-08) accept only B1…M9 in BT-23, so a validation with
	// --fr reports BR-FR-08 on every invoice: the two cannot both be met
	// until Chorus Pro takes the reform codes on its E1 flows.
	xmlBillingFramework = "A1"

	// Identifier schemes (ISO/IEC 6523 ICD, in EN 16931's lists for BR-CL-10,
	// BR-CL-11 and BR-CL-25).
	//
	// Chorus Pro identifies both parties by their 14-digit SIRET: it is the
	// key of the supplier's structure and the buyer's routing key
	// (destinataire). In CII it reads it from the legal organisation
	// (BT-30/BT-47, SpecifiedLegalOrganization/ID; sending the 9-digit SIREN
	// there got a flow rejected), in UBL from the party identification
	// (BT-29/BT-46, PartyIdentification/ID). Scheme 0009 is the SIRET; the
	// Peppol route to Chorus Pro uses the same 0009:SIRET as the electronic
	// address. Hence:
	//
	//   - BT-34/BT-49 electronic addresses: 0009 + SIRET, in both syntaxes.
	//     The French rules want 0225 (a SIREN-based PDP address) only for
	//     B2B invoices (BR-FR-21/BR-FR-22, note BAR = B2B); a B2G invoice
	//     carries no BAR note, so 0009 meets BR-FR-12/BR-FR-13 and keeps the
	//     address Chorus Pro knows.
	//   - CII BT-30/BT-47: 0009 + SIRET by default (the scheme is a setting,
	//     CHORUS_SIRET_SCHEME: see SIRETScheme for 0002 and 1, and why); no GlobalID
	//     (BT-29/BT-46), which Chorus Pro does not use and which BR-FR-09
	//     would check against a 0002 SIREN that is not there. This fails the
	//     French BR-FR-10 (seller SIREN, scheme 0002, in BT-30): CII has a
	//     single BT-30 and Chorus Pro and the reform want different things
	//     in it.
	//   - UBL BT-29/BT-46: 0009 + SIRET (what Chorus Pro reads) and BT-30/
	//     BT-47: 0002 + SIREN, the legal entity, which meets BR-FR-09 (the
	//     SIRET starts with the SIREN) and BR-FR-10 as well.
	schemeSIRET = "0009"
	schemeSIREN = "0002"

	// vatexOutOfScope is the VAT exemption reason code (BT-121) of category
	// O, "not subject to VAT".
	vatexOutOfScope = "VATEX-EU-O"

	// xmlAttachmentTypeCode is the CII type code of an additional supporting
	// document (BG-24): 916, "related document".
	xmlAttachmentTypeCode = "916"

	// xmlAttachmentQualifier is BT-123, which the French rules (BR-FR-17)
	// restrict to a list of attachment qualifiers: DOCUMENT_ANNEXE, an
	// annex supporting the invoice, such as a usage statement. The
	// attachment's own description has no other place in EN 16931.
	xmlAttachmentQualifier = "DOCUMENT_ANNEXE"

	// xmlCreditTransfer is the UNTDID 4461 payment means code of a SEPA
	// credit transfer, the only one Chorus Pro accepts (with an IBAN).
	xmlCreditTransfer = "30"

	// UNTDID 4451 subject codes (BT-21) of the mentions French invoices
	// carry as notes (BR-FR-05): late-payment penalties, recovery costs,
	// early-payment discount. In UBL the code prefixes the note as "#PMD#".
	xmlNotePenalties = "PMD"
	xmlNoteRecovery  = "PMT"
	xmlNoteDiscount  = "AAB"
)

// subjectNote is a note with its subject code.
type subjectNote struct{ code, text string }

// xmlNotes are the free-text notes of the XML (BT-22): the convention's
// reference first, when there is one, then the invoice's own notes.
func xmlNotes(d Document) []string {
	if d.Convention.IsZero() {
		return d.Notes
	}
	return append([]string{d.Convention.Mention()}, d.Notes...)
}

// subjectNotes lists the coded mentions of a document, in a fixed order.
func subjectNotes(d Document) []subjectNote {
	var out []subjectNote
	for _, n := range []subjectNote{
		{xmlNotePenalties, d.LatePaymentClause},
		{xmlNoteRecovery, d.RecoveryClause},
		{xmlNoteDiscount, d.DiscountClause},
	} {
		if n.text != "" {
			out = append(out, n)
		}
	}
	return out
}

// checkXML checks a document before it is rendered as EN 16931 XML: what
// Validate checks, then what EN 16931 or Chorus Pro would reject and the
// model does not already rule out, so that the error names the field rather
// than leaving it to a rejection by the platform.
func checkXML(d Document) error {
	if err := d.Validate(); err != nil {
		return err
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if d.CurrencyCode() != "EUR" {
		bad("currency %s: chorusbill renders EUR invoices only (a foreign currency needs BT-6 and BT-111, BR-FR-CO-12)", d.CurrencyCode())
	}
	// Lengths: the table of limits.go, which the imports check too.
	maxLen := func(what string, f Field, s string) {
		if err := f.Check(s); err != nil {
			bad("%s: %v", what, err)
		}
	}
	for _, p := range []struct {
		role  string
		party Party
	}{{"seller", d.Seller}, {"buyer", d.Buyer}} {
		if !xmlDigits(p.party.SIRET, 14) {
			bad("%s SIRET %q is not 14 digits", p.role, p.party.SIRET)
		}
		maxLen(p.role+" name", FieldPartyName, p.party.Name)
		maxLen(p.role+" address line 1", FieldAddressLine, p.party.Address.Line1)
		maxLen(p.role+" address line 2", FieldAddressLine, p.party.Address.Line2)
		maxLen(p.role+" city", FieldCity, p.party.Address.City)
	}
	maxLen("code service (BT-10)", FieldCodeService, d.BuyerReference)
	maxLen("contract reference (BT-12)", FieldContract, d.Contract)
	maxLen("engagement number (BT-13)", FieldEngagement, d.PurchaseOrder)
	maxLen("payment terms (BT-20)", FieldText, d.PaymentTerms)
	maxLen("late-payment clause (BT-22)", FieldText, d.LatePaymentClause)
	maxLen("recovery clause (BT-22)", FieldText, d.RecoveryClause)
	maxLen("discount clause (BT-22)", FieldText, d.DiscountClause)
	for i, n := range xmlNotes(d) {
		maxLen(fmt.Sprintf("note %d (BT-22)", i+1), FieldText, n)
	}

	if !xmlIdentifier(d.Number) {
		bad("number %q: only letters, digits and + - _ / (BR-FR-02)", d.Number)
	}
	if d.Preceding != nil && (!xmlIdentifier(d.Preceding.Number) || FieldNumber.Check(d.Preceding.Number) != nil) {
		bad("preceding invoice number %q (BT-25): at most %d letters, digits and + - _ / (BR-FR-02, BR-FR-CPRO-02)", d.Preceding.Number, FieldNumber.Max())
	}
	if d.Kind == invoice.KindCreditNote && d.Totals.TTC.IsNegative() {
		bad("a credit note (381) states positive amounts, as Chorus Pro requires; its total is %s", invoice.Format(d.Totals.TTC))
	}
	if d.Kind != invoice.KindCreditNote && d.Bank.IBAN == "" {
		bad("bank account: an invoice is paid by credit transfer (payment means 30), which needs the IBAN (BT-84, BR-50)")
	}

	// The breakdown is written as stored; it must be the lines' (BR-CO-14,
	// BR-S-08…), which Validate does not check.
	want := invoice.ComputeTotals(d.Lines).Breakdown
	same := len(want) == len(d.Totals.Breakdown)
	for i := 0; same && i < len(want); i++ {
		got := d.Totals.Breakdown[i]
		same = got.VAT.Key() == want[i].VAT.Key() && got.Base.Equal(want[i].Base) && got.Amount.Equal(want[i].Amount)
	}
	if !same {
		bad("the VAT breakdown (BG-23) is not that of the lines")
	}

	var outOfScope, taxed bool
	for _, b := range d.Totals.Breakdown {
		if err := b.VAT.Validate(); err != nil {
			bad("VAT breakdown %s: %v", b.VAT.Key(), err)
		}
		switch b.VAT.Category {
		case invoice.VATOutOfScope:
			outOfScope = true
		case invoice.VATStandard, invoice.VATExempt:
			taxed = true
		}
	}
	if outOfScope && len(d.Totals.Breakdown) > 1 {
		bad("VAT category O (not subject to VAT) cannot be mixed with another VAT breakdown on one invoice (BR-O-11)")
	}
	if taxed && d.Seller.VATNumber == "" {
		bad("seller VAT number (BT-31): an invoice with VAT category S or E needs it (BR-S-02, BR-E-02)")
	}

	for i, l := range d.Lines {
		n := i + 1
		if l.Label == "" {
			bad("line %d: item name (BT-153)", n)
		}
		maxLen(fmt.Sprintf("line %d item name (BT-153)", n), FieldText, l.Label)
		if l.Unit == "" {
			bad("line %d: unit of measure (BT-130)", n)
		}
		if xmlDecimals(l.Quantity) > 4 || xmlDecimals(l.BaseQuantity) > 4 {
			bad("line %d: quantities have at most 4 decimals (BR-FR-DEC-02)", n)
		}
		if l.UnitPrice.IsNegative() || xmlDecimals(l.UnitPrice) > 6 {
			bad("line %d: the net price is positive with at most 6 decimals (BR-27, BR-FR-DEC-03)", n)
		}
		if !l.BaseQuantity.IsPositive() {
			bad("line %d: base quantity (BT-149) must be positive", n)
		}
		if err := l.VAT.Validate(); err != nil {
			bad("line %d: %v", n, err)
		}
	}

	for i, a := range d.Attachments {
		n := i + 1
		if a.ID == "" {
			bad("attachment %d: identifier (BT-122, BR-52)", n)
		}
		if a.Filename == "" || path.Ext(a.Filename) == "" {
			bad("attachment %d: a file name with an extension (BT-125-2)", n)
		}
		maxLen(fmt.Sprintf("attachment %d file name (BT-125-2)", n), FieldAttachmentName, a.Filename)
		if !slices.Contains(xmlAttachmentTypes, a.MimeType) {
			bad("attachment %d: MIME type %q is not one EN 16931 allows (BT-125-1, BR-CL-24: %s)", n, a.MimeType, strings.Join(xmlAttachmentTypes, ", "))
		}
		if len(a.Content) == 0 {
			bad("attachment %d: content (BT-125)", n)
		}
	}

	if len(problems) > 0 {
		return fmt.Errorf("document %s cannot be rendered as EN 16931 XML: %s", d.Number, strings.Join(problems, "; "))
	}
	return nil
}

// xmlAttachmentTypes are the MIME types EN 16931 allows for an attached
// document (BR-CL-24).
var xmlAttachmentTypes = []string{
	"application/pdf", "image/png", "image/jpeg", "text/csv",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.oasis.opendocument.spreadsheet",
}

// xmlIdentifier says whether s is a non-empty invoice number of the
// characters the French rules allow (BR-FR-02).
func xmlIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '_' || c == '/') {
			return false
		}
	}
	return s != ""
}

func xmlDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// xmlDecimals is the number of significant decimal places of d.
func xmlDecimals(d decimal.Decimal) int {
	for n := 0; ; n++ {
		if d.Equal(d.Truncate(int32(n))) {
			return n
		}
	}
}

// newXMLDocument starts an XML document: declaration, and escaping that
// leaves quotes and apostrophes alone in text (they are frequent in French
// and need no escaping there).
func newXMLDocument() *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.WriteSettings.CanonicalText = true
	doc.WriteSettings.CanonicalAttrVal = true
	return doc
}

// xmlBytes serialises a document with a two-space indentation and a final
// newline. The same document always gives the same bytes.
func xmlBytes(doc *etree.Document) ([]byte, error) {
	s := etree.NewIndentSettings()
	s.Spaces = 2
	s.PreserveLeafWhitespace = true
	doc.IndentWithSettings(s)
	return doc.WriteToBytes()
}

// xmlText appends the element tag with the given text to parent.
func xmlText(parent *etree.Element, tag, text string) *etree.Element {
	e := parent.CreateElement(tag)
	e.SetText(text)
	return e
}

// xmlOptional appends the element only when text is not empty.
func xmlOptional(parent *etree.Element, tag, text string) {
	if text != "" {
		xmlText(parent, tag, text)
	}
}

// xmlAmount formats an amount as stored: two decimals, a point.
func xmlAmount(d decimal.Decimal) string { return invoice.Format(d) }

// xmlPrice formats a unit price: at least two decimals, more when the price
// has them ("2012.50", "0.10", "0.0125").
func xmlPrice(d decimal.Decimal) string {
	if xmlDecimals(d) <= invoice.Cents {
		return d.StringFixed(invoice.Cents)
	}
	return d.String()
}

// xmlQuantity formats a quantity or a VAT rate as its plain decimal string.
func xmlQuantity(d decimal.Decimal) string { return d.String() }

// xmlExemptionCode is BT-121 for a VAT treatment, empty when there is none
// to state: VATEX-EU-O for O; an exemption (E) is stated by its text alone,
// the model carrying no VATEX code for it.
func xmlExemptionCode(v invoice.VATRate) string {
	if v.Category == invoice.VATOutOfScope {
		return vatexOutOfScope
	}
	return ""
}

// xmlHasRate says whether a VAT rate is written for the category: never for
// O (BR-O-05, BR-O-12), always otherwise.
func xmlHasRate(v invoice.VATRate) bool { return v.Category != invoice.VATOutOfScope }

// xmlOutOfScope says whether the invoice is not subject to VAT (category O).
func xmlOutOfScope(d Document) bool {
	for _, b := range d.Totals.Breakdown {
		if b.VAT.Category == invoice.VATOutOfScope {
			return true
		}
	}
	return false
}

// xmlPartyVAT is the VAT identifier to write for a party (BT-31 seller,
// BT-48 buyer): none on an invoice not subject to VAT (BR-O-02).
func xmlPartyVAT(d Document, p Party) string {
	if xmlOutOfScope(d) {
		return ""
	}
	return p.VATNumber
}

// xmlHasPaymentMeans says whether the payment means (BG-16) are written:
// on invoices, never on credit notes, which Chorus Pro refuses with a
// payment mode (research/chorus-pro.md §3.5).
func xmlHasPaymentMeans(d Document) bool { return d.Kind != invoice.KindCreditNote }

// ciiDate is a CII date, format 102: YYYYMMDD.
func ciiDate(t time.Time) string { return t.Format("20060102") }

// ublDate is a UBL date: YYYY-MM-DD.
func ublDate(t time.Time) string { return t.Format(time.DateOnly) }

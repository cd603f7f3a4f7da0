package sandbox

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
)

// Namespaces of the root elements the sandbox reads.
const (
	nsCII           = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsUBLInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsUBLCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
)

// Syntaxes of a parsed document.
const (
	syntaxCII = "CII"
	syntaxUBL = "UBL"
)

// document is what the sandbox reads from a deposited invoice: what Chorus
// Pro checks that the sandbox can reproduce, and what a search returns.
type document struct {
	Syntax     string
	Number     string // BT-1
	TypeCode   string // BT-3: 380 invoice, 381 credit note
	CreditNote bool
	IssueDate  string // BT-2, YYYY-MM-DD when readable
	Currency   string // BT-5
	SellerID   string // BT-30 (SIRET), or another seller identifier
	BuyerID    string // BT-47 (SIRET), or another buyer identifier
	BuyerName  string // BT-44
	// BuyerReference is the code service (BT-10), OrderReference the
	// engagement (BT-13), ContractReference the contract (BT-12).
	// chorus-pro.md §3.5.
	BuyerReference    string
	OrderReference    string
	ContractReference string
	TotalHT           string // BT-109
	TotalTTC          string // BT-112
	DuePayable        string // BT-115
}

// errNotWellFormed wraps XML syntax errors: the flow is unacceptable.
var errNotWellFormed = errors.New("XML mal formé")

// parseInvoiceXML checks that data is well-formed XML and reads a CII
// CrossIndustryInvoice or a UBL Invoice/CreditNote from it. Elements are
// matched by local name under the expected root namespace.
func parseInvoiceXML(data []byte) (document, error) {
	// One pass: the root element is decoded where it starts, and every
	// other token is checked for well-formedness (the sandbox parses each
	// deposit; two passes were half its CPU in the pipeline benchmark).
	// It refuses a document without root, with trailing content, or with a
	// DOCTYPE (assumption: Chorus Pro's XSD validation would refuse them too).
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var (
		doc    document
		parsed bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return document{}, fmt.Errorf("%w : %v", errNotWellFormed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if parsed {
				return document{}, fmt.Errorf("%w : plusieurs éléments racine", errNotWellFormed)
			}
			if doc, err = decodeRoot(dec, t); err != nil {
				return document{}, err
			}
			parsed = true
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return document{}, fmt.Errorf("%w : texte hors de l'élément racine", errNotWellFormed)
			}
		case xml.Directive:
			return document{}, fmt.Errorf("%w : DOCTYPE interdit", errNotWellFormed)
		}
	}
	if !parsed {
		return document{}, fmt.Errorf("%w : aucun élément racine", errNotWellFormed)
	}
	return doc, nil
}

// decodeRoot decodes the root element as a CII or UBL invoice.
func decodeRoot(dec *xml.Decoder, root xml.StartElement) (document, error) {
	switch n := root.Name; {
	case n.Space == nsCII && n.Local == "CrossIndustryInvoice":
		var c ciiInvoice
		if err := dec.DecodeElement(&c, &root); err != nil {
			return document{}, fmt.Errorf("%w : %v", errNotWellFormed, err)
		}
		return ciiDocument(c), nil
	case n.Space == nsUBLInvoice && n.Local == "Invoice", n.Space == nsUBLCreditNote && n.Local == "CreditNote":
		var u ublInvoice
		if err := dec.DecodeElement(&u, &root); err != nil {
			return document{}, fmt.Errorf("%w : %v", errNotWellFormed, err)
		}
		return ublDocument(u), nil
	}
	return document{}, fmt.Errorf("élément racine {%s}%s : ni une facture CII (CrossIndustryInvoice) ni une facture UBL (Invoice, CreditNote)", root.Name.Space, root.Name.Local)
}

type ciiParty struct {
	IDs       []string `xml:"ID"`
	GlobalIDs []string `xml:"GlobalID"`
	Name      string   `xml:"Name"`
	LegalIDs  []string `xml:"SpecifiedLegalOrganization>ID"`
	URIs      []string `xml:"URIUniversalCommunication>URIID"`
}

type ciiInvoice struct {
	Doc struct {
		ID        string `xml:"ID"`
		TypeCode  string `xml:"TypeCode"`
		IssueDate string `xml:"IssueDateTime>DateTimeString"`
	} `xml:"ExchangedDocument"`
	Tx struct {
		Agreement struct {
			BuyerReference string   `xml:"BuyerReference"`
			Seller         ciiParty `xml:"SellerTradeParty"`
			Buyer          ciiParty `xml:"BuyerTradeParty"`
			Order          string   `xml:"BuyerOrderReferencedDocument>IssuerAssignedID"`
			Contract       string   `xml:"ContractReferencedDocument>IssuerAssignedID"`
		} `xml:"ApplicableHeaderTradeAgreement"`
		Settlement struct {
			Currency string `xml:"InvoiceCurrencyCode"`
			Sum      struct {
				TaxBasis string `xml:"TaxBasisTotalAmount"`
				Grand    string `xml:"GrandTotalAmount"`
				Due      string `xml:"DuePayableAmount"`
			} `xml:"SpecifiedTradeSettlementHeaderMonetarySummation"`
		} `xml:"ApplicableHeaderTradeSettlement"`
	} `xml:"SupplyChainTradeTransaction"`
}

func ciiDocument(c ciiInvoice) document {
	a := c.Tx.Agreement
	d := document{
		Syntax:            syntaxCII,
		Number:            strings.TrimSpace(c.Doc.ID),
		TypeCode:          strings.TrimSpace(c.Doc.TypeCode),
		IssueDate:         ciiDate(c.Doc.IssueDate),
		Currency:          strings.TrimSpace(c.Tx.Settlement.Currency),
		SellerID:          pickSIRET(a.Seller.LegalIDs, a.Seller.IDs, a.Seller.GlobalIDs, a.Seller.URIs),
		BuyerID:           pickSIRET(a.Buyer.LegalIDs, a.Buyer.IDs, a.Buyer.GlobalIDs, a.Buyer.URIs),
		BuyerName:         strings.TrimSpace(a.Buyer.Name),
		BuyerReference:    strings.TrimSpace(a.BuyerReference),
		OrderReference:    strings.TrimSpace(a.Order),
		ContractReference: strings.TrimSpace(a.Contract),
		TotalHT:           amount(c.Tx.Settlement.Sum.TaxBasis),
		TotalTTC:          amount(c.Tx.Settlement.Sum.Grand),
		DuePayable:        amount(c.Tx.Settlement.Sum.Due),
	}
	// 381 credit note, 261 self-billed credit note, 396 factored credit note.
	d.CreditNote = d.TypeCode == "381" || d.TypeCode == "261" || d.TypeCode == "396"
	return d
}

type ublParty struct {
	Endpoint string   `xml:"EndpointID"`
	IDs      []string `xml:"PartyIdentification>ID"`
	LegalIDs []string `xml:"PartyLegalEntity>CompanyID"`
	Name     string   `xml:"PartyName>Name"`
	RegName  string   `xml:"PartyLegalEntity>RegistrationName"`
}

type ublInvoice struct {
	XMLName            xml.Name
	ID                 string   `xml:"ID"`
	IssueDate          string   `xml:"IssueDate"`
	InvoiceTypeCode    string   `xml:"InvoiceTypeCode"`
	CreditNoteTypeCode string   `xml:"CreditNoteTypeCode"`
	Currency           string   `xml:"DocumentCurrencyCode"`
	BuyerReference     string   `xml:"BuyerReference"`
	Order              string   `xml:"OrderReference>ID"`
	Contract           string   `xml:"ContractDocumentReference>ID"`
	Supplier           ublParty `xml:"AccountingSupplierParty>Party"`
	Customer           ublParty `xml:"AccountingCustomerParty>Party"`
	Totals             struct {
		TaxExclusive string `xml:"TaxExclusiveAmount"`
		TaxInclusive string `xml:"TaxInclusiveAmount"`
		Payable      string `xml:"PayableAmount"`
	} `xml:"LegalMonetaryTotal"`
}

func ublDocument(u ublInvoice) document {
	name := strings.TrimSpace(u.Customer.RegName)
	if name == "" {
		name = strings.TrimSpace(u.Customer.Name)
	}
	d := document{
		Syntax:            syntaxUBL,
		Number:            strings.TrimSpace(u.ID),
		IssueDate:         strings.TrimSpace(u.IssueDate),
		Currency:          strings.TrimSpace(u.Currency),
		SellerID:          pickSIRET(u.Supplier.LegalIDs, u.Supplier.IDs, []string{u.Supplier.Endpoint}),
		BuyerID:           pickSIRET(u.Customer.LegalIDs, u.Customer.IDs, []string{u.Customer.Endpoint}),
		BuyerName:         name,
		BuyerReference:    strings.TrimSpace(u.BuyerReference),
		OrderReference:    strings.TrimSpace(u.Order),
		ContractReference: strings.TrimSpace(u.Contract),
		TotalHT:           amount(u.Totals.TaxExclusive),
		TotalTTC:          amount(u.Totals.TaxInclusive),
		DuePayable:        amount(u.Totals.Payable),
	}
	if u.XMLName.Local == "CreditNote" {
		d.CreditNote = true
		d.TypeCode = strings.TrimSpace(u.CreditNoteTypeCode)
	} else {
		d.TypeCode = strings.TrimSpace(u.InvoiceTypeCode)
		d.CreditNote = d.TypeCode == "381"
	}
	return d
}

// pickSIRET returns the first 14-digit value among the candidate lists (in
// priority order: legal registration, party identifiers, electronic
// address), else the first non-empty value. The scheme is not checked:
// practices differ (1, 0002, 0009; chorus-pro.md §3.5).
func pickSIRET(lists ...[]string) string {
	first := ""
	for _, l := range lists {
		for _, v := range l {
			v = strings.TrimSpace(v)
			if isSIRETShape(v) {
				return v
			}
			if first == "" {
				first = v
			}
		}
	}
	return first
}

// ciiDate turns a CII date (format 102, YYYYMMDD) into YYYY-MM-DD.
func ciiDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 8 && isDigits(s) {
		return s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	return s
}

var amountPattern = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,6})?$`)

// amount returns s when it is a plain decimal (safe as a JSON number), else "".
func amount(s string) string {
	s = strings.TrimSpace(s)
	if amountPattern.MatchString(s) {
		return s
	}
	return ""
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// facturXName is the name of the CII file a Factur-X PDF embeds.
const facturXName = "factur-x.xml"

// extractFacturX returns the factur-x.xml embedded in a Factur-X PDF.
func extractFacturX(pdf []byte) (xmlData []byte, err error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, errors.New("le fichier n'est pas un PDF")
	}
	defer func() {
		// pdfcpu may panic on hostile input; a deposit must never crash
		// the sandbox.
		if r := recover(); r != nil {
			xmlData, err = nil, fmt.Errorf("PDF illisible : %v", r)
		}
	}()
	atts, err := api.ExtractAttachmentsRaw(bytes.NewReader(pdf), "", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("PDF illisible : %v", err)
	}
	for _, a := range atts {
		if strings.EqualFold(a.FileName, facturXName) {
			data, rerr := io.ReadAll(io.LimitReader(a, 16<<20))
			if rerr != nil {
				return nil, fmt.Errorf("pièce jointe %s illisible : %v", facturXName, rerr)
			}
			return data, nil
		}
	}
	return nil, fmt.Errorf("le PDF ne contient pas de pièce jointe %s", facturXName)
}

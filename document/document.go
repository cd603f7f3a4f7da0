package document

import (
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Address is a postal address, laid out as French mail expects it. Its
// JSON form is that of an invoice's frozen parties (store.Parties): its keys
// are kept when fields are renamed.
type Address struct {
	Line1    string `yaml:"line1" json:"line1,omitempty"`
	Line2    string `yaml:"line2" json:"line2,omitempty"`
	Postcode string `yaml:"postcode" json:"postcode,omitempty"`
	City     string `yaml:"city" json:"city,omitempty"`
	// Country is the ISO 3166-1 alpha-2 code; empty means FR.
	Country string `yaml:"country" json:"country,omitempty"`
}

// CountryCode returns the country, FR by default.
func (a Address) CountryCode() string {
	if a.Country == "" {
		return "FR"
	}
	return a.Country
}

// Party is the seller or the buyer of an invoice.
type Party struct {
	Name string `yaml:"name" json:"name,omitempty"`
	// SIRET identifies the party (legal registration, under the scheme of
	// Document.SIRETScheme) and is its electronic address on Chorus Pro.
	SIRET string `yaml:"siret" json:"siret,omitempty"`
	// VATNumber is the intra-EU VAT number (FR + key + SIREN), if any.
	VATNumber string  `yaml:"vat_number" json:"vat_number,omitempty"`
	Address   Address `yaml:"address" json:"address"`
	Email     string  `yaml:"email" json:"email,omitempty"`
	Phone     string  `yaml:"phone" json:"phone,omitempty"`
}

// SIREN is the first nine digits of the SIRET.
func (p Party) SIREN() string {
	if len(p.SIRET) < 9 {
		return p.SIRET
	}
	return p.SIRET[:9]
}

// BankAccount is where the buyer pays (payment means 30, credit transfer).
type BankAccount struct {
	IBAN   string `yaml:"iban" json:"iban,omitempty"`
	BIC    string `yaml:"bic" json:"bic,omitempty"`
	Holder string `yaml:"holder" json:"holder,omitempty"`
}

// Attachment is an additional supporting document carried inside the XML
// (EN 16931 BG-24), such as the usage statement of an overage invoice.
type Attachment struct {
	ID          string
	Description string
	Filename    string
	MimeType    string
	Content     []byte
}

// Document is everything an invoice's renderings show, built from the
// stored invoice: the CII and UBL XML, the PDF and the Factur-X all read
// the same figures from it, never recompute them.
type Document struct {
	Kind      invoice.Kind
	Number    string
	IssueDate time.Time
	DueDate   time.Time
	// Currency is the ISO 4217 code; empty means EUR.
	Currency string
	Seller   Party
	Buyer    Party
	// BuyerReference is the buyer's code service (BT-10).
	BuyerReference string
	// PurchaseOrder is the buyer's numéro d'engagement (BT-13).
	PurchaseOrder string
	// Contract is the convention the invoice bills under (BT-12).
	Contract string
	// Convention is the convention's reference, stated as a note (BT-22)
	// in the XML and in the references block of the PDF; zero for an
	// invoice finalised without one.
	Convention Convention
	// PeriodStart and PeriodEnd (inclusive) are the service period billed
	// (BT-73, BT-74); zero when not applicable.
	PeriodStart, PeriodEnd time.Time
	Lines                  []invoice.Line
	Totals                 invoice.Totals
	// PaidAmount is what was already paid (BT-113); due = TTC − paid.
	PaidAmount decimal.Decimal
	Bank       BankAccount
	// PaymentTerms is the payment terms text (BT-20).
	PaymentTerms string
	// LatePaymentClause states the late-payment interest that applies
	// (note subject PMD).
	LatePaymentClause string
	// RecoveryClause states whether the fixed recovery indemnity applies
	// (note subject PMT).
	RecoveryClause string
	// DiscountClause states the discount for early payment, usually none
	// (note subject AAB).
	DiscountClause string
	// Notes are free-text notes of the invoice (BT-22), e.g. the usage
	// statement's summary or a credit note's reason.
	Notes []string
	// Preceding is the invoice a credit note corrects (BT-25, BT-26).
	Preceding *PrecedingInvoice
	// Statement is the usage statement of an overage invoice.
	Statement   []invoice.StatementRow
	Attachments []Attachment
	// SIRETScheme is the schemeID of the parties' SIRET in the CII's legal
	// organisations (see SIRETScheme); empty is 0009. It is the issuer's
	// setting (Issuer.SIRETScheme), not a fact of the invoice: a flow
	// Chorus Pro rejected for its scheme is deposited again, rendered with
	// the scheme set since.
	SIRETScheme SIRETScheme
}

// PrecedingInvoice names the invoice a credit note refers to.
type PrecedingInvoice struct {
	Number    string
	IssueDate time.Time
}

// CurrencyCode returns the currency, EUR by default.
func (d Document) CurrencyCode() string {
	if d.Currency == "" {
		return "EUR"
	}
	return d.Currency
}

// DueAmount is the amount still due (BT-115).
func (d Document) DueAmount() decimal.Decimal { return d.Totals.TTC.Sub(d.PaidAmount) }

// Title is the document's French title.
func (d Document) Title() string {
	switch d.Kind {
	case invoice.KindCreditNote:
		return "Avoir"
	case invoice.KindInterest:
		return "Facture d'intérêts de retard"
	case invoice.KindOverage:
		return "Facture de dépassement des périmètres d'usage"
	}
	return "Facture"
}

// Validate checks what every rendering needs, so that a missing mention is
// found before anything is sent: the figures must be those of the lines.
func (d Document) Validate() error {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	need(d.Number != "", "number")
	need(len(d.Number) <= invoice.MaxNumberLength, fmt.Sprintf("number of at most %d characters", invoice.MaxNumberLength))
	need(!d.IssueDate.IsZero(), "issue date")
	need(!d.DueDate.IsZero(), "due date")
	need(d.Seller.Name != "" && d.Seller.SIRET != "", "seller name and SIRET")
	need(d.Buyer.Name != "" && d.Buyer.SIRET != "", "buyer name and SIRET")
	need(d.Seller.Address.City != "" && d.Buyer.Address.City != "", "seller and buyer addresses")
	need(len(d.Lines) > 0, "at least one line")
	need(d.Kind != invoice.KindCreditNote || d.Preceding != nil, "the invoice a credit note corrects")
	if len(missing) > 0 {
		return fmt.Errorf("document %s lacks: %s", d.Number, strings.Join(missing, ", "))
	}
	if want := invoice.ComputeTotals(d.Lines); !want.HT.Equal(d.Totals.HT) || !want.VAT.Equal(d.Totals.VAT) || !want.TTC.Equal(d.Totals.TTC) {
		return fmt.Errorf("document %s: totals %s/%s/%s are not those of its lines (%s/%s/%s)", d.Number,
			d.Totals.HT, d.Totals.VAT, d.Totals.TTC, want.HT, want.VAT, want.TTC)
	}
	return nil
}

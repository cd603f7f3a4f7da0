package document

import (
	"fmt"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/invoice"
)

// The length limits of the fields the documents carry: the one table that
// the EN 16931 renderings check (checkXML) and that the imports check the
// same fields against when they enter the books, so that nothing is
// accepted, then numbered, that cannot be rendered.
//
// EN 16931 itself sets no lengths; these are Chorus Pro's, from the B2G
// rules of XP Z12-012 Annexe A V1.3 (BR-FR-CPRO-…, as coded by
// invopop/gobl.fr.ctc addon/flow2/b2g.go) and from what the platform was
// seen to refuse (research/chorus-pro.md §3.1, §3.3, §3.4). Lengths are
// counted in characters (Unicode code points), as those rules count them.

// Field is a field of the documents that has a length limit.
type Field string

// The fields with a length limit.
const (
	// FieldNumber is the invoice number (BT-1) and the preceding invoice's
	// (BT-25).
	FieldNumber Field = "invoice number"
	// FieldPartyName is the seller's (BT-27) or the buyer's (BT-44) name.
	FieldPartyName Field = "party name"
	// FieldAddressLine is a street line of an address (BT-35/BT-36 seller,
	// BT-50/BT-51 buyer).
	FieldAddressLine Field = "address line"
	// FieldCity is the city of an address (BT-37 seller, BT-52 buyer).
	FieldCity Field = "city"
	// FieldCodeService is the buyer's code service (BT-10, buyer reference).
	FieldCodeService Field = "code service"
	// FieldEngagement is the buyer's numéro d'engagement (BT-13, purchase
	// order reference).
	FieldEngagement Field = "engagement number"
	// FieldContract is the contract reference (BT-12).
	FieldContract Field = "contract reference"
	// FieldAttachmentName is an attached document's file name (BT-125-2).
	FieldAttachmentName Field = "attachment file name"
	// FieldText is a note (BT-22), the payment terms (BT-20) or an item
	// name (BT-153).
	FieldText Field = "text"
)

// Limit is the most characters a field may have and the rule that says so.
type Limit struct {
	Field Field
	Max   int
	Rule  string
}

// Limits is the table, in the order of Field's constants.
func Limits() []Limit {
	return []Limit{
		{FieldNumber, invoice.MaxNumberLength, "BR-FR-CPRO-02"},
		{FieldPartyName, 99, "BR-FR-CPRO-43, BR-FR-CPRO-44"},
		// Stated by Chorus Pro for the seller's address; the only address
		// length it publishes, held for the buyer's too.
		{FieldAddressLine, 400, "BR-FR-CPRO-32"},
		{FieldCity, 400, "BR-FR-CPRO-33"},
		// No BR-FR-CPRO rule: the length of a Chorus Pro code service,
		// as the references import has always held it.
		{FieldCodeService, 100, "Chorus Pro code service"},
		{FieldEngagement, 50, "BR-FR-CPRO-15"},
		{FieldContract, 50, "BR-FR-CPRO-14"},
		{FieldAttachmentName, 50, "BR-FR-CPRO-41"},
		{FieldText, 1024, "BR-FR-CPRO-31, -35, -42"},
	}
}

// Limit is the field's entry in the table.
func (f Field) Limit() Limit {
	for _, l := range Limits() {
		if l.Field == f {
			return l
		}
	}
	panic(fmt.Sprintf("document: no length limit for field %q", f))
}

// Max is the most characters the field may have.
func (f Field) Max() int { return f.Limit().Max }

// Check returns a *TooLongError when s is longer than the field allows.
func (f Field) Check(s string) error {
	l := f.Limit()
	if n := utf8.RuneCountInString(s); n > l.Max {
		return &TooLongError{Limit: l, Length: n}
	}
	return nil
}

// TooLongError is a field longer than its limit.
type TooLongError struct {
	Limit
	// Length is the field's length, in characters.
	Length int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("%d characters, over the limit of %d (%s, %s)", e.Length, e.Max, e.Field, e.Rule)
}

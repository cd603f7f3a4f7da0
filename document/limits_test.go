package document

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Every field the table limits: at its limit the document renders in both
// syntaxes; one character more and both refuse it, naming the field and
// the limit. Lengths count characters, not bytes ("é" is two bytes).
func TestLengthLimits(t *testing.T) {
	doc := sampleDocuments(t)[0].doc
	cases := []struct {
		what  string
		field Field
		set   func(d *Document, s string)
	}{
		{"buyer name", FieldPartyName, func(d *Document, s string) { d.Buyer.Name = s }},
		{"seller name", FieldPartyName, func(d *Document, s string) { d.Seller.Name = s }},
		{"buyer address line 1", FieldAddressLine, func(d *Document, s string) { d.Buyer.Address.Line1 = s }},
		{"buyer address line 2", FieldAddressLine, func(d *Document, s string) { d.Buyer.Address.Line2 = s }},
		{"seller address line 1", FieldAddressLine, func(d *Document, s string) { d.Seller.Address.Line1 = s }},
		{"buyer city", FieldCity, func(d *Document, s string) { d.Buyer.Address.City = s }},
		{"seller city", FieldCity, func(d *Document, s string) { d.Seller.Address.City = s }},
		{"code service (BT-10)", FieldCodeService, func(d *Document, s string) { d.BuyerReference = s }},
		{"engagement number (BT-13)", FieldEngagement, func(d *Document, s string) { d.PurchaseOrder = s }},
		{"contract reference (BT-12)", FieldContract, func(d *Document, s string) { d.Contract = s }},
		{"payment terms (BT-20)", FieldText, func(d *Document, s string) { d.PaymentTerms = s }},
		{"note 1 (BT-22)", FieldText, func(d *Document, s string) { d.Notes = []string{s} }},
		{"line 1 item name (BT-153)", FieldText, func(d *Document, s string) { d.Lines[0].Label = s }},
	}
	for _, c := range cases {
		max := c.field.Max()
		for _, n := range []int{max, max + 1} {
			d := doc
			d.Lines = slices.Clone(doc.Lines)
			c.set(&d, strings.Repeat("é", n))
			for _, r := range xmlRenderers {
				_, err := r.render(d)
				switch {
				case n == max && err != nil:
					t.Errorf("%s of %d characters, %s: %v", c.what, n, r.syntax, err)
				case n > max && err == nil:
					t.Errorf("%s of %d characters, %s: rendered", c.what, n, r.syntax)
				case n > max:
					want := c.what + ": " + (&TooLongError{Limit: c.field.Limit(), Length: n}).Error()
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s, %s: error %q, want one saying %q", c.what, r.syntax, err, want)
					}
				}
			}
		}
	}
}

func TestLimitsTable(t *testing.T) {
	seen := map[Field]bool{}
	for _, l := range Limits() {
		if seen[l.Field] || l.Max <= 0 || l.Rule == "" {
			t.Errorf("bad or repeated entry %+v", l)
		}
		seen[l.Field] = true
	}
	err := FieldPartyName.Check(strings.Repeat("x", 100))
	var tl *TooLongError
	if !errors.As(err, &tl) || tl.Max != 99 || tl.Length != 100 || tl.Field != FieldPartyName {
		t.Errorf("a 100-character name: %v", err)
	}
	if err := FieldPartyName.Check(strings.Repeat("É", 99)); err != nil {
		t.Errorf("99 characters of two bytes each: %v", err)
	}
}

package invoice

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// VATCategory is the EN 16931 VAT category code (UNCL5305 subset) of a line.
type VATCategory string

// VAT categories chorusbill can express.
const (
	// VATStandard is the standard rate (S).
	VATStandard VATCategory = "S"
	// VATOutOfScope is "not subject to VAT" (O), e.g. a public body acting as
	// such (CGI art. 256 B) or late-payment interest.
	VATOutOfScope VATCategory = "O"
	// VATExempt is an exemption (E), with its legal reason.
	VATExempt VATCategory = "E"
)

// VATRate is the VAT treatment of a tariff or invoice line: its category, its
// rate in percent and, when no VAT is charged, the legal mention that says why.
type VATRate struct {
	Category VATCategory     `json:"category"`
	Percent  decimal.Decimal `json:"rate"`
	// Mention is the legal reason printed on the invoice and carried as the
	// exemption reason (BT-120) when Category is not standard.
	Mention string `json:"mention,omitempty"`
}

// Validate checks the rate is coherent with its category.
func (v VATRate) Validate() error {
	switch v.Category {
	case VATStandard:
		if !v.Percent.IsPositive() || v.Percent.GreaterThanOrEqual(decimal.NewFromInt(100)) {
			return fmt.Errorf("standard VAT rate must be between 0 and 100 %%, got %s", v.Percent)
		}
	case VATOutOfScope, VATExempt:
		if !v.Percent.IsZero() {
			return fmt.Errorf("VAT category %s carries no rate, got %s %%", v.Category, v.Percent)
		}
		if v.Mention == "" {
			return fmt.Errorf("VAT category %s needs the legal mention that justifies it", v.Category)
		}
	default:
		return fmt.Errorf("unknown VAT category %q (want S, O or E)", v.Category)
	}
	return nil
}

// Key identifies the VAT breakdown a line belongs to (BG-23: one per category and rate).
func (v VATRate) Key() string {
	return string(v.Category) + "/" + v.Percent.StringFixed(2)
}

// Of returns the VAT due on a taxable base, rounded half-up to the cent.
func (v VATRate) Of(base decimal.Decimal) decimal.Decimal {
	return Round(base.Mul(v.Percent).Div(decimal.NewFromInt(100)))
}

package invoice

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Line is one invoice line. Its Amount is computed once, rounded half-up to the
// cent, and stored: every document shows that stored figure.
//
// A prorated contribution is Quantity months at UnitPrice per BaseQuantity 12
// months, so the annual price shows as such and the amount is exact:
// 2,012.50 × 3 / 12 = 503.125 → 503.13.
type Line struct {
	Code         string          `json:"code"`
	Label        string          `json:"label"`
	Quantity     decimal.Decimal `json:"quantity"`
	Unit         string          `json:"unit"`
	UnitPrice    decimal.Decimal `json:"unit_price"`
	BaseQuantity decimal.Decimal `json:"base_quantity"`
	Amount       decimal.Decimal `json:"amount"`
	VAT          VATRate         `json:"vat"`
	// Usage, on overage lines, is the statement of the quantities behind the line.
	Usage *Usage `json:"usage,omitempty"`
}

// Usage is the supporting statement (justificatif) of an overage line: what was
// observed against the allowance, and how many blocks that starts.
type Usage struct {
	Observed  decimal.Decimal `json:"observed"`
	Allowance decimal.Decimal `json:"allowance"`
	Excess    decimal.Decimal `json:"excess"`
	BlockSize decimal.Decimal `json:"block_size"`
	Blocks    int64           `json:"blocks"`
}

// NewLine builds a line and computes its amount: quantity × unit price / base
// quantity, rounded half-up to the cent. A zero base quantity means 1.
func NewLine(code, label string, quantity decimal.Decimal, unit string, unitPrice, baseQuantity decimal.Decimal, vat VATRate) (Line, error) {
	if baseQuantity.IsZero() {
		baseQuantity = decimal.NewFromInt(1)
	}
	if baseQuantity.IsNegative() {
		return Line{}, fmt.Errorf("line %s: base quantity %s is negative", code, baseQuantity)
	}
	if unitPrice.IsNegative() {
		return Line{}, fmt.Errorf("line %s: unit price %s is negative", code, unitPrice)
	}
	if err := vat.Validate(); err != nil {
		return Line{}, fmt.Errorf("line %s: %w", code, err)
	}
	return Line{
		Code:         code,
		Label:        label,
		Quantity:     quantity,
		Unit:         unit,
		UnitPrice:    unitPrice,
		BaseQuantity: baseQuantity,
		Amount:       Round(quantity.Mul(unitPrice).Div(baseQuantity)),
		VAT:          vat,
	}, nil
}

// Negate returns the line as it appears on a credit note cancelling it: same
// price, opposite quantity and amount.
func (l Line) Negate() Line {
	l.Quantity = l.Quantity.Neg()
	l.Amount = l.Amount.Neg()
	return l
}

// UN/ECE Recommendation 20 unit codes used on lines.
const (
	// UnitMonth is a month of service (MON).
	UnitMonth = "MON"
	// UnitOne is a countable unit: a block, a document, an invoice (C62).
	UnitOne = "C62"
)

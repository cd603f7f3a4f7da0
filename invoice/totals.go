package invoice

import (
	"sort"

	"github.com/shopspring/decimal"
)

// VATBreakdown is the total of one VAT category and rate (EN 16931 BG-23).
type VATBreakdown struct {
	VAT    VATRate         `json:"vat"`
	Base   decimal.Decimal `json:"base"`
	Amount decimal.Decimal `json:"amount"`
}

// Totals are an invoice's figures. Every one is a sum of already rounded
// figures, except each VAT amount, which is round(base × rate) per rate: the
// rule EN 16931 checks (BR-CO-10, BR-CO-17) and the one that keeps the XML,
// the PDF and the database in agreement.
type Totals struct {
	HT  decimal.Decimal `json:"total_ht"`
	VAT decimal.Decimal `json:"total_vat"`
	TTC decimal.Decimal `json:"total_ttc"`
	// Breakdown has one entry per VAT category and rate, in a stable order.
	Breakdown []VATBreakdown `json:"vat_breakdown"`
}

// ComputeTotals sums the lines per VAT rate and computes the VAT of each rate.
func ComputeTotals(lines []Line) Totals {
	byKey := map[string]*VATBreakdown{}
	var keys []string
	t := Totals{HT: decimal.Zero, VAT: decimal.Zero}
	for _, l := range lines {
		b, ok := byKey[l.VAT.Key()]
		if !ok {
			b = &VATBreakdown{VAT: l.VAT, Base: decimal.Zero}
			byKey[l.VAT.Key()] = b
			keys = append(keys, l.VAT.Key())
		}
		b.Base = b.Base.Add(l.Amount)
		t.HT = t.HT.Add(l.Amount)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b := byKey[k]
		b.Amount = b.VAT.Of(b.Base)
		t.VAT = t.VAT.Add(b.Amount)
		t.Breakdown = append(t.Breakdown, *b)
	}
	t.TTC = t.HT.Add(t.VAT)
	return t
}

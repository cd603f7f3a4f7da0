package tariff

import (
	"testing"

	"github.com/shopspring/decimal"
)

// A quote's payment term is the establishment's when it has one, else the
// deliberation's; the amounts do not depend on it.
func TestQuotePaymentTerm(t *testing.T) {
	d := loadFixture(t)
	usage := map[string]decimal.Decimal{"rdv-sms": dec("5000")}
	for _, tc := range []struct {
		name string
		term int
		want int
	}{
		{"deliberation's", 0, 30},
		{"public health establishment", 50, 50},
		{"shorter", 20, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := Establishment{Offer: OfferBouquet, Headcount: 640, Existing: true}
			e := base
			e.PaymentTermDays = tc.term
			for kind, quote := range map[string]func(Establishment) (Quote, error){
				"contribution": func(e Establishment) (Quote, error) { return d.Contribution(e, 2025) },
				"overage":      func(e Establishment) (Quote, error) { return d.Overage(e, 2025, usage) },
			} {
				q, err := quote(e)
				if err != nil {
					t.Fatal(err)
				}
				ref, err := quote(base)
				if err != nil {
					t.Fatal(err)
				}
				if q.PaymentTermDays != tc.want {
					t.Errorf("%s: term %d days, want %d", kind, q.PaymentTermDays, tc.want)
				}
				if !q.Totals.TTC.Equal(ref.Totals.TTC) || q.Totals.TTC.IsZero() {
					t.Errorf("%s: %s TTC with the term, %s without", kind, q.Totals.TTC, ref.Totals.TTC)
				}
			}
		})
	}
}

package invoice

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func TestLateInterestChoosesTheRegime(t *testing.T) {
	rates := InterestRates{Legal: mustRates(t, ParseLegalRates, testLegalRates), ECB: mustRates(t, ParseECBRates, testECBRates)}
	legal, err := LegalInterest(decimal.NewFromInt(1000), day("2025-01-31"), day("2025-03-02"), rates.Legal, Basis365)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		regime    Regime
		rates     InterestRates
		due, paid string
		want      string // total, or "" for an error
		missing   bool   // the error is a *MissingRateError
	}{
		// 1000 × (3.15 + 8) % × 30 / 365 = 9.16, plus the 40 € indemnity.
		{"procurement", RegimeProcurement, rates, "2025-01-31", "2025-03-02", "49.16", false},
		{"legal", RegimeLegal, rates, "2025-01-31", "2025-03-02", legal.Total.StringFixed(2), false},
		{"unset regime is legal", "", rates, "2025-01-31", "2025-03-02", legal.Total.StringFixed(2), false},
		{"paid on time", RegimeProcurement, rates, "2025-01-31", "2025-01-31", "0.00", false},
		{"no ECB table", RegimeProcurement, InterestRates{Legal: rates.Legal}, "2025-01-31", "2025-03-02", "", false},
		{"semester without a rate", RegimeLegal, rates, "2023-01-31", "2023-03-02", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LateInterest(tt.regime, decimal.NewFromInt(1000), day(tt.due), day(tt.paid), tt.rates)
			if tt.want == "" {
				var m *MissingRateError
				if err == nil || errors.As(err, &m) != tt.missing {
					t.Fatalf("error = %v, want one (missing rate: %v)", err, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Total.StringFixed(2) != tt.want {
				t.Fatalf("total %s, want %s", got.Total.StringFixed(2), tt.want)
			}
		})
	}
}

package invoice

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// The interest invoice shows its computation: per semester, dates, days,
// rate and amount, then the total rounded once.
func TestInterestComputation(t *testing.T) {
	legal := mustRates(t, ParseLegalRates, testLegalRates)
	ecb := mustRates(t, ParseECBRates, testECBRates)
	tests := []struct {
		name string
		res  func() (Interest, error)
		want string
	}{
		{"legal, two semesters (research §1.3 worked example)", func() (Interest, error) {
			return LegalInterest(decimal.RequireFromString("5175.00"), day("2025-02-28"), day("2025-09-30"), legal, Basis365)
		}, "Calcul : 5\u00a0175,00 € × taux × jours / 365" +
			" ; du 01/03/2025 au 30/06/2025, 122 jours à 3,71\u00a0% = 64,1728 €" +
			" ; du 01/07/2025 au 30/09/2025, 92 jours à 2,76\u00a0% = 36,0010 €" +
			" ; total arrondi au centime : 100,17 €."},
		{"procurement, one rate and the indemnity", func() (Interest, error) {
			return ProcurementInterest(decimal.RequireFromString("1104.00"), day("2025-02-14"), day("2025-03-16"), ecb, Basis365)
		}, "Calcul : 1\u00a0104,00 € × taux × jours / 365" +
			" ; du 15/02/2025 au 16/03/2025, 30 jours à 11,15\u00a0% (taux BCE 2025-S1 + 8 points) = 10,1175 €" +
			" ; total arrondi au centime : 10,12 € ; indemnité forfaitaire de recouvrement : 40,00 €."},
		{"one day", func() (Interest, error) {
			return LegalInterest(decimal.RequireFromString("69.00"), day("2025-02-14"), day("2025-02-15"), legal, Basis365)
		}, "Calcul : 69,00 € × taux × jours / 365 ; du 15/02/2025 au 15/02/2025, 1 jour à 3,71\u00a0% = 0,0070 € ; total arrondi au centime : 0,01 €."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.res()
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Computation(); got != tt.want {
				t.Errorf("Computation() =\n%s\nwant\n%s", strings.ReplaceAll(got, " ; ", "\n; "), strings.ReplaceAll(tt.want, " ; ", "\n; "))
			}
		})
	}
}

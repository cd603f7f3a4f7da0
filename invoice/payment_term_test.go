package invoice

import (
	"errors"
	"testing"
)

func TestCheckPaymentTerm(t *testing.T) {
	for _, tc := range []struct {
		days   int
		regime Regime
		want   string // "" when accepted
	}{
		{30, RegimeLegal, ""},
		{30, "", ""},
		{30, RegimeProcurement, ""},
		{50, RegimeProcurement, ""}, // public health establishment, R2192-11 1°
		{60, RegimeProcurement, ""}, // public enterprise, R2192-11 2°
		{15, RegimeProcurement, ""}, // a contract may shorten the term (L2192-10)
		{1, RegimeProcurement, ""},
		{0, RegimeProcurement, "0 days: a payment term is at least 1 day"},
		{-5, RegimeLegal, "-5 days: a payment term is at least 1 day"},
		{61, RegimeProcurement, "61 days is beyond the legal maximum of 60 days (CCP R2192-10 and R2192-11: 30 days for public buyers, 50 for public health establishments, 60 for public enterprises)"},
		{90, RegimeLegal, "90 days is beyond the legal maximum of 60 days (CCP R2192-10 and R2192-11: 30 days for public buyers, 50 for public health establishments, 60 for public enterprises)"},
		{50, RegimeLegal, "50 days needs the procurement late-payment regime: under the legal regime the term is the convention's 30 days; other terms (50 days for a public health establishment, CCP R2192-11) are those of public procurement"},
		{20, "", "20 days needs the procurement late-payment regime: under the legal regime the term is the convention's 30 days; other terms (50 days for a public health establishment, CCP R2192-11) are those of public procurement"},
	} {
		err := CheckPaymentTerm(tc.days, tc.regime)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d days, %q: refused: %v", tc.days, tc.regime, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%d days, %q: got %v\nwant %s", tc.days, tc.regime, err, tc.want)
		case err != nil:
			var pe *PaymentTermError
			if !errors.As(err, &pe) || pe.Days != tc.days {
				t.Errorf("%d days: %T is not a *PaymentTermError for it", tc.days, err)
			}
		}
	}
}

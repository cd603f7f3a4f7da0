package tariff

import (
	"errors"
	"testing"
)

// Quantities as a spreadsheet writes them, for a count (SMS) and a measure
// (GB): the value read, or the problem and the exact message.
func TestParseQuantity(t *testing.T) {
	d := loadFixture(t)
	sms, _ := d.Service("signature-sms")
	storage, _ := d.Service("partage-storage")
	tests := []struct {
		svc     Service
		text    string
		want    string // the value read, when accepted
		problem QuantityProblem
		msg     string
	}{
		// Counts: digits only.
		{sms, "1500", "1500", 0, ""},
		{sms, "0", "0", 0, ""},
		{sms, "007", "7", 0, ""},
		{sms, "1000000000000", "1000000000000", 0, ""},
		{sms, "1,500", "", QuantityAmbiguous,
			`"1,500" is ambiguous: signature-sms is a count of SMS, a whole number, and 1,500 could be read 1500 or 1.5; write 1500 (digits only, no separator)`},
		{sms, "1.500", "", QuantityAmbiguous,
			`"1.500" is ambiguous: signature-sms is a count of SMS, a whole number, and 1.500 could be read 1500 or 1.5; write 1500 (digits only, no separator)`},
		{sms, "12,000", "", QuantityAmbiguous,
			`"12,000" is ambiguous: signature-sms is a count of SMS, a whole number, and 12,000 could be read 12000 or 12; write 12000 (digits only, no separator)`},
		{sms, "1 500", "", QuantitySeparator,
			`"1 500": signature-sms is a count of SMS, written with digits only (no thousands or decimal separator); write 1500`},
		{sms, "1\u00a0500", "", QuantitySeparator, ""},
		{sms, "1'500", "", QuantitySeparator, ""},
		{sms, "1,500,000", "", QuantitySeparator,
			`"1,500,000": signature-sms is a count of SMS, written with digits only (no thousands or decimal separator); write 1500000`},
		{sms, "12,00", "", QuantitySeparator,
			`"12,00": signature-sms is a count of SMS, written with digits only (no thousands or decimal separator); write 12`},
		{sms, "1.5", "", QuantityFractional, `1.5 is not a whole number: signature-sms is a count of SMS, whole numbers only`},
		{sms, "1,5", "", QuantityFractional, `1,5 is not a whole number: signature-sms is a count of SMS, whole numbers only`},
		{sms, "0,25", "", QuantityFractional, ""},
		{sms, "1,5000", "", QuantityFractional, ""},
		{sms, "-15", "", QuantityNegative, `-15 is negative`},
		{sms, "-1,500", "", QuantityNegative, `-1,500 is negative`},
		{sms, "1000000000001", "", QuantityTooLarge,
			`1000000000001 is more than the largest quantity accepted, 1000000000000 (10^12) SMS`},
		{sms, "99999999999999999999999999", "", QuantityTooLarge, ""},
		{sms, "", "", QuantityNotANumber, `"" is not a number`},
		{sms, "12 SMS", "", QuantityNotANumber, `"12 SMS" is not a number`},
		{sms, "1e3", "", QuantityNotANumber, ""},
		{sms, "+5", "", QuantityNotANumber, ""},
		{sms, "--5", "", QuantityNotANumber, ""},
		{sms, ",500", "", QuantityNotANumber, ""},
		{sms, "1,", "", QuantityNotANumber, ""},
		{sms, "1/2", "", QuantityNotANumber, ""},
		{sms, "1.500,5", "", QuantityNotANumber, ""},
		// Measures: as before, a decimal comma or point, spaces between thousands.
		{storage, "612,5", "612.5", 0, ""},
		{storage, "612.5", "612.5", 0, ""},
		{storage, "1 250,5", "1250.5", 0, ""},
		{storage, "1,500", "1.5", 0, ""},
		{storage, "1000000000000", "1000000000000", 0, ""},
		{storage, "999999999999.99", "999999999999.99", 0, ""},
		{storage, "1000000000000.01", "", QuantityTooLarge,
			`1000000000000.01 is more than the largest quantity accepted, 1000000000000 (10^12) Go`},
		{storage, "1e13", "", QuantityTooLarge, ""},
		{storage, "-15", "", QuantityNegative, `-15 is negative`},
		{storage, "12 Go", "", QuantityNotANumber, `"12 Go" is not a number`},
		{storage, "", "", QuantityNotANumber, `"" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.svc.Code+"/"+tt.text, func(t *testing.T) {
			got, err := tt.svc.ParseQuantity(tt.text)
			if tt.problem == 0 {
				if err != nil || got.String() != tt.want {
					t.Fatalf("= %s, %v; want %s", got, err, tt.want)
				}
				return
			}
			var qe *QuantityError
			if !errors.As(err, &qe) || qe.Problem != tt.problem {
				t.Fatalf("err = %v (%T), want problem %d", err, err, tt.problem)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("message\n%s\nwant\n%s", err, tt.msg)
			}
		})
	}
}

// FuzzParseQuantity: any text is a quantity the service may have, or a
// *QuantityError; never a panic.
func FuzzParseQuantity(f *testing.F) {
	d := loadFixture(f)
	sms, _ := d.Service("signature-sms")
	storage, _ := d.Service("partage-storage")
	for _, s := range []string{"1500", "1,500", "1 500", "1.5", "-3", "", "1e13", "12 Go", "1\u00a0500,5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, svc := range []Service{sms, storage} {
			q, err := svc.ParseQuantity(text)
			if err != nil {
				var qe *QuantityError
				if !errors.As(err, &qe) {
					t.Fatalf("%q: error %T %v", text, err, err)
				}
				_ = err.Error()
				continue
			}
			if err := svc.CheckQuantity(q); err != nil {
				t.Fatalf("%q read as %s, which is not a valid quantity: %v", text, q, err)
			}
		}
	})
}

package invoice

import (
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func vat20() VATRate { return VATRate{Category: VATStandard, Percent: d("20")} }

func outOfScope() VATRate {
	return VATRate{Category: VATOutOfScope, Percent: decimal.Zero, Mention: "TVA non applicable, art. 256 B du CGI"}
}

func TestNewLine(t *testing.T) {
	tests := []struct {
		name             string
		qty, price, base string
		want             string
	}{
		{"prorated 3/12 half-cent rounds up", "3", "2012.50", "12", "503.13"},
		{"prorated 7/12", "7", "2012.50", "12", "1173.96"},
		{"prorated 9/12 exact", "9", "920.00", "12", "690.00"},
		{"prorated 11/12 rounds down", "11", "920.00", "12", "843.33"},
		{"whole year", "12", "5175.00", "12", "5175.00"},
		{"blocks", "4", "15.00", "1", "60.00"},
		{"zero base means one", "45", "0.10", "0", "4.50"},
		{"fractional quantity", "0.333", "10.00", "1", "3.33"},
		{"x.xx5 rounds up", "1", "0.125", "1", "0.13"},
		{"credit note quantity", "-3", "2012.50", "12", "-503.13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLine("c", "label", d(tt.qty), UnitMonth, d(tt.price), d(tt.base), vat20())
			if err != nil {
				t.Fatal(err)
			}
			if got := Format(l.Amount); got != tt.want {
				t.Errorf("amount = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewLineRejects(t *testing.T) {
	if _, err := NewLine("c", "l", d("1"), UnitOne, d("-1"), d("1"), vat20()); err == nil {
		t.Error("negative price accepted")
	}
	if _, err := NewLine("c", "l", d("1"), UnitOne, d("1"), d("-12"), vat20()); err == nil {
		t.Error("negative base accepted")
	}
	if _, err := NewLine("c", "l", d("1"), UnitOne, d("1"), d("1"), VATRate{Category: VATOutOfScope}); err == nil {
		t.Error("out-of-scope VAT without mention accepted")
	}
}

func TestComputeTotals(t *testing.T) {
	mk := func(amount string, v VATRate) Line {
		l, err := NewLine("c", "l", d("1"), UnitOne, d(amount), d("1"), v)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	vat55 := VATRate{Category: VATStandard, Percent: d("5.5")}
	tests := []struct {
		name         string
		lines        []Line
		ht, vat, ttc string
		breakdown    []string // "key base amount"
	}{
		{"empty", nil, "0.00", "0.00", "0.00", nil},
		{"one line", []Line{mk("1509.38", vat20())}, "1509.38", "301.88", "1811.26", []string{"S/20.00 1509.38 301.88"}},
		// VAT is rounded once per rate on the summed base, not per line:
		// 3 × round(0.08 × 20 %) would be 0.06; round(0.24 × 20 %) is 0.05.
		{"VAT per rate, not per line", []Line{mk("0.08", vat20()), mk("0.08", vat20()), mk("0.08", vat20())}, "0.24", "0.05", "0.29", []string{"S/20.00 0.24 0.05"}},
		{"VAT half-cent rounds up", []Line{mk("0.08", vat20())}, "0.08", "0.02", "0.10", []string{"S/20.00 0.08 0.02"}},
		{"two rates and out of scope", []Line{mk("100.00", vat20()), mk("10.01", vat55), mk("40.00", outOfScope())}, "150.01", "20.55", "170.56",
			[]string{"O/0.00 40.00 0.00", "S/20.00 100.00 20.00", "S/5.50 10.01 0.55"}},
		{"credit note", []Line{mk("503.13", vat20()).Negate()}, "-503.13", "-100.63", "-603.76", []string{"S/20.00 -503.13 -100.63"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tot := ComputeTotals(tt.lines)
			if Format(tot.HT) != tt.ht || Format(tot.VAT) != tt.vat || Format(tot.TTC) != tt.ttc {
				t.Errorf("totals = %s %s %s, want %s %s %s", Format(tot.HT), Format(tot.VAT), Format(tot.TTC), tt.ht, tt.vat, tt.ttc)
			}
			var got []string
			for _, b := range tot.Breakdown {
				got = append(got, b.VAT.Key()+" "+Format(b.Base)+" "+Format(b.Amount))
			}
			if len(got) != len(tt.breakdown) {
				t.Fatalf("breakdown = %v, want %v", got, tt.breakdown)
			}
			for i := range got {
				if got[i] != tt.breakdown[i] {
					t.Errorf("breakdown[%d] = %s, want %s", i, got[i], tt.breakdown[i])
				}
			}
		})
	}
}

func TestVATRateValidate(t *testing.T) {
	tests := []struct {
		v  VATRate
		ok bool
	}{
		{vat20(), true},
		{outOfScope(), true},
		{VATRate{Category: VATStandard, Percent: decimal.Zero}, false},
		{VATRate{Category: VATStandard, Percent: d("100")}, false},
		{VATRate{Category: VATOutOfScope, Percent: d("20"), Mention: "x"}, false},
		{VATRate{Category: VATExempt, Percent: decimal.Zero}, false},
		{VATRate{Category: "Z", Percent: decimal.Zero}, false},
	}
	for _, tt := range tests {
		if err := tt.v.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: err = %v, want ok=%v", tt.v, err, tt.ok)
		}
	}
}

func TestFormatFrench(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0,00", "5.5": "5,50", "999.99": "999,99", "1000": "1\u00a0000,00",
		"2012.5": "2\u00a0012,50", "1234567.891": "1\u00a0234\u00a0567,89", "-503.125": "-503,13",
	} {
		if got := FormatFrench(d(in)); got != want {
			t.Errorf("FormatFrench(%s) = %q, want %q", in, got, want)
		}
	}
}

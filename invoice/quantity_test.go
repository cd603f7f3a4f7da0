package invoice

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestQuantityLabel(t *testing.T) {
	for _, tc := range []struct {
		q, unit, want string
	}{
		{"612.5", "E34", "612,5\u00a0Go"},
		{"1250", UnitOne, "1\u00a0250"},
		{"-1234567.125", "", "-1\u00a0234\u00a0567,125"},
		{"12", UnitMonth, "12\u00a0mois"},
		{"1", UnitMonth, "1\u00a0mois"},
		{"1", "DAY", "1\u00a0jour"},
		{"1.5", "DAY", "1,5\u00a0jour"},
		{"2", "DAY", "2\u00a0jours"},
		{"-3", "HUR", "-3\u00a0heures"},
		{"4", "XYZ", "4\u00a0XYZ"}, // unknown: the code as is
	} {
		if got := QuantityLabel(decimal.RequireFromString(tc.q), tc.unit); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.q, tc.unit, got, tc.want)
		}
	}
}

// Every unit has a French name in both numbers, or none in both (a count).
func TestUnitNames(t *testing.T) {
	for code, n := range unitNames {
		if (n[0] == "") != (n[1] == "") {
			t.Errorf("%q: %q", code, n)
		}
	}
	for _, code := range []string{UnitMonth, UnitOne} {
		if _, ok := unitNames[code]; !ok {
			t.Errorf("%s has no name", code)
		}
	}
}

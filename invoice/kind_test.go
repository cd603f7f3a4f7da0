package invoice

import "testing"

func TestSeriesAndNumbers(t *testing.T) {
	tests := []struct {
		kind   Kind
		year   int
		n      int64
		series string
		number string
	}{
		{KindContribution, 2025, 1, "CT2025", "CT2025-000001"},
		{KindOverage, 2026, 42, "OV2026", "OV2026-000042"},
		{KindInterest, 2027, 999999, "IN2027", "IN2027-999999"},
		{KindCreditNote, 2029, 1234567, "AV2029", "AV2029-1234567"},
	}
	for _, tt := range tests {
		s, err := Series(tt.kind, tt.year)
		if err != nil || s != tt.series {
			t.Errorf("Series(%s, %d) = %q, %v", tt.kind, tt.year, s, err)
			continue
		}
		n, err := Number(s, tt.n)
		if err != nil || n != tt.number {
			t.Errorf("Number(%s, %d) = %q, %v; want %s", s, tt.n, n, err, tt.number)
		}
		if len(n) > MaxNumberLength {
			t.Errorf("%s longer than %d", n, MaxNumberLength)
		}
	}
	if _, err := Number("CT2025", 0); err == nil {
		t.Error("number 0 accepted")
	}
	if _, err := Number("CT2025", 1e14); err == nil {
		t.Error("a number longer than 20 characters accepted")
	}
	if _, err := Series("bogus", 2025); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestKinds(t *testing.T) {
	for _, k := range Kinds() {
		got, err := ParseKind(string(k))
		if err != nil || got != k {
			t.Errorf("ParseKind(%s) = %s, %v", k, got, err)
		}
	}
	if k, _ := ParseKind("credit-note"); k != KindCreditNote || k.TypeCode() != "381" || KindContribution.TypeCode() != "380" {
		t.Error("credit note type code")
	}
	if _, err := ParseKind("refund"); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestIsNumber(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"CT2025-000001", true},
		{"AV2026-000042", true},
		{"IN2027-1234567", true}, // past a million in a series
		{"XX2025-000001", false}, // no such kind
		{"CT2025-00001", false},
		{"CT25-000001", false},
		{"CT2025000001", false},
		{"CT2025-00000A", false},
		{"ct2025-000001", false},
		{"", false},
	} {
		if got := IsNumber(tc.s); got != tc.want {
			t.Errorf("IsNumber(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

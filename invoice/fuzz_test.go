package invoice

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzValidateSIRET: never a panic; anything accepted is 14 digits that
// pass Luhn, or La Poste's rule.
func FuzzValidateSIRET(f *testing.F) {
	for _, s := range []string{"73282932000074", " 732 829 320 00074 ", "35600000049837", "12345678912345", "123456ABC12345", "", "٣٣٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ValidateSIRET(s)
		if err != nil {
			return
		}
		if len(got) != 14 || strings.IndexFunc(got, func(r rune) bool { return !unicode.IsDigit(r) || r > '9' }) >= 0 {
			t.Fatalf("accepted %q as %q", s, got)
		}
		if !fuzzLuhnOK(got) && !(strings.HasPrefix(got, "356000000") && fuzzDigitSum(got)%5 == 0) {
			t.Fatalf("accepted %q, which fails both rules", got)
		}
	})
}

func fuzzLuhnOK(s string) bool {
	sum := 0
	for i := range s {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func fuzzDigitSum(s string) int {
	n := 0
	for _, c := range s {
		n += int(c - '0')
	}
	return n
}

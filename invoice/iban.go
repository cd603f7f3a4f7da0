package invoice

import (
	"fmt"
	"math/big"
	"strings"
)

// ValidateIBAN checks an IBAN's shape and its ISO 13616 check digits
// (mod 97), and returns it without spaces, in capitals.
func ValidateIBAN(s string) (string, error) {
	iban := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(iban) < 15 || len(iban) > 34 {
		return "", fmt.Errorf("IBAN %q has %d characters, not 15 to 34", s, len(iban))
	}
	var digits strings.Builder
	for _, r := range iban[4:] + iban[:4] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			fmt.Fprintf(&digits, "%d", r-'A'+10)
		default:
			return "", fmt.Errorf("IBAN %q has a character other than letters and digits", s)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return "", fmt.Errorf("IBAN %s fails its check digits", iban)
	}
	return iban, nil
}

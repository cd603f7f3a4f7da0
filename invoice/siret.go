package invoice

import (
	"fmt"
	"strings"
	"unicode"
)

// laPosteSIREN is the SIREN of La Poste, whose establishments' SIRETs do not
// follow Luhn: their digits sum to a multiple of 5 instead.
const laPosteSIREN = "356000000"

// IdentifierProblem says what is wrong with a SIRET or SIREN.
type IdentifierProblem int

const (
	// IdentifierNotDigits: the identifier contains something other than digits and spaces.
	IdentifierNotDigits IdentifierProblem = iota + 1
	// IdentifierWrongLength: the identifier has the wrong number of digits.
	IdentifierWrongLength
	// IdentifierBadCheckDigit: the digits are well formed but the check fails.
	IdentifierBadCheckDigit
)

// IdentifierError reports an invalid SIRET or SIREN. A valid check digit only
// proves the number is well formed, not that the establishment exists.
type IdentifierError struct {
	Kind    string // "SIRET" or "SIREN"
	Value   string // the input with spaces removed
	Problem IdentifierProblem
}

// Error implements error.
func (e *IdentifierError) Error() string {
	switch e.Problem {
	case IdentifierNotDigits:
		return fmt.Sprintf("%s must contain only digits, got %q", e.Kind, e.Value)
	case IdentifierWrongLength:
		return fmt.Sprintf("%s must have %d digits, got %d", e.Kind, identifierLength(e.Kind), len(e.Value))
	default:
		return fmt.Sprintf("%s %s fails its check digit", e.Kind, e.Value)
	}
}

func identifierLength(kind string) int {
	if kind == "SIREN" {
		return 9
	}
	return 14
}

// ValidateSIRET checks a SIRET (SIREN + 5-digit NIC, Luhn over all 14 digits,
// or digit sum ≡ 0 mod 5 for La Poste) and returns it without spaces. Spaces
// are allowed anywhere, as in the usual "732 829 320 00074" layout.
func ValidateSIRET(s string) (string, error) {
	digits, err := identifierDigits("SIRET", s)
	if err != nil {
		return "", err
	}
	ok := luhnValid(digits)
	if !ok && strings.HasPrefix(digits, laPosteSIREN) {
		// La Poste's establishments use the digit-sum rule; its head office
		// (35600000000048) happens to pass Luhn as well, handled above.
		ok = digitSum(digits)%5 == 0
	}
	if !ok {
		return "", &IdentifierError{Kind: "SIRET", Value: digits, Problem: IdentifierBadCheckDigit}
	}
	return digits, nil
}

// ValidateSIREN checks a SIREN (9 digits, Luhn) and returns it without spaces.
func ValidateSIREN(s string) (string, error) {
	digits, err := identifierDigits("SIREN", s)
	if err != nil {
		return "", err
	}
	if !luhnValid(digits) {
		return "", &IdentifierError{Kind: "SIREN", Value: digits, Problem: IdentifierBadCheckDigit}
	}
	return digits, nil
}

// identifierDigits removes white space (including the no-break spaces of
// French number formatting) and checks the remainder is the right number of
// ASCII digits.
func identifierDigits(kind, s string) (string, error) {
	digits := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u202f' {
			return -1
		}
		return r
	}, s)
	for _, r := range digits {
		if r < '0' || r > '9' {
			return "", &IdentifierError{Kind: kind, Value: digits, Problem: IdentifierNotDigits}
		}
	}
	if len(digits) != identifierLength(kind) {
		return "", &IdentifierError{Kind: kind, Value: digits, Problem: IdentifierWrongLength}
	}
	return digits, nil
}

// luhnValid applies the Luhn check to a string of ASCII digits: doubling every
// second digit from the right, the sum must be a multiple of 10.
func luhnValid(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func digitSum(digits string) int {
	sum := 0
	for i := range len(digits) {
		sum += int(digits[i] - '0')
	}
	return sum
}

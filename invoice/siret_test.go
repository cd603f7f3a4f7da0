package invoice

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func TestValidateSIRET(t *testing.T) {
	tests := []struct {
		in      string
		want    string // normalised SIRET, "" when invalid
		problem IdentifierProblem
		msg     string
	}{
		{in: "73282932000074", want: "73282932000074"},
		{in: " 732 829 320 00074 ", want: "73282932000074"},
		{in: "732\u00a0829\u00a0320\u00a000074", want: "73282932000074"},
		{in: "35600000049837", want: "35600000049837"}, // La Poste: fails Luhn, digit sum 45
		{in: "35600000000048", want: "35600000000048"}, // La Poste head office: Luhn
		{in: "12345678912345", problem: IdentifierBadCheckDigit, msg: "SIRET 12345678912345 fails its check digit"},
		{in: "123456ABC12345", problem: IdentifierNotDigits, msg: `SIRET must contain only digits, got "123456ABC12345"`},
		{in: "3624679471379", problem: IdentifierWrongLength, msg: "SIRET must have 14 digits, got 13"},
		{in: "", problem: IdentifierWrongLength, msg: "SIRET must have 14 digits, got 0"},
		{in: "732829320000740", problem: IdentifierWrongLength, msg: "SIRET must have 14 digits, got 15"},
		{in: "73282932000075", problem: IdentifierBadCheckDigit, msg: "SIRET 73282932000075 fails its check digit"},
		// La Poste SIREN, digit sum 46: neither rule holds.
		{in: "35600000049838", problem: IdentifierBadCheckDigit, msg: "SIRET 35600000049838 fails its check digit"},
		{in: "７3282932000074", problem: IdentifierNotDigits}, // full-width digit
	}
	for _, tt := range tests {
		got, err := ValidateSIRET(tt.in)
		if tt.want != "" {
			if err != nil || got != tt.want {
				t.Errorf("ValidateSIRET(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var idErr *IdentifierError
		if !errors.As(err, &idErr) || idErr.Problem != tt.problem || idErr.Kind != "SIRET" {
			t.Errorf("ValidateSIRET(%q) = %q, %v; want an IdentifierError with problem %d", tt.in, got, err, tt.problem)
			continue
		}
		if tt.msg != "" && err.Error() != tt.msg {
			t.Errorf("ValidateSIRET(%q) error = %q, want %q", tt.in, err, tt.msg)
		}
	}
}

func TestValidateSIREN(t *testing.T) {
	tests := []struct {
		in   string
		want string
		msg  string
	}{
		{in: "732829320", want: "732829320"},
		{in: "732 829 320", want: "732829320"},
		{in: "356000000", want: "356000000"},
		{in: "732829321", msg: "SIREN 732829321 fails its check digit"},
		{in: "73282932", msg: "SIREN must have 9 digits, got 8"},
		{in: "73282932O", msg: `SIREN must contain only digits, got "73282932O"`},
	}
	for _, tt := range tests {
		got, err := ValidateSIREN(tt.in)
		if tt.want != "" {
			if err != nil || got != tt.want {
				t.Errorf("ValidateSIREN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || err.Error() != tt.msg {
			t.Errorf("ValidateSIREN(%q) = %q, %v; want error %q", tt.in, got, err, tt.msg)
		}
	}
}

// luhnCheckDigit returns the digit that makes body+digit pass Luhn.
func luhnCheckDigit(body string) byte {
	for d := byte('0'); d <= '9'; d++ {
		if luhnValid(body + string(d)) {
			return d
		}
	}
	panic("no Luhn check digit for " + body)
}

// TestSIRETSingleDigitChange checks Luhn's guarantee: changing any one digit
// of a valid SIRET makes it invalid. La Poste numbers are left out, since the
// digit-sum rule lets a change of ±5 through.
func TestSIRETSingleDigitChange(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		body := rapid.StringMatching(`[0-9]{13}`).Draw(t, "body")
		siret := body + string(luhnCheckDigit(body))
		if siret[:9] == laPosteSIREN {
			t.Skip("La Poste")
		}
		if _, err := ValidateSIRET(siret); err != nil {
			t.Fatalf("ValidateSIRET(%s): %v", siret, err)
		}
		pos := rapid.IntRange(0, 13).Draw(t, "pos")
		digit := rapid.ByteRange('0', '9').Filter(func(b byte) bool { return b != siret[pos] }).Draw(t, "digit")
		mutated := siret[:pos] + string(digit) + siret[pos+1:]
		if mutated[:9] == laPosteSIREN {
			t.Skip("La Poste")
		}
		if _, err := ValidateSIRET(mutated); err == nil {
			t.Fatalf("ValidateSIRET(%s) accepted %s with digit %d changed", siret, mutated, pos)
		}
	})
}

package invoice

import "testing"

func TestValidateIBAN(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"FR7630001000640000035200079", "FR7630001000640000035200079", true},
		{"fr76 3000 1000 6400 0003 5200 079", "FR7630001000640000035200079", true},
		{"GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", true},
		{"FR7630001000640000035200078", "", false},
		{"FR76-3000", "", false},
		{"FR76300010006400000352000!9", "", false},
	}
	for _, tt := range tests {
		got, err := ValidateIBAN(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ValidateIBAN(%q) = %q, %v", tt.in, got, err)
		}
	}
}

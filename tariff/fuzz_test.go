package tariff

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseDeliberation: any bytes give a deliberation or a *LoadError
// naming the file, never a panic; what loads is consistent.
func FuzzParseDeliberation(f *testing.F) {
	orig, err := os.ReadFile(fixturePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(orig)
	f.Add([]byte(strings.Replace(string(orig), "min: 20,", "min: 21,", 1)))
	f.Add([]byte("programme: x\ncontributions: {from: 2025, through: 2024}\n"))
	f.Add([]byte(strings.Replace(string(orig), "quantity: count", "quantity: measure", 1)))
	f.Add([]byte(strings.Replace(string(orig), "allowance: 200", "allowance: 200.5", 1)))
	f.Add([]byte("- [\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDeliberation("fuzz.yaml", data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || le.File != "fuzz.yaml" {
				t.Fatalf("error %T %v does not name the file", err, err)
			}
			return
		}
		for _, o := range Offers() {
			if _, err := d.Offers[o].Bracket(0); err != nil {
				t.Fatalf("offer %s has no bracket for 0 employees", o)
			}
			if _, err := d.Offers[o].Bracket(1 << 20); err != nil {
				t.Fatalf("offer %s has no bracket for many employees", o)
			}
		}
		for _, s := range d.Services {
			if _, err := ParseUnitKind(string(s.Kind)); err != nil {
				t.Fatalf("service %s loaded with kind %q", s.Code, s.Kind)
			}
			for id, q := range s.Allowance {
				if err := s.CheckQuantity(q); err != nil {
					t.Fatalf("service %s loaded with allowance %s for %s: %v", s.Code, q, id, err)
				}
			}
		}
	})
}

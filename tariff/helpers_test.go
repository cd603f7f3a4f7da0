package tariff

import (
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

const fixturePath = "../fixtures/deliberations/2025-2029.yaml"

// loadFixture parses the shipped deliberation: the tests check the real file.
func loadFixture(t testing.TB) *Deliberation {
	t.Helper()
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDeliberation(fixturePath, data)
	if err != nil {
		t.Fatalf("load %s: %v", fixturePath, err)
	}
	return d
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

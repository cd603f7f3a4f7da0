package tariff

import (
	"os"
	"testing"

	"github.com/shopspring/decimal"
)

// The yearly run computes one quote per establishment with a deliberation
// parsed once: these measure that cost, and the cost of parsing.

func BenchmarkContribution(b *testing.B) {
	d := loadFixture(b)
	e := Establishment{Offer: OfferBouquet, Headcount: 42, Received: day("2025-03-15"), TerminationReceived: day("2027-06-10")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Contribution(e, 2026); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOverage(b *testing.B) {
	d := loadFixture(b)
	e := Establishment{Offer: OfferBouquet, Headcount: 42, Existing: true}
	usage := map[string]decimal.Decimal{"partage-storage": dec("120.5"), "signature-sms": dec("420"), "backup-storage": dec("900")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Overage(e, 2026, usage); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDeliberation(b *testing.B) {
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDeliberation(fixturePath, data); err != nil {
			b.Fatal(err)
		}
	}
}

package tariff

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestContribution(t *testing.T) {
	d := loadFixture(t)
	existing := func(o Offer, n int) Establishment { return Establishment{Offer: o, Headcount: n, Existing: true} }
	received := func(n int, r string) Establishment {
		return Establishment{Offer: OfferBouquet, Headcount: n, Received: day(r)}
	}
	terminated := func(e Establishment, tr string) Establishment { e.TerminationReceived = day(tr); return e }

	tests := []struct {
		name     string
		e        Establishment
		year     int
		months   int
		ht, vat  string
		ttc      string
		free     bool
		from, to string // billed period, inclusive; "" when none
		bracket  string
	}{
		// Headcount brackets at their boundaries.
		{"bouquet 0", existing(OfferBouquet, 0), 2025, 12, "920.00", "184.00", "1104.00", false, "2025-01-01", "2025-12-31", "0-19"},
		{"bouquet 19", existing(OfferBouquet, 19), 2025, 12, "920.00", "184.00", "1104.00", false, "2025-01-01", "2025-12-31", "0-19"},
		{"bouquet 20", existing(OfferBouquet, 20), 2025, 12, "2012.50", "402.50", "2415.00", false, "2025-01-01", "2025-12-31", "20-49"},
		{"bouquet 49", existing(OfferBouquet, 49), 2026, 12, "2012.50", "402.50", "2415.00", false, "2026-01-01", "2026-12-31", "20-49"},
		{"bouquet 50", existing(OfferBouquet, 50), 2027, 12, "3450.00", "690.00", "4140.00", false, "2027-01-01", "2027-12-31", "50-100"},
		{"bouquet 100", existing(OfferBouquet, 100), 2028, 12, "3450.00", "690.00", "4140.00", false, "2028-01-01", "2028-12-31", "50-100"},
		{"bouquet 101", existing(OfferBouquet, 101), 2029, 12, "5175.00", "1035.00", "6210.00", false, "2029-01-01", "2029-12-31", "101+"},
		{"teletransmission 0 is free", existing(OfferTeletransmission, 0), 2025, 12, "0.00", "0.00", "0.00", true, "2025-01-01", "2025-12-31", "0"},
		{"teletransmission 1", existing(OfferTeletransmission, 1), 2025, 12, "230.00", "46.00", "276.00", false, "2025-01-01", "2025-12-31", "1-19"},
		{"teletransmission 19", existing(OfferTeletransmission, 19), 2025, 12, "230.00", "46.00", "276.00", false, "2025-01-01", "2025-12-31", "1-19"},

		// Start on the 1st of the month after receipt, prorated in whole months.
		{"received 15 March", received(30, "2025-03-15"), 2025, 9, "1509.38", "301.88", "1811.26", false, "2025-04-01", "2025-12-31", "20-49"},
		{"received 1 January", received(10, "2025-01-01"), 2025, 11, "843.33", "168.67", "1012.00", false, "2025-02-01", "2025-12-31", "0-19"},
		{"received 31 January", received(10, "2025-01-31"), 2025, 11, "843.33", "168.67", "1012.00", false, "2025-02-01", "2025-12-31", "0-19"},
		{"received 31 March", received(30, "2025-03-31"), 2025, 9, "1509.38", "301.88", "1811.26", false, "2025-04-01", "2025-12-31", "20-49"},
		{"received 15 September: half-cent rounds up", received(30, "2025-09-15"), 2025, 3, "503.13", "100.63", "603.76", false, "2025-10-01", "2025-12-31", "20-49"},
		{"received 1 December: nothing that year", received(30, "2025-12-01"), 2025, 0, "0.00", "0.00", "0.00", false, "", "", "20-49"},
		{"received 31 December: nothing that year", received(30, "2025-12-31"), 2025, 0, "0.00", "0.00", "0.00", false, "", "", "20-49"},
		{"received in December: full next year", received(30, "2025-12-31"), 2026, 12, "2012.50", "402.50", "2415.00", false, "2026-01-01", "2026-12-31", "20-49"},
		{"received 30 November: December only", received(120, "2025-11-30"), 2025, 1, "431.25", "86.25", "517.50", false, "2025-12-01", "2025-12-31", "101+"},
		{"received before the programme starts on 1 January", received(30, "2024-11-20"), 2025, 12, "2012.50", "402.50", "2415.00", false, "2025-01-01", "2025-12-31", "20-49"},
		{"year before service starts", received(30, "2026-05-02"), 2025, 0, "0.00", "0.00", "0.00", false, "", "", "20-49"},
		{"received in December 2029: nothing in 2029", received(30, "2029-12-10"), 2029, 0, "0.00", "0.00", "0.00", false, "", "", "20-49"},

		// Termination: two months' notice from the 1st of the month after the
		// request, and not before the first anniversary.
		{"terminated after first anniversary", terminated(existing(OfferBouquet, 60), "2026-03-10"), 2026, 5, "1437.50", "287.50", "1725.00", false, "2026-01-01", "2026-05-31", "50-100"},
		{"terminated: nothing the year after", terminated(existing(OfferBouquet, 60), "2026-03-10"), 2027, 0, "0.00", "0.00", "0.00", false, "", "", "50-100"},
		{"terminated before first anniversary: due until it", terminated(received(30, "2025-03-15"), "2025-06-10"), 2025, 9, "1509.38", "301.88", "1811.26", false, "2025-04-01", "2025-12-31", "20-49"},
		{"terminated before first anniversary: next year up to it", terminated(received(30, "2025-03-15"), "2025-06-10"), 2026, 3, "503.13", "100.63", "603.76", false, "2026-01-01", "2026-03-31", "20-49"},
		{"notice ends after the anniversary", terminated(received(30, "2025-03-15"), "2026-02-20"), 2026, 4, "670.83", "134.17", "805.00", false, "2026-01-01", "2026-04-30", "20-49"},
		{"termination request on the 1st", terminated(existing(OfferBouquet, 10), "2027-05-01"), 2027, 7, "536.67", "107.33", "644.00", false, "2027-01-01", "2027-07-31", "0-19"},
		{"termination late in 2029: convention ends first", terminated(existing(OfferBouquet, 10), "2029-11-15"), 2029, 12, "920.00", "184.00", "1104.00", false, "2029-01-01", "2029-12-31", "0-19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := d.Contribution(tt.e, tt.year)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{q.Totals.HT.StringFixed(2), q.Totals.VAT.StringFixed(2), q.Totals.TTC.StringFixed(2)}
			want := []string{tt.ht, tt.vat, tt.ttc}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("HT/VAT/TTC = %v, want %v", got, want)
			}
			if q.Months != tt.months || q.Free != tt.free || q.Bracket.ID != tt.bracket {
				t.Errorf("months=%d free=%v bracket=%s, want %d %v %s", q.Months, q.Free, q.Bracket.ID, tt.months, tt.free, tt.bracket)
			}
			if got, want := fmtDay(q.From)+" "+fmtDay(q.To), tt.from+" "+tt.to; got != want {
				t.Errorf("period = %q, want %q", got, want)
			}
			wantLines := 1
			if tt.free || tt.months == 0 {
				wantLines = 0
			}
			if len(q.Lines) != wantLines {
				t.Fatalf("lines = %d, want %d", len(q.Lines), wantLines)
			}
			if wantLines == 1 {
				l := q.Lines[0]
				if l.Quantity.IntPart() != int64(tt.months) || !l.BaseQuantity.Equal(dec("12")) || !l.Amount.Equal(q.Totals.HT) {
					t.Errorf("line = %s × %s / %s = %s", l.Quantity, l.UnitPrice, l.BaseQuantity, l.Amount)
				}
			}
			if q.Due() == (tt.free || tt.months == 0) {
				t.Errorf("Due() = %v", q.Due())
			}
		})
	}
}

func fmtDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func TestContributionRefused(t *testing.T) {
	d := loadFixture(t)
	tests := []struct {
		name string
		e    Establishment
		year int
		want string
		is   func(error) bool
	}{
		{"teletransmission with 20 employees", Establishment{Offer: OfferTeletransmission, Headcount: 20, Existing: true}, 2025,
			"must take the bouquet", func(err error) bool { var e *NoTariffError; return errors.As(err, &e) }},
		{"teletransmission with 250 employees", Establishment{Offer: OfferTeletransmission, Headcount: 250, Existing: true}, 2025,
			"must take the bouquet", func(err error) bool { var e *NoTariffError; return errors.As(err, &e) }},
		{"year after the convention", Establishment{Offer: OfferBouquet, Headcount: 5, Existing: true}, 2030,
			"year 2030 is outside the convention", func(err error) bool { var e *OutsideConventionError; return errors.As(err, &e) }},
		{"year before the convention", Establishment{Offer: OfferBouquet, Headcount: 5, Existing: true}, 2024,
			"2025 through 2029", func(err error) bool { var e *OutsideConventionError; return errors.As(err, &e) }},
		{"negative headcount", Establishment{Offer: OfferBouquet, Headcount: -1, Existing: true}, 2025, "negative", nil},
		{"no start", Establishment{Offer: OfferBouquet, Headcount: 5}, 2025, "received is required", nil},
		{"both existing and received", Establishment{Offer: OfferBouquet, Headcount: 5, Existing: true, Received: day("2025-02-02")}, 2025, "not both", nil},
		{"termination before convention", Establishment{Offer: OfferBouquet, Headcount: 5, Received: day("2025-05-02"), TerminationReceived: day("2025-04-01")}, 2025, "before the convention", nil},
		{"unknown offer", Establishment{Offer: "gold", Headcount: 5, Existing: true}, 2025, "unknown offer", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Contribution(tt.e, tt.year)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.is != nil && !tt.is(err) {
				t.Errorf("err %T is not of the expected type", err)
			}
		})
	}
}

func TestContributionLabel(t *testing.T) {
	d := loadFixture(t)
	q, err := d.Contribution(Establishment{Offer: OfferBouquet, Headcount: 30, Received: day("2025-03-15")}, 2025)
	if err != nil {
		t.Fatal(err)
	}
	want := "Contribution 2025 — Bouquet de services (20 à 49 agents), avril à décembre 2025 (9 mois sur 12)"
	if q.Lines[0].Label != want {
		t.Errorf("label = %q, want %q", q.Lines[0].Label, want)
	}
}

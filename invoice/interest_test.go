package invoice

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// testLegalRates is the "autres cas" column of billing.md §1.2, 2024-S1..2025-S2.
const testLegalRates = legalHeader +
	"2024-S1,2024-01-01,2024-06-30,8.01,5.07\n" +
	"2024-S2,2024-07-01,2024-12-31,8.16,4.92\n" +
	"2025-S1,2025-01-01,2025-06-30,7.21,3.71\n" +
	"2025-S2,2025-07-01,2025-12-31,6.65,2.76\n"

const testECBRates = "semester,start,end,ecb_mro_pct\n" +
	"2024-S2,2024-07-01,2024-12-31,4.25\n" +
	"2025-S1,2025-01-01,2025-06-30,3.15\n" +
	"2025-S2,2025-07-01,2025-12-31,2.15\n"

func mustRates(t *testing.T, parse func(string, io.Reader) (*RateTable, error), csv string) *RateTable {
	t.Helper()
	tab, err := parse("test.csv", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

type wantPeriod struct {
	from, to string
	days     int
	rate     string
}

func checkPeriods(t *testing.T, got []InterestPeriod, want []wantPeriod) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d periods %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.From.Format(time.DateOnly) != w.from || g.To.Format(time.DateOnly) != w.to ||
			g.Days != w.days || !g.Rate.Equal(dec(w.rate)) {
			t.Errorf("period %d = %s..%s %d days @%s, want %s..%s %d days @%s", i,
				g.From.Format(time.DateOnly), g.To.Format(time.DateOnly), g.Days, g.Rate,
				w.from, w.to, w.days, w.rate)
		}
	}
}

func TestLegalInterest(t *testing.T) {
	rates := mustRates(t, ParseLegalRates, testLegalRates)
	tests := []struct {
		name      string
		principal string
		due, paid string
		basis     DayBasis
		days      int
		periods   []wantPeriod
		interest  string
	}{
		{
			// billing.md §1.3: 64.1728… + 36.0010… = 100.1738… → 100.17.
			name: "worked example", principal: "5175.00", due: "2025-02-28", paid: "2025-09-30",
			days: 214, interest: "100.17",
			periods: []wantPeriod{
				{"2025-03-01", "2025-06-30", 122, "3.71"},
				{"2025-07-01", "2025-09-30", 92, "2.76"},
			},
		},
		{
			name: "paid on the due date", principal: "5175.00", due: "2025-02-28", paid: "2025-02-28",
			days: 0, interest: "0.00",
		},
		{
			name: "paid before the due date", principal: "5175.00", due: "2025-02-28", paid: "2025-01-15",
			days: 0, interest: "0.00",
		},
		{
			// 5175 × 3.71 % / 365 = 0.5260… → 0.53.
			name: "one day late", principal: "5175.00", due: "2025-02-28", paid: "2025-03-01",
			days: 1, interest: "0.53",
			periods: []wantPeriod{{"2025-03-01", "2025-03-01", 1, "3.71"}},
		},
		{
			// Last day of a semester due, first day of the next one paid.
			name: "one day late across a boundary", principal: "5175.00", due: "2025-06-30", paid: "2025-07-01",
			days: 1, interest: "0.39", // 5175 × 2.76 % / 365 = 0.3913…
			periods: []wantPeriod{{"2025-07-01", "2025-07-01", 1, "2.76"}},
		},
		{
			// 4.1671… + 24.8021… + 4.6756… = 33.6449… → 33.64.
			name: "two semester boundaries", principal: "1000.00", due: "2024-05-31", paid: "2025-02-15",
			days: 260, interest: "33.64",
			periods: []wantPeriod{
				{"2024-06-01", "2024-06-30", 30, "5.07"},
				{"2024-07-01", "2024-12-31", 184, "4.92"},
				{"2025-01-01", "2025-02-15", 46, "3.71"},
			},
		},
		{
			// Same, 2024 days divided by 366, 2025 days by 365: 33.5657… → 33.57.
			name: "two semester boundaries, actual basis", principal: "1000.00", due: "2024-05-31", paid: "2025-02-15",
			basis: BasisActual, days: 260, interest: "33.57",
			periods: []wantPeriod{
				{"2024-06-01", "2024-06-30", 30, "5.07"},
				{"2024-07-01", "2024-12-31", 184, "4.92"},
				{"2025-01-01", "2025-02-15", 46, "3.71"},
			},
		},
		{
			// 90 days including 29 February: 10000 × 5.07 % × 90 / 365 = 125.0136…
			name: "leap year, 365 basis", principal: "10000.00", due: "2024-01-31", paid: "2024-04-30",
			days: 90, interest: "125.01",
			periods: []wantPeriod{{"2024-02-01", "2024-04-30", 90, "5.07"}},
		},
		{
			// … and / 366 = 124.6721…
			name: "leap year, actual basis", principal: "10000.00", due: "2024-01-31", paid: "2024-04-30",
			basis: BasisActual, days: 90, interest: "124.67",
			periods: []wantPeriod{{"2024-02-01", "2024-04-30", 90, "5.07"}},
		},
		{
			// Actual basis outside a leap year is the 365 basis: 0.53 as above.
			name: "actual basis, common year", principal: "5175.00", due: "2025-02-28", paid: "2025-03-01",
			basis: BasisActual, days: 1, interest: "0.53",
			periods: []wantPeriod{{"2025-03-01", "2025-03-01", 1, "3.71"}},
		},
		{
			// 375 × 3.71 % × 146 / 365 = 5.565 exactly: half-up gives 5.57
			// (banker's rounding would give 5.56).
			name: "exact half cent rounds up", principal: "375.00", due: "2024-12-31", paid: "2025-05-26",
			days: 146, interest: "5.57",
			periods: []wantPeriod{{"2025-01-01", "2025-05-26", 146, "3.71"}},
		},
		{
			name: "zero principal", principal: "0", due: "2025-02-28", paid: "2025-03-10",
			days: 10, interest: "0.00",
			periods: []wantPeriod{{"2025-03-01", "2025-03-10", 10, "3.71"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LegalInterest(dec(tt.principal), day(tt.due), day(tt.paid), rates, tt.basis)
			if err != nil {
				t.Fatal(err)
			}
			if got.Regime != RegimeLegal {
				t.Errorf("Regime = %q, want %q", got.Regime, RegimeLegal)
			}
			if got.Days != tt.days {
				t.Errorf("Days = %d, want %d", got.Days, tt.days)
			}
			checkPeriods(t, got.Periods, tt.periods)
			if s := got.Interest.StringFixed(2); s != tt.interest || got.Interest.Exponent() != -2 {
				t.Errorf("Interest = %s (exp %d), want %s", got.Interest, got.Interest.Exponent(), tt.interest)
			}
			if !got.Indemnity.IsZero() {
				t.Errorf("Indemnity = %s, want 0", got.Indemnity)
			}
			if !got.Total.Equal(got.Interest) {
				t.Errorf("Total = %s, want %s", got.Total, got.Interest)
			}
			days := 0
			for _, p := range got.Periods {
				days += p.Days
			}
			if days != got.Days {
				t.Errorf("periods add up to %d days, want %d", days, got.Days)
			}
		})
	}
}

func TestLegalInterestPeriodAmounts(t *testing.T) {
	rates := mustRates(t, ParseLegalRates, testLegalRates)
	got, err := LegalInterest(dec("5175.00"), day("2025-02-28"), day("2025-09-30"), rates, Basis365)
	if err != nil {
		t.Fatal(err)
	}
	// 5175 × 3.71 × 122 / 36500 and 5175 × 2.76 × 92 / 36500, to 16 places.
	for i, want := range []string{"64.1728356164383562", "36.0009863013698630"} {
		if !got.Periods[i].Amount.Equal(dec(want)) {
			t.Errorf("period %d Amount = %s, want %s", i, got.Periods[i].Amount, want)
		}
	}
}

func TestLegalInterestCivilDates(t *testing.T) {
	rates := mustRates(t, ParseLegalRates, testLegalRates)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// Late evening in Paris across the DST change of 30 March 2025: the dates
	// as written count, not the elapsed hours.
	due := time.Date(2025, 2, 28, 23, 30, 0, 0, paris)
	paid := time.Date(2025, 9, 30, 0, 15, 0, 0, paris)
	got, err := LegalInterest(dec("5175.00"), due, paid, rates, Basis365)
	if err != nil {
		t.Fatal(err)
	}
	if got.Days != 214 || got.Interest.StringFixed(2) != "100.17" {
		t.Errorf("got %d days, %s; want 214 days, 100.17", got.Days, got.Interest)
	}
	if got.Due != day("2025-02-28") || got.Paid != day("2025-09-30") {
		t.Errorf("Due, Paid = %v, %v; want the civil dates at midnight UTC", got.Due, got.Paid)
	}
}

func TestLegalInterestErrors(t *testing.T) {
	rates := mustRates(t, ParseLegalRates, testLegalRates)
	tests := []struct {
		name      string
		principal string
		due, paid string
		rates     *RateTable
		basis     DayBasis
		missing   string // semester named by a *MissingRateError, if any
		want      string
	}{
		{
			name: "after the table", principal: "100", due: "2025-12-15", paid: "2026-01-10", rates: rates,
			missing: "2026-S1", want: "no legal interest rate known for semester 2026-S1",
		},
		{
			name: "before the table", principal: "100", due: "2023-12-15", paid: "2024-01-10", rates: rates,
			missing: "2023-S2", want: "no legal interest rate known for semester 2023-S2",
		},
		{
			name: "negative principal", principal: "-1", due: "2025-02-28", paid: "2025-03-10", rates: rates,
			want: "legal interest: principal -1 is negative",
		},
		{
			name: "no table", principal: "1", due: "2025-02-28", paid: "2025-03-10",
			want: "legal interest: no rate table",
		},
		{
			name: "bad basis", principal: "1", due: "2025-02-28", paid: "2025-03-10", rates: rates, basis: 7,
			want: "legal interest: unknown day basis 7",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LegalInterest(dec(tt.principal), day(tt.due), day(tt.paid), tt.rates, tt.basis)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			var missing *MissingRateError
			if got := errors.As(err, &missing); got != (tt.missing != "") {
				t.Fatalf("errors.As(*MissingRateError) = %v, want %v", got, tt.missing != "")
			}
			if missing != nil && missing.Semester.String() != tt.missing {
				t.Errorf("missing semester = %s, want %s", missing.Semester, tt.missing)
			}
		})
	}
}

func TestProcurementInterest(t *testing.T) {
	ecb := mustRates(t, ParseECBRates, testECBRates)
	tests := []struct {
		name      string
		principal string
		due, paid string
		basis     DayBasis
		days      int
		period    []wantPeriod
		interest  string
		indemnity string
		total     string
	}{
		{
			// Lateness starts 2025-07-01: 2.15 + 8 = 10.15 %; 1000 × 10.15 % × 30/365 = 8.3424…
			name: "example", principal: "1000.00", due: "2025-06-30", paid: "2025-07-30",
			days: 30, interest: "8.34", indemnity: "40.00", total: "48.34",
			period: []wantPeriod{{"2025-07-01", "2025-07-30", 30, "10.15"}},
		},
		{
			// Starts in 2025-S1 (3.15 + 8 = 11.15 %) and keeps that rate after
			// 1 July: 1000 × 11.15 % × 60/365 = 18.3287…
			name: "one rate across a semester boundary", principal: "1000.00", due: "2025-06-15", paid: "2025-08-14",
			days: 60, interest: "18.33", indemnity: "40.00", total: "58.33",
			period: []wantPeriod{{"2025-06-16", "2025-08-14", 60, "11.15"}},
		},
		{
			// 4.25 + 8 = 12.25 %; 60 days / 365 = 20.1369…
			name: "across a year, 365 basis", principal: "1000.00", due: "2024-12-01", paid: "2025-01-30",
			days: 60, interest: "20.14", indemnity: "40.00", total: "60.14",
			period: []wantPeriod{{"2024-12-02", "2025-01-30", 60, "12.25"}},
		},
		{
			// 30 days of 2024 / 366 + 30 days of 2025 / 365 = 20.1094…
			name: "across a year, actual basis", principal: "1000.00", due: "2024-12-01", paid: "2025-01-30",
			basis: BasisActual, days: 60, interest: "20.11", indemnity: "40.00", total: "60.11",
			period: []wantPeriod{{"2024-12-02", "2025-01-30", 60, "12.25"}},
		},
		{
			name: "paid on time", principal: "1000.00", due: "2025-06-30", paid: "2025-06-30",
			days: 0, interest: "0.00", indemnity: "0.00", total: "0.00",
		},
		{
			// Even a tiny delay owes the full indemnity.
			name: "one day late", principal: "1000.00", due: "2025-06-30", paid: "2025-07-01",
			days: 1, interest: "0.28", indemnity: "40.00", total: "40.28", // 1000 × 10.15 % / 365 = 0.2780…
			period: []wantPeriod{{"2025-07-01", "2025-07-01", 1, "10.15"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ProcurementInterest(dec(tt.principal), day(tt.due), day(tt.paid), ecb, tt.basis)
			if err != nil {
				t.Fatal(err)
			}
			if got.Regime != RegimeProcurement {
				t.Errorf("Regime = %q, want %q", got.Regime, RegimeProcurement)
			}
			if got.Days != tt.days {
				t.Errorf("Days = %d, want %d", got.Days, tt.days)
			}
			checkPeriods(t, got.Periods, tt.period)
			for _, f := range []struct {
				field string
				got   decimal.Decimal
				want  string
			}{
				{"Interest", got.Interest, tt.interest},
				{"Indemnity", got.Indemnity, tt.indemnity},
				{"Total", got.Total, tt.total},
			} {
				if s := f.got.StringFixed(2); s != f.want {
					t.Errorf("%s = %s, want %s", f.field, s, f.want)
				}
			}
		})
	}
}

func TestProcurementInterestMissingRate(t *testing.T) {
	ecb := mustRates(t, ParseECBRates, testECBRates)
	// Lateness starts 2026-01-01, whose ECB rate is not in the table.
	_, err := ProcurementInterest(dec("1000"), day("2025-12-31"), day("2026-02-01"), ecb, Basis365)
	var missing *MissingRateError
	if !errors.As(err, &missing) || missing.Semester != (Semester{2026, 1}) {
		t.Fatalf("error = %v, want a *MissingRateError for 2026-S1", err)
	}
	if want := "no ECB main refinancing rate known for semester 2026-S1"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	// Starting in a known semester is enough: one rate for the whole delay.
	if _, err := ProcurementInterest(dec("1000"), day("2025-12-30"), day("2026-02-01"), ecb, Basis365); err != nil {
		t.Errorf("delay starting 2025-12-31: %v", err)
	}
}

func TestParseRegime(t *testing.T) {
	tests := []struct {
		in   string
		want Regime
		ok   bool
	}{
		{"legal", RegimeLegal, true},
		{" Procurement ", RegimeProcurement, true},
		{"", "", false},
		{"ecb", "", false},
	}
	for _, tt := range tests {
		got, err := ParseRegime(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseRegime(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDayBasis(t *testing.T) {
	for _, b := range []DayBasis{Basis365, BasisActual} {
		got, err := ParseDayBasis(b.String())
		if err != nil || got != b {
			t.Errorf("ParseDayBasis(%q) = %v, %v; want %v", b.String(), got, err, b)
		}
	}
	if _, err := ParseDayBasis("360"); err == nil {
		t.Error("ParseDayBasis(\"360\") succeeded, want an error")
	}
}

func BenchmarkLegalInterest(b *testing.B) {
	f, err := os.Open("../fixtures/legal-interest-rates.csv")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	table, err := ParseLegalRates("legal-interest-rates.csv", f)
	if err != nil {
		b.Fatal(err)
	}
	principal := decimal.RequireFromString("5175.00")
	due, paid := time.Date(2023, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LegalInterest(principal, due, paid, table, Basis365); err != nil {
			b.Fatal(err)
		}
	}
}

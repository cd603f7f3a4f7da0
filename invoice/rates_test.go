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

func TestSemester(t *testing.T) {
	tests := []struct {
		date       time.Time
		want       string
		start, end string
		next       string
	}{
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "2025-S1", "2025-01-01", "2025-06-30", "2025-S2"},
		{time.Date(2025, 6, 30, 23, 59, 0, 0, time.UTC), "2025-S1", "2025-01-01", "2025-06-30", "2025-S2"},
		{time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), "2025-S2", "2025-07-01", "2025-12-31", "2026-S1"},
		{time.Date(2024, 12, 31, 12, 0, 0, 0, time.UTC), "2024-S2", "2024-07-01", "2024-12-31", "2025-S1"},
	}
	for _, tt := range tests {
		s := SemesterOf(tt.date)
		if got := s.String(); got != tt.want {
			t.Errorf("SemesterOf(%v) = %s, want %s", tt.date, got, tt.want)
		}
		if got := s.Start().Format(time.DateOnly); got != tt.start {
			t.Errorf("%s.Start() = %s, want %s", s, got, tt.start)
		}
		if got := s.End().Format(time.DateOnly); got != tt.end {
			t.Errorf("%s.End() = %s, want %s", s, got, tt.end)
		}
		if got := s.Next().String(); got != tt.next {
			t.Errorf("%s.Next() = %s, want %s", s, got, tt.next)
		}
		back, err := ParseSemester(tt.want)
		if err != nil || back != s {
			t.Errorf("ParseSemester(%q) = %v, %v; want %v", tt.want, back, err, s)
		}
	}
	for _, bad := range []string{"", "2025", "2025-S3", "2025-S0", "25-S1", "2025S1", "2025-s1", "abcd-S1", "2025-S12"} {
		if _, err := ParseSemester(bad); err == nil {
			t.Errorf("ParseSemester(%q) succeeded, want an error", bad)
		}
	}
}

const legalHeader = "semester,start,end,particulier_pct,autres_cas_pct\n"

func TestParseLegalRates(t *testing.T) {
	in := "# comment line\n" + legalHeader +
		"2024-S2,2024-07-01,2024-12-31,8.16,4.92\n" +
		"# a comment between rows\n" +
		"2025-S1,2025-01-01,2025-06-30,7.21,3.71\n" +
		"2025-S2,2025-07-01,2025-12-31,6.65,2.76\n"
	tab, err := ParseLegalRates("rates.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.First().String(); got != "2024-S2" {
		t.Errorf("First() = %s, want 2024-S2", got)
	}
	if got := tab.Last().String(); got != "2025-S2" {
		t.Errorf("Last() = %s, want 2025-S2", got)
	}
	for sem, want := range map[Semester]string{
		{2024, 2}: "4.92",
		{2025, 1}: "3.71",
		{2025, 2}: "2.76",
	} {
		got, err := tab.Rate(sem)
		if err != nil {
			t.Errorf("Rate(%s): %v", sem, err)
			continue
		}
		if !got.Equal(decimal.RequireFromString(want)) {
			t.Errorf("Rate(%s) = %s, want %s", sem, got, want)
		}
	}
	for _, sem := range []Semester{{2024, 1}, {2026, 1}, {2027, 1}, {2025, 3}} {
		_, err := tab.Rate(sem)
		var missing *MissingRateError
		if !errors.As(err, &missing) || missing.Semester != sem {
			t.Errorf("Rate(%v) error = %v, want *MissingRateError for it", sem, err)
		}
	}
	_, err = tab.Rate(Semester{2027, 1})
	if want := "no legal interest rate known for semester 2027-S1"; err == nil || err.Error() != want {
		t.Errorf("Rate(2027-S1) error = %v, want %q", err, want)
	}
}

func TestParseRatesColumnsByName(t *testing.T) {
	// Columns in another order, extra column ignored.
	in := "ecb_mro_pct,note,end,start,semester\n" +
		"2.15,held,2025-12-31,2025-07-01,2025-S2\n"
	tab, err := ParseECBRates("ecb.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tab.Rate(Semester{2025, 2})
	if err != nil || !got.Equal(decimal.RequireFromString("2.15")) {
		t.Errorf("Rate(2025-S2) = %s, %v; want 2.15", got, err)
	}
	_, err = tab.Rate(Semester{2026, 1})
	if want := "no ECB main refinancing rate known for semester 2026-S1"; err == nil || err.Error() != want {
		t.Errorf("Rate(2026-S1) error = %v, want %q", err, want)
	}
}

func TestParseRatesErrors(t *testing.T) {
	const s1 = "2025-S1,2025-01-01,2025-06-30,7.21,3.71\n"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "legal-interest-rates.csv: empty file"},
		{"comments only", "# nothing\n", "legal-interest-rates.csv: empty file"},
		{"no rows", legalHeader, "legal-interest-rates.csv: no rates after the header"},
		{"missing column", "semester,start,end,particulier_pct\n", `legal-interest-rates.csv:1: header lacks column "autres_cas_pct"`},
		{"bad decimal", "# c\n" + legalHeader + s1 + "2025-S2,2025-07-01,2025-12-31,6.65,x\n",
			`legal-interest-rates.csv:4: field autres_cas_pct: "x" is not a decimal`},
		{"bad optional column", legalHeader + "2025-S1,2025-01-01,2025-06-30,seven,3.71\n",
			`legal-interest-rates.csv:2: field particulier_pct: "seven" is not a decimal`},
		{"negative", legalHeader + "2025-S1,2025-01-01,2025-06-30,7.21,-1\n",
			"legal-interest-rates.csv:2: field autres_cas_pct: -1 is out of range, want 0 <= rate < 100"},
		{"too big", legalHeader + "2025-S1,2025-01-01,2025-06-30,7.21,371\n",
			"legal-interest-rates.csv:2: field autres_cas_pct: 371 is out of range, want 0 <= rate < 100"},
		{"bad semester", legalHeader + "2025-S3,2025-01-01,2025-06-30,7.21,3.71\n",
			`legal-interest-rates.csv:2: field semester: "2025-S3" is not a semester (want YYYY-S1 or YYYY-S2)`},
		{"start not matching", legalHeader + "2025-S1,2025-01-02,2025-06-30,7.21,3.71\n",
			"legal-interest-rates.csv:2: field start: 2025-01-02 does not match semester 2025-S1 (want 2025-01-01)"},
		{"end not matching", legalHeader + "2025-S2,2025-07-01,2025-12-30,6.65,2.76\n",
			"legal-interest-rates.csv:2: field end: 2025-12-30 does not match semester 2025-S2 (want 2025-12-31)"},
		{"bad date", legalHeader + "2025-S1,01/01/2025,2025-06-30,7.21,3.71\n",
			`legal-interest-rates.csv:2: field start: "01/01/2025" is not a date (want YYYY-MM-DD)`},
		{"duplicate", legalHeader + s1 + "# again\n" + s1,
			"legal-interest-rates.csv:4: field semester: duplicate semester 2025-S1 (first on line 2)"},
		{"hole", legalHeader + s1 + "2026-S1,2026-01-01,2026-06-30,6.67,2.62\n",
			"legal-interest-rates.csv:3: field semester: hole between 2025-S1 (line 2) and 2026-S1: missing 2025-S2"},
		{"not chronological", legalHeader + s1 + "2024-S2,2024-07-01,2024-12-31,8.16,4.92\n",
			"legal-interest-rates.csv:3: field semester: 2024-S2 comes after 2025-S1 (line 2): rows must be chronological"},
		{"wrong field count", legalHeader + "2025-S1,2025-01-01,2025-06-30,3.71\n",
			"legal-interest-rates.csv: record on line 2: wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLegalRates("legal-interest-rates.csv", strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestRateFixtures loads the real fixture files and checks rows published in
// primary sources (3 × 4.22 = 12.66 % and 3 × 3.71 = 11.13 % are the B2B
// floors published for 2023-S2 and 2025-S1).
func TestRateFixtures(t *testing.T) {
	load := func(path string, parse func(string, io.Reader) (*RateTable, error)) *RateTable {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tab, err := parse(path, f)
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	legal := load("../fixtures/legal-interest-rates.csv", ParseLegalRates)
	ecb := load("../fixtures/ecb-rates.csv", ParseECBRates)

	if legal.First() != (Semester{2015, 1}) || legal.Last() != (Semester{2026, 2}) {
		t.Errorf("legal table covers %s..%s, want 2015-S1..2026-S2", legal.First(), legal.Last())
	}
	if ecb.First() != (Semester{2015, 1}) || ecb.Last() != (Semester{2026, 1}) {
		t.Errorf("ECB table covers %s..%s, want 2015-S1..2026-S1", ecb.First(), ecb.Last())
	}
	tests := []struct {
		tab  *RateTable
		sem  Semester
		want string
	}{
		{legal, Semester{2015, 1}, "0.93"},
		{legal, Semester{2023, 2}, "4.22"},
		{legal, Semester{2025, 1}, "3.71"},
		{legal, Semester{2025, 2}, "2.76"},
		{legal, Semester{2026, 1}, "2.62"},
		{ecb, Semester{2016, 1}, "0.05"},
		{ecb, Semester{2016, 2}, "0"},
		{ecb, Semester{2023, 1}, "2.50"},
		{ecb, Semester{2025, 2}, "2.15"},
	}
	for _, tt := range tests {
		got, err := tt.tab.Rate(tt.sem)
		if err != nil {
			t.Errorf("Rate(%s): %v", tt.sem, err)
			continue
		}
		if !got.Equal(decimal.RequireFromString(tt.want)) {
			t.Errorf("Rate(%s) = %s, want %s", tt.sem, got, tt.want)
		}
	}
	if _, err := ecb.Rate(Semester{2026, 2}); err == nil {
		t.Error("ECB rate for 2026-S2 found, want a MissingRateError (unknown)")
	}
	// Issue 14: the unofficial 2026-S2 legal rate is in the table, never charged.
	var missing *MissingRateError
	if _, err := legal.Rate(Semester{2026, 2}); !errors.As(err, &missing) || !missing.Unofficial {
		t.Errorf("legal Rate(2026-S2) error = %v, want a MissingRateError marked unofficial", err)
	}
}

func TestUnofficialRates(t *testing.T) {
	const header = "semester,start,end,particulier_pct,autres_cas_pct,status\n"
	in := header +
		"2026-S1,2026-01-01,2026-06-30,6.67,2.62,official\n" +
		"2026-S2,2026-07-01,2026-12-31,6.84,2.75,unofficial\n" +
		"2027-S1,2027-01-01,2027-06-30,6.50,2.50,\n"
	tab, err := ParseLegalRates("legal.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sem        Semester
		rate       string // "" when the rate must not be charged
		reason     string
		message    string
		unofficial bool
	}{
		{Semester{2026, 1}, "2.62", "", "", false},
		{Semester{2026, 2}, "", "taux d'intérêt légal 2026-S2 non officiel",
			"the legal interest rate of semester 2026-S2 is marked unofficial: interest waits for the official rate", true},
		{Semester{2027, 1}, "2.5", "", "", false}, // empty status: official
		{Semester{2027, 2}, "", "taux d'intérêt légal 2027-S2 inconnu", "no legal interest rate known for semester 2027-S2", false},
	}
	for _, tt := range tests {
		got, err := tab.Rate(tt.sem)
		if tt.rate != "" {
			if err != nil || got.String() != tt.rate {
				t.Errorf("Rate(%s) = %s, %v; want %s", tt.sem, got, err, tt.rate)
			}
			continue
		}
		var missing *MissingRateError
		if !errors.As(err, &missing) || missing.Unofficial != tt.unofficial || missing.Reason() != tt.reason || err.Error() != tt.message {
			t.Errorf("Rate(%s) error = %v (%+v), want %q / %q", tt.sem, err, missing, tt.message, tt.reason)
		}
	}
	// Interest over an unofficial semester is pending, not computed.
	_, err = LegalInterest(decimal.RequireFromString("1104.00"), day("2026-06-14"), day("2026-07-20"), tab, Basis365)
	var missing *MissingRateError
	if !errors.As(err, &missing) || !missing.Unofficial || missing.Semester != (Semester{2026, 2}) {
		t.Errorf("LegalInterest across 2026-S2 = %v, want pending on the unofficial 2026-S2 rate", err)
	}

	_, err = ParseLegalRates("legal.csv", strings.NewReader(header+"2026-S1,2026-01-01,2026-06-30,6.67,2.62,maybe\n"))
	if want := `legal.csv:2: field status: "maybe" is neither "official" nor "unofficial"`; err == nil || err.Error() != want {
		t.Errorf("bad status: %v, want %q", err, want)
	}
}

package invoice

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Semester is a half of a civil year: Half 1 runs from 1 January to 30 June,
// Half 2 from 1 July to 31 December. French legal interest rates and the ECB
// reference rate of public procurement are both fixed per semester.
type Semester struct {
	Year int
	Half int
}

// SemesterOf returns the semester containing the civil date of t (the date as
// seen in t's own location).
func SemesterOf(t time.Time) Semester {
	if t.Month() <= time.June {
		return Semester{Year: t.Year(), Half: 1}
	}
	return Semester{Year: t.Year(), Half: 2}
}

// ParseSemester parses the "YYYY-S1" / "YYYY-S2" form produced by String.
func ParseSemester(s string) (Semester, error) {
	year, half, ok := strings.Cut(s, "-S")
	if !ok || len(year) != 4 || len(half) != 1 {
		return Semester{}, fmt.Errorf("%q is not a semester (want YYYY-S1 or YYYY-S2)", s)
	}
	y, err := strconv.Atoi(year)
	if err != nil || y < 1000 {
		return Semester{}, fmt.Errorf("%q is not a semester (want YYYY-S1 or YYYY-S2)", s)
	}
	if half != "1" && half != "2" {
		return Semester{}, fmt.Errorf("%q is not a semester (want YYYY-S1 or YYYY-S2)", s)
	}
	return Semester{Year: y, Half: int(half[0] - '0')}, nil
}

// String renders the semester as "2025-S1".
func (s Semester) String() string {
	return fmt.Sprintf("%04d-S%d", s.Year, s.Half)
}

// Valid reports whether Half is 1 or 2.
func (s Semester) Valid() bool {
	return s.Half == 1 || s.Half == 2
}

// Start returns the first day of the semester, at midnight UTC.
func (s Semester) Start() time.Time {
	month := time.January
	if s.Half == 2 {
		month = time.July
	}
	return time.Date(s.Year, month, 1, 0, 0, 0, 0, time.UTC)
}

// End returns the last day of the semester (30 June or 31 December), at
// midnight UTC: semesters are inclusive ranges of civil dates.
func (s Semester) End() time.Time {
	if s.Half == 1 {
		return time.Date(s.Year, time.June, 30, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(s.Year, time.December, 31, 0, 0, 0, 0, time.UTC)
}

// Next returns the following semester.
func (s Semester) Next() Semester {
	if s.Half == 1 {
		return Semester{Year: s.Year, Half: 2}
	}
	return Semester{Year: s.Year + 1, Half: 1}
}

// index numbers semesters consecutively, so that distances and order are
// plain integer arithmetic.
func (s Semester) index() int {
	return s.Year*2 + s.Half - 1
}

// semesterAt is the inverse of index.
func semesterAt(i int) Semester {
	return Semester{Year: i / 2, Half: i%2 + 1}
}

// Before reports whether s comes before o.
func (s Semester) Before(o Semester) bool {
	return s.index() < o.index()
}

// RateTable holds one annual rate, in percent, per semester over a contiguous
// range of semesters. It is immutable once parsed.
type RateTable struct {
	what  string // what the rates are, for error messages: "legal interest rate"
	first Semester
	rates []decimal.Decimal // rates[i] is the rate of first + i semesters
	// unofficial[i] marks a rate not (yet) confirmed by an official text:
	// kept in the table for reference, never charged.
	unofficial []bool
}

// MissingRateError reports a semester for which a RateTable has no rate to
// charge: none at all, or one marked unofficial. It is never papered over
// with a neighbouring rate: interest that needs it is pending until the
// table carries the official rate from the arrêté.
type MissingRateError struct {
	Semester Semester
	// What names the rate, e.g. "legal interest rate".
	What string
	// Unofficial is true when the table has a rate for the semester but
	// marks it unofficial (status column).
	Unofficial bool
}

// Error implements error.
func (e *MissingRateError) Error() string {
	what := e.What
	if what == "" {
		what = "rate"
	}
	if e.Unofficial {
		return fmt.Sprintf("the %s of semester %s is marked unofficial: interest waits for the official rate", what, e.Semester)
	}
	return fmt.Sprintf("no %s known for semester %s", what, e.Semester)
}

// Reason says in French why interest is pending, for the finance team:
// "taux d'intérêt légal 2026-S2 non officiel".
func (e *MissingRateError) Reason() string {
	what := "taux"
	switch e.What {
	case legalWhat:
		what = "taux d'intérêt légal"
	case ecbWhat:
		what = "taux BCE"
	}
	if e.Unofficial {
		return fmt.Sprintf("%s %s non officiel", what, e.Semester)
	}
	return fmt.Sprintf("%s %s inconnu", what, e.Semester)
}

// Rate returns the rate, in percent per year, of semester s, or a
// *MissingRateError when the table does not cover s or marks its rate
// unofficial.
func (t *RateTable) Rate(s Semester) (decimal.Decimal, error) {
	if t == nil || len(t.rates) == 0 || !s.Valid() {
		return decimal.Decimal{}, &MissingRateError{Semester: s, What: t.description()}
	}
	i := s.index() - t.first.index()
	if i < 0 || i >= len(t.rates) {
		return decimal.Decimal{}, &MissingRateError{Semester: s, What: t.description()}
	}
	if t.unofficial[i] {
		return decimal.Decimal{}, &MissingRateError{Semester: s, What: t.description(), Unofficial: true}
	}
	return t.rates[i], nil
}

// First returns the first semester covered by the table.
func (t *RateTable) First() Semester {
	return t.first
}

// Last returns the last semester covered by the table.
func (t *RateTable) Last() Semester {
	return semesterAt(t.first.index() + len(t.rates) - 1)
}

func (t *RateTable) description() string {
	if t == nil {
		return ""
	}
	return t.what
}

// The names of the two tables, in error messages.
const (
	legalWhat = "legal interest rate"
	ecbWhat   = "ECB main refinancing rate"
)

// statusColumn is the optional column that marks a row "official" (the
// default, also when empty) or "unofficial" (kept for reference, never
// charged: interest needing it is pending).
const statusColumn = "status"

// Row statuses of the status column.
const (
	StatusOfficial   = "official"
	StatusUnofficial = "unofficial"
)

// ParseLegalRates reads the French legal interest rate table (columns
// semester, start, end, autres_cas_pct, optional status; others such as
// particulier_pct are checked when present but not kept). The "autres cas" rate is the one that
// applies when the creditor is a legal person, as a syndicate is. name is used
// in error messages only.
func ParseLegalRates(name string, r io.Reader) (*RateTable, error) {
	return parseRateTable(name, r, legalWhat, "autres_cas_pct", "particulier_pct")
}

// ParseECBRates reads the table of the ECB main refinancing rate in force on
// the first day of each semester (columns semester, start, end, ecb_mro_pct),
// the base of public-procurement late-payment interest. name is used in error
// messages only.
func ParseECBRates(name string, r io.Reader) (*RateTable, error) {
	return parseRateTable(name, r, "ECB main refinancing rate", "ecb_mro_pct")
}

// parseRateTable reads a semester CSV. Rows must be chronological without
// holes, so that a forgotten semester is caught when the file is loaded rather
// than when some late invoice happens to need it.
func parseRateTable(name string, r io.Reader, what, rateColumn string, optional ...string) (*RateTable, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, header %q required", name, "semester,start,end,"+rateColumn)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	headerLine, _ := cr.FieldPos(0)
	cols := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := cols[h]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate column %q in header", name, headerLine, h)
		}
		cols[h] = i
	}
	for _, c := range []string{"semester", "start", "end", rateColumn} {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("%s:%d: header lacks column %q", name, headerLine, c)
		}
	}

	t := &RateTable{what: what}
	var prevLine int
	seen := make(map[Semester]int) // semester → line, to name the first occurrence
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		fieldErr := func(field string, format string, args ...any) error {
			return fmt.Errorf("%s:%d: field %s: %s", name, line, field, fmt.Sprintf(format, args...))
		}
		get := func(c string) string { return strings.TrimSpace(rec[cols[c]]) }

		sem, err := ParseSemester(get("semester"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: field semester: %w", name, line, err)
		}
		for _, bound := range []struct {
			field string
			want  time.Time
		}{{"start", sem.Start()}, {"end", sem.End()}} {
			raw := get(bound.field)
			d, err := time.Parse(time.DateOnly, raw)
			if err != nil {
				return nil, fieldErr(bound.field, "%q is not a date (want YYYY-MM-DD)", raw)
			}
			if !d.Equal(bound.want) {
				return nil, fieldErr(bound.field, "%s does not match semester %s (want %s)",
					raw, sem, bound.want.Format(time.DateOnly))
			}
		}
		if first, dup := seen[sem]; dup {
			return nil, fieldErr("semester", "duplicate semester %s (first on line %d)", sem, first)
		}
		if len(t.rates) > 0 {
			last := t.Last()
			switch {
			case sem.Before(last):
				return nil, fieldErr("semester", "%s comes after %s (line %d): rows must be chronological", sem, last, prevLine)
			case sem != last.Next():
				return nil, fieldErr("semester", "hole between %s (line %d) and %s: missing %s", last, prevLine, sem, last.Next())
			}
		}
		for _, c := range optional {
			if _, ok := cols[c]; ok {
				if _, err := parsePercent(get(c)); err != nil {
					return nil, fieldErr(c, "%v", err)
				}
			}
		}
		rate, err := parsePercent(get(rateColumn))
		if err != nil {
			return nil, fieldErr(rateColumn, "%v", err)
		}
		unofficial := false
		if _, ok := cols[statusColumn]; ok {
			switch st := strings.ToLower(get(statusColumn)); st {
			case "", StatusOfficial:
			case StatusUnofficial:
				unofficial = true
			default:
				return nil, fieldErr(statusColumn, "%q is neither %q nor %q", get(statusColumn), StatusOfficial, StatusUnofficial)
			}
		}

		if len(t.rates) == 0 {
			t.first = sem
		}
		t.rates = append(t.rates, rate)
		t.unofficial = append(t.unofficial, unofficial)
		seen[sem] = line
		prevLine = line
	}
	if len(t.rates) == 0 {
		return nil, fmt.Errorf("%s: no rates after the header", name)
	}
	return t, nil
}

// parsePercent parses an annual rate in percent. 100 % or more is certainly a
// typo (say a missing decimal point), so it is refused rather than billed.
func parsePercent(raw string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(raw)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal", raw)
	}
	if d.IsNegative() || d.GreaterThanOrEqual(decimal.NewFromInt(100)) {
		return decimal.Decimal{}, fmt.Errorf("%s is out of range, want 0 <= rate < 100", raw)
	}
	return d, nil
}

package judge

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The formats read here are those of fixtures/README.md ("Common rules",
// establishments.csv, usage-YYYY.csv), read from that page, not from the
// product's importer.

// table is a CSV file with a header row; columns are found by name.
type table struct {
	name   string
	header []string
	cols   map[string]int
	rows   [][]string // rows[i] is on line i+2 (the header is line 1)
}

// readTable reads a ';' or ',' separated file (one per file, the one the
// header row uses), with or without a UTF-8 byte-order mark.
func readTable(name string, r io.Reader, required ...string) (*table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	header, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = ','
	if bytes.ContainsRune(header, ';') {
		cr.Comma = ';'
	}
	records, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%s:1: empty file, a header row is required", name)
	}
	t := &table{name: name, cols: map[string]int{}, rows: records[1:]}
	for i, c := range records[0] {
		c = strings.TrimSpace(c)
		t.header = append(t.header, c)
		t.cols[c] = i
	}
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			return nil, fmt.Errorf("%s:1: %s: required column is missing", name, c)
		}
	}
	return t, nil
}

// get returns row i's field of column col, trimmed ("" when no such column).
func (t *table) get(i int, col string) string {
	c, ok := t.cols[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(t.rows[i][c])
}

// errorf names the file, the line of row i and the field.
func (t *table) errorf(i int, field, format string, a ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", t.name, i+2, field, fmt.Sprintf(format, a...))
}

// parseSIRET accepts 14 digits, spaces allowed, that pass the check digit:
// Luhn, except La Poste's SIREN 356000000 whose digits sum to a multiple of 5.
func parseSIRET(s string) (string, error) {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) != 14 || strings.Trim(s, "0123456789") != "" {
		return "", fmt.Errorf("%q is not 14 digits", s)
	}
	sum, luhn := 0, 0
	for i := range 14 {
		d := int(s[i] - '0')
		sum += d
		if i%2 == 0 { // from the right, every second digit is doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		luhn += d
	}
	if strings.HasPrefix(s, "356000000") {
		if sum%5 != 0 {
			return "", fmt.Errorf("SIRET %s fails its check digit (La Poste: digit sum)", s)
		}
	} else if luhn%10 != 0 {
		return "", fmt.Errorf("SIRET %s fails its check digit", s)
	}
	return s, nil
}

// parseDate accepts YYYY-MM-DD and DD/MM/YYYY; time.Parse refuses a day
// that does not exist (30/02/2025).
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a valid date (YYYY-MM-DD or DD/MM/YYYY)", s)
}

// parseYesNo reads oui / non, in any case.
func parseYesNo(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "oui":
		return true, nil
	case "non":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither oui nor non", s)
}

// parseWhole reads a whole number ≥ 0 written with digits only.
func parseWhole(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a whole number ≥ 0", s)
	}
	return n, nil
}

// maxQuantity is the largest usage quantity accepted, 10^12.
var maxQuantity = decimal.New(1, 12)

// parseQuantity reads a usage quantity: digits only for a count (a
// separator in "1,500" could be a thousands or a decimal one), a decimal
// with a comma or point and spaces between thousands for a measure.
func parseQuantity(s string, count bool) (decimal.Decimal, error) {
	var q decimal.Decimal
	if count {
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return q, fmt.Errorf("%q: a count is written with digits only", s)
		}
		q, _ = decimal.NewFromString(s)
	} else {
		var err error
		q, err = decimal.NewFromString(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), ",", "."))
		if err != nil || strings.ContainsAny(s, "eE") {
			return q, fmt.Errorf("%q is not a number", s)
		}
	}
	if q.IsNegative() || q.GreaterThan(maxQuantity) {
		return q, fmt.Errorf("%s is not between 0 and 10^12", s)
	}
	return q, nil
}

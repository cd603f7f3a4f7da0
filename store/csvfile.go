package store

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/shopspring/decimal"
)

// RowError is one problem of an imported file: where it is and what is wrong.
type RowError struct {
	File    string
	Line    int
	Field   string
	Problem string
}

func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Problem)
}

// ImportError rejects a whole file: every problem found, one per line.
// Nothing of the file was written.
type ImportError struct {
	File   string
	Errors []RowError
}

// maxListed bounds the message; Errors keeps them all.
const maxListed = 200

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s rejected, nothing imported: %d problem(s)", e.File, len(e.Errors))
	for i, re := range e.Errors {
		if i == maxListed {
			fmt.Fprintf(&b, "\n… and %d more", len(e.Errors)-maxListed)
			break
		}
		b.WriteString("\n" + re.Error())
	}
	return b.String()
}

// csvFile reads a spreadsheet export: UTF-8 with or without BOM, a header
// row, ';' or ',' as separator (sniffed from the header), columns found by
// name whatever their order.
type csvFile struct {
	name    string
	r       *csv.Reader
	columns map[string]int
	header  []string
	errs    []RowError
}

// openCSV reads the header and checks the required columns are there.
func openCSV(name string, in io.Reader, required, optional []string) (*csvFile, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	headerLine, _, _ := bytes.Cut(first, []byte("\n"))
	sep := ','
	if bytes.Count(headerLine, []byte(";")) > bytes.Count(headerLine, []byte(",")) {
		sep = ';'
	}
	r := csv.NewReader(br)
	r.Comma = sep
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ImportError{File: name, Errors: []RowError{{File: name, Line: 1, Problem: "empty file: a header row is required"}}}
	}
	if err != nil {
		return nil, &ImportError{File: name, Errors: []RowError{{File: name, Line: 1, Problem: err.Error()}}}
	}
	f := &csvFile{name: name, r: r, columns: map[string]int{}, header: append([]string(nil), header...)}
	known := map[string]bool{}
	for _, c := range append(append([]string(nil), required...), optional...) {
		known[c] = true
	}
	for i, h := range f.header {
		h = strings.ToLower(strings.TrimSpace(h))
		f.header[i] = h
		if _, dup := f.columns[h]; dup {
			f.fail(1, h, "column appears twice")
		}
		f.columns[h] = i
	}
	for _, c := range required {
		if _, ok := f.columns[c]; !ok {
			f.fail(1, c, fmt.Sprintf("required column is missing (the header has: %s)", strings.Join(f.header, string(sep))))
		}
	}
	return f, f.done()
}

// each calls fn for every data row with a getter of its fields by column
// name; fn reports problems through f.fail.
func (f *csvFile) each(fn func(line int, get func(string) string)) error {
	for {
		rec, err := f.r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				f.fail(pe.Line, "", pe.Err.Error())
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					return nil // the rest of the file cannot be trusted
				}
				continue
			}
			return fmt.Errorf("read %s: %w", f.name, err)
		}
		// FieldPos is only valid after a successful Read (it panics
		// otherwise: found by FuzzCSV).
		line, _ := f.r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) > len(f.header) {
			f.fail(line, "", fmt.Sprintf("%d fields, the header has %d", len(rec), len(f.header)))
			continue
		}
		fn(line, func(col string) string {
			i, ok := f.columns[col]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		})
	}
}

func (f *csvFile) fail(line int, field, problem string) {
	f.errs = append(f.errs, RowError{File: f.name, Line: line, Field: field, Problem: problem})
}

// repeated reports a row whose natural key was already seen, naming the
// first line; format receives that line number last. It records the key
// otherwise and reports false.
func (f *csvFile) repeated(seen map[string]int, key string, line int, field, format string, args ...any) bool {
	if first, dup := seen[key]; dup {
		f.fail(line, field, fmt.Sprintf(format, append(args, first)...))
		return true
	}
	seen[key] = line
	return false
}

// done returns the problems found so far as one *ImportError, or nil.
func (f *csvFile) done() error {
	if len(f.errs) == 0 {
		return nil
	}
	return &ImportError{File: f.name, Errors: f.errs}
}

// Field parsers: each reports a problem on the row and returns ok=false.

// fits checks a text field against the documents' length limit for what it
// becomes on an invoice (document.Limits), so that nothing enters the books
// that an invoice could not carry.
func (f *csvFile) fits(line int, column, s string, field document.Field) bool {
	if err := field.Check(s); err != nil {
		f.fail(line, column, err.Error())
		return false
	}
	return true
}

func (f *csvFile) date(line int, field, s string, required bool) (*time.Time, bool) {
	if s == "" {
		if required {
			f.fail(line, field, "a date is required")
			return nil, false
		}
		return nil, true
	}
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, true
		}
	}
	f.fail(line, field, fmt.Sprintf("%q is not a valid date (YYYY-MM-DD or DD/MM/YYYY)", s))
	return nil, false
}

func (f *csvFile) boolean(line int, field, s string, def bool) (bool, bool) {
	switch strings.ToLower(s) {
	case "":
		return def, true
	case "oui", "o", "yes", "y", "true", "vrai", "1", "x":
		return true, true
	case "non", "n", "no", "false", "faux", "0":
		return false, true
	}
	f.fail(line, field, fmt.Sprintf("%q is not oui or non", s))
	return false, false
}

func (f *csvFile) integer(line int, field, s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		f.fail(line, field, fmt.Sprintf("%q is not a whole number", s))
		return 0, false
	}
	if n < lo || n > hi {
		if n < 0 {
			f.fail(line, field, fmt.Sprintf("%d is negative", n))
		} else {
			f.fail(line, field, fmt.Sprintf("%d is out of range %d..%d", n, lo, hi))
		}
		return 0, false
	}
	return n, true
}

// decimal reads a quantity or an amount: decimal comma or point, spaces as
// thousands separators; must not be negative.
func (f *csvFile) decimal(line int, field, s string) (decimal.Decimal, bool) {
	clean := strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", ",", ".").Replace(s)
	d, err := decimal.NewFromString(clean)
	if err != nil || s == "" {
		f.fail(line, field, fmt.Sprintf("%q is not a number", s))
		return decimal.Decimal{}, false
	}
	if d.IsNegative() {
		f.fail(line, field, fmt.Sprintf("%s is negative", s))
		return decimal.Decimal{}, false
	}
	return d, true
}

package dashboard

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Every list the dashboard shows can be exported as a CSV that a French
// spreadsheet opens as it is: UTF-8 with a byte-order mark, cells separated
// by ';', amounts with a decimal comma and no thousands separator, dates
// as dd/mm/yyyy. Text that a spreadsheet would take for a formula is
// quoted out of it (CSV injection).

// frenchCSV writes such a CSV.
type frenchCSV struct {
	w *csv.Writer
}

// newFrenchCSV starts a CSV download named filename (ASCII, without
// extension): headers, byte-order mark, and the header row.
func newFrenchCSV(w http.ResponseWriter, filename string, header ...string) (*frenchCSV, error) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, filename))
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return nil, err
	}
	c := &frenchCSV{w: csv.NewWriter(w)}
	c.w.Comma = ';'
	c.w.UseCRLF = true
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = h
	}
	return c, c.Row(cells...)
}

// Row writes one row: decimal.Decimal as an amount, time.Time and
// *time.Time as a date (empty when nil or zero), ints as they are, strings
// made safe from formulas.
func (c *frenchCSV) Row(cells ...any) error {
	out := make([]string, len(cells))
	for i, v := range cells {
		out[i] = csvCell(v)
	}
	return c.w.Write(out)
}

// Flush ends the CSV; its error is the first write that failed.
func (c *frenchCSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

func csvCell(v any) string {
	switch x := v.(type) {
	case decimal.Decimal:
		return strings.Replace(x.StringFixed(invoice.Cents), ".", ",", 1)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.Format("02/01/2006")
	case *time.Time:
		if x == nil {
			return ""
		}
		return csvCell(*x)
	case int:
		return fmt.Sprint(x)
	case int64:
		return fmt.Sprint(x)
	case string:
		return csvText(x)
	default:
		return csvText(fmt.Sprint(x))
	}
}

// csvText keeps a spreadsheet from evaluating text as a formula: a cell
// starting with = + - @ or a tab or carriage return is prefixed with an
// apostrophe (OWASP's advice).
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

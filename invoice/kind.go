package invoice

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is what an invoice bills; each kind has its own numbering series.
type Kind string

// Invoice kinds.
const (
	KindContribution Kind = "contribution"
	KindOverage      Kind = "overage"
	KindInterest     Kind = "interest"
	KindCreditNote   Kind = "credit_note"
)

// Kinds lists every kind, in series order.
func Kinds() []Kind {
	return []Kind{KindContribution, KindOverage, KindInterest, KindCreditNote}
}

// ParseKind reads a kind from its name; "credit-note" is accepted too.
func ParseKind(s string) (Kind, error) {
	if s == "credit-note" {
		return KindCreditNote, nil
	}
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown invoice kind %q (want contribution, overage, interest or credit_note)", s)
}

// Prefix is the series prefix of the kind: CT, OV, IN, AV.
func (k Kind) Prefix() string {
	switch k {
	case KindContribution:
		return "CT"
	case KindOverage:
		return "OV"
	case KindInterest:
		return "IN"
	case KindCreditNote:
		return "AV"
	}
	return ""
}

// TypeCode is the UNTDID 1001 document type code: 381 for a credit note, 380 otherwise.
func (k Kind) TypeCode() string {
	if k == KindCreditNote {
		return "381"
	}
	return "380"
}

// MaxNumberLength is Chorus Pro's limit on an invoice number.
const MaxNumberLength = 20

// Series names the numbering series of a kind for the year the invoice is
// finalised in, e.g. "CT2025". Numbers are continuous within a series.
func Series(k Kind, year int) (string, error) {
	if k.Prefix() == "" {
		return "", fmt.Errorf("series: unknown invoice kind %q", k)
	}
	if year < 2000 || year > 9999 {
		return "", fmt.Errorf("series: year %d out of range", year)
	}
	return fmt.Sprintf("%s%04d", k.Prefix(), year), nil
}

// Number formats the n-th number of a series: "CT2025-000001".
func Number(series string, n int64) (string, error) {
	if n < 1 {
		return "", fmt.Errorf("number: sequence %d of series %s must start at 1", n, series)
	}
	s := fmt.Sprintf("%s-%06d", series, n)
	if utf8.RuneCountInString(s) > MaxNumberLength {
		return "", fmt.Errorf("number %s is longer than Chorus Pro's %d characters", s, MaxNumberLength)
	}
	return s, nil
}

// IsNumber reports whether s is shaped as Number makes them: a kind's
// prefix, a four-digit year, a dash and a sequence of at least six digits
// ("CT2025-000001"). The dashboard's search uses it to look a number up.
func IsNumber(s string) bool {
	series, seq, ok := strings.Cut(s, "-")
	if !ok || len(series) != 6 || len(seq) < 6 || !digits(series[2:]) || !digits(seq) {
		return false
	}
	for _, k := range Kinds() {
		if series[:2] == k.Prefix() {
			return true
		}
	}
	return false
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

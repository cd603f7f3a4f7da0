package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// dateFlag is a civil date given as YYYY-MM-DD or, as French staff write it,
// DD/MM/YYYY. An impossible date (2025-02-30) is refused.
type dateFlag struct {
	t   time.Time
	set bool
}

func (d *dateFlag) String() string {
	if !d.set {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

func (d *dateFlag) Set(s string) error {
	t, err := parseDate(s)
	if err != nil {
		return err
	}
	d.t, d.set = t, true
	return nil
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a valid date (YYYY-MM-DD or DD/MM/YYYY)", s)
}

// decimalFlag is an amount or quantity, read exactly (no float).
type decimalFlag struct {
	d   decimal.Decimal
	set bool
}

func (f *decimalFlag) String() string {
	if !f.set {
		return ""
	}
	return f.d.String()
}

func (f *decimalFlag) Set(s string) error {
	d, err := parseDecimal(s)
	if err != nil {
		return err
	}
	f.d, f.set = d, true
	return nil
}

// parseDecimal accepts a dot or a French decimal comma.
func parseDecimal(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(strings.ReplaceAll(strings.TrimSpace(s), ",", "."))
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a number", s)
	}
	return d, nil
}

// usageFlag collects repeated --usage CODE=QTY, the quantities as typed:
// how to read one (a count or a measure) is the service's to say, once the
// deliberation is known (quantities).
type usageFlag map[string]string

func (u usageFlag) String() string {
	var parts []string
	for k, v := range u {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (u usageFlag) Set(s string) error {
	code, qty, ok := strings.Cut(s, "=")
	code = strings.TrimSpace(code)
	if !ok || code == "" {
		return fmt.Errorf("%q is not CODE=QUANTITY", s)
	}
	if _, dup := u[code]; dup {
		return fmt.Errorf("service %s is given twice", code)
	}
	u[code] = strings.TrimSpace(qty)
	return nil
}

// quantities reads the quantities as the services of d read them (the
// usage import's rule: "1,500" SMS is ambiguous, not 1.5).
func (u usageFlag) quantities(d *tariff.Deliberation) (map[string]decimal.Decimal, error) {
	out := make(map[string]decimal.Decimal, len(u))
	for code, text := range u {
		svc, ok := d.Service(code)
		if !ok {
			// Left to the overage, which names the services it knows.
			q, err := parseDecimal(text)
			if err != nil {
				return nil, fmt.Errorf("--usage %s: %w", code, err)
			}
			out[code] = q
			continue
		}
		q, err := svc.ParseQuantity(text)
		if err != nil {
			return nil, fmt.Errorf("--usage %s: %w", code, err)
		}
		out[code] = q
	}
	return out, nil
}

func frenchDate(t time.Time) string { return t.Format("02/01/2006") }

// percent renders a rate in percent for people: "20 %", "3,71 %".
func percent(d decimal.Decimal) string {
	return strings.ReplaceAll(d.String(), ".", ",") + "\u00a0%"
}

// euros renders an amount for people: "1 234,56 €".
func euros(d decimal.Decimal) string { return invoice.FormatFrench(d) + "\u00a0€" }

package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Provisional is the invoice a draft would be once finalised — its lines,
// statement, totals and dates as the books would hold them — under a
// provisional number of the longest length a number may have: what the
// issuing path renders before a number is taken, so that no number is
// consumed by an invoice that cannot be rendered. It is never stored (ID
// zero), and its number, the series followed by zeros, is never a real one
// (sequences start at 1).
func (d Draft) Provisional() (Invoice, error) {
	if err := validateDraft(d); err != nil {
		return Invoice{}, err
	}
	series, err := invoice.Series(d.Kind, d.IssueDate.Year())
	if err != nil {
		return Invoice{}, err
	}
	number := series + "-" + strings.Repeat("0", max(invoice.MaxNumberLength-len(series)-1, 1))
	totals := invoice.ComputeTotals(d.Lines)
	inv := Invoice{
		Kind: d.Kind, Series: series, Number: number, Year: d.Year, EstablishmentID: d.EstablishmentID, RunID: d.RunID,
		IssueDate: civilDate(d.IssueDate), DueDate: civilDate(d.DueDate),
		PeriodStart: nullDate(d.PeriodStart), PeriodEnd: nullDate(d.PeriodEnd),
		State: invoice.StateDraft, CodeService: d.CodeService, Engagement: d.Engagement,
		OriginalInvoiceID: d.OriginalInvoiceID, CancelsInvoiceID: d.CancelsInvoiceID, ReplacesInvoiceID: d.ReplacesInvoiceID,
		InterestPaymentID: d.InterestPaymentID, LatePaymentRegime: d.LatePaymentRegime, Note: d.Note,
	}
	// The parties as stored: through their JSON and back.
	stored, err := marshalParties(d.Parties)
	if err == nil {
		inv.Parties, err = unmarshalParties(stored)
	}
	if err != nil {
		return Invoice{}, fmt.Errorf("provisional %s: %w", number, err)
	}
	if inv.LatePaymentRegime == "" {
		inv.LatePaymentRegime = invoice.RegimeLegal
	}
	// The amounts as cents and back, as stored.
	for _, a := range []struct {
		from decimal.Decimal
		to   *decimal.Decimal
	}{{totals.HT, &inv.TotalHT}, {totals.VAT, &inv.TotalVAT}, {totals.TTC, &inv.TotalTTC}} {
		c, err := toCents(a.from)
		if err != nil {
			return Invoice{}, fmt.Errorf("provisional %s: %w", number, err)
		}
		*a.to = fromCents(c)
	}
	if inv.Lines, err = asStored(d.Lines); err != nil {
		return Invoice{}, fmt.Errorf("provisional %s: %w", number, err)
	}
	if inv.Statement, err = statementAsStored(d.Statement); err != nil {
		return Invoice{}, fmt.Errorf("provisional %s: %w", number, err)
	}
	return inv, nil
}

// civilDate is a date as the books give it back: midnight UTC.
func civilDate(t time.Time) time.Time {
	if d := nullDate(t); d != nil {
		return *d
	}
	return time.Time{}
}

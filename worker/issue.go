package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// Outcome is what issuing did for one establishment.
type Outcome string

// Outcomes of an issue.
const (
	// Issued: an invoice was finalised (or had been, by an earlier attempt).
	Issued Outcome = "issued"
	// Free: the tariff makes the establishment free; no invoice.
	Free Outcome = "free"
	// NothingDue: no month of service, or usage within the allowances.
	NothingDue Outcome = "nothing_due"
)

// issueBooks is what issuing reads and writes.
type issueBooks interface {
	ReferencesFor(ctx context.Context, establishmentID int64, year int) (store.References, error)
	Usage(ctx context.Context, establishmentID int64, year int) (map[string]decimal.Decimal, error)
	Finalise(ctx context.Context, d store.Draft) (store.Invoice, bool, error)
}

// Issue computes what an establishment owes for a year and kind
// (contribution, or overage of year n), and finalises the invoice. A repeat
// returns the invoice already finalised: the books' unique key makes double
// billing impossible. The invoice is dated issueDate (a civil date) and due
// after the deliberation's payment term.
func Issue(ctx context.Context, books issueBooks, cat *tariff.Catalog, est store.Establishment, year int, kind invoice.Kind, issueDate time.Time, runID *int64, actor string) (Outcome, store.Invoice, error) {
	q, err := quote(ctx, books, cat, est, year, kind)
	if err != nil {
		return "", store.Invoice{}, err
	}
	if o := quoteOutcome(q); o != Issued {
		return o, store.Invoice{}, nil
	}
	refs, err := referencesFor(ctx, books, est.ID, issueDate.Year(), year)
	if err != nil {
		return "", store.Invoice{}, err
	}
	inv, _, err := books.Finalise(ctx, draft(est, year, kind, issueDate, q, refs, runID, actor))
	if err != nil {
		return "", store.Invoice{}, err
	}
	return Issued, inv, nil
}

// quote computes what an establishment owes for a year and kind.
func quote(ctx context.Context, books interface {
	Usage(ctx context.Context, establishmentID int64, year int) (map[string]decimal.Decimal, error)
}, cat *tariff.Catalog, est store.Establishment, year int, kind invoice.Kind) (tariff.Quote, error) {
	te, err := est.Tariff(year)
	if err != nil {
		return tariff.Quote{}, fmt.Errorf("%w: %v", errNoHeadcount, err)
	}
	var q tariff.Quote
	switch kind {
	case invoice.KindContribution:
		q, err = cat.Contribution(te, year)
	case invoice.KindOverage:
		var usage map[string]decimal.Decimal
		if usage, err = books.Usage(ctx, est.ID, year); err == nil {
			q, err = cat.Overage(te, year, usage)
		}
	default:
		err = fmt.Errorf("issue: %s invoices are not issued from the tariff", kind)
	}
	if err != nil {
		return q, fmt.Errorf("establishment %s, %s %d: %w", est.SIRET, kind, year, err)
	}
	return q, nil
}

// quoteOutcome says whether a quote makes an invoice.
func quoteOutcome(q tariff.Quote) Outcome {
	switch {
	case q.Free:
		return Free
	case !q.Due():
		return NothingDue
	}
	return Issued
}

// draft is the invoice a due quote makes, dated issueDate (a civil date)
// and due after the deliberation's payment term.
func draft(est store.Establishment, year int, kind invoice.Kind, issueDate time.Time, q tariff.Quote, refs store.References, runID *int64, actor string) store.Draft {
	issue := tariff.Day(issueDate)
	return store.Draft{
		Kind: kind, Year: year, EstablishmentID: est.ID, RunID: runID,
		IssueDate: issue, DueDate: issue.AddDate(0, 0, q.PaymentTermDays),
		PeriodStart: q.From, PeriodEnd: q.To, Lines: q.Lines, Statement: q.Statement,
		CodeService: refs.CodeService, Engagement: refs.Engagement,
		LatePaymentRegime: est.Regime(), Actor: actor,
	}
}

// errNoHeadcount marks an establishment without a headcount for the year
// billed: the finance team must import it.
var errNoHeadcount = errors.New("no headcount for the year")

// referencesFor gives the buyer references for an invoice: those the buyer
// gave for the year the invoice is issued in (its budget pays it), else
// those of the year billed.
func referencesFor(ctx context.Context, books interface {
	ReferencesFor(ctx context.Context, establishmentID int64, year int) (store.References, error)
}, establishmentID int64, issueYear, billedYear int) (store.References, error) {
	refs, err := books.ReferencesFor(ctx, establishmentID, issueYear)
	if err != nil || refs.CodeService != "" || refs.Engagement != "" || issueYear == billedYear {
		return refs, err
	}
	return books.ReferencesFor(ctx, establishmentID, billedYear)
}

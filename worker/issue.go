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
	Free Outcome = store.RunItemFree
	// NothingDue: no month of service, or usage within the allowances.
	NothingDue Outcome = store.RunItemNothingDue
)

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
// and due after the quote's payment term: the establishment's own, else the
// deliberation's.
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

// referenceBooks reads the buyer references of a year.
type referenceBooks interface {
	ReferencesForMany(ctx context.Context, ids []int64, year int) (map[int64]store.References, error)
}

// billingReferences is the rule for the buyer references an invoice
// carries: those the buyer gave for the year the invoice is issued in (its
// budget pays it), else, for a buyer who gave none that year, those of the
// year billed. The batch asks it for its establishments, the one-invoice
// delivery (referencesFor) for one.
func billingReferences(ctx context.Context, books referenceBooks, ids []int64, issueYear, billedYear int) (map[int64]store.References, error) {
	refs, err := books.ReferencesForMany(ctx, ids, issueYear)
	if err != nil || issueYear == billedYear {
		return refs, err
	}
	billed, err := books.ReferencesForMany(ctx, ids, billedYear)
	if err != nil {
		return nil, err
	}
	for id, r := range billed {
		if cur := refs[id]; cur.CodeService == "" && cur.Engagement == "" {
			refs[id] = r
		}
	}
	return refs, nil
}

// referencesFor is billingReferences for one establishment.
func referencesFor(ctx context.Context, books referenceBooks, establishmentID int64, issueYear, billedYear int) (store.References, error) {
	refs, err := billingReferences(ctx, books, []int64{establishmentID}, issueYear, billedYear)
	return refs[establishmentID], err
}

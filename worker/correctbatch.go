package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/hibiken/asynq"
)

// TypeCorrectBatch checks a batch of a run's establishments already
// invoiced: what is owed from today's facts against what is invoiced, and
// corrects the difference (correct.go).
const TypeCorrectBatch = "invoice:correct-batch"

// CorrectBatchPayload names the establishments a correct-batch task checks.
type CorrectBatchPayload struct {
	RunID            int64   `json:"run_id"`
	EstablishmentIDs []int64 `json:"establishment_ids"`
	Year             int     `json:"year"`
	Kind             string  `json:"kind"`
}

// HandleCorrectBatch runs the correction check for each establishment of
// the batch. An establishment whose facts no retry will fix (no headcount,
// no tariff) is said and skipped; another failure is retried with the
// batch, whose establishments already corrected find nothing more to do.
func (p *Pipeline) HandleCorrectBatch(ctx context.Context, t *asynq.Task) error {
	var pl CorrectBatchPayload
	if err := decode(t, &pl); err != nil {
		return err
	}
	kind, err := invoice.ParseKind(pl.Kind)
	if err != nil || (kind != invoice.KindContribution && kind != invoice.KindOverage) {
		return fmt.Errorf("correct %q invoices: %w", pl.Kind, asynq.SkipRetry)
	}
	mailed, err := p.books.LastAudit(ctx, "invoice", ActionMailed)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range pl.EstablishmentIDs {
		est, err := p.books.EstablishmentByID(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res, err := p.checkCorrection(ctx, est, pl.Year, kind, mailed, "billing-run")
		switch {
		case err != nil && needsHuman(err):
			p.log.Warn("correction check skipped", "siret", est.SIRET, "year", pl.Year, "kind", kind, "err", err)
		case err != nil:
			errs = append(errs, fmt.Errorf("correction check of %s %s %d: %w", est.SIRET, kind, pl.Year, err))
		case res.Action == CorrectApplied:
			p.Metrics.Inc("corrections_applied")
			p.log.Info("correction applied", "siret", est.SIRET, "year", pl.Year, "kind", kind, "what", res.Summary())
		case res.Action == CorrectProposed:
			p.Metrics.Inc("corrections_proposed")
			p.log.Info("correction proposed", "siret", est.SIRET, "year", pl.Year, "kind", kind, "what", res.Summary())
		}
	}
	return errors.Join(errs...)
}

// enqueueCorrections enqueues one correct-batch task per block of size
// establishment ids among those already invoiced for the year and kind,
// under ids ending in stamp (each request checks again).
func (p *Pipeline) enqueueCorrections(ctx context.Context, runID int64, year int, kind invoice.Kind, stamp string, size int64) (int, error) {
	ids, err := p.books.InvoicedEstablishments(ctx, year, kind)
	if err != nil {
		return 0, err
	}
	for start := 0; start < len(ids); {
		block := ids[start] / size
		end := start
		for end < len(ids) && ids[end]/size == block {
			end++
		}
		if err := p.enqueue(ctx, TypeCorrectBatch, CorrectBatchPayload{RunID: runID, EstablishmentIDs: ids[start:end], Year: year, Kind: string(kind)},
			fmt.Sprintf("correct:%s:%d:b%d%s", kind, year, block, stamp), asynq.Timeout(p.cfg.BatchTimeout)); err != nil {
			return 0, err
		}
		start = end
	}
	return len(ids), nil
}

package worker

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// The run's happy path in batches. A yearly run is tens of thousands of
// invoices that all go the same way: read, finalise, render, record, deposit,
// and find integrated. Done one invoice per task, that was three asynq tasks,
// ≈40 statements and 7 commits per invoice (issue 8's profile). A batch task
// does each step for its whole batch in a few statements and one commit,
// keeping every guarantee of the one-invoice path: numbers taken in one
// transaction, the intent to deposit recorded before the call, one audit row
// per transition. Anything off the happy path — a Chorus Pro call that fails,
// an invoice an earlier attempt already moved — is handed to the one-invoice
// tasks, which know how to resume (search before depositing again, and so on).

// HandleIssueBatch bills a batch of a run's establishments, then delivers
// their invoices. A repeat finds the invoices already finalised and leaves
// those an earlier attempt moved on to the one-invoice delivery.
func (p *Pipeline) HandleIssueBatch(ctx context.Context, t *asynq.Task) error {
	var pl IssueBatchPayload
	if err := decode(t, &pl); err != nil {
		return err
	}
	kind, day, err := parseIssue(pl.Kind, pl.IssueDate)
	if err != nil {
		return err
	}
	// An invoice is dated the day it is issued: a batch retried, or a gap
	// filled, days after the run was asked for is dated today, and its
	// due date follows.
	if today := invoice.CivilDay(p.now()); today.After(day) {
		day = today
	}
	ests, err := p.books.EstablishmentsByIDs(ctx, pl.EstablishmentIDs)
	if err != nil {
		return err
	}
	refs, err := billingReferences(ctx, p.books, pl.EstablishmentIDs, day.Year(), pl.Year)
	if err != nil {
		return err
	}
	runID := pl.RunID
	var (
		items       []store.RunItem
		drafts      []store.Draft
		provisional []provisionalCII // of each draft
	)
	for _, id := range pl.EstablishmentIDs {
		est, ok := ests[id]
		if !ok {
			items = append(items, store.RunItem{EstablishmentID: id, Outcome: outcomeFailed, Detail: fmt.Sprintf("établissement #%d absent des livres", id)})
			continue
		}
		q, err := quote(ctx, p.books, p.cat, est, pl.Year, kind)
		if err != nil {
			if !needsHuman(err) {
				return err
			}
			p.Metrics.Inc("issue_failed")
			items = append(items, store.RunItem{EstablishmentID: id, Outcome: outcomeFailed, Detail: err.Error()})
			continue
		}
		if o := quoteOutcome(q); o != Issued {
			p.Metrics.Inc("issue_" + string(o))
			items = append(items, store.RunItem{EstablishmentID: id, Outcome: string(o)})
			continue
		}
		d := draft(est, pl.Year, kind, day, q, refs[id], &runID, p.actor)
		// Nothing numbered that cannot be rendered: this establishment
		// fails, saying why, and takes no number; the others go on.
		pc, err := checkRenderable(p.issuer, &d, est, nil)
		if err != nil {
			p.Metrics.Inc("issue_failed")
			items = append(items, store.RunItem{EstablishmentID: id, Outcome: outcomeFailed, Detail: err.Error()})
			continue
		}
		drafts = append(drafts, d)
		provisional = append(provisional, pc)
	}
	invs, created, err := p.books.FinaliseMany(ctx, drafts)
	if err != nil {
		return err
	}
	// The XML to deposit, kept with its checksum before it is sent. An
	// invoice an earlier attempt moved on has its document already. A new
	// invoice's is its provisional CII under its number when that is exact
	// (provisionalCII.numbered), so that it is rendered once.
	cii := make(map[int64][]byte, len(invs))
	docs := make([]store.NewDocument, 0, len(invs))
	for i, inv := range invs {
		items = append(items, store.RunItem{EstablishmentID: inv.EstablishmentID, Outcome: string(Issued), InvoiceID: &inv.ID, Detail: inv.Number})
		if inv.State != invoice.StateFinalised {
			continue
		}
		var xml []byte
		ok := false
		if created[i] {
			xml, ok = provisional[i].numbered(inv.Number)
		}
		if !ok {
			d, err := buildDocument(p.issuer, inv, ests[inv.EstablishmentID], nil)
			if err != nil {
				return err
			}
			if xml, err = document.Render(d, document.FormatCII); err != nil {
				return fmt.Errorf("render cii of %s: %w", inv.Number, err)
			}
		}
		cii[inv.ID] = xml
		docs = append(docs, store.NewDocument{InvoiceID: inv.ID, Format: document.FormatCII, Content: xml})
	}
	if err := p.books.PutDocuments(ctx, docs, p.actor); err != nil {
		return err
	}
	if err := p.books.RecordRunItems(ctx, pl.RunID, items); err != nil {
		return err
	}
	p.Metrics.Add("issued", len(invs))
	return p.deliverMany(ctx, invs, ests, cii)
}

// deliverMany delivers freshly finalised invoices as preflight and
// depositNow do one by one: postal, awaiting references, or deposited on
// Chorus Pro (DeliverParallel calls at once), each batch of transitions in
// one transaction.
func (p *Pipeline) deliverMany(ctx context.Context, invs []store.Invoice, ests map[int64]store.Establishment, cii map[int64][]byte) error {
	var (
		postal, awaiting, depositing []store.IDChange
		single                       []int64 // for the one-invoice delivery
	)
	buyers := map[int64]chorus.Buyer{}
	byID := map[int64]store.Invoice{}
	for _, inv := range invs {
		est := ests[inv.EstablishmentID]
		if inv.State != invoice.StateFinalised || cii[inv.ID] == nil {
			single = append(single, inv.ID)
			continue
		}
		var entry buyerEntry
		if est.OnChorus {
			var err error
			if entry, err = p.buyers.get(ctx, p.once, est.SIRET, inv.CodeService, inv.Engagement); err != nil {
				single = append(single, inv.ID)
				continue
			}
		}
		buyer := entry.Buyer
		switch d := decideChannelFor(est, entry, inv.CodeService, inv.Engagement); d.Channel {
		case ChannelPostal:
			postal = append(postal, store.IDChange{ID: inv.ID, Change: postalChange(d.Reason, p.actor)})
			continue
		case ChannelAwaiting:
			awaiting = append(awaiting, store.IDChange{ID: inv.ID, Change: awaitingChange(d.Reason, p.actor)})
			continue
		}
		buyers[inv.ID], byID[inv.ID] = buyer, inv
		depositing = append(depositing, store.IDChange{ID: inv.ID, Change: depositingChange(p.actor)})
	}
	applied, err := p.books.ApplyEach(ctx, invoice.StateFinalised, postal)
	if err != nil {
		return err
	}
	p.Metrics.Add("postal", len(applied))
	if applied, err = p.books.ApplyEach(ctx, invoice.StateFinalised, awaiting); err != nil {
		return err
	}
	p.Metrics.Add("awaiting_reference", len(applied))
	// The intent to deposit is in the books before any call is made.
	if applied, err = p.books.ApplyEach(ctx, invoice.StateFinalised, depositing); err != nil {
		return err
	}
	if len(applied) > 0 {
		if held, err := p.holdBatch(ctx, applied, byID); err != nil || held {
			return err
		}
	}
	type result struct {
		inv  store.Invoice
		flow string
		err  error
		// release lets go of the deposit's claim, once its answer is
		// recorded (when deliverMany returns).
		release func()
	}
	results := make([]result, len(applied))
	defer func() {
		for _, r := range results {
			if r.release != nil {
				r.release()
			}
		}
	}()
	sem := make(chan struct{}, max(p.cfg.DeliverParallel, 1))
	var wg sync.WaitGroup
	for i, id := range applied {
		inv := byID[id]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			content, filename := cii[id], inv.Number+".xml"
			if format, ext := p.cfg.depositFormat(); format != document.FormatCII {
				// Factur-X (an option): the PDF is rendered here, once.
				docs, err := RenderAndStore(ctx, p.books, p.issuer, inv, []string{format}, p.actor)
				if err != nil {
					results[i] = result{inv: inv, err: err}
					return
				}
				content, filename = docs[format].Content, inv.Number+ext
			}
			callCtx, release, claimed, err := p.claimDeposit(ctx, id)
			if err == nil && !claimed {
				err = errDepositElsewhere
			}
			if err != nil {
				results[i] = result{inv: inv, err: err}
				return
			}
			res, err := p.once.Deposit(callCtx, chorus.Deposit{Filename: filename, Content: content, Syntax: p.cfg.Syntax})
			results[i] = result{inv: inv, flow: res.FlowNumber, err: err, release: release}
		})
	}
	wg.Wait()
	p.Metrics.Add("deposit_calls", len(results))
	var deposited, refused []store.IDChange
	var verify, paused []result
	for _, r := range results {
		switch depositOutcome(r.err) {
		case depositAccepted:
			deposited = append(deposited, store.IDChange{ID: r.inv.ID, Change: depositedChange(r.flow, "flux déposé", p.actor, buyers[r.inv.ID])})
			if buyers[r.inv.ID].PaymentNotReported {
				p.Metrics.Inc("payment_not_reported")
			}
		case depositRefused:
			refused = append(refused, store.IDChange{ID: r.inv.ID, Change: depositRefusedChange(r.err, p.actor)})
		case depositVerify:
			verify = append(verify, r)
		case depositPaused:
			paused = append(paused, r)
		default:
			// Uncertain or transient: the one-invoice delivery searches for
			// the number before depositing again.
			p.log.Warn("deposit to retry alone", "invoice", r.inv.Number, "error", r.err)
			single = append(single, r.inv.ID)
		}
	}
	if _, err := p.books.ApplyEach(ctx, invoice.StateDelivering, refused); err != nil {
		return err
	}
	if applied, err = p.books.ApplyEach(ctx, invoice.StateDelivering, deposited); err != nil {
		return err
	}
	p.Metrics.Add("deposited", len(applied))
	for _, r := range verify {
		inv, err := p.books.InvoiceByID(ctx, r.inv.ID)
		if err != nil {
			return err
		}
		if err := p.startVerify(ctx, inv, r.err); err != nil {
			return err
		}
	}
	if len(paused) > 0 {
		invs := make([]store.Invoice, len(paused))
		for i, r := range paused {
			if invs[i], err = p.books.InvoiceByID(ctx, r.inv.ID); err != nil {
				return err
			}
		}
		if err := p.pause(ctx, invs, paused[0].err); err != nil {
			return err
		}
	} else if len(applied) > 0 {
		if err := p.resume(ctx); err != nil {
			return err
		}
	}
	for _, id := range single {
		if err := p.EnqueueDeliver(ctx, id, ""); err != nil {
			return err
		}
	}
	if len(applied) > 0 {
		// The sweep finds them integrated; a flow report is read only for
		// those it has not found by TrackIntervals[0].
		if err := p.EnqueueSweep(ctx, p.cfg.SweepSoon); err != nil {
			return err
		}
	}
	return p.EnqueueTrackBatch(ctx, applied, 0)
}

// holdBatch is holdForPause for a batch: while deliveries are paused its
// invoices wait, unless it is time to try again.
func (p *Pipeline) holdBatch(ctx context.Context, ids []int64, byID map[int64]store.Invoice) (bool, error) {
	ps, paused, err := p.books.DeliveryPause(ctx)
	if err != nil || !paused {
		return false, err
	}
	if p.wall().Sub(ps.TriedAt) >= p.cfg.PauseProbeEvery {
		return false, p.books.PauseDeliveries(ctx, ps.Reason, p.wall())
	}
	for _, id := range ids {
		if err := p.markPaused(ctx, byID[id], ps.Reason); err != nil {
			return true, err
		}
	}
	return true, nil
}

// EnqueueTrackBatch schedules the attempt-th poll of a batch of invoices.
func (p *Pipeline) EnqueueTrackBatch(ctx context.Context, ids []int64, attempt int) error {
	if len(ids) == 0 {
		return nil
	}
	iv := p.cfg.TrackIntervals
	wait := iv[min(attempt, len(iv)-1)]
	return p.enqueue(ctx, TypeTrackBatch, TrackBatchPayload{InvoiceIDs: ids, Attempt: attempt},
		fmt.Sprintf("track:b%d+%d:%d", ids[0], len(ids), attempt), asynq.ProcessIn(wait), asynq.Timeout(p.cfg.BatchTimeout), followUp())
}

// HandleTrackBatch polls a batch of invoices as HandleTrack does one: the
// flow reports of those still deposited (the sweep records the integrated
// ones delivered), the history of delivered ones; a call that fails sends
// its invoice to a one-invoice track task.
func (p *Pipeline) HandleTrackBatch(ctx context.Context, t *asynq.Task) error {
	var pl TrackBatchPayload
	if err := decode(t, &pl); err != nil {
		return err
	}
	invs, err := p.books.InvoicesByIDs(ctx, pl.InvoiceIDs)
	if err != nil {
		return err
	}
	var (
		mu     sync.Mutex
		again  []int64
		single []int64
	)
	sem := make(chan struct{}, max(p.cfg.DeliverParallel, 1))
	var wg sync.WaitGroup
	for _, id := range pl.InvoiceIDs {
		inv, ok := invs[id]
		if !ok || (inv.State != invoice.StateDeposited && inv.State != invoice.StateDelivered) {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var more bool
			var err error
			if inv.State == invoice.StateDeposited {
				more, err = p.trackFlow(ctx, p.once, inv)
			} else {
				_, err = p.trackStatus(ctx, p.once, inv)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				p.log.Warn("track to retry alone", "invoice", inv.Number, "error", err)
				single = append(single, id)
			case more:
				again = append(again, id)
			}
		})
	}
	wg.Wait()
	for _, id := range single {
		if err := p.EnqueueTrack(ctx, id, pl.Attempt, ""); err != nil {
			return err
		}
	}
	slices.Sort(again) // the task id names the first
	return p.EnqueueTrackBatch(ctx, again, pl.Attempt+1)
}

package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
)

// The bulk tracking. Following each invoice with its own calls (a flow
// report until integrated, then one history a day) cost about 37 calls for
// an invoice paid on day 30, and Chorus Pro's quotas are undocumented. A
// sweep instead asks rechercher/fournisseur for every invoice of the
// supplier whose status changed since the last sweep, a hundred per call,
// and applies what it finds: invoices newly integrated become delivered,
// statuses move on, payments and rejections are recorded. Per-invoice calls
// remain for what a sweep cannot see: a flow that never became an invoice
// (its report says why), and a slow safety net for invoices no sweep
// mentioned for a long time.

// EnqueueSweep schedules a sweep in `in`. Its id is its time slot
// (SweepSoon wide), so that the batches of a run depositing within the same
// slot share one sweep.
func (p *Pipeline) EnqueueSweep(ctx context.Context, in time.Duration) error {
	slot := max(p.cfg.SweepSoon, time.Second)
	at := p.wall().Add(in)
	return p.enqueue(ctx, TypeSweep, struct{}{}, fmt.Sprintf("sweep:%d", at.UnixNano()/int64(slot)),
		asynq.ProcessIn(in), asynq.Queue(QueueCritical), asynq.Timeout(p.cfg.BatchTimeout), followUp())
}

// HandleSweep runs a sweep.
func (p *Pipeline) HandleSweep(ctx context.Context, _ *asynq.Task) error {
	_, err := p.Sweep(ctx)
	return err
}

// clockSkew bounds how far the machine's clock and Chorus Pro's may
// disagree (both are NTP-synchronised servers): the sweep moves its cursor
// by the machine's clock only that far behind it.
const clockSkew = 5 * time.Minute

// SweepResult says what a sweep did.
type SweepResult struct {
	// From is where it started: the last sweep's cursor, less SweepOverlap.
	From time.Time
	// Pages is the number of calls, Found the invoices Chorus Pro listed,
	// Ours those in these books, Changed those the sweep moved on.
	Pages, Found, Ours, Changed int
}

// Sweep applies every status change Chorus Pro dated since the last sweep.
// The cursor is the latest dateHeureEtatCourant seen (Chorus Pro's own
// clock), and each sweep reads again SweepOverlap before it, for changes
// within the same second or listed a little late. When nothing newer was
// seen, the cursor moves to the sweep's start less clockSkew (by then
// Chorus Pro has listed anything it dated earlier, as long as the two
// clocks agree within it): a quiet hour does not read again the last wave
// of changes. The period has no upper bound: an invoice changing while the
// pages are read stays in the results (at worst read twice, which changes
// nothing the second time), where an upper bound would let it leave and
// shift the next pages over an invoice never read. A sweep that fails
// keeps the cursor: the next one reads the same period again.
func (p *Pipeline) Sweep(ctx context.Context) (SweepResult, error) {
	start := p.now().UTC()
	res := SweepResult{From: start.Add(-p.cfg.SweepFirstWindow)}
	st, ok, err := p.books.SweepState(ctx)
	if err != nil {
		return res, err
	}
	cursor := res.From.Add(p.cfg.SweepOverlap)
	if ok {
		cursor = st.Cursor
		res.From = st.Cursor.Add(-p.cfg.SweepOverlap)
	}
	for page := 1; ; page++ {
		cp, err := p.chorus.FindChanged(ctx, res.From, time.Time{}, page)
		if err != nil {
			return res, fmt.Errorf("sweep page %d of the changes since %s: %w", page, res.From.Format(time.RFC3339), err)
		}
		res.Pages++
		res.Found += len(cp.Invoices)
		for _, f := range cp.Invoices {
			if t, ok := chorusTime(f.DateHeureEtatCourant); ok && t.After(cursor) {
				cursor = t.UTC()
			}
		}
		ours, changed, err := p.applyChanged(ctx, cp.Invoices)
		if err != nil {
			return res, err
		}
		res.Ours, res.Changed = res.Ours+ours, res.Changed+changed
		if page >= cp.Pages || len(cp.Invoices) == 0 {
			break
		}
	}
	if quiet := start.Add(-clockSkew); quiet.After(cursor) {
		cursor = quiet
	}
	if err := p.books.RecordSweep(ctx, store.Sweep{Cursor: cursor, SweptAt: start, Pages: res.Pages, Found: res.Found}); err != nil {
		return res, err
	}
	p.Metrics.Add("sweep_pages", res.Pages)
	p.Metrics.Add("sweep_changed", res.Changed)
	// While deposits wait to be integrated, sweep again soon: they are
	// found by the sweep, not by their flow reports.
	counts, err := p.books.InvoiceCounts(ctx)
	if err != nil {
		return res, err
	}
	if counts[string(invoice.StateDeposited)] > 0 {
		return res, p.EnqueueSweep(ctx, p.cfg.SweepSoon)
	}
	return res, nil
}

// applyChanged applies a page of changed invoices to the books. It says
// how many are of these books and how many it moved on.
func (p *Pipeline) applyChanged(ctx context.Context, found []chorus.FactureFournisseur) (ours, changed int, err error) {
	numbers := make([]string, 0, len(found))
	for _, f := range found {
		numbers = append(numbers, f.NumeroFacture)
	}
	invs, err := p.books.InvoicesByNumbers(ctx, numbers)
	if err != nil {
		return 0, 0, err
	}
	// The common case, invoices newly integrated, in one transaction.
	var integrated []store.IDChange
	var then []chorus.FactureFournisseur // statuses past DEPOSEE to apply after
	for _, f := range found {
		inv, ok := invs[f.NumeroFacture]
		if !ok {
			continue // another tool's invoice, or other books'
		}
		ours++
		if inv.ChorusInvoiceID != nil && *inv.ChorusInvoiceID != f.IdentifiantFactureCPP {
			p.log.Warn("chorus pro lists another invoice under our number", "invoice", inv.Number,
				"ours", *inv.ChorusInvoiceID, "listed", f.IdentifiantFactureCPP)
			continue
		}
		switch {
		case inv.State == invoice.StateDeposited:
			integrated = append(integrated, store.IDChange{ID: inv.ID, Change: p.deliveredChange(inv, f, "facture intégrée par Chorus Pro", false)})
			if f.Statut != chorus.StatutDeposee {
				then = append(then, f)
			}
		case adoptable(inv):
			// Chorus Pro holds an invoice the books do not think delivered: a
			// deposit refused in its answer but applied, or whose answer was
			// lost. It is live at the buyer: follow it.
			if _, err := p.books.Apply(ctx, inv.ID, inv.State, p.deliveredChange(inv, f, "facture trouvée sur Chorus Pro (dépôt effectif)", true)); err != nil {
				if ignoreStale(err) != nil {
					return ours, changed, err
				}
				continue
			}
			p.Metrics.Inc("reconciled")
			changed++
			if f.Statut != chorus.StatutDeposee {
				then = append(then, f)
			}
		case inv.State == invoice.StateDelivered:
			then = append(then, f)
		}
	}
	applied, err := p.books.ApplyEach(ctx, invoice.StateDeposited, integrated)
	if err != nil {
		return ours, changed, err
	}
	changed += len(applied)
	p.Metrics.Add("delivered", len(applied))
	if len(then) == 0 {
		return ours, changed, nil
	}
	// Read again in one query: the integrated ones have just moved on.
	numbers = numbers[:0]
	for _, f := range then {
		numbers = append(numbers, f.NumeroFacture)
	}
	if invs, err = p.books.InvoicesByNumbers(ctx, numbers); err != nil {
		return ours, changed, err
	}
	for _, f := range then {
		inv, ok := invs[f.NumeroFacture]
		if !ok || inv.State != invoice.StateDelivered {
			continue
		}
		at, _ := chorusTime(f.DateHeureEtatCourant)
		moved, err := p.onStatus(ctx, inv, f.Statut, at, f.CommentaireEtatCourant)
		if err != nil {
			return ours, changed, err
		}
		if moved {
			changed++
		}
	}
	return ours, changed, nil
}

// adoptable reports whether an invoice Chorus Pro turns out to hold may be
// recorded delivered: one being deposited, or rejected by the platform (not
// by its buyer, which Chorus Pro would list as REJETEE).
func adoptable(inv store.Invoice) bool {
	switch inv.State {
	case invoice.StateDelivering:
		return true
	case invoice.StateRejected:
		return chorus.StatutFacture(inv.ChorusStatus).Classe() == chorus.ClasseInconnue
	}
	return false
}

// deliveredChange records the Chorus Pro invoice f as ours, delivered, with
// its current status DEPOSEE (later statuses are then applied by onStatus).
// The status reason is kept (the deposit says there whether the buyer
// reports payment), or cleared for an invoice adopted from another state.
func (p *Pipeline) deliveredChange(inv store.Invoice, f chorus.FactureFournisseur, why string, adopted bool) store.Change {
	flow, id := f.NumeroFluxDepot, f.IdentifiantFactureCPP
	if flow == "" {
		flow = inv.ChorusFlowNumber
	}
	c := store.Change{To: invoice.StateDelivered, ChorusFlowNumber: &flow, ChorusInvoiceID: &id,
		ChorusStatus: ptr(string(chorus.StatutDeposee)), Actor: p.actor, Reason: why}
	if adopted {
		c.StatusReason = ptr("")
	}
	return c
}

// reasonPaymentNotReported is the status reason of an invoice whose buyer
// does not report payment to Chorus Pro: it is still followed (the buyer
// may reject or suspend it), but its payment comes from the bank statement.
const reasonPaymentNotReported = "l'acheteur ne remonte pas la mise en paiement sur Chorus Pro : le paiement sera rapproché du relevé bancaire"

// chorusTime reads a Chorus Pro timestamp: dateHeureEtatCourant
// (2019-03-27T11:12:24.777+01:00) or histoStatutDatePassage
// ("2019-03-27 11:12", Paris time).
func chorusTime(s string) (time.Time, bool) {
	loc := time.UTC
	if paris, err := time.LoadLocation("Europe/Paris"); err == nil {
		loc = paris
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

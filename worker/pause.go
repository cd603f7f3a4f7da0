package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// Deliveries pause when Chorus Pro refuses the configuration rather than an
// invoice: a PISTE application not subscribed to the API answers 403 (a
// fault run saw 23 such answers leave 21 invoices rejected, each to
// re-submit by hand), a refused technical account 401. Every deposit would
// fail alike, and none is the invoice's fault: the invoices wait, the
// dashboard and /readyz say why, one delivery every PauseProbeEvery tries
// again, and the first that succeeds resumes them all.

// pauseReason is what the finance team and the operator read.
func pauseReason(err error) string {
	var e *chorus.Error
	detail := err.Error()
	if errors.As(err, &e) {
		switch {
		case e.Kind == chorus.Configuration && e.Status == 403:
			return fmt.Sprintf("Chorus Pro refuse l'accès (HTTP 403) : l'application PISTE n'est pas abonnée à l'API (%s) ; corriger l'abonnement sur PISTE", e.Op)
		case e.Kind == chorus.Configuration:
			return fmt.Sprintf("Chorus Pro ne connaît pas cet appel (%s, HTTP %d) : vérifier CHORUS_ENV et les adresses configurées", e.Op, e.Status)
		case e.Kind == chorus.Auth:
			return fmt.Sprintf("Chorus Pro refuse les identifiants (%s) : vérifier le compte technique et son mot de passe (expiré ?)", detail)
		}
	}
	return "Chorus Pro refuse la configuration : " + detail
}

// pause pauses deliveries because of err, leaving the invoices delivering,
// marked as not sent (nothing was applied: they are deposited, without a
// search, when deliveries resume).
func (p *Pipeline) pause(ctx context.Context, invs []store.Invoice, err error) error {
	reason := pauseReason(err)
	if perr := p.books.PauseDeliveries(ctx, reason, p.wall()); perr != nil {
		return perr
	}
	p.Metrics.Inc("deliveries_paused")
	p.log.Error("deliveries to Chorus Pro paused", "reason", reason, "error", err)
	for _, inv := range invs {
		if err := p.markPaused(ctx, inv, reason); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pipeline) markPaused(ctx context.Context, inv store.Invoice, reason string) error {
	text := "dépôts suspendus : " + reason
	if inv.ChorusStatus == StatusPaused && inv.StatusReason == text {
		return nil
	}
	_, err := p.books.Apply(ctx, inv.ID, invoice.StateDelivering, store.Change{ChorusStatus: ptr(StatusPaused), StatusReason: &text, Actor: p.actor, Reason: text})
	return ignoreStale(err)
}

// holdForPause says whether this delivery must wait for deliveries to
// resume. One every PauseProbeEvery goes ahead, to try whether the
// configuration was fixed.
func (p *Pipeline) holdForPause(ctx context.Context, inv store.Invoice) (bool, error) {
	ps, paused, err := p.books.DeliveryPause(ctx)
	if err != nil || !paused {
		return false, err
	}
	if p.wall().Sub(ps.TriedAt) >= p.cfg.PauseProbeEvery {
		// This one tries; the others keep waiting meanwhile.
		return false, p.books.PauseDeliveries(ctx, ps.Reason, p.wall())
	}
	return true, p.markPaused(ctx, inv, ps.Reason)
}

// resume lifts a pause after a call that succeeded, and delivers the
// invoices it held.
func (p *Pipeline) resume(ctx context.Context) error {
	was, err := p.books.ResumeDeliveries(ctx)
	if err != nil || !was {
		return err
	}
	p.log.Info("deliveries to Chorus Pro resumed")
	return p.deliverHeld(ctx, fmt.Sprintf(":resume%d", p.wall().UnixNano()))
}

// deliverHeld enqueues the delivery of every invoice a pause held.
func (p *Pipeline) deliverHeld(ctx context.Context, suffix string) error {
	held, err := p.heldByPause(ctx)
	for _, id := range held {
		if err == nil {
			err = p.EnqueueDeliver(ctx, id, suffix)
		}
	}
	return err
}

// probePause has one held delivery try again when the last try is older
// than PauseProbeEvery: the scheduler asks it, so that a pause ends by
// itself once the configuration is fixed.
func (p *Pipeline) probePause(ctx context.Context) error {
	ps, paused, err := p.books.DeliveryPause(ctx)
	if err != nil || !paused || p.wall().Sub(ps.TriedAt) < p.cfg.PauseProbeEvery {
		return err
	}
	held, err := p.heldByPause(ctx)
	if err != nil || len(held) == 0 {
		return err
	}
	slot := max(p.cfg.PauseProbeEvery, time.Second)
	return p.EnqueueDeliver(ctx, held[0], fmt.Sprintf(":probe%d", p.wall().UnixNano()/int64(slot)))
}

// heldByPause lists the invoices a pause holds (StatusPaused).
func (p *Pipeline) heldByPause(ctx context.Context) ([]int64, error) {
	refs, err := p.books.InvoicesInStates(ctx, invoice.StateDelivering)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, r := range refs {
		if r.ChorusStatus == StatusPaused {
			out = append(out, r.ID)
		}
	}
	return out, nil
}

// lookupFailed is a failed directory look-up before a deposit: a
// configuration fault pauses deliveries (saying why) as a deposit's would;
// the task fails either way, for asynq to retry.
func (p *Pipeline) lookupFailed(ctx context.Context, err error) error {
	if chorus.IsConfig(err) || chorus.IsAuth(err) {
		if perr := p.books.PauseDeliveries(ctx, pauseReason(err), p.wall()); perr != nil {
			return perr
		}
	}
	return err
}

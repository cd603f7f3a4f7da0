package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"
)

// HandleInterest issues one interest invoice (series IN) per late payment,
// when the interest reaches the configured minimum. The books' unique key on
// the payment makes a second pass bill nothing twice.
func (p *Pipeline) HandleInterest(ctx context.Context, _ *asynq.Task) error {
	late, err := p.books.LatePaymentsWithoutInterest(ctx)
	if err != nil {
		return err
	}
	for _, lp := range late {
		if _, err := p.issueInterest(ctx, lp); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pipeline) issueInterest(ctx context.Context, lp store.LatePayment) (*store.Invoice, error) {
	inv, err := p.books.InvoiceByID(ctx, lp.InvoiceID)
	if err != nil {
		return nil, err
	}
	// Interest on min(paid, what remained due): a repeat or an excess
	// feeds none.
	amount := lp.Base()
	res, err := invoice.LateInterest(inv.LatePaymentRegime, amount, inv.DueDate, lp.PaidOn, p.rates)
	if err != nil {
		var missing *invoice.MissingRateError
		if errors.As(err, &missing) {
			// Pending until the table carries the official rate: said once
			// per semester and worker (every late payment that needs it
			// waits on the same fix), and the dashboard's overdue list
			// shows each one with the reason meanwhile.
			if p.unrated.first(missing.What + " " + missing.Semester.String()) {
				p.log.Warn("late-payment interest pending: rate missing or unofficial (said once per semester; the dashboard's overdue list shows each late payment)",
					"semester", missing.Semester.String(), "reason", missing.Reason(), "first_invoice", inv.Number, "error", err)
			}
			return nil, nil // a human must add or confirm the rate; retrying will not help
		}
		return nil, err
	}
	if res.Indemnity.IsPositive() {
		// The indemnity is owed once per invoice paid late, not once per
		// late payment: asked again here, as an earlier payment of this
		// pass may just have billed it.
		billed, err := p.books.IndemnityBilled(ctx, inv.ID)
		if err != nil {
			return nil, err
		}
		if billed {
			res.Indemnity = decimal.New(0, -invoice.Cents)
			res.Total = res.Interest
		}
	}
	if res.Total.LessThan(p.cfg.InterestMinimum) {
		return nil, nil
	}
	outside := invoice.VATRate{Category: invoice.VATOutOfScope, Percent: decimal.Zero,
		Mention: "Intérêts de retard : indemnité hors du champ d'application de la TVA"}
	label := fmt.Sprintf("Intérêts de retard sur la facture %s du %s (%s), échue le %s, payée le %s : %d jours",
		inv.Number, inv.IssueDate.Format("02/01/2006"), invoice.FormatFrench(amount)+" €", inv.DueDate.Format("02/01/2006"),
		lp.PaidOn.Format("02/01/2006"), res.Days)
	line, err := invoice.NewLine("interest-"+string(res.Regime), label, decimal.NewFromInt(1), invoice.UnitOne, res.Interest, decimal.NewFromInt(1), outside)
	if err != nil {
		return nil, err
	}
	lines := []invoice.Line{line}
	if res.Indemnity.IsPositive() {
		ind, err := invoice.NewLine(invoice.LineCodeIndemnity, "Indemnité forfaitaire pour frais de recouvrement (art. D2192-35 CCP)",
			decimal.NewFromInt(1), invoice.UnitOne, res.Indemnity, decimal.NewFromInt(1), outside)
		if err != nil {
			return nil, err
		}
		lines = append(lines, ind)
	}
	issue := p.now().UTC()
	pid := lp.PaymentID
	d := store.Draft{
		Kind: invoice.KindInterest, Year: lp.PaidOn.Year(), EstablishmentID: inv.EstablishmentID,
		IssueDate: issue, DueDate: issue.Add(inv.DueDate.Sub(inv.IssueDate)),
		PeriodStart: res.Due.AddDate(0, 0, 1), PeriodEnd: res.Paid, Lines: lines,
		CodeService: inv.CodeService, Engagement: inv.Engagement, InterestPaymentID: &pid,
		LatePaymentRegime: inv.LatePaymentRegime, Actor: p.actor,
		Note: fmt.Sprintf("Intérêts de retard sur la facture %s. %s", inv.Number, res.Computation()),
	}
	est, err := p.books.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return nil, err
	}
	if _, err := checkRenderable(p.issuer, &d, est, nil); err != nil {
		// No number for an invoice that cannot be rendered: said once per
		// worker, as a missing rate is; the daily pass tries again once
		// the books are corrected.
		if p.unrated.first(fmt.Sprintf("render:%d:%s", lp.InvoiceID, err)) {
			p.log.Warn("late-payment interest not invoiced: the invoice cannot be rendered (said once)", "invoice", inv.Number, "error", err)
		}
		return nil, nil
	}
	out, created, err := p.books.Finalise(ctx, d)
	if err != nil {
		return nil, err
	}
	if created {
		p.Metrics.Inc("interest_issued")
		if _, err := RenderAndStore(ctx, p.books, p.issuer, out, []string{document.FormatCII}, p.actor); err != nil {
			return nil, err
		}
	}
	return &out, p.EnqueueDeliver(ctx, out.ID, "")
}

// EnqueueInterest asks for today's interest pass.
func (p *Pipeline) EnqueueInterest(ctx context.Context, day time.Time) error {
	return p.enqueue(ctx, TypeInterest, struct{}{}, "interest:"+day.Format(time.DateOnly), asynq.Queue(QueueLow))
}

// saidOnce remembers what was said, so that it is said once.
type saidOnce struct {
	mu   sync.Mutex
	said map[string]bool
}

// first reports whether key is new, and remembers it.
func (s *saidOnce) first(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.said[key] {
		return false
	}
	s.said[key] = true
	return true
}

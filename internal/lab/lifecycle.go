package lab

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
)

// The calls an invoice costs, over whole lifecycles. Chorus Pro's quotas
// are undocumented and PISTE throttles, so what matters is the number of
// calls per invoice from its deposit to its payment, as the sandbox counts
// them. The lifecycle phase bills n establishments on the embedded stack
// with the production tracking (the bulk sweep; flow reports only for what
// it misses), the pipeline's civil clock being the sandbox's business
// clock; then it moves that clock on an hour at a time, sweeping once an
// hour as the scheduler does (worker.Config.SweepEvery), until no invoice
// waits on Chorus Pro any more (paid or rejected by the sandbox's buyers,
// which pay 10 days after receipt by default), or maxLifecycleDays.

// maxLifecycleDays bounds the simulated time of a year's invoices.
const maxLifecycleDays = 60

// yearCalls is what one year's lifecycles cost.
type yearCalls struct {
	year      int
	invoices  int // issued by the run
	deposited int // flows deposited at the sandbox
	paid      int
	days      int
	sweeps    int
	calls     map[string]int64
	total     int64
	token     int64
}

func (y yearCalls) perInvoice() float64 {
	return float64(y.total) / float64(max(y.deposited, 1))
}

// lifecycleResult is what the lifecycle phase counted: a first year, the
// directory empty, then the next one, as every year after the first.
type lifecycleResult struct {
	n           int
	first, next yearCalls
}

func (r lifecycleResult) perInvoice() float64 { return r.next.perInvoice() }

// lifecycleConfig is the production configuration, the calendar's runs
// off, and the sweep driven by the phase (one an hour of business time,
// where the wall clock would take an hour); SweepSoon is 5 s rather than a
// minute, the phase's deposits taking a minute of wall time, not hours.
func lifecycleConfig(concurrency int) worker.Config {
	cfg := worker.DefaultConfig()
	cfg.AutoRuns = false
	cfg.Concurrency = concurrency
	cfg.SweepEvery = 24 * 365 * time.Hour
	cfg.SweepSoon = 5 * time.Second
	return cfg
}

// lifecycle runs the phase on n establishments: the contribution run of
// benchYear followed to the end, then, 300 days later (business time), the
// next year's.
func (b *bencher) lifecycle(ctx context.Context, n int) (res lifecycleResult, err error) {
	res.n = n
	w, ropt, err := b.embeddedWorld(ctx, n, lifecycleConfig(b.o.Concurrency), true)
	if err != nil {
		return res, err
	}
	defer w.close()
	stop := serveStacks(ctx, []*app.Stack{w.stack}, w.log)
	defer stop()
	if res.first, err = b.followYear(ctx, w, ropt, benchYear); err != nil {
		return res, err
	}
	if err := w.sb.Advance(300 * 24 * time.Hour); err != nil {
		return res, err
	}
	res.next, err = b.followYear(ctx, w, ropt, benchYear+1)
	return res, err
}

// followYear bills year's contributions and follows them until no invoice
// waits on Chorus Pro, counting the sandbox's calls.
func (b *bencher) followYear(ctx context.Context, w *benchWorld, ropt asynq.RedisConnOpt, year int) (y yearCalls, err error) {
	y.year = year
	s, sb := w.stack, w.sb
	sb.ResetCalls()
	deposits0 := len(sb.Deposits())
	counts0, err := s.Books.InvoiceCounts(ctx)
	if err != nil {
		return y, err
	}
	ph := &phase{n: w.n, tag: fmt.Sprintf("lifecycle-%d", year), label: fmt.Sprintf("lifecycle %d", year), books: s.Books, driver: s.Pipeline,
		redis: ropt, sb: sb, act: w.act, year: year}
	if err := s.Pipeline.EnqueueRun(ctx, year, invoice.KindContribution, sb.Now()); err != nil {
		return y, fmt.Errorf("enqueue the run: %w", err)
	}
	sum, err := b.waitSettled(ctx, ph, time.Now())
	if err != nil {
		return y, err
	}
	y.invoices = sum.Outcomes[string(worker.Issued)]
	for y.days = 0; y.days < maxLifecycleDays; y.days++ {
		counts, err := s.Books.InvoiceCounts(ctx)
		if err != nil {
			return y, err
		}
		if counts[string(invoice.StateDelivered)]+counts[string(invoice.StateDeposited)]+counts[string(invoice.StateDelivering)] == 0 {
			break
		}
		for range 24 {
			if err := sb.Advance(time.Hour); err != nil {
				return y, err
			}
			if _, err := s.Pipeline.Sweep(ctx); err != nil {
				return y, fmt.Errorf("sweep on day %d of %d: %w", y.days, year, err)
			}
			y.sweeps++
		}
	}
	counts, err := s.Books.InvoiceCounts(ctx)
	if err != nil {
		return y, err
	}
	y.paid = counts[string(invoice.StatePaid)] - counts0[string(invoice.StatePaid)]
	y.deposited = len(sb.Deposits()) - deposits0
	c := sb.Calls()
	y.calls, y.total, y.token = c.Calls, c.Total, c.Token
	if left := counts[string(invoice.StateDelivered)] + counts[string(invoice.StateDeposited)]; left > 0 {
		return y, fmt.Errorf("%d: after %d days, %d invoices still wait on Chorus Pro", year, y.days, left)
	}
	return y, nil
}

// report writes the phase's figures: the calls by route, per invoice.
func (r lifecycleResult) report(w io.Writer) {
	fmt.Fprintf(w, "\nChorus Pro calls over whole lifecycles (%d establishments, embedded; deposit to payment, the sandbox's clock moved an hour at a time, one sweep an hour):\n", r.n)
	for _, y := range []struct {
		what string
		y    yearCalls
	}{{"the first year, the buyers' directory empty", r.first}, {"the next year, the directory kept from the first (worker.Config.DirectoryTTL)", r.next}} {
		fmt.Fprintf(w, "  %d, %s: %d invoices issued, %d deposited on Chorus Pro, %d paid, in %d days (%d sweeps)\n",
			y.y.year, y.what, y.y.invoices, y.y.deposited, y.y.paid, y.y.days, y.y.sweeps)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "    route\tcalls\tper invoice\t")
		paths := make([]string, 0, len(y.y.calls))
		for p := range y.y.calls {
			paths = append(paths, p)
		}
		slices.SortFunc(paths, func(a, b string) int { return int(y.y.calls[b] - y.y.calls[a]) })
		for _, p := range paths {
			fmt.Fprintf(tw, "    %s\t%d\t%.3f\t\n", strings.TrimPrefix(p, "/cpro/"), y.y.calls[p], float64(y.y.calls[p])/float64(max(y.y.deposited, 1)))
		}
		fmt.Fprintf(tw, "    (token endpoint, apart)\t%d\t\t\n", y.y.token)
		tw.Flush()
		fmt.Fprintf(w, "    per invoice: %.2f\n", y.y.perInvoice())
	}
	fmt.Fprintf(w, "chorus calls per invoice, first year: %.2f\n", r.first.perInvoice())
	fmt.Fprintf(w, "chorus calls per invoice: %.2f\n", r.perInvoice())
}

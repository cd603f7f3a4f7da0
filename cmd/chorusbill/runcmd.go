package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

const runAbout = `Asks the workers for a billing run: the contributions of a year, or the
usage overage of year n (issued in n+1). One run per year and kind: asking
again bills what it has not billed yet — establishments added since, and
those that failed (a headcount missing, say) once the cause is fixed — and
nothing twice. Invoices are dated the day they are issued: --issue-date is
today (the default) or a later day, which schedules the run for that day.
With --wait, shows progress until every invoice of the run is delivered,
waiting or settled, then a summary.`

func runRun(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("run", "--year Y --kind contribution|overage [--wait]", runAbout)
	var (
		year     int
		kind     string
		issue    dateFlag
		wait     bool
		deadline time.Duration
	)
	fs.IntVar(&year, "year", 0, "year billed (required)")
	fs.StringVar(&kind, "kind", "contribution", "contribution or overage")
	fs.Var(&issue, "issue-date", "`DATE` to issue the invoices on: today (default) or later, which schedules the run")
	fs.BoolVar(&wait, "wait", false, "wait for the run to settle and print a summary")
	fs.DurationVar(&deadline, "timeout", 30*time.Minute, "with --wait, give up after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	if year == 0 {
		return usagef("--year is required")
	}
	k, err := invoice.ParseKind(kind)
	if err != nil || (k != invoice.KindContribution && k != invoice.KindOverage) {
		return usagef("--kind must be contribution or overage")
	}
	day := time.Now().UTC()
	if issue.set {
		day = issue.t
	}
	s, err := c.buildStack(ctx, app.StackOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	if run, err := s.Books.RunFor(ctx, year, k); err == nil {
		g, err := s.Books.Gaps(ctx, run.ID)
		if err != nil {
			return err
		}
		switch {
		case g.Missing == 0 && g.Failed == 0:
			fmt.Fprintf(c.stdout, "the %s run %d has billed every establishment: asking again bills nothing\n", k, year)
		default:
			fmt.Fprintf(c.stdout, "the %s run %d exists: %d establishment(s) not billed yet (added since), %d failed before (tried again)\n", k, year, g.Missing, g.Failed)
		}
	}
	asked := time.Now().Add(-time.Second)
	req, err := s.Pipeline.RequestRun(ctx, year, k, day)
	if err != nil {
		return err
	}
	if !req.Scheduled.IsZero() {
		fmt.Fprintf(c.stdout, "%s run %d scheduled for %s (invoices dated that day)\n", k, year, frenchDate(req.Scheduled))
		if wait {
			fmt.Fprintln(c.stdout, "--wait: not waiting for a run scheduled on a later day")
		}
		return nil
	}
	fmt.Fprintf(c.stdout, "%s run %d enqueued (invoices dated %s)\n", k, year, frenchDate(day))
	if !wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	// The books still show the previous request's outcome: wait first for
	// a worker to take this one, then for its batches (issue, corrections)
	// to be done; then for the invoices they made to settle.
	if err := waitForTask(ctx, s, worker.QueueCritical, req.TaskID, c.stdout); err != nil {
		return err
	}
	troubles := troublesOf(s)
	if err := waitForStamped(ctx, s, worker.QueueDefault, req.Stamp, c.stdout, troubles); err != nil {
		return err
	}
	sum, err := waitForRun(ctx, s.Books, year, k, c.stdout, troubles, nil)
	if err != nil {
		return err
	}
	writeSummary(c.stdout, sum)
	return writeCorrections(ctx, s.Books, year, k, asked, c.stdout)
}

// writeCorrections says what the request corrected (credit notes,
// complementary invoices) and what it proposes for a human to confirm.
func writeCorrections(ctx context.Context, books *store.Store, year int, k invoice.Kind, since time.Time, w io.Writer) error {
	list, err := books.Corrections(ctx, store.CorrectionApplied, store.CorrectionProposed)
	if err != nil {
		return err
	}
	applied, proposed := 0, 0
	for _, c := range list {
		if c.Year != year || c.Kind != k || c.CreatedAt.Before(since) {
			continue
		}
		if c.State == store.CorrectionApplied {
			applied++
			fmt.Fprintf(w, "  corrected: %s — %s\n", c.EstablishmentName, c.Reason)
		} else {
			proposed++
			fmt.Fprintf(w, "  to confirm (correction #%d): %s — %s\n", c.ID, c.EstablishmentName, c.Reason)
		}
	}
	fmt.Fprintf(w, "corrections: %d made, %d proposed for a human to confirm\n", applied, proposed)
	return nil
}

// waitForTask waits until a worker has done the task (or the queue no
// longer knows it), and fails if the task was given up.
func waitForTask(ctx context.Context, s *app.Stack, queue, id string, w io.Writer) error {
	insp := asynq.NewInspector(s.Redis)
	defer insp.Close()
	said := false
	for {
		info, err := insp.GetTaskInfo(queue, id)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound):
			return nil // done, its retention over
		case err != nil:
			return fmt.Errorf("waiting for task %s: %w", id, err)
		case info.State == asynq.TaskStateCompleted:
			return nil
		case info.State == asynq.TaskStateArchived:
			return fmt.Errorf("the run task %s was given up: %s", id, info.LastErr)
		}
		if !said {
			fmt.Fprintln(w, "waiting for a worker to take the run (is `chorusbill work` running?)…")
			said = true
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return fmt.Errorf("waiting for a worker to take the run: %w", err)
		}
	}
}

// waitForStamped waits until no task whose id ends in stamp (a run
// request's issue and correction batches) waits or runs in queue, saying
// meanwhile why work does not move (troubles), as waitForRun does.
func waitForStamped(ctx context.Context, s *app.Stack, queue, stamp string, w io.Writer, troubles troubleReader) error {
	insp := asynq.NewInspector(s.Redis)
	defer insp.Close()
	told := map[string]string{}
	failing := 0
	for poll := 0; ; poll++ {
		if troubles != nil && poll%4 == 0 {
			failing = sayTroubles(ctx, w, troubles, told)
		}
		n, err := countStamped(insp, queue, stamp)
		if err != nil {
			return fmt.Errorf("waiting for the run's batches: %w", err)
		}
		if n == 0 {
			if poll > 0 {
				fmt.Fprintln(w)
			}
			return nil
		}
		alert := ""
		if failing > 0 {
			alert = fmt.Sprintf(" — %d étape(s) en échec, voir ci-dessus", failing)
		}
		fmt.Fprintf(w, "\rlots de la demande en cours : %d%s  ", n, alert)
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			fmt.Fprintln(w)
			return fmt.Errorf("waiting for the run's batches (%d to do): %w", n, err)
		}
	}
}

// countStamped counts the tasks of queue not done yet whose id ends in
// stamp.
func countStamped(insp *asynq.Inspector, queue, stamp string) (int, error) {
	n := 0
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		insp.ListPendingTasks, insp.ListActiveTasks, insp.ListScheduledTasks, insp.ListRetryTasks,
	} {
		for page := 1; ; page++ {
			tasks, err := list(queue, asynq.PageSize(1000), asynq.Page(page))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				return 0, err
			}
			for _, t := range tasks {
				if strings.HasSuffix(t.ID, stamp) {
					n++
				}
			}
			if len(tasks) < 1000 {
				break
			}
		}
	}
	return n, nil
}

// troubleReader reads the steps of the pipeline failing now.
type troubleReader func(ctx context.Context) ([]worker.StepTrouble, error)

// troublesOf reads the steps' failures the stack's workers note in Redis.
func troublesOf(s *app.Stack) troubleReader {
	rc, ok := s.Redis.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil
	}
	s.OnClose(func() { rc.Close() })
	return func(ctx context.Context) ([]worker.StepTrouble, error) { return worker.Troubles(ctx, rc) }
}

// waitForRun polls the books until the run has an outcome for every
// establishment and none of its invoices is in a working state, drawing a
// progress bar. When work does not move, troubles (if any) says why: each
// step failing, and its last error, is printed as it changes. tick, when
// given, is called between polls (the demo drives its sandbox clock there).
func waitForRun(ctx context.Context, books *store.Store, year int, kind invoice.Kind, w io.Writer, troubles troubleReader, tick func()) (store.RunSummary, error) {
	var run store.Run
	for run.ID == 0 {
		r, err := books.RunFor(ctx, year, kind)
		if err == nil {
			run = r
			break
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return store.RunSummary{}, fmt.Errorf("waiting for the %s run %d to start: %w (is a worker running?)", kind, year, err)
		}
	}
	total, err := books.CountEstablishments(ctx)
	if err != nil {
		return store.RunSummary{}, err
	}
	said := map[string]string{} // the trouble last printed, per step
	failing := 0
	for poll := 0; ; poll++ {
		sum, err := books.Summary(ctx, run.ID)
		if err != nil {
			return sum, err
		}
		working := sum.Working()
		done := sum.Items
		if troubles != nil && poll%4 == 0 {
			failing = sayTroubles(ctx, w, troubles, said)
		}
		alert := ""
		if failing > 0 {
			alert = fmt.Sprintf(" — %d étape(s) en échec, voir ci-dessus", failing)
		}
		fmt.Fprintf(w, "\r%s %d  %s %d/%d établissements, %d factures en cours%s  ", kind, year, bar(done, total, 30), done, total, working, alert)
		if done >= total && working == 0 {
			fmt.Fprintln(w)
			return sum, nil
		}
		if tick != nil {
			tick()
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			fmt.Fprintln(w)
			return sum, fmt.Errorf("the run did not settle: %w", err)
		}
	}
}

// sayTroubles prints, on lines of their own, the steps failing whose last
// error changed since said, and the steps that moved again; it returns how
// many steps fail now. The last error is what an operator needs: the
// worker's log is elsewhere, maybe on another machine.
func sayTroubles(ctx context.Context, w io.Writer, troubles troubleReader, said map[string]string) int {
	list, err := troubles(ctx)
	if err != nil {
		if said[""] != err.Error() {
			fmt.Fprintf(w, "\n  ⚠ %v\n", err)
			said[""] = err.Error()
		}
		return len(said) - 1
	}
	delete(said, "")
	now := map[string]bool{}
	for _, t := range list {
		now[t.Step] = true
		key := t.Error
		if said[t.Step] != key {
			fmt.Fprintf(w, "\n  ⚠ %s\n", t)
			said[t.Step] = key
		}
	}
	for step := range said {
		if !now[step] {
			fmt.Fprintf(w, "\n  ✓ %s : reprend\n", step)
			delete(said, step)
		}
	}
	return len(list)
}

func bar(done, total, width int) string {
	if total == 0 {
		total = 1
	}
	n := min(done*width/total, width)
	return "[" + strings.Repeat("█", n) + strings.Repeat("·", width-n) + "]"
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// writeSummary prints a run's outcome for the finance team.
func writeSummary(w io.Writer, sum store.RunSummary) {
	fmt.Fprintf(w, "\nRésumé — %s %d (run #%d)\n", sum.Run.Kind, sum.Run.Year, sum.Run.ID)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label string, n int) { fmt.Fprintf(tw, "  %s\t%14d\n", label, n) }
	row("établissements examinés", sum.Items)
	row("factures émises", sum.Outcomes[string(worker.Issued)])
	row("gratuits (aucune facture)", sum.Outcomes[string(worker.Free)])
	row("rien à facturer", sum.Outcomes[string(worker.NothingDue)])
	row("en échec (à corriger)", sum.Outcomes["failed"])
	row("déposées, en attente d'intégration", sum.States[string(invoice.StateDeposited)])
	row("livrées sur Chorus Pro", sum.States[string(invoice.StateDelivered)])
	row("payées", sum.States[string(invoice.StatePaid)])
	row("envoyées par courrier", sum.States[string(invoice.StatePostal)])
	row("en attente de références acheteur", sum.States[string(invoice.StateAwaitingReference)])
	row("rejetées", sum.States[string(invoice.StateRejected)])
	row("annulées par avoir", sum.States[string(invoice.StateCancelled)])
	fmt.Fprintf(tw, "  montant facturé TTC\t%14s\n", euros(sum.Invoiced))
	fmt.Fprintf(tw, "  montant encaissé\t%14s\n", euros(sum.Collected))
	tw.Flush()
}

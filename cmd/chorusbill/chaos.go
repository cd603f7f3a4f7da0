package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"
)

const chaosAbout = `Bills a generated year on real Redis + PostgreSQL + the sandbox with several
worker processes while things go wrong: a random worker is killed (SIGKILL)
and restarted every few seconds, Redis is flushed once, PostgreSQL is
restarted once (--restart-postgres, needs pg_ctlcluster), and the sandbox
answers with 5xx, 429, lost responses and slow answers. Then it checks, and
prints, that every due establishment has exactly one contribution invoice;
numbers are 1..N per series; the sandbox integrated exactly one deposit per
number; totals equal the tariff's; no invoice is left in a working state;
the audit trail has a row for every state. Exits non-zero on any violation.`

func runChaos(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("chaos", "[--establishments N] [--workers W]", chaosAbout)
	var (
		n, workers      int
		killEvery       time.Duration
		restartPostgres bool
		redisURL        string
		timeout         time.Duration
	)
	fs.IntVar(&n, "establishments", 10000, "establishments to generate")
	fs.IntVar(&workers, "workers", 3, "worker processes")
	fs.DurationVar(&killEvery, "kill-every", 4*time.Second, "kill a random worker this often")
	fs.BoolVar(&restartPostgres, "restart-postgres", false, "restart PostgreSQL once during the run (pg_ctlcluster)")
	fs.StringVar(&redisURL, "redis", "redis://127.0.0.1:6379/14", "Redis `URL` (the database is flushed)")
	fs.DurationVar(&timeout, "timeout", 20*time.Minute, "give up after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	say := func(format string, a ...any) { fmt.Fprintf(c.stdout, "chaos: "+format+"\n", a...) }
	dbURL := c.getenv(envDatabaseURL)
	if !strings.HasPrefix(dbURL, "postgres") {
		return usagef("%s must name a PostgreSQL database (the chaos run restarts it)", envDatabaseURL)
	}
	ropt, err := redis.ParseURL(redisURL)
	if err != nil {
		return usagef("--redis: %v", err)
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}

	// Data: a generated year, imported.
	dir, err := os.MkdirTemp("", "chorusbill-chaos")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var est, usage bytes.Buffer
	if err := fixtures.Generate(n, 7, &est, &usage); err != nil {
		return err
	}
	books, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer books.Close()
	cat, err := c.catalog("")
	if err != nil {
		return err
	}
	if _, err := books.ImportEstablishments(ctx, "generated.csv", bytes.NewReader(est.Bytes()), cat, "chaos"); err != nil {
		return err
	}
	say("%d establishments imported", n)

	// The sandbox, misbehaving.
	buyers, err := fixtures.FS().Open(fixtures.ChorusBuyers)
	if err != nil {
		return err
	}
	var yaml bytes.Buffer
	if _, err := yaml.ReadFrom(buyers); err != nil {
		return err
	}
	dirBuyers, err := sandbox.LoadDirectory(fixtures.ChorusBuyers, yaml.Bytes(), sandbox.EstablishmentsSource{Name: "generated.csv", Data: est.Bytes()})
	if err != nil {
		return err
	}
	sb, err := sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, Admin: true, Directory: dirBuyers,
		ClockSpeed: 3600, FlowProcessingDelay: time.Minute, FlowIntegrationDelay: 2 * time.Minute, Seed: 11,
		Faults: sandbox.Faults{ErrorRate: 0.10, RateLimitRate: 0.05, LostResponseRate: 0.02,
			Latency: sandbox.Duration(2 * time.Millisecond), LatencyJitter: sandbox.Duration(20 * time.Millisecond)}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	// The workers: this very binary, as separate processes.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), envDatabaseURL+"="+dbURL, envRedisURL+"="+redisURL,
		"CHORUS_ENV=local", "CHORUS_BASE_URL="+base, "CHORUS_TOKEN_URL="+base+chorus.PathToken,
		"CHORUSBILL_KICK_EVERY=2s", "CHORUSBILL_STALE_AFTER=10s", "CHORUSBILL_POLL_INTERVAL=100ms",
		"CHORUSBILL_TRACK_INTERVALS=300ms,1s,2s")
	logf, err := os.Create(filepath.Join(dir, "workers.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	var mu sync.Mutex
	procs := make([]*exec.Cmd, workers)
	exited := make([]chan struct{}, workers)
	start := func(i int) error {
		cmd := exec.Command(self, "work", "--no-auto-runs")
		cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
		if err := cmd.Start(); err != nil {
			return err
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		mu.Lock()
		procs[i], exited[i] = cmd, done
		mu.Unlock()
		return nil
	}
	// stopAll stops the workers and waits for them: the checks read books
	// that nothing moves any more (payments keep arriving at the sandbox).
	stopAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for i, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited[i]:
			case <-time.After(2 * time.Minute):
				p.Process.Kill()
				<-exited[i]
			}
		}
	}
	for i := range procs {
		if err := start(i); err != nil {
			return err
		}
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
		}
	}()

	// The run, twice asked.
	s, err := c.buildStack(ctx, stackOptions{redisURL: redisURL, chorusCfg: &chorus.Config{Env: chorus.Local, BaseURL: base,
		TokenURL: base + chorus.PathToken, ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword}})
	if err != nil {
		return err
	}
	defer s.Close()
	for i := 0; i < 2; i++ {
		if err := s.p.EnqueueRun(ctx, 2025, invoice.KindContribution, time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)); err != nil {
			return err
		}
	}
	began := time.Now()
	kills, flushed, restarted := 0, false, !restartPostgres
	rng := rand.New(rand.NewPCG(1, 2))
	settled := false
	for !settled {
		if err := sleepCtx(ctx, killEvery); err != nil {
			return fmt.Errorf("did not settle in %s: %w", timeout, err)
		}
		sum, done, working, err := chaosProgress(ctx, books)
		if err != nil {
			say("progress unavailable (%v)", err) // PostgreSQL may be restarting
			continue
		}
		elapsed := time.Since(began)
		switch {
		case working > 0 || done < n:
			i := rng.IntN(workers)
			mu.Lock()
			procs[i].Process.Signal(syscall.SIGKILL)
			mu.Unlock()
			kills++
			if err := start(i); err != nil {
				return err
			}
			if !flushed && done > n/3 {
				rdb.FlushDB(ctx)
				flushed = true
				say("Redis flushed at %d/%d", done, n)
			}
			if !restarted && done > n/2 {
				if out, err := exec.Command("bash", "-c", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -1) main restart").CombinedOutput(); err != nil {
					return fmt.Errorf("restart PostgreSQL: %v: %s", err, out)
				}
				restarted = true
				say("PostgreSQL restarted at %d/%d", done, n)
			}
		default:
			settled = true
		}
		say("%5.0fs  %d/%d establishments, %d invoices working, %d kills  (%v)", elapsed.Seconds(), done, n, working, kills, sum)
	}
	stopAll()
	say("workers stopped; checking the books")
	return chaosChecks(ctx, c, books, sb, cat, n)
}

func chaosProgress(ctx context.Context, books *store.Store) (map[string]int, int, int, error) {
	run, err := books.RunFor(ctx, 2025, invoice.KindContribution)
	if err != nil {
		return nil, 0, 0, err
	}
	sum, err := books.Summary(ctx, run.ID)
	if err != nil {
		return nil, 0, 0, err
	}
	working := 0
	for _, st := range workingStates() {
		working += sum.States[st]
	}
	return sum.States, sum.Items, working, nil
}

// chaosChecks verifies the run's invariants and prints each check.
func chaosChecks(ctx context.Context, c *cli, books *store.Store, sb *sandbox.Server, cat *tariff.Catalog, n int) error {
	var failures []string
	check := func(name string, problems []string) {
		if len(problems) == 0 {
			fmt.Fprintf(c.stdout, "  ok    %s\n", name)
			return
		}
		fmt.Fprintf(c.stdout, "  FAIL  %s: %d problem(s), e.g. %s\n", name, len(problems), problems[0])
		failures = append(failures, name)
	}
	list, err := books.ListInvoices(ctx, store.InvoiceFilter{})
	if err != nil {
		return err
	}
	perEst := map[int64]int{}
	for _, inv := range list {
		if inv.Kind == invoice.KindContribution && inv.Year == 2025 && inv.State != invoice.StateCancelled {
			perEst[inv.EstablishmentID]++
		}
	}
	var once []string
	want := decimal.Zero
	err = books.ForEachEstablishment(ctx, 2025, func(e store.Establishment) error {
		te, err := e.Tariff(2025)
		if err != nil {
			return err
		}
		q, err := cat.Contribution(te, 2025)
		if err != nil {
			return err
		}
		expect := 0
		if q.Due() {
			expect = 1
			want = want.Add(q.Totals.TTC)
		}
		if perEst[e.ID] != expect {
			once = append(once, fmt.Sprintf("%s has %d invoices, %d due", e.SIRET, perEst[e.ID], expect))
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Late payments (the sandbox's clock runs an hour a second) produce
	// interest invoices while the run goes on, some still on their way when
	// the workers were stopped. The delivery checks cover the run's
	// invoices, which have all settled; numbering covers every series.
	var year []store.Invoice
	for _, inv := range list {
		if inv.Kind == invoice.KindContribution && inv.Year == 2025 {
			year = append(year, inv)
		}
	}
	fmt.Fprintf(c.stdout, "chaos: checks over %d establishments, %d invoices of the run (%d in all with the interest invoices of late payments)\n", n, len(year), len(list))
	check("every due establishment has exactly one contribution invoice, the others none", once)

	var gaps []string
	series := map[string]int64{}
	for _, inv := range list {
		series[inv.Series]++
		if inv.Seq != series[inv.Series] {
			gaps = append(gaps, fmt.Sprintf("%s where %s-%06d was expected", inv.Number, inv.Series, series[inv.Series]))
		}
	}
	check("numbers are 1..N in each series, no gap, no duplicate", gaps)

	integrated := map[string]int{}
	for _, d := range sb.Deposits() {
		if d.EtatFinal == chorus.EtatFluxIntegre {
			integrated[d.NumeroFacture]++
		}
	}
	var deposits []string
	for _, inv := range year {
		expect := 0
		if inv.Channel == "chorus" && inv.State != invoice.StateRejected {
			expect = 1
		}
		if integrated[inv.Number] != expect {
			deposits = append(deposits, fmt.Sprintf("%s (%s) integrated %d times", inv.Number, inv.State, integrated[inv.Number]))
		}
	}
	check("the sandbox integrated exactly one deposit per number sent through Chorus Pro", deposits)

	total := decimal.Zero
	for _, inv := range year {
		if inv.Kind == invoice.KindContribution && inv.State != invoice.StateCancelled {
			total = total.Add(inv.TotalTTC)
		}
	}
	var totals []string
	if !total.Equal(want) {
		totals = append(totals, fmt.Sprintf("billed %s TTC, the tariff says %s", total, want))
	}
	check("the total billed equals the sum computed from the tariff", totals)

	var stuck []string
	for _, inv := range year {
		if inv.State.Working() {
			stuck = append(stuck, inv.Number+" is "+string(inv.State))
		}
	}
	check("no invoice of the run is left in a working state", stuck)

	var audit []string
	for _, inv := range year {
		trail, err := books.AuditTrail(ctx, "invoice", inv.ID)
		if err != nil {
			return err
		}
		state := ""
		for _, e := range trail {
			if e.From == "" && e.To == "" {
				continue // payments, documents
			}
			if state != "" && e.From != state {
				audit = append(audit, fmt.Sprintf("%s: %s→%s after %s", inv.Number, e.From, e.To, state))
			}
			state = e.To
		}
		if state != string(inv.State) {
			audit = append(audit, fmt.Sprintf("%s is %s but its trail ends at %q", inv.Number, inv.State, state))
		}
	}
	check("the audit trail of each invoice of the run has a row for every state change", audit)
	if len(failures) > 0 {
		return fmt.Errorf("%d check(s) failed: %s", len(failures), strings.Join(failures, "; "))
	}
	fmt.Fprintln(c.stdout, "chaos: all checks passed")
	return nil
}

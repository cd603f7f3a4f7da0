package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

const demoAbout = `Runs the whole pipeline on the sample of 40 establishments with nothing
installed: an embedded Redis (miniredis), SQLite under var/, the Chorus Pro
sandbox (its clock sped up by --speed, and two months passed at the end), and a
worker. It imports the sample, runs the 2025 contributions and the 2025
overage, shows their progress and a summary, then keeps running until Ctrl-C
(--once: exit after the summary, non-zero if anything ended in an unexpected
state). --redis, --database and --chorus switch a part to a real one; the
books stay in CHORUSBILL_DATABASE_URL (default sqlite://var/demo.db) for
"chorusbill invoices list" and "export" afterwards.`

func runDemo(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("demo", "[--once] [flags]", demoAbout)
	var (
		once                         bool
		redisURL, database, chorusTo string
		speed                        float64
		settle                       time.Duration
	)
	fs.BoolVar(&once, "once", false, "exit after the summary")
	fs.StringVar(&redisURL, "redis", "", "use this Redis (`URL`) instead of the embedded one")
	fs.StringVar(&database, "database", "", "use this database (`URL`) instead of sqlite://var/demo.db")
	fs.StringVar(&chorusTo, "chorus", "", "use this Chorus Pro (`URL`, credentials from CHORUS_*) instead of the embedded sandbox")
	fs.Float64Var(&speed, "speed", 3600, "sandbox business seconds per real second")
	fs.DurationVar(&settle, "settle", 3*time.Second, "how long nothing must change before the summary")
	// Dashboard (issue 7).
	var dashAddr string
	fs.StringVar(&dashAddr, "addr", "127.0.0.1:8080", "serve the dashboard on `HOST:PORT` after the summary (\"\" for none)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := c.logger(c.stderr, slog.LevelWarn)
	say := func(format string, a ...any) { fmt.Fprintf(c.stdout, "· "+format+"\n", a...) }

	// The books: a fresh demo file unless told otherwise.
	if database == "" {
		database = c.getenv(envDatabaseURL)
	}
	if database == "" {
		path := filepath.Join("var", "demo.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		database = "sqlite://" + path
	}
	env := c.getenv
	c.getenv = func(k string) string {
		if k == envDatabaseURL {
			return database
		}
		return env(k)
	}

	// The queue.
	if redisURL == "" {
		url, stop, err := startMiniredis()
		if err != nil {
			return err
		}
		defer stop()
		redisURL = url
		say("queue: embedded Redis (miniredis) at %s — single-node, NOT durable: the books rebuild it on restart", redisURL)
	} else {
		say("queue: Redis %s", redisURL)
	}

	// Chorus Pro.
	var (
		ccfg chorus.Config
		sb   *sandbox.Server
		now  = time.Now
	)
	if chorusTo == "" {
		scfg, err := sandbox.ConfigFromEnv(func(string) string { return "" })
		if err != nil {
			return err
		}
		scfg.Admin, scfg.ClockSpeed = true, speed
		scfg.FlowProcessingDelay, scfg.FlowIntegrationDelay = time.Minute, 5*time.Minute
		if sb, err = sandbox.New(scfg); err != nil {
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
		ccfg = chorus.Config{Env: chorus.Local, BaseURL: base, TokenURL: base + chorus.PathToken,
			ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
			TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: time.Second}
		now = sb.Now
		say("Chorus Pro: local sandbox on %s, its clock ×%.0f", base, speed)
	} else {
		var err error
		if ccfg, err = chorus.ConfigFromEnv(c.getenv); err != nil {
			return err
		}
		ccfg.BaseURL = strings.TrimRight(chorusTo, "/")
		say("Chorus Pro: %s", ccfg.BaseURL)
	}

	cfg := worker.DefaultConfig()
	cfg.TrackIntervals = []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
	cfg.KickEvery, cfg.StaleAfter, cfg.RetryBase = 2*time.Second, 30*time.Second, 100*time.Millisecond
	cfg.PollInterval, cfg.AutoRuns, cfg.BuyerCacheTTL = 100*time.Millisecond, false, time.Minute
	metrics := dashboard.NewMetrics()
	s, err := c.buildStack(ctx, stackOptions{redisURL: redisURL, chorusCfg: &ccfg, cfg: cfg, now: now, logger: log, observer: chorus.LabelObserver(metrics.ObserveChorus)})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := watchMetrics(s, metrics, log); err != nil {
		return err
	}
	stopMetrics, err := c.serveMetrics(ctx, metrics)
	if err != nil {
		return err
	}
	defer stopMetrics()
	say("books: %s database %s", s.books.Dialect(), database)

	if err := importSample(ctx, c, s.books); err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.p.Serve(workCtx, s.redis) }()
	defer func() { stopWork(); <-done }()

	today := time.Now().UTC()
	var sums []store.RunSummary
	for _, k := range []invoice.Kind{invoice.KindContribution, invoice.KindOverage} {
		if err := s.p.EnqueueRun(ctx, 2025, k, today); err != nil {
			return err
		}
		waitCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		sum, err := waitForRun(waitCtx, s.books, 2025, k, c.stdout, nil)
		cancel()
		if err != nil {
			return err
		}
		sums = append(sums, sum)
	}
	if sb != nil {
		// Let the buyers' two months go by: approvals, payments, rejections.
		say("runs delivered; the sandbox's buyers now take two months (3 s here) to pay or reject…")
		for day := 0; day < 60; day++ {
			if err := sb.Advance(24 * time.Hour); err != nil {
				return err
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	say("following the invoices on Chorus Pro until nothing changes for %s…", settle)
	if err := waitQuiet(ctx, s.books, settle); err != nil {
		return err
	}
	for i, sum := range sums {
		if sums[i], err = s.books.Summary(ctx, sum.Run.ID); err != nil {
			return err
		}
		writeSummary(c.stdout, sums[i])
	}
	problems, err := demoProblems(ctx, s.books, sums)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\nThe books are in %s: chorusbill invoices list --year 2025 (with %s=%s)\n", database, envDatabaseURL, database)
	if len(problems) > 0 {
		return fmt.Errorf("the demo ended in unexpected states:\n  %s", strings.Join(problems, "\n  "))
	}
	if once {
		return nil
	}
	// Dashboard (issue 7): served until Ctrl-C, with a demo operator.
	if dashAddr != "" {
		wait, err := startDemoDashboard(ctx, c, s, dashAddr, now, log, metrics)
		if err != nil {
			return err
		}
		defer wait()
	}
	say("running; Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// importSample loads the sample shipped in the binary.
func importSample(ctx context.Context, c *cli, books *store.Store) error {
	cat, err := c.catalog("")
	if err != nil {
		return err
	}
	for _, f := range []string{"establishments.csv", "usage-2025.csv", "references.csv"} {
		data, err := readFixture(fixtures.SampleDir + "/" + f)
		if err != nil {
			return err
		}
		var res store.ImportResult
		switch f {
		case "establishments.csv":
			res, err = books.ImportEstablishments(ctx, f, bytes.NewReader(data), cat, "demo")
		case "usage-2025.csv":
			res, err = books.ImportUsage(ctx, f, bytes.NewReader(data), cat, "demo")
		default:
			res, err = books.ImportReferences(ctx, f, bytes.NewReader(data), "demo")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "· import %s\n", res)
	}
	return nil
}

// waitQuiet waits until the invoices' states stop changing for quiet.
func waitQuiet(ctx context.Context, books *store.Store, quiet time.Duration) error {
	last, since := "", time.Now()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		list, err := books.ListInvoices(ctx, store.InvoiceFilter{})
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, inv := range list {
			b.WriteString(inv.Number + string(inv.State) + inv.ChorusStatus)
		}
		if b.String() != last {
			last, since = b.String(), time.Now()
		} else if time.Since(since) >= quiet {
			return nil
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return errors.New("the invoices never stopped changing")
}

// demoProblems lists what a healthy demo must not end with: establishments
// that failed, invoices stuck in a working state.
func demoProblems(ctx context.Context, books *store.Store, sums []store.RunSummary) ([]string, error) {
	var out []string
	for _, s := range sums {
		if n := s.Outcomes["failed"]; n > 0 {
			out = append(out, fmt.Sprintf("%s %d: %d establishment(s) failed", s.Run.Kind, s.Run.Year, n))
		}
	}
	stuck, err := books.InvoicesInStates(ctx, invoice.WorkingStates()...)
	if err != nil {
		return nil, err
	}
	for _, r := range stuck {
		out = append(out, fmt.Sprintf("%s still %s", r.Number, r.State))
	}
	return out, nil
}

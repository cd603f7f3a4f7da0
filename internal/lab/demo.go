package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/chorusbill/chorusbill/worker"
)

// DemoYear is the year the demo bills.
const DemoYear = 2025

// demoLead is how far back the demo's business clock starts: the
// sandbox's buyers take up to two months to pay or reject.
const demoLead = 61 * 24 * time.Hour

// DemoOptions say how to set up the demo; zero values are the embedded
// parts. The printing of runs is the command's (WaitRun, Summary).
type DemoOptions struct {
	// RedisURL is a Redis to use instead of an embedded one.
	RedisURL string
	// Database is the books; "" is a fresh sqlite://var/demo.db (the
	// configuration's database is never the demo's).
	Database string
	// Chorus is a Chorus Pro URL to use (credentials from the
	// configuration) instead of the embedded sandbox.
	Chorus string
	// Speed is the sandbox's business seconds per real second.
	Speed float64
	// Settle is how long nothing must change before the summary.
	Settle time.Duration
	// Stdout receives what the demo says; Logger its stack's logs.
	Stdout io.Writer
	Logger *slog.Logger
	// Observer, when set, is told of every exchange with Chorus Pro.
	Observer chorus.Observer
	// Ready, when set, is called once the stack is built, before the
	// sample is imported (the command watches and serves metrics there).
	Ready func(*app.Stack) error
	// WaitRun follows a run until it settles, showing its progress.
	WaitRun func(ctx context.Context, books *store.Store, year int, kind invoice.Kind) (store.RunSummary, error)
	// Summary prints a run's outcome.
	Summary func(store.RunSummary)
}

// Demo is a demo set up: its stack (books, queue, Chorus Pro, pipeline)
// with a worker serving it, and the sandbox when embedded.
type Demo struct {
	// Stack is the demo's; Now its civil clock (the sandbox's when
	// embedded); Database its books' URL.
	Stack    *app.Stack
	Now      func() time.Time
	Database string
	sb       *sandbox.Server
	o        DemoOptions
	closers  []func()
}

// Close stops the worker and closes what StartDemo opened.
func (d *Demo) Close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// StartDemo sets up the demo: the books (a fresh SQLite file unless told
// otherwise), the queue (an embedded miniredis unless told otherwise),
// Chorus Pro (an embedded sandbox, its clock sped up, unless told
// otherwise), a stack over them with the demo's worker configuration; then
// imports the sample and starts a worker.
func StartDemo(ctx context.Context, conf app.Config, o DemoOptions) (_ *Demo, err error) {
	d := &Demo{o: o, Now: time.Now}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	say := d.say

	// The books: a fresh demo file unless told otherwise (--database).
	// Never CHORUSBILL_DATABASE_URL: an operator's exported production
	// URL must not receive the demo's sample.
	database := o.Database
	if database == "" && conf.DatabaseURL != "" {
		say("books: %s is set and ignored (the demo bills its sample into its own books; --database to choose others)", app.EnvDatabaseURL)
	}
	if database == "" {
		path := filepath.Join("var", "demo.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
		database = "sqlite://" + path
	}
	conf.DatabaseURL, d.Database = database, database

	// The queue.
	redisURL := o.RedisURL
	if redisURL == "" {
		url, stop, err := app.StartMiniredis()
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, stop)
		redisURL = url
		say("queue: embedded Redis (miniredis) at %s — single-node, NOT durable: the books rebuild it on restart", redisURL)
	} else {
		say("queue: Redis %s", redisURL)
	}

	// Chorus Pro.
	var ccfg chorus.Config
	if o.Chorus == "" {
		scfg, err := sandbox.ConfigFromEnv(func(string) string { return "" })
		if err != nil {
			return nil, err
		}
		// The business clock starts two months back and reaches today once
		// the buyers have paid (Run): the invoices, payments, dashboard
		// and audit trail then tell of one and the same present.
		scfg.Admin, scfg.ClockSpeed, scfg.Start = true, o.Speed, time.Now().UTC().Add(-demoLead)
		scfg.FlowProcessingDelay, scfg.FlowIntegrationDelay = time.Minute, 5*time.Minute
		if d.sb, err = sandbox.New(scfg); err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: d.sb, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		d.closers = append(d.closers, func() { srv.Close() })
		base := "http://" + ln.Addr().String()
		ccfg = chorus.Config{Env: chorus.Local, BaseURL: base, TokenURL: base + chorus.PathToken,
			ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
			TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: time.Second}
		d.Now = d.sb.Now
		say("Chorus Pro: local sandbox on %s; the demo's business clock starts on %s, two months back, and runs ×%.0f until today", base, scfg.Start.Format("02/01/2006"), o.Speed)
	} else {
		ccfg = conf.Chorus
		ccfg.BaseURL = strings.TrimRight(o.Chorus, "/")
		say("Chorus Pro: %s", ccfg.BaseURL)
	}

	cfg := worker.DefaultConfig()
	cfg.TrackIntervals = []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
	cfg.KickEvery, cfg.StaleAfter, cfg.RetryBase = 2*time.Second, 30*time.Second, 100*time.Millisecond
	cfg.PollInterval, cfg.AutoRuns, cfg.BuyerCacheTTL = 100*time.Millisecond, false, time.Minute
	// The business clock runs fast: the bulk tracking sweeps at each kick,
	// and soon after deposits.
	cfg.SweepEvery, cfg.SweepSoon = 2*time.Second, 300*time.Millisecond
	s, err := app.NewStack(ctx, conf, app.StackOptions{RedisURL: redisURL, Chorus: &ccfg, Worker: cfg, Now: d.Now, Logger: o.Logger, Observer: o.Observer})
	if err != nil {
		return nil, err
	}
	d.Stack = s
	d.closers = append(d.closers, s.Close)
	if o.Ready != nil {
		if err := o.Ready(s); err != nil {
			return nil, err
		}
	}
	say("books: %s database %s", s.Books.Dialect(), database)

	cat, err := conf.Catalog("")
	if err != nil {
		return nil, err
	}
	if err := importSample(ctx, o.Stdout, s.Books, cat); err != nil {
		return nil, err
	}
	workCtx, stopWork := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Pipeline.Serve(workCtx, s.Redis) }()
	d.closers = append(d.closers, func() { stopWork(); <-done })
	return d, nil
}

func (d *Demo) say(format string, a ...any) { fmt.Fprintf(d.o.Stdout, "· "+format+"\n", a...) }

// Run bills the year's contributions and overage, lets the sandbox's buyers
// take two months to pay or reject, waits until the invoices stop changing,
// prints the summaries, and fails when anything ended in an unexpected
// state.
func (d *Demo) Run(ctx context.Context) error {
	s := d.Stack
	today := d.Now()
	var sums []store.RunSummary
	for _, k := range []invoice.Kind{invoice.KindContribution, invoice.KindOverage} {
		if err := s.Pipeline.EnqueueRun(ctx, DemoYear, k, today); err != nil {
			return err
		}
		waitCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		sum, err := d.o.WaitRun(waitCtx, s.Books, DemoYear, k)
		cancel()
		if err != nil {
			return err
		}
		sums = append(sums, sum)
	}
	if d.sb != nil {
		// Let the buyers' two months go by: approvals, payments, rejections.
		d.say("runs delivered; the sandbox's buyers now take two months (3 s here) to pay or reject…")
		// Up to two days short of today: following the invoices moves the
		// clock on by some hours more.
		for day := 0; day < 60 && d.sb.Now().Before(time.Now().Add(-48*time.Hour)); day++ {
			if err := d.sb.Advance(24 * time.Hour); err != nil {
				return err
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	d.say("following the invoices on Chorus Pro until nothing changes for %s…", d.o.Settle)
	if err := waitQuiet(ctx, s.Books, d.o.Settle); err != nil {
		return err
	}
	if d.sb != nil {
		// From now on the business clock is the wall clock: the dashboard
		// shows today, as the audit trail does.
		if err := d.sb.SetClockSpeed(1); err != nil {
			return err
		}
		if lag := time.Until(d.sb.Now()); lag < 0 {
			if err := d.sb.Advance(-lag); err != nil {
				return err
			}
		}
		d.say("business date now today, %s; the sandbox's clock runs in real time from here", d.Now().Format("02/01/2006"))
	}
	for i, sum := range sums {
		var err error
		if sums[i], err = s.Books.Summary(ctx, sum.Run.ID); err != nil {
			return err
		}
		d.o.Summary(sums[i])
	}
	problems, err := demoProblems(ctx, s.Books, sums)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.o.Stdout, "\nThe books are in %s: chorusbill invoices list --year 2025 (with %s=%s)\n", d.Database, app.EnvDatabaseURL, d.Database)
	if len(problems) > 0 {
		return fmt.Errorf("the demo ended in unexpected states:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// importSample loads the sample shipped in the binary.
func importSample(ctx context.Context, w io.Writer, books *store.Store, cat *tariff.Catalog) error {
	for _, f := range []string{"establishments.csv", "usage-2025.csv", "references.csv"} {
		data, err := app.ReadFixture(fixtures.SampleDir + "/" + f)
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
		fmt.Fprintf(w, "· import %s\n", res)
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

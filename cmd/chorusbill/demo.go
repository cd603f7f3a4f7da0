package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/lab"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

const demoAbout = `Runs the whole pipeline on the sample of 40 establishments with nothing
installed: an embedded Redis (miniredis), SQLite under var/, the Chorus Pro
sandbox, and a worker. The demo's business clock starts two months back and
runs sped up (--speed) until today, while the sandbox's buyers pay or
reject; from then on it is the real clock, so that the invoices, payments,
dashboard and audit trail tell of one present. It imports the sample, runs the 2025 contributions and the 2025
overage, shows their progress and a summary, then keeps running until Ctrl-C
(--once: exit after the summary, non-zero if anything ended in an unexpected
state). --redis, --database and --chorus switch a part to a real one. The
books are a fresh sqlite://var/demo.db, erased at each start, unless
--database names others (CHORUSBILL_DATABASE_URL is ignored: the demo never
bills its sample into the books an operator configured); they stay for
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
	// The demo is the one command that talks to Chorus Pro with no
	// CHORUS_ENV: it runs its own sandbox, so it sets local itself (and a
	// --chorus URL takes the sandbox's credentials unless CHORUS_* name
	// others). Every other command requires the variable (app.ErrNoChorusEnv).
	c.getenv = withDefault(c.getenv, app.EnvChorusEnv, string(chorus.Local))
	cfg, err := c.config()
	if err != nil {
		return err
	}
	// The dashboard's port is taken now: one already in use is said before
	// the demo runs, not after it.
	var dashLn net.Listener
	if dashAddr != "" && !once {
		if dashLn, err = net.Listen("tcp", dashAddr); err != nil {
			return fmt.Errorf("dashboard on %s (choose another with --addr, or --addr \"\" for none): %w", dashAddr, err)
		}
		defer dashLn.Close()
	}
	log := c.logger(c.stderr, slog.LevelWarn)
	metrics := dashboard.NewMetrics()
	var stopMetrics func()
	d, err := lab.StartDemo(ctx, cfg, lab.DemoOptions{RedisURL: redisURL, Database: database, Chorus: chorusTo,
		Speed: speed, Settle: settle, Stdout: c.stdout, Logger: log, Observer: chorus.LabelObserver(metrics.ObserveChorus),
		Ready: func(s *app.Stack) (err error) {
			if err := watchMetrics(s, metrics, log, cfg); err != nil {
				return err
			}
			stopMetrics, err = c.serveMetrics(ctx, metrics, s)
			return err
		},
		WaitRun: func(ctx context.Context, books *store.Store, year int, kind invoice.Kind) (store.RunSummary, error) {
			return waitForRun(ctx, books, year, kind, c.stdout, nil, nil)
		},
		Summary: func(sum store.RunSummary) { writeSummary(c.stdout, sum) },
	})
	if stopMetrics != nil {
		defer stopMetrics()
	}
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Run(ctx); err != nil || once {
		return err
	}
	// Dashboard (issue 7): served until Ctrl-C, with a demo operator.
	if dashLn != nil {
		wait, err := startDemoDashboard(ctx, c, d.Stack, dashLn, d.Now, log, metrics)
		if err != nil {
			return err
		}
		defer wait()
	}
	fmt.Fprintln(c.stdout, "· running; Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// withDefault is getenv with a default value for one variable left unset.
func withDefault(getenv env, name, value string) env {
	return func(k string) string {
		if v := getenv(k); v != "" || k != name {
			return v
		}
		return value
	}
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/worker"
)

const workAbout = `Runs a worker: the asynq server that issues, delivers and tracks invoices,
and the scheduler that starts the yearly runs (contributions from 2 January,
overage of year n-1 from February), the daily late-payment interest and the
reconciliation of the queue with the books. Any number of workers may share
one Redis and one database. Configuration: ` + envRedisURL + ` (default ` + app.DefaultRedisURL + `),
CHORUSBILL_DATABASE_URL, CHORUS_*, ` + envConcurrency + `, and ` + envMetricsAddr + `: serve
Prometheus metrics at /metrics on that address, without authentication (a
bare :PORT listens on 127.0.0.1 only), with the probes /healthz (alive) and
/readyz (the database and Redis answer; it also says whether deliveries to
Chorus Pro are paused, which does not make it fail) for a container
healthcheck (chorusbill health).`

func runWork(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("work", "[flags]", workAbout)
	var (
		noAuto                 bool
		concurrency            int
		track                  durationList
		cpuProfile, memProfile string
	)
	fs.BoolVar(&noAuto, "no-auto-runs", false, "do not start the yearly runs by the calendar (runs only by chorusbill run)")
	// The flags below let `chorusbill bench` run its workers as processes
	// with its own configuration, whatever the environment says.
	fs.IntVar(&concurrency, "concurrency", 0, "tasks this worker runs at once (default $"+envConcurrency+", else 10)")
	fs.Var(&track, "track-intervals", "comma-separated `DELAYS` between the polls of a deposited or delivered invoice, the last repeating; 0s polls at once (default $CHORUSBILL_TRACK_INTERVALS, else 1m,5m,15m,1h,6h,24h)")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run into `FILE` when the worker stops (SIGTERM, Ctrl-C)")
	fs.StringVar(&memProfile, "memprofile", "", "write a heap profile into `FILE` when the worker stops")
	if err := parse(fs, args); err != nil {
		return err
	}
	if isSet(fs, "concurrency") && concurrency < 1 {
		return usagef("--concurrency must be 1 or more")
	}
	cfg := worker.DefaultConfig()
	cfg.AutoRuns = !noAuto
	opts := app.StackOptions{Worker: cfg, Adjust: func(cfg *worker.Config) {
		if concurrency > 0 {
			cfg.Concurrency = concurrency
		}
		if len(track) > 0 {
			cfg.TrackIntervals = track
		}
	}}
	if cpuProfile != "" {
		stop, err := app.StartCPUProfile(cpuProfile)
		if err != nil {
			return err
		}
		// Deferred before the stack is built, so run after it is closed:
		// the profile covers the whole life of the worker.
		defer stop()
	}
	if memProfile != "" {
		defer func() {
			if err := app.WriteHeapProfile(memProfile); err != nil {
				fmt.Fprintf(c.stderr, "chorusbill work: %v\n", err)
			}
		}()
	}
	conf, err := c.config()
	if err != nil {
		return err
	}
	var metrics *dashboard.Metrics
	if conf.MetricsAddr != "" {
		metrics = dashboard.NewMetrics()
		opts.Observer = chorus.LabelObserver(metrics.ObserveChorus)
	}
	s, err := c.buildStack(ctx, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if metrics != nil {
		if err := watchMetrics(s, metrics, c.logger(c.stderr, slog.LevelInfo), conf); err != nil {
			return err
		}
		stop, err := c.serveMetrics(ctx, metrics, s)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Fprintln(c.stdout, "chorusbill work: this worker's scheduler starts by itself:")
	for _, line := range s.Worker.Schedule() {
		fmt.Fprintln(c.stdout, "  - "+line)
	}
	where, err := deployment(ctx, conf, s)
	if err != nil {
		return err
	}
	slog.New(slog.NewTextHandler(c.stderr, nil)).Info("worker starting", append(where, "concurrency", s.Worker.Concurrency)...)
	return s.Pipeline.Serve(ctx, s.Redis)
}

// durationList is a flag of comma-separated durations, zero allowed.
type durationList []time.Duration

func (l *durationList) String() string {
	parts := make([]string, len(*l))
	for i, d := range *l {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

func (l *durationList) Set(s string) error {
	var out []time.Duration
	for part := range strings.SplitSeq(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration (e.g. 0s, 1h)", part)
		}
		out = append(out, d)
	}
	*l = out
	return nil
}

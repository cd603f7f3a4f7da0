package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

const serveAbout = `Serves the finance dashboard: the billing runs and their progress, the
amounts invoiced, collected and overdue, the work lists (references to fill
in, rejections, suspended invoices, postal mail, late payments), each
invoice and establishment, search, and the queue console under /queues/.
Every page needs a local user (chorusbill users add). It reads the books and
hands work to the workers through Redis: run "chorusbill work" beside it.

Cookies are Secure by default: serve it behind HTTPS (a reverse proxy). For
plain HTTP on localhost only, pass --insecure-cookies (or set ` + envInsecureCookies + `=1).

Prometheus metrics are at /metrics, for signed-in users. For a Prometheus
server, set ` + envMetricsAddr + ` (e.g. :9464): /metrics is then also served there
without authentication, with the probes /healthz and /readyz (a bare :PORT
listens on 127.0.0.1 only; name a host to listen elsewhere, on a private
network). The figures are counts, never names or numbers of invoices.
Configuration: ` + envDashboardAddr + ` (default ` + app.DefaultDashboardAddr + `), CHORUSBILL_DATABASE_URL,
` + envRedisURL + `, CHORUS_*, ` + envMetricsAddr + `.`

func runServe(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("serve", "[--addr HOST:PORT] [--insecure-cookies]", serveAbout)
	cfg, cfgErr := c.config()
	addr, insecure := cfg.DashboardAddr, cfg.InsecureCookies
	fs.StringVar(&addr, "addr", addr, "listen on `HOST:PORT`")
	fs.BoolVar(&insecure, "insecure-cookies", insecure, "send cookies without the Secure flag (plain HTTP on localhost only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfgErr != nil {
		return cfgErr
	}
	log := c.logger(c.stderr, slog.LevelInfo)
	metrics := dashboard.NewMetrics()
	s, err := c.buildStack(ctx, app.StackOptions{Observer: chorus.LabelObserver(metrics.ObserveChorus)})
	if err != nil {
		return err
	}
	defer s.Close()
	where, err := deployment(ctx, cfg, s)
	if err != nil {
		return err
	}
	log.Info("dashboard starting", where...)
	if err := watchMetrics(s, metrics, log, cfg); err != nil {
		return err
	}
	d, err := c.newDashboard(s, !insecure, nil, log, metrics)
	if err != nil {
		return err
	}
	defer d.Close()
	stopMetrics, err := c.serveMetrics(ctx, metrics, s)
	if err != nil {
		return err
	}
	defer stopMetrics()
	if n, err := s.Books.Users(ctx); err == nil && len(n) == 0 {
		fmt.Fprintln(c.stderr, "no dashboard user yet: create one with `chorusbill users add NAME --role operator`")
	}
	return serveDashboard(ctx, addr, d, func(url string) { fmt.Fprintf(c.stdout, "dashboard: %s\n", url) })
}

// newDashboard builds the dashboard over a stack. now is the civil clock
// (nil: the machine's); metrics is the process's registry, its sources
// already watched (watchMetrics).
func (c *cli) newDashboard(s *app.Stack, secure bool, now func() time.Time, log *slog.Logger, metrics *dashboard.Metrics) (*dashboard.Server, error) {
	is, err := c.issuer()
	if err != nil {
		return nil, err
	}
	cat, err := c.catalog("")
	if err != nil {
		return nil, err
	}
	legal, err := c.rateTable("", envLegalRates, fixtures.LegalInterestRates, invoice.ParseLegalRates)
	if err != nil {
		return nil, err
	}
	ecb, err := c.rateTable("", envECBRates, fixtures.ECBRates, invoice.ParseECBRates)
	if err != nil {
		return nil, err
	}
	insp := asynq.NewInspector(s.Redis)
	s.OnClose(func() { insp.Close() })
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	return dashboard.New(dashboard.Config{Books: s.Books, Actions: s.Pipeline, Issuer: is, Catalog: cat,
		LegalRates: legal, ECBRates: ecb, Inspector: insp, Redis: s.Redis, PingRedis: pingRedis(s), Troubles: troublesOf(s),
		SecureCookies: secure, Now: now, Logger: log, Metrics: metrics, PipelineMetrics: s.Pipeline.Metrics,
		TechPasswordExpires: cfg.TechPasswordExpires, ReminderSteps: cfg.ReminderSteps, TrustedProxies: cfg.TrustedProxies})
}

// watchMetrics has the registry read the stack's books, queues and pipeline
// counters at each scrape (failures go to log, and to chorusbill_books_up
// and chorusbill_queues_up), and the technical account's password expiry,
// the configured day (cfg.TechPasswordExpires) winning over the books'.
func watchMetrics(s *app.Stack, m *dashboard.Metrics, log *slog.Logger, cfg app.Config) error {
	insp := asynq.NewInspector(s.Redis)
	s.OnClose(func() { insp.Close() })
	return m.Watch(dashboard.Sources{Books: s.Books, Inspector: insp, Pipeline: s.Pipeline.Metrics, Logger: log,
		TechPasswordExpires: cfg.TechPasswordExpires})
}

// pingRedis asks the stack's Redis whether it answers (nil when its
// connection is of a kind that cannot be asked).
func pingRedis(s *app.Stack) func(context.Context) error {
	rc, ok := s.Redis.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil
	}
	s.OnClose(func() { rc.Close() })
	return func(ctx context.Context) error { return rc.Ping(ctx).Err() }
}

// serveMetrics serves the registry at /metrics, without authentication, on
// CHORUSBILL_METRICS_ADDR when it is set: Prometheus cannot sign in through
// the dashboard's login form, so the scrape endpoint is protected by where it
// listens (loopback by default) instead. It also serves /healthz (alive) and
// /readyz (the stack's books and Redis answer; a pause of the deliveries to
// Chorus Pro is said there without making it unready), so that a process
// with no HTTP port of its own, a worker, can be probed by a container
// healthcheck (`chorusbill health`). stop shuts it down.
func (c *cli) serveMetrics(ctx context.Context, m *dashboard.Metrics, s *app.Stack) (stop func(), err error) {
	cfg, err := c.config()
	if cfg.MetricsAddr == "" || err != nil {
		return func() {}, err
	}
	addr := cfg.MetricsAddr
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("GET /healthz", dashboard.Liveness())
	mux.Handle("GET /readyz", dashboard.Readiness(c.logger(c.stderr, slog.LevelInfo),
		dashboard.Probe{Name: "database", Ping: s.Books.Ping}, dashboard.Probe{Name: "redis", Ping: pingRedis(s)},
		dashboard.Probe{Name: "deliveries", Note: dashboard.PauseNote(s.Books)}))
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serveListener(ctx, ln, mux, nil) }()
	fmt.Fprintf(c.stdout, "metrics: http://%s/metrics (no authentication: keep this address private)\n", ln.Addr())
	return func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintf(c.stderr, "metrics: %v\n", err)
		}
	}, nil
}

// serveDashboard serves h on addr until ctx ends, then shuts down gently.
func serveDashboard(ctx context.Context, addr string, h http.Handler, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return serveListener(ctx, ln, h, ready)
}

// serveListener serves h on ln until ctx ends, then shuts down gently.
func serveListener(ctx context.Context, ln net.Listener, h http.Handler, ready func(url string)) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/")
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startDemoDashboard serves the dashboard of the demo on addr (plain HTTP,
// so cookies without Secure: localhost only), with an operator "demo"
// whose fresh random password is printed once. It serves on ln, taken
// before the demo ran (a port already in use is said at once, not after the
// whole run); it returns when the dashboard is serving and the server stops
// with ctx.
func startDemoDashboard(ctx context.Context, c *cli, s *app.Stack, ln net.Listener, now func() time.Time, log *slog.Logger, metrics *dashboard.Metrics) (func(), error) {
	pw, err := newDemoPassword()
	if err != nil {
		return nil, err
	}
	hash, err := dashboard.HashPassword(pw)
	if err != nil {
		return nil, err
	}
	if _, lookupErr := s.Books.UserByName(ctx, "demo"); lookupErr == nil {
		err = s.Books.SetPassword(ctx, "demo", hash, "demo")
	} else {
		_, err = s.Books.CreateUser(ctx, "demo", hash, store.RoleOperator, "demo")
	}
	if err != nil {
		return nil, err
	}
	d, err := c.newDashboard(s, false, now, log, metrics)
	if err != nil {
		return nil, err
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveListener(ctx, ln, d, func(url string) { ready <- url }) }()
	select {
	case url := <-ready:
		fmt.Fprintf(c.stdout, "· dashboard: %s — user demo, password %s (printed once; new at each start)\n", url, pw)
	case err := <-done:
		d.Close()
		return nil, err
	}
	return func() { <-done; d.Close() }, nil
}

func newDemoPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

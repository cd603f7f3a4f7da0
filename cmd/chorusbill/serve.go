package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/chorusbill/chorusbill/store"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

const (
	envDashboardAddr   = "CHORUSBILL_DASHBOARD_ADDR"
	envInsecureCookies = "CHORUSBILL_INSECURE_COOKIES"
	defaultDashboard   = "127.0.0.1:8080"
)

const serveAbout = `Serves the finance dashboard: the billing runs and their progress, the
amounts invoiced, collected and overdue, the work lists (references to fill
in, rejections, suspended invoices, postal mail, late payments), each
invoice and establishment, search, and the queue console under /queues/.
Every page needs a local user (chorusbill users add). It reads the books and
hands work to the workers through Redis: run "chorusbill work" beside it.

Cookies are Secure by default: serve it behind HTTPS (a reverse proxy). For
plain HTTP on localhost only, pass --insecure-cookies (or set ` + envInsecureCookies + `=1).
Configuration: ` + envDashboardAddr + ` (default ` + defaultDashboard + `), CHORUSBILL_DATABASE_URL,
` + envRedisURL + `, CHORUS_*.`

func runServe(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("serve", "[--addr HOST:PORT] [--insecure-cookies]", serveAbout)
	addr := c.getenv(envDashboardAddr)
	if addr == "" {
		addr = defaultDashboard
	}
	insecure, _ := strconv.ParseBool(c.getenv(envInsecureCookies))
	fs.StringVar(&addr, "addr", addr, "listen on `HOST:PORT`")
	fs.BoolVar(&insecure, "insecure-cookies", insecure, "send cookies without the Secure flag (plain HTTP on localhost only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := c.buildStack(ctx, stackOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := c.newDashboard(s, !insecure, nil, c.logger(c.stderr, slog.LevelInfo))
	if err != nil {
		return err
	}
	defer d.Close()
	if n, err := s.books.Users(ctx); err == nil && len(n) == 0 {
		fmt.Fprintln(c.stderr, "no dashboard user yet: create one with `chorusbill users add NAME --role operator`")
	}
	return serveDashboard(ctx, addr, d, func(url string) { fmt.Fprintf(c.stdout, "dashboard: %s\n", url) })
}

// newDashboard builds the dashboard over a stack. now is the civil clock
// (nil: the machine's).
func (c *cli) newDashboard(s *stack, secure bool, now func() time.Time, log *slog.Logger) (*dashboard.Server, error) {
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
	insp := asynq.NewInspector(s.redis)
	s.closer = append(s.closer, func() { insp.Close() })
	var ping func(context.Context) error
	if rc, ok := s.redis.MakeRedisClient().(redis.UniversalClient); ok {
		s.closer = append(s.closer, func() { rc.Close() })
		ping = func(ctx context.Context) error { return rc.Ping(ctx).Err() }
	}
	return dashboard.New(dashboard.Config{Books: s.books, Actions: s.p, Directory: s.api, Issuer: is, Catalog: cat,
		LegalRates: legal, ECBRates: ecb, Inspector: insp, Redis: s.redis, PingRedis: ping,
		SecureCookies: secure, Now: now, Logger: log})
}

// serveDashboard serves h on addr until ctx ends, then shuts down gently.
func serveDashboard(ctx context.Context, addr string, h http.Handler, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
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
// whose fresh random password is printed once. It returns when the
// dashboard is listening; the server stops with ctx.
func startDemoDashboard(ctx context.Context, c *cli, s *stack, addr string, now func() time.Time, log *slog.Logger) (func(), error) {
	pw, err := newDemoPassword()
	if err != nil {
		return nil, err
	}
	hash, err := dashboard.HashPassword(pw)
	if err != nil {
		return nil, err
	}
	if _, lookupErr := s.books.UserByName(ctx, "demo"); lookupErr == nil {
		err = s.books.SetPassword(ctx, "demo", hash, "demo")
	} else {
		_, err = s.books.CreateUser(ctx, "demo", hash, store.RoleOperator, "demo")
	}
	if err != nil {
		return nil, err
	}
	d, err := c.newDashboard(s, false, now, log)
	if err != nil {
		return nil, err
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveDashboard(ctx, addr, d, func(url string) { ready <- url }) }()
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

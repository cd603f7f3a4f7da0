package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
)

const sandboxAbout = `Serves a local Chorus Pro: the PISTE token endpoint and the /cpro/... API
with the same paths, fields, statuses and errors, a buyer directory from
fixtures/chorus-buyers.yaml and the sample establishments, scripted invoice
lifecycles, and fault injection. Configured by CHORUS_SANDBOX_* variables
(see chorus/sandbox/config.go); its default credentials are those that
CHORUS_ENV=local uses. Admin endpoints under /_sandbox/ with --admin.`

func runSandbox(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("sandbox", "[--addr 127.0.0.1:PORT] [--admin]", sandboxAbout)
	var (
		addr  string
		admin bool
	)
	fs.StringVar(&addr, "addr", sandbox.DefaultAddr, "`ADDRESS` to listen on")
	fs.BoolVar(&admin, "admin", false, "enable the /_sandbox/ admin endpoints")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := sandbox.ConfigFromEnv(c.getenv)
	if err != nil {
		return err
	}
	cfg.Admin = cfg.Admin || admin
	sb, err := sandbox.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(c.stdout, "Chorus Pro sandbox on http://%s (token: http://%s/api/oauth/token, admin %v)\n", ln.Addr(), ln.Addr(), cfg.Admin)
	if q := cfg.Quirks.Names(); len(q) > 0 {
		// Said at start: a sandbox playing the real platform's quirks
		// answers otherwise than the happy one.
		fmt.Fprintf(c.stdout, "quirks of the real platform played: %s\n", strings.Join(q, ", "))
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

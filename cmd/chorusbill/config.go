package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
)

// The variables the commands' help texts name (internal/app reads them).
const (
	envDatabaseURL     = app.EnvDatabaseURL
	envRedisURL        = app.EnvRedisURL
	envConcurrency     = app.EnvConcurrency
	envDeliberation    = app.EnvDeliberation
	envLegalRates      = app.EnvLegalRates
	envECBRates        = app.EnvECBRates
	envDashboardAddr   = app.EnvDashboardAddr
	envInsecureCookies = app.EnvInsecureCookies
	envMetricsAddr     = app.EnvMetricsAddr
)

// config is the configuration, read from the environment on the first call.
func (c *cli) config() (app.Config, error) {
	if c.cfg == nil {
		cfg, err := app.LoadConfig(c.getenv)
		c.cfg, c.cfgErr = &cfg, err
	}
	return *c.cfg, c.cfgErr
}

// catalog loads the deliberations: a flag value wins over the environment,
// which wins over the embedded fixtures.
func (c *cli) catalog(flagValue string) (*tariff.Catalog, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	return cfg.Catalog(flagValue)
}

// rateTable loads a rate table from a file given by flag or by envVar
// (envLegalRates or envECBRates), or from the embedded fixture.
func (c *cli) rateTable(flagValue, envVar, embedded string, parse func(string, io.Reader) (*invoice.RateTable, error)) (*invoice.RateTable, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	path := flagValue
	if path == "" && envVar == envLegalRates {
		path = cfg.LegalRates
	} else if path == "" && envVar == envECBRates {
		path = cfg.ECBRates
	}
	return app.LoadRateTable(path, embedded, parse)
}

// issuer loads who issues the invoices: $CHORUSBILL_ISSUER or the embedded
// fixtures/issuer.yaml.
func (c *cli) issuer() (document.Issuer, error) {
	cfg, err := c.config()
	if err != nil {
		return document.Issuer{}, err
	}
	return cfg.LoadIssuer()
}

// openBooks opens and migrates the database named by CHORUSBILL_DATABASE_URL
// (or its _FILE variant, for a URL carrying a password), by default the
// embedded SQLite file.
func (c *cli) openBooks(ctx context.Context) (*store.Store, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	s, err := cfg.OpenBooks(ctx)
	if err == nil && s.Created() {
		fmt.Fprintf(c.stderr, "chorusbill: no books were found at %s: new, empty books were created there (%s names them)\n",
			cfg.BooksPlace(), app.EnvDatabaseURL)
	}
	return s, err
}

// buildStack builds the stack of the configuration (and opts), logging to
// stderr unless opts say otherwise.
func (c *cli) buildStack(ctx context.Context, opts app.StackOptions) (*app.Stack, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = c.logger(c.stderr, slog.LevelInfo)
	}
	return app.NewStack(ctx, cfg, opts)
}

func (c *cli) logger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// readFixture reads an embedded fixture file.
func readFixture(name string) ([]byte, error) { return app.ReadFixture(name) }

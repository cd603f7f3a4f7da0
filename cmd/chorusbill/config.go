package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
)

// Environment variables that replace the embedded tables without a rebuild.
const (
	envDeliberation = "CHORUSBILL_DELIBERATION"
	envLegalRates   = "CHORUSBILL_LEGAL_RATES"
	envECBRates     = "CHORUSBILL_ECB_RATES"
)

func configVars() [][2]string {
	return [][2]string{
		{envDatabaseURL, "the books: postgres://… or sqlite://PATH (default " + store.DefaultURL + "); also " + envDatabaseURL + "_FILE"},
		{envIssuer, "issuer file (seller identity, bank account, convention), instead of the embedded demo one"},
		{envDeliberation, "deliberation file (YAML) or directory of them, instead of the embedded 2025-2029 one"},
		{envLegalRates, "legal interest rate table (CSV), instead of the embedded one"},
		{envECBRates, "ECB rate table (CSV) for the procurement regime, instead of the embedded one"},
	}
}

// catalog loads the deliberations: a flag value wins over the environment,
// which wins over the embedded fixtures.
func (c *cli) catalog(flagValue string) (*tariff.Catalog, error) {
	path := flagValue
	if path == "" {
		path = c.getenv(envDeliberation)
	}
	if path == "" {
		return tariff.LoadCatalog(fixtures.FS(), fixtures.DeliberationsDir)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("deliberation: %w", err)
	}
	if info.IsDir() {
		return tariff.LoadCatalog(os.DirFS(path), ".")
	}
	d, err := tariff.LoadDeliberation(os.DirFS(filepath.Dir(path)), filepath.Base(path))
	if err != nil {
		return nil, err
	}
	return tariff.NewCatalog(d)
}

// rateTable loads a rate table from a file given by flag or environment, or
// from the embedded fixture.
func (c *cli) rateTable(flagValue, envVar, embedded string, parse func(string, io.Reader) (*invoice.RateTable, error)) (*invoice.RateTable, error) {
	path := flagValue
	if path == "" {
		path = c.getenv(envVar)
	}
	var (
		data []byte
		err  error
	)
	if path == "" {
		path = embedded
		data, err = fs.ReadFile(fixtures.FS(), embedded)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read rate table: %w", err)
	}
	return parse(path, bytes.NewReader(data))
}

// readFixture reads an embedded fixture file.
func readFixture(name string) ([]byte, error) { return fs.ReadFile(fixtures.FS(), name) }

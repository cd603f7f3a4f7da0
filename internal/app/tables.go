package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
)

// OpenBooks opens and migrates the books (BooksURL).
func (c Config) OpenBooks(ctx context.Context) (*store.Store, error) {
	s, err := store.OpenAndMigrate(ctx, c.BooksURL())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDatabaseURL, err)
	}
	return s, nil
}

// Catalog loads the deliberations: path (a command's flag) wins over
// Deliberation, which wins over the embedded fixtures. Either may name a
// file or a directory of them.
func (c Config) Catalog(path string) (*tariff.Catalog, error) {
	if path == "" {
		path = c.Deliberation
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

// LegalRateTable loads the legal interest rates: path (a command's flag),
// else LegalRates, else the embedded table.
func (c Config) LegalRateTable(path string) (*invoice.RateTable, error) {
	if path == "" {
		path = c.LegalRates
	}
	return LoadRateTable(path, fixtures.LegalInterestRates, invoice.ParseLegalRates)
}

// ECBRateTable loads the ECB rates: path (a command's flag), else ECBRates,
// else the embedded table.
func (c Config) ECBRateTable(path string) (*invoice.RateTable, error) {
	if path == "" {
		path = c.ECBRates
	}
	return LoadRateTable(path, fixtures.ECBRates, invoice.ParseECBRates)
}

// LoadRateTable parses the rate table in the file path, or in the embedded
// fixture when path is "".
func LoadRateTable(path, embedded string, parse func(string, io.Reader) (*invoice.RateTable, error)) (*invoice.RateTable, error) {
	var (
		data []byte
		err  error
	)
	if path == "" {
		path = embedded
		data, err = ReadFixture(embedded)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read rate table: %w", err)
	}
	return parse(path, bytes.NewReader(data))
}

// LoadIssuer loads who issues the invoices: the file Issuer, or the
// embedded fixtures/issuer.yaml, with the CII's SIRET scheme of the
// configuration (CHORUS_SIRET_SCHEME).
func (c Config) LoadIssuer() (document.Issuer, error) {
	path := c.Issuer
	var (
		data []byte
		err  error
	)
	if path == "" {
		path = fixtures.Issuer
		data, err = ReadFixture(path)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return document.Issuer{}, fmt.Errorf("%s: %w", EnvIssuer, err)
	}
	is, err := document.ParseIssuer(path, data)
	is.SIRETScheme = c.SIRETScheme
	return is, err
}

// ReadFixture reads an embedded fixture file.
func ReadFixture(name string) ([]byte, error) { return fs.ReadFile(fixtures.FS(), name) }

package lab

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
)

// chaosInputs are the CSV files the chaos run imports, written in its
// directory so that the checks read what the operator would have given,
// not what the books made of it: the establishments and usage of the
// first import, then those of the import during the run (establishments
// the first file does not hold, with their usage).
type chaosInputs struct {
	// Establishments and Usage are the files in import order.
	Establishments, Usage [2]string
	// First and Added are how many establishments each import holds.
	First, Added int
	// All is every establishment generated, for the sandbox's directory
	// (the buyers of both imports are on Chorus Pro from the start).
	All []byte
}

// writeChaosInputs generates n+added establishments (seed 7) and splits
// them: the first n, and the last added, SIRETs distinct by construction
// (fixtures.Generate numbers them), each file with its own usage rows.
func writeChaosInputs(dir string, n, added int) (chaosInputs, error) {
	in := chaosInputs{First: n, Added: added}
	var est, usage bytes.Buffer
	if err := fixtures.Generate(n+added, 7, &est, &usage); err != nil {
		return in, err
	}
	in.All = est.Bytes()
	estRows, err := csvRows(est.Bytes())
	if err != nil {
		return in, err
	}
	if len(estRows) != n+added {
		return in, fmt.Errorf("generated %d establishment rows, want %d", len(estRows), n+added)
	}
	later := map[string]bool{}
	for _, row := range estRows[n:] {
		later[siretOf(row)] = true
	}
	useRows, err := csvRows(usage.Bytes())
	if err != nil {
		return in, err
	}
	var use [2][]string
	for _, row := range useRows {
		i := 0
		if later[siretOf(row)] {
			i = 1
		}
		use[i] = append(use[i], row)
	}
	for i, part := range [2][]string{estRows[:n], estRows[n:]} {
		in.Establishments[i] = filepath.Join(dir, fmt.Sprintf("establishments-%d.csv", i+1))
		if err := writeCSV(in.Establishments[i], fixtures.EstablishmentsHeader, part); err != nil {
			return in, err
		}
		in.Usage[i] = filepath.Join(dir, fmt.Sprintf("usage-%d.csv", i+1))
		if err := writeCSV(in.Usage[i], fixtures.UsageHeader, use[i]); err != nil {
			return in, err
		}
	}
	return in, nil
}

// importInputs imports the establishments then the usage of import i
// (0: the first, 1: the one during the run), from their files.
func (in chaosInputs) importInputs(ctx context.Context, books *store.Store, cat *tariff.Catalog, i int) error {
	for _, f := range []struct {
		path string
		imp  func(context.Context, string, *os.File) (store.ImportResult, error)
	}{
		{in.Establishments[i], func(ctx context.Context, name string, r *os.File) (store.ImportResult, error) {
			return books.ImportEstablishments(ctx, name, r, cat, "chaos")
		}},
		{in.Usage[i], func(ctx context.Context, name string, r *os.File) (store.ImportResult, error) {
			return books.ImportUsage(ctx, name, r, cat, "chaos")
		}},
	} {
		r, err := os.Open(f.path)
		if err != nil {
			return err
		}
		_, err = f.imp(ctx, filepath.Base(f.path), r)
		r.Close()
		if err != nil {
			return fmt.Errorf("import %s: %w", f.path, err)
		}
	}
	return nil
}

// csvRows are the lines of a generated CSV after its header (one row a
// line: the generator writes no line breaks inside a field).
func csvRows(data []byte) ([]string, error) {
	var rows []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for first := true; sc.Scan(); first = false {
		if !first && sc.Text() != "" {
			rows = append(rows, sc.Text())
		}
	}
	return rows, sc.Err()
}

// siretOf is the first field of a generated row: its SIRET.
func siretOf(row string) string {
	siret, _, _ := strings.Cut(row, ";")
	return siret
}

func writeCSV(path, header string, rows []string) error {
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/store"
)

const importAbout = `Loads a CSV file into the books, in one transaction: a file with any bad
row is rejected whole, every problem listed as file:line: field: problem, and
the books are left unchanged. Re-importing a file is harmless (rows are
matched on their natural key) and says what was added, changed, unchanged.
Header row required; ';' or ',' separators; UTF-8 with or without BOM;
decimal comma or point; dates YYYY-MM-DD or DD/MM/YYYY. Columns:

  establishments  siret;name;offer;existing;headcount_YYYY… (+ address_line1,
                  address_line2, postcode, city, convention_received,
                  termination_received, on_chorus, late_payment_regime)
  usage           siret;year;service;quantity
  references      siret;year;code_service;engagement
  payments        invoice_number;paid_on;amount (+ reference)

FILE "-" reads standard input. See fixtures/README.md for the details.`

func runImport(ctx context.Context, c *cli, args []string) error {
	kinds := []string{"establishments", "usage", "references", "payments"}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(c.stdout, "Usage: chorusbill import %s FILE.csv [--deliberation FILE]\n\n%s\n", strings.Join(kinds, "|"), importAbout)
		return nil
	}
	if len(args) < 2 {
		return usagef("say what to import (%s) and the FILE", strings.Join(kinds, ", "))
	}
	kind, file := args[0], args[1]
	if !slices.Contains(kinds, kind) {
		return usagef("cannot import %q (want %s)", kind, strings.Join(kinds, ", "))
	}
	fs := c.newFlagSet("import "+kind, "FILE", importAbout)
	var delib string
	fs.StringVar(&delib, "deliberation", "", "deliberation `FILE` or directory (default: embedded, or $"+envDeliberation+")")
	if err := parse(fs, args[2:]); err != nil {
		return err
	}
	in, name, closeFn, err := openInput(c, file)
	if err != nil {
		return err
	}
	defer closeFn()
	s, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	const actor = "import"
	var res store.ImportResult
	switch kind {
	case "establishments", "usage":
		cat, err := c.catalog(delib)
		if err != nil {
			return err
		}
		if kind == "usage" {
			res, err = s.ImportUsage(ctx, name, in, cat, actor)
		} else {
			res, err = s.ImportEstablishments(ctx, name, in, cat, actor)
		}
		if err != nil {
			return err
		}
	case "references":
		if res, err = s.ImportReferences(ctx, name, in, actor); err != nil {
			return err
		}
	case "payments":
		if res, err = s.ImportPayments(ctx, name, in, actor); err != nil {
			return err
		}
	default:
		return usagef("cannot import %q (want %s)", kind, strings.Join(kinds, ", "))
	}
	fmt.Fprintln(c.stdout, res)
	return nil
}

func openInput(c *cli, file string) (io.Reader, string, func(), error) {
	if file == "-" {
		return bufio.NewReader(os.Stdin), "stdin", func() {}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, "", nil, err
	}
	return f, file, func() { f.Close() }, nil
}

const fixturesAbout = `Writes data for trying chorusbill out and for benchmarks.
  chorusbill fixtures generate --establishments N [--seed S] [--out DIR]
      writes DIR/establishments.csv and DIR/usage-2025.csv (synthetic, valid)
  chorusbill fixtures sample [--out DIR]
      writes the realistic sample of about 40 establishments shipped in the binary`

func runFixtures(_ context.Context, c *cli, args []string) error {
	if len(args) == 0 || (args[0] != "generate" && args[0] != "sample") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(c.stdout, "Usage: chorusbill fixtures generate|sample [flags]\n\n%s\n", fixturesAbout)
			return nil
		}
		return usagef("say generate or sample")
	}
	fs := c.newFlagSet("fixtures "+args[0], "[flags]", fixturesAbout)
	var (
		n    int
		seed int64
		out  string
	)
	if args[0] == "generate" {
		fs.IntVar(&n, "establishments", 0, "number of establishments to generate (required)")
		fs.Int64Var(&seed, "seed", 1, "random seed (the same seed writes the same files)")
	}
	fs.StringVar(&out, "out", ".", "directory to write the files into")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if args[0] == "sample" {
		for _, name := range []string{"establishments.csv", "usage-2025.csv", "references.csv"} {
			data, err := readFixture(fixtures.SampleDir + "/" + name)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, filepath.Join(out, name))
		}
		return nil
	}
	if n <= 0 {
		return usagef("--establishments N is required")
	}
	estPath, usagePath := filepath.Join(out, "establishments.csv"), filepath.Join(out, "usage-2025.csv")
	ef, err := os.Create(estPath)
	if err != nil {
		return err
	}
	defer ef.Close()
	uf, err := os.Create(usagePath)
	if err != nil {
		return err
	}
	defer uf.Close()
	ew, uw := bufio.NewWriter(ef), bufio.NewWriter(uf)
	if err := fixtures.Generate(n, seed, ew, uw); err != nil {
		return err
	}
	for _, w := range []*bufio.Writer{ew, uw} {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if err := ef.Close(); err != nil {
		return err
	}
	if err := uf.Close(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s (%d establishments)\n%s\n", estPath, n, usagePath)
	return nil
}

package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

const exportAbout = `Writes the documents of finalised invoices into DIR, one file per invoice
named after its number (CT2025-000001.cii.xml, .ubl.xml, .pdf, .facturx.pdf).
Documents are rendered from the stored figures and kept in the books with
their checksum; exporting again gives the same bytes.
--format print-batch writes one PDF holding every invoice of the selection
whose buyer is not on Chorus Pro, ready for mailing.`

func runExport(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("invoices export", "--format F --out DIR [--year Y] [--number N]", exportAbout)
	var (
		format, number, out, kind string
		year                      int
	)
	formats := append(document.Formats(), "print-batch")
	fs.StringVar(&format, "format", "", "one of "+strings.Join(formats, ", ")+" (required)")
	fs.IntVar(&year, "year", 0, "invoices of this year")
	fs.StringVar(&number, "number", "", "only this invoice")
	fs.StringVar(&kind, "kind", "", "only this kind")
	fs.StringVar(&out, "out", "", "directory to write into (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !slices.Contains(formats, format) {
		return usagef("--format must be one of %s", strings.Join(formats, ", "))
	}
	if out == "" {
		return usagef("--out DIR is required")
	}
	is, err := c.issuer()
	if err != nil {
		return err
	}
	s, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	var invoices []store.Invoice
	if number != "" {
		inv, err := s.InvoiceByNumber(ctx, number)
		if err != nil {
			return err
		}
		invoices = append(invoices, inv)
	} else {
		f := store.InvoiceFilter{Year: year}
		if kind != "" {
			if f.Kind, err = invoice.ParseKind(kind); err != nil {
				return usagef("--kind: %v", err)
			}
		}
		list, err := s.ListInvoices(ctx, f)
		if err != nil {
			return err
		}
		for _, inv := range list {
			full, err := s.InvoiceByID(ctx, inv.ID)
			if err != nil {
				return err
			}
			invoices = append(invoices, full)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if format == "print-batch" {
		return exportBatch(ctx, c, s, is, invoices, out, year)
	}
	for _, inv := range invoices {
		docs, err := worker.RenderAndStore(ctx, s, is, inv, []string{format}, "export")
		if err != nil {
			return err
		}
		path := filepath.Join(out, inv.Number+document.Extension(format))
		if err := os.WriteFile(path, docs[format].Content, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s  %d bytes  sha256 %s\n", path, docs[format].Size, docs[format].SHA256)
	}
	fmt.Fprintf(c.stdout, "%d document(s) written\n", len(invoices))
	return nil
}

func exportBatch(ctx context.Context, c *cli, s *store.Store, is document.Issuer, invoices []store.Invoice, out string, year int) error {
	var post []store.Invoice
	for _, inv := range invoices {
		est, err := s.EstablishmentByID(ctx, inv.EstablishmentID)
		if err != nil {
			return err
		}
		if est.OnChorus && inv.Channel != "postal" {
			continue
		}
		post = append(post, inv)
	}
	if len(post) == 0 {
		fmt.Fprintln(c.stdout, "no invoice to post in this selection")
		return nil
	}
	// As the dashboard prints: each invoice's PDF stored with its checksum,
	// and the batch's checksum in each one's audit trail.
	printed, err := worker.PrintBatch(ctx, s, is, post, "cli:export")
	if err != nil {
		return err
	}
	pdf := printed.PDF
	name := "print-batch.pdf"
	if year != 0 {
		name = fmt.Sprintf("print-batch-%d.pdf", year)
	}
	path := filepath.Join(out, name)
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(pdf)
	fmt.Fprintf(c.stdout, "%s  %d invoice(s) to post, %d bytes  sha256 %x (print batch %d, recorded in each invoice's audit trail)\n", path, len(post), len(pdf), sum, printed.Batch)
	return nil
}

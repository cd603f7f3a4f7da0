package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// chaosPayments is what the duplicate-payment fault did: the payments the
// run entered (each once, the overpaid one with its full amount), how many
// lines were imported a second time, and what became of the overpayment.
type chaosPayments struct {
	Entered    []EnteredPayment
	Duplicates int
	// Again is the books' account of the statement imported again.
	Again store.ImportResult
	// Overpaid is the books' answer to the overpaid line (nil: accepted).
	Overpaid error
	// Files are the bank statements written, in import order.
	Files []string
}

// errTooFewPostal says the books hold too few postal invoices yet.
var errTooFewPostal = errors.New("too few postal invoices in the books yet")

// enterPayments pays up to want postal invoices of the year in full (the
// invoices no one follows on Chorus Pro, paid by transfer) by importing
// one bank statement twice, as an operator would by mistake, then imports
// a statement paying one more postal invoice more than it is due. The
// statements are written in dir. With fewer than want+1 postal invoices it
// waits (errTooFewPostal) unless lastChance, when two are enough.
func enterPayments(ctx context.Context, books *store.Store, dir string, year, want int, lastChance bool) (chaosPayments, error) {
	var out chaosPayments
	postal, err := books.ListInvoices(ctx, store.InvoiceFilter{Year: year, Kind: invoice.KindContribution, State: invoice.StatePostal})
	if err != nil {
		return out, err
	}
	var due []store.Invoice
	for _, inv := range postal {
		if inv.TotalTTC.IsPositive() {
			due = append(due, inv)
		}
	}
	if len(due) < 2 || (len(due) < want+1 && !lastChance) {
		return out, errTooFewPostal
	}
	paid, over := due[:min(want, len(due)-1)], due[min(want, len(due)-1)]
	// Today on the machine's clock in Paris: the importer's "today", which
	// a payment may not come after.
	day := store.CivilDayInParis(time.Now())
	var lines []string
	for i, inv := range paid {
		p := EnteredPayment{Number: inv.Number, Amount: inv.TotalTTC, PaidOn: day, Reference: fmt.Sprintf("VIR CHAOS-%04d", i+1)}
		out.Entered = append(out.Entered, p)
		lines = append(lines, paymentLine(p))
	}
	statement := filepath.Join(dir, "payments.csv")
	if err := writeCSV(statement, "invoice_number;paid_on;amount;reference", lines); err != nil {
		return out, err
	}
	for range 2 {
		res, err := importPayments(ctx, books, statement)
		if err != nil {
			return out, err
		}
		out.Files = append(out.Files, statement)
		if len(out.Files) == 2 {
			out.Duplicates, out.Again = res.Rows, res
		}
	}
	extra := EnteredPayment{Number: over.Number, Amount: over.TotalTTC.Add(decimal.NewFromInt(100)), PaidOn: day, Reference: "VIR CHAOS-TROP"}
	out.Entered = append(out.Entered, extra)
	overpaid := filepath.Join(dir, "payments-overpaid.csv")
	if err := writeCSV(overpaid, "invoice_number;paid_on;amount;reference", []string{paymentLine(extra)}); err != nil {
		return out, err
	}
	out.Files = append(out.Files, overpaid)
	_, out.Overpaid = importPayments(ctx, books, overpaid)
	return out, nil
}

// paymentLine is p as a bank statement's line, amounts in the French way.
func paymentLine(p EnteredPayment) string {
	return strings.Join([]string{p.Number, p.PaidOn.Format(time.DateOnly), strings.Replace(p.Amount.StringFixed(2), ".", ",", 1), p.Reference}, ";")
}

func importPayments(ctx context.Context, books *store.Store, path string) (store.ImportResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.ImportResult{}, err
	}
	defer f.Close()
	return books.ImportPayments(ctx, filepath.Base(path), f, "chaos")
}

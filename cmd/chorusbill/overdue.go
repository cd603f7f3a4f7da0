package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// overdueJSON is one line of "chorusbill invoices list --overdue --json".
type overdueJSON struct {
	Number  string `json:"number"`
	DueDate string `json:"due_date"`
	// Due is what remains unpaid.
	Due      string `json:"due"`
	DaysLate int    `json:"days_late"`
	Regime   string `json:"regime"`
	Interest string `json:"interest_to_date"`
	Note     string `json:"note,omitempty"`
}

// listOverdue lists the unpaid invoices past due with the interest accrued
// so far under each one's regime, as if paid today.
func listOverdue(ctx context.Context, c *cli, year int, asJSON bool) error {
	legal, err := c.rateTable("", envLegalRates, fixtures.LegalInterestRates, invoice.ParseLegalRates)
	if err != nil {
		return err
	}
	ecb, err := c.rateTable("", envECBRates, fixtures.ECBRates, invoice.ParseECBRates)
	if err != nil {
		return err
	}
	s, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	today := time.Now().UTC()
	var rows []overdueJSON
	for _, st := range invoice.OpenStates() {
		list, err := s.ListInvoices(ctx, store.InvoiceFilter{Year: year, State: st})
		if err != nil {
			return err
		}
		for _, inv := range list {
			if !invoice.Overdue(inv.State, inv.Kind, inv.DueDate, inv.TotalTTC, today) {
				continue // not overdue even if nothing were paid
			}
			payments, err := s.Payments(ctx, inv.ID)
			if err != nil {
				return err
			}
			due := inv.TotalTTC
			for _, p := range payments {
				due = due.Sub(p.Amount)
			}
			if !invoice.Overdue(inv.State, inv.Kind, inv.DueDate, due, today) {
				continue
			}
			res, err := invoice.LateInterest(inv.LatePaymentRegime, due, inv.DueDate, today, invoice.InterestRates{Legal: legal, ECB: ecb})
			row := overdueJSON{Number: inv.Number, DueDate: inv.DueDate.Format(time.DateOnly), Due: invoice.Format(due),
				DaysLate: int(today.Sub(inv.DueDate).Hours() / 24), Regime: string(inv.LatePaymentRegime)}
			if err != nil {
				// A semester with no rate, or only an unofficial one: the
				// interest is pending; say so, never guess.
				row.Note = "interest pending: " + err.Error()
			} else {
				row.Interest, row.DaysLate = invoice.Format(res.Total), res.Days
			}
			rows = append(rows, row)
		}
	}
	if asJSON {
		if rows == nil {
			rows = []overdueJSON{}
		}
		return writeJSON(c.stdout, rows)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMÉRO\tÉCHÉANCE\tRESTE DÛ\tJOURS DE RETARD\tRÉGIME\tINTÉRÊTS À CE JOUR")
	for _, r := range rows {
		interest := r.Interest
		if r.Note != "" {
			interest = "— " + r.Note
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Number, r.DueDate, r.Due, r.DaysLate, r.Regime, interest)
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "%d facture(s) en retard\n", len(rows))
	return nil
}

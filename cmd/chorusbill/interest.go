package main

import (
	"context"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
)

const interestAbout = `Computes the late-payment interest owed on an invoice paid after its due date.
legal: French legal interest rate ("autres cas"), simple interest, per semester,
from the day after the due date through the payment date, rounded once.
procurement: ECB rate of the semester lateness starts in + 8 points for the
whole delay, plus the 40 € recovery indemnity.`

func runInterest(_ context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("interest", "--principal AMOUNT --due DATE --paid DATE [flags]", interestAbout)
	var (
		principal         decimalFlag
		due, paid         dateFlag
		regime, basis     string
		legalPath, ecbPth string
		asJSON            bool
	)
	fs.Var(&principal, "principal", "amount due, in euros (`AMOUNT`, e.g. 5175.00)")
	fs.Var(&due, "due", "due `DATE` of the invoice")
	fs.Var(&paid, "paid", "`DATE` the payment was received")
	fs.StringVar(&regime, "regime", string(invoice.RegimeLegal), "legal or procurement")
	fs.StringVar(&basis, "basis", "365", "days per year: 365, or actual (366 in leap years)")
	fs.StringVar(&legalPath, "rates", "", "legal interest rate table `FILE` (default: embedded, or $"+envLegalRates+")")
	fs.StringVar(&ecbPth, "ecb-rates", "", "ECB rate table `FILE` (default: embedded, or $"+envECBRates+")")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case !principal.set:
		return usagef("--principal is required")
	case !due.set:
		return usagef("--due is required")
	case !paid.set:
		return usagef("--paid is required")
	case principal.d.IsNegative():
		return usagef("--principal %s is negative", principal.d)
	}
	r, err := invoice.ParseRegime(regime)
	if err != nil {
		return usagef("--regime: %v", err)
	}
	b, err := invoice.ParseDayBasis(basis)
	if err != nil {
		return usagef("--basis: %v", err)
	}
	var res invoice.Interest
	if r == invoice.RegimeProcurement {
		table, err := c.rateTable(ecbPth, envECBRates, fixtures.ECBRates, invoice.ParseECBRates)
		if err != nil {
			return err
		}
		res, err = invoice.ProcurementInterest(principal.d, due.t, paid.t, table, b)
		if err != nil {
			return err
		}
	} else {
		table, err := c.rateTable(legalPath, envLegalRates, fixtures.LegalInterestRates, invoice.ParseLegalRates)
		if err != nil {
			return err
		}
		res, err = invoice.LegalInterest(principal.d, due.t, paid.t, table, b)
		if err != nil {
			return err
		}
	}
	if asJSON {
		return writeJSON(c.stdout, interestView(res, b))
	}
	writeInterest(c, res)
	return nil
}

// interestJSON is the JSON contract of "chorusbill interest --json". Rates
// are in percent per year; periods are inclusive.
type interestJSON struct {
	Regime    string               `json:"regime"`
	Basis     string               `json:"basis"`
	Principal string               `json:"principal"`
	Due       string               `json:"due"`
	Paid      string               `json:"paid"`
	Days      int                  `json:"days"`
	Interest  string               `json:"interest"`
	Indemnity string               `json:"indemnity"`
	Total     string               `json:"total"`
	Periods   []interestPeriodJSON `json:"periods"`
}

type interestPeriodJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days int    `json:"days"`
	Rate string `json:"rate"`
}

func interestView(r invoice.Interest, b invoice.DayBasis) interestJSON {
	v := interestJSON{
		Regime: string(r.Regime), Basis: b.String(), Principal: invoice.Format(r.Principal),
		Due: r.Due.Format(time.DateOnly), Paid: r.Paid.Format(time.DateOnly), Days: r.Days,
		Interest: invoice.Format(r.Interest), Indemnity: invoice.Format(r.Indemnity), Total: invoice.Format(r.Total),
		Periods: []interestPeriodJSON{},
	}
	for _, p := range r.Periods {
		v.Periods = append(v.Periods, interestPeriodJSON{
			From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), Days: p.Days, Rate: p.Rate.String(),
		})
	}
	return v
}

func writeInterest(c *cli, r invoice.Interest) {
	w := c.stdout
	title := "Intérêts au taux légal (taux « autres cas »)"
	if r.Regime == invoice.RegimeProcurement {
		title = "Intérêts moratoires (taux BCE + 8 points)"
	}
	fmt.Fprintf(w, "%s sur %s, échéance le %s, payé le %s\n", title, euros(r.Principal), frenchDate(r.Due), frenchDate(r.Paid))
	if r.Days == 0 {
		fmt.Fprintln(w, "Payé à l'échéance : aucun intérêt de retard.")
		return
	}
	for _, p := range r.Periods {
		fmt.Fprintf(w, "  du %s au %s : %4d jours à %s\n", frenchDate(p.From), frenchDate(p.To), p.Days, percent(p.Rate))
	}
	fmt.Fprintf(w, "Retard : %d jours — intérêts : %s", r.Days, euros(r.Interest))
	if r.Indemnity.IsPositive() {
		fmt.Fprintf(w, " + indemnité forfaitaire de recouvrement %s = %s", euros(r.Indemnity), euros(r.Total))
	}
	fmt.Fprintln(w)
}

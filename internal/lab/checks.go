package lab

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// ChecksInput is what the chaos run's checks judge: the books, the
// sandbox that played Chorus Pro, and the inputs as the operator gave them.
type ChecksInput struct {
	// Books are the run's books; DatabaseURL names them for the checks'
	// plain SQL.
	Books       *store.Store
	DatabaseURL string
	Sandbox     *sandbox.Server
	Catalog     *tariff.Catalog
	// Establishments is how many the run billed.
	Establishments int
	// EstablishmentFiles and UsageFiles are the CSV files the run
	// imported, in import order (the establishments of a later file win).
	EstablishmentFiles, UsageFiles []string
	// Year is the contribution year billed.
	Year int
	// Payments are those the run entered itself (the duplicate-payment
	// fault enters some twice): each counts once.
	Payments []EnteredPayment
	// Settled tells whether the run settled (no invoice in a working
	// state) before its time limit; Waited is how long it waited.
	Settled bool
	Waited  time.Duration
}

// EnteredPayment is a payment the chaos run entered into the books itself
// (as an operator imports a bank statement), by invoice number.
type EnteredPayment struct {
	Number    string
	Amount    decimal.Decimal
	PaidOn    time.Time
	Reference string
}

// Checks verifies the invariants of the books after a 2025 contribution
// run of n establishments whose Chorus Pro was sb, and prints each check
// to w: every due establishment has exactly one contribution invoice;
// numbers are 1..N per series; the sandbox integrated exactly one deposit
// per number; totals equal the tariff's; no invoice is left in a working
// state; the audit trail has a row for every state. It fails when a
// check does.
func Checks(ctx context.Context, w io.Writer, in ChecksInput) error {
	books, sb, cat, n := in.Books, in.Sandbox, in.Catalog, in.Establishments
	var failures []string
	check := func(name string, problems []string) {
		if len(problems) == 0 {
			fmt.Fprintf(w, "  ok    %s\n", name)
			return
		}
		fmt.Fprintf(w, "  FAIL  %s: %d problem(s), e.g. %s\n", name, len(problems), problems[0])
		failures = append(failures, name)
	}
	list, err := books.ListInvoices(ctx, store.InvoiceFilter{})
	if err != nil {
		return err
	}
	perEst := map[int64]int{}
	for _, inv := range list {
		if inv.Kind == invoice.KindContribution && inv.Year == 2025 && inv.State != invoice.StateCancelled {
			perEst[inv.EstablishmentID]++
		}
	}
	var once []string
	want := decimal.Zero
	err = books.ForEachEstablishment(ctx, 2025, func(e store.Establishment) error {
		te, err := e.Tariff(2025)
		if err != nil {
			return err
		}
		q, err := cat.Contribution(te, 2025)
		if err != nil {
			return err
		}
		expect := 0
		if q.Due() {
			expect = 1
			want = want.Add(q.Totals.TTC)
		}
		if perEst[e.ID] != expect {
			once = append(once, fmt.Sprintf("%s has %d invoices, %d due", e.SIRET, perEst[e.ID], expect))
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Late payments (the sandbox's clock runs an hour a second) produce
	// interest invoices while the run goes on, some still on their way when
	// the workers were stopped. The delivery checks cover the run's
	// invoices, which have all settled; numbering covers every series.
	var year []store.Invoice
	for _, inv := range list {
		if inv.Kind == invoice.KindContribution && inv.Year == 2025 {
			year = append(year, inv)
		}
	}
	fmt.Fprintf(w, "chaos: checks over %d establishments, %d invoices of the run (%d in all with the interest invoices of late payments)\n", n, len(year), len(list))
	check("every due establishment has exactly one contribution invoice, the others none", once)

	var gaps []string
	series := map[string]int64{}
	for _, inv := range list {
		series[inv.Series]++
		if inv.Seq != series[inv.Series] {
			gaps = append(gaps, fmt.Sprintf("%s where %s-%06d was expected", inv.Number, inv.Series, series[inv.Series]))
		}
	}
	check("numbers are 1..N in each series, no gap, no duplicate", gaps)

	integrated := map[string]int{}
	for _, d := range sb.Deposits() {
		if d.EtatFinal == chorus.EtatFluxIntegre {
			integrated[d.NumeroFacture]++
		}
	}
	var deposits []string
	for _, inv := range year {
		expect := 0
		if inv.Channel == "chorus" && inv.State != invoice.StateRejected {
			expect = 1
		}
		if integrated[inv.Number] != expect {
			deposits = append(deposits, fmt.Sprintf("%s (%s) integrated %d times", inv.Number, inv.State, integrated[inv.Number]))
		}
	}
	check("the sandbox integrated exactly one deposit per number sent through Chorus Pro", deposits)

	total := decimal.Zero
	for _, inv := range year {
		if inv.Kind == invoice.KindContribution && inv.State != invoice.StateCancelled {
			total = total.Add(inv.TotalTTC)
		}
	}
	var totals []string
	if !total.Equal(want) {
		totals = append(totals, fmt.Sprintf("billed %s TTC, the tariff says %s", total, want))
	}
	check("the total billed equals the sum computed from the tariff", totals)

	var stuck []string
	for _, inv := range year {
		if inv.State.Working() {
			stuck = append(stuck, inv.Number+" is "+string(inv.State))
		}
	}
	check("no invoice of the run is left in a working state", stuck)

	var audit []string
	for _, inv := range year {
		trail, err := books.AuditTrail(ctx, "invoice", inv.ID)
		if err != nil {
			return err
		}
		state := ""
		for _, e := range trail {
			if e.From == "" && e.To == "" {
				continue // payments, documents
			}
			if state != "" && e.From != state {
				audit = append(audit, fmt.Sprintf("%s: %s→%s after %s", inv.Number, e.From, e.To, state))
			}
			state = e.To
		}
		if state != string(inv.State) {
			audit = append(audit, fmt.Sprintf("%s is %s but its trail ends at %q", inv.Number, inv.State, state))
		}
	}
	check("the audit trail of each invoice of the run has a row for every state change", audit)
	if len(failures) > 0 {
		return fmt.Errorf("%d check(s) failed: %s", len(failures), strings.Join(failures, "; "))
	}
	fmt.Fprintln(w, "chaos: all checks passed")
	return nil
}

package lab

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/shopspring/decimal"
)

// ChecksInput is what the chaos run's checks judge: the books, the
// sandbox that played Chorus Pro, and the inputs as the operator gave them.
type ChecksInput struct {
	// DatabaseURL names the run's books, which the checks read with plain
	// SQL.
	DatabaseURL string
	Sandbox     *sandbox.Server
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

// Checks judges the books after a chaos run, apart from the code under
// test (checkfacts.go, checkrules.go): the totals per establishment
// against what the judge computes from the input files, every deposit the
// sandbox received, the numbering and its counter, the books' states
// against Chorus Pro's, each payment counted once, nothing stuck, and the
// audit trail. It prints "check: NAME ok" or "check: NAME FAILED" with the
// first problems, and fails when a check does.
func Checks(ctx context.Context, w io.Writer, in ChecksInput) error {
	f, err := gatherFacts(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "chaos: checks over %d establishments, %d invoices, %d deposits at Chorus Pro\n", len(f.owed), len(f.invoices), len(f.deposits))
	return reportChecks(w, judgeFacts(f))
}

// reportChecks prints the verdicts and fails when one found a problem.
func reportChecks(w io.Writer, results []checkResult) error {
	var failed []string
	for _, r := range results {
		if len(r.problems) == 0 {
			fmt.Fprintf(w, "check: %s ok", r.name)
		} else {
			fmt.Fprintf(w, "check: %s FAILED (%d problem(s))", r.name, len(r.problems))
			failed = append(failed, r.name)
		}
		if len(r.notes) > 0 {
			fmt.Fprintf(w, "  — %s", strings.Join(r.notes, "; "))
		}
		fmt.Fprintln(w)
		for i, p := range r.problems {
			if i == 5 {
				fmt.Fprintf(w, "    … and %d more\n", len(r.problems)-i)
				break
			}
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d check(s) failed: %s", len(failed), strings.Join(failed, ", "))
	}
	fmt.Fprintln(w, "chaos: all checks passed")
	return nil
}

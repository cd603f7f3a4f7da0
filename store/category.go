package store

import (
	"strings"

	"github.com/chorusbill/chorusbill/invoice"
)

// The invoice package's categories of states and kinds, as SQL. The lists
// are generated from invoice's own, never typed here: the values are
// the package's constants (no quote can occur in them), written as literals
// so that the planner sees them as it sees the partial indexes' conditions.

// sqlList is the values as a comma-separated list of SQL string literals,
// for an IN (…).
func sqlList[T ~string](values []T) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = sqlString(string(v))
	}
	return strings.Join(quoted, ", ")
}

// notCancelled selects the invoices that bill: all but those cancelled by a
// credit note (the condition of the once-per-year index).
const notCancelled = "state <> '" + string(invoice.StateCancelled) + "'"

// notComplement selects the year's one invoice of its kind, leaving out the
// complementary invoices that name the invoice they complete (the other
// condition of the once-per-year index).
const notComplement = "original_invoice_id IS NULL"

// settlementJoins join invoices aliased i with what settles them: the sum
// of their payments as p.paid, and of the credit notes that reduce them
// without cancelling them (corrections for the difference) as c.credited.
// What remains due on an invoice is total − credited − paid, whoever asks
// (the overview, the work lists, overdueSQL).
var settlementJoins = `LEFT JOIN (SELECT invoice_id, SUM(amount_cents) AS paid FROM payments GROUP BY invoice_id) p ON p.invoice_id = i.id
		LEFT JOIN (SELECT original_invoice_id AS invoice_id, SUM(total_ttc_cents) AS credited FROM invoices
			WHERE kind = '` + string(invoice.KindCreditNote) + `' AND cancels_invoice_id IS NULL AND original_invoice_id IS NOT NULL AND ` + notCancelled + `
			GROUP BY original_invoice_id) c ON c.invoice_id = i.id`

// dueSQL is what remains due on invoice i (see settlementJoins).
const dueSQL = "(i.total_ttc_cents - COALESCE(c.credited, 0) - COALESCE(p.paid, 0))"

// billedSQL selects the invoices aliased i that the money totals count:
// those the buyer owes (not credit notes, which settlementJoins nets onto
// their invoice) and not cancelled. The overview, the aged balance and
// the monthly chart all sum over it.
func billedSQL() string {
	return "i.kind IN (" + sqlList(invoice.PayableKinds()) + ") AND i." + notCancelled
}

// outstandingSQL selects, among billedSQL's invoices with settlementJoins,
// those with something still to collect: not settled, rejected ones
// included (still owed once deposited again or replaced). The overview's
// Outstanding and the aged balance both sum dueSQL over it.
func outstandingSQL() string {
	return "i.state NOT IN (" + sqlList(invoice.TerminalStates()) + ") AND " + dueSQL + " > 0"
}

// overdueSQL is invoice.Overdue over invoices aliased i, with
// settlementJoins; it takes one argument, the civil day (dayArg). The
// overview's overdue totals and the overdue work list both select with it.
func overdueSQL() string {
	return "i.state IN (" + sqlList(invoice.OpenStates()) + ") AND i.kind IN (" + sqlList(invoice.PayableKinds()) +
		") AND i.due_date < ? AND " + dueSQL + " > 0"
}

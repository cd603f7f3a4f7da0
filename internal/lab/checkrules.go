package lab

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/shopspring/decimal"
)

// The chaos checks, each a pure function of the facts, so that a test can
// plant a bug in facts and see the check that must catch it fail. The
// states and kinds are written here as the books spell them, not taken
// from the code under test.

// The checks' names, in the order they are printed.
const (
	checkTotals    = "independent-totals"
	checkDeposits  = "deposits-per-number"
	checkNumbering = "numbering-counter"
	checkStates    = "states-agree-with-chorus"
	checkPayments  = "payments-once"
	checkStuck     = "nothing-stuck"
	checkAudit     = "audit-trail"
)

// checkResult is a check's verdict: what is wrong (it failed when there is
// anything), and what is worth saying without being wrong.
type checkResult struct {
	name     string
	problems []string
	notes    []string
}

// judgeFacts runs every check.
func judgeFacts(f facts) []checkResult {
	return []checkResult{independentTotals(f), depositsPerNumber(f), numberingCounter(f), statesAgree(f), paymentsOnce(f), nothingStuck(f), auditTrail(f)}
}

const (
	kindContribution = "contribution"
	kindCreditNote   = "credit_note"
)

// working are the states the pipeline still acts on; a settled run has
// none.
var working = []string{"finalised", "delivering", "deposited"}

// independentTotals compares, establishment by establishment, what the
// books invoiced for the year's contribution with what the judge computed
// from the input files: the number of invoices in force and what they
// bill net of credit notes, to the cent.
func independentTotals(f facts) checkResult {
	r := checkResult{name: checkTotals}
	type billed struct {
		count int
		net   int64
	}
	byID := map[int64]factInvoice{}
	for _, inv := range f.invoices {
		byID[inv.ID] = inv
	}
	books := map[string]*billed{}
	at := func(siret string) *billed {
		if books[siret] == nil {
			books[siret] = &billed{}
		}
		return books[siret]
	}
	for _, inv := range f.invoices {
		switch {
		case inv.Kind == kindContribution && inv.Year == f.year:
			b := at(inv.SIRET)
			b.net += inv.TTC
			if inv.State != "cancelled" && inv.OriginalID == nil {
				b.count++
			}
		case inv.Kind == kindCreditNote && inv.OriginalID != nil:
			if orig, ok := byID[*inv.OriginalID]; ok && orig.Kind == kindContribution && orig.Year == f.year {
				at(orig.SIRET).net -= inv.TTC
			}
		}
	}
	sirets := make([]string, 0, len(f.owed))
	for s := range f.owed {
		sirets = append(sirets, s)
	}
	sort.Strings(sirets)
	var want, got int64
	for _, s := range sirets {
		e := f.owed[s]
		b := books[s]
		if b == nil {
			b = &billed{}
		}
		owed := int64(0)
		if e.Bill != nil {
			owed = cents(e.Bill.TTC)
		}
		want, got = want+owed, got+b.net
		if b.count != e.Invoices() || b.net != owed {
			r.problems = append(r.problems, fmt.Sprintf("%s: the books have %d invoice(s) for %s TTC, the inputs say %d for %s (%s)",
				s, b.count, euro(b.net), e.Invoices(), euro(owed), e.Outcome))
		}
	}
	for s, b := range books {
		if _, ok := f.owed[s]; !ok && (b.count > 0 || b.net != 0) {
			r.problems = append(r.problems, fmt.Sprintf("%s: invoiced %s TTC but in no input file", s, euro(b.net)))
		}
	}
	sort.Strings(r.problems)
	r.notes = append(r.notes, fmt.Sprintf("%d establishments, %s TTC owed, %s TTC invoiced", len(f.owed), euro(want), euro(got)))
	return r
}

// acknowledged tells whether the client received Chorus Pro's answer to a
// deposit saying it was taken: not lost, not answered codeRetour ≠ 0.
func acknowledged(d sandbox.Deposit) bool {
	return !d.AnswerLost && !strings.Contains(d.Quirk, sandbox.QuirkCodeRetourApplied) && !d.AnsweredAt.IsZero()
}

// recordedAt is when the books first held an invoice as deposited (or
// further): from then on they knew Chorus Pro had it.
func recordedAt(trail []factTransition) time.Time {
	for _, t := range trail {
		if t.To == "deposited" || t.To == "delivered" || t.To == "paid" {
			return t.At
		}
	}
	return time.Time{}
}

// depositsPerNumber counts, over every deposit Chorus Pro received, the
// deposits of each invoice number. A number is deposited again only when
// the client could not know the earlier deposit was taken: its answer
// lost, an error code on a deposit applied nevertheless, the platform
// refusing the earlier flow, or the answer received but never recorded
// (the worker killed, or the database down, before it could). Two deposits
// of a number at once (the second arriving before the first was answered),
// or one after the books recorded an acknowledged earlier flow, is a bug.
// At most one flow of a number is integrated; Chorus Pro holds no number
// the books do not know, and no postal invoice.
func depositsPerNumber(f facts) checkResult {
	r := checkResult{name: checkDeposits}
	known := map[string]factInvoice{}
	for _, inv := range f.invoices {
		known[inv.Number] = inv
	}
	byNumber := map[string][]sandbox.Deposit{}
	var numbers []string
	for _, d := range f.deposits {
		if _, seen := byNumber[d.NumeroFacture]; !seen {
			numbers = append(numbers, d.NumeroFacture)
		}
		byNumber[d.NumeroFacture] = append(byNumber[d.NumeroFacture], d)
	}
	again, unrecorded := 0, 0
	for _, n := range numbers {
		ds := byNumber[n]
		inv, ok := known[n]
		switch {
		case !ok:
			r.problems = append(r.problems, fmt.Sprintf("%s deposited %d time(s) but unknown to the books", n, len(ds)))
			continue
		case inv.Channel != "chorus":
			r.problems = append(r.problems, fmt.Sprintf("%s (%s, channel %q) was deposited at Chorus Pro", n, inv.State, inv.Channel))
		}
		recorded := recordedAt(f.transitions[inv.ID])
		integrated := 0
		for i, d := range ds {
			if d.EtatFinal == "IN_INTEGRE" {
				integrated++
			}
			if i == 0 {
				continue
			}
			again++
			prev := ds[i-1]
			switch {
			case !prev.AnsweredAt.IsZero() && d.ReceivedAt.Before(prev.AnsweredAt):
				r.problems = append(r.problems, fmt.Sprintf("%s deposited twice at once: flow %s arrived before flow %s was answered",
					n, d.NumeroFluxDepot, prev.NumeroFluxDepot))
			case acknowledged(prev) && prev.EtatFinal != "IN_REJETE" && !recorded.IsZero() && recorded.Before(d.ReceivedAt):
				r.problems = append(r.problems, fmt.Sprintf("%s deposited again (flow %s) after the books had recorded it deposited (flow %s acknowledged)",
					n, d.NumeroFluxDepot, prev.NumeroFluxDepot))
			case acknowledged(prev) && prev.EtatFinal != "IN_REJETE":
				unrecorded++
			}
		}
		if integrated > 1 {
			r.problems = append(r.problems, fmt.Sprintf("%s integrated %d times", n, integrated))
		}
	}
	r.notes = append(r.notes, fmt.Sprintf("%d deposits of %d numbers; %d a number again, %d of them after an answer received but not recorded",
		len(f.deposits), len(numbers), again, unrecorded))
	return r
}

// numberingCounter checks each series: numbers 1..N without gap or
// repeat, the counter row at N, and issue dates that never go backwards
// as the numbers rise.
func numberingCounter(f facts) checkResult {
	r := checkResult{name: checkNumbering}
	bySeries := map[string][]factInvoice{}
	for _, inv := range f.invoices {
		bySeries[inv.Series] = append(bySeries[inv.Series], inv)
	}
	series := make([]string, 0, len(bySeries))
	for s := range bySeries {
		series = append(series, s)
	}
	for s := range f.counters {
		if _, ok := bySeries[s]; !ok {
			series = append(series, s)
		}
	}
	sort.Strings(series)
	for _, s := range series {
		invs := bySeries[s]
		slices.SortFunc(invs, func(a, b factInvoice) int { return int(a.Seq - b.Seq) })
		for i, inv := range invs {
			if inv.Seq != int64(i+1) {
				r.problems = append(r.problems, fmt.Sprintf("%s: number %d where %d was expected (%s)", s, inv.Seq, i+1, inv.Number))
				break
			}
			if i > 0 && inv.IssueDate.Before(invs[i-1].IssueDate) {
				r.problems = append(r.problems, fmt.Sprintf("%s issued %s, before %s issued %s", inv.Number, inv.IssueDate.Format("02/01/2006"),
					invs[i-1].Number, invs[i-1].IssueDate.Format("02/01/2006")))
			}
		}
		if last, ok := f.counters[s]; !ok || last != int64(len(invs)) {
			r.problems = append(r.problems, fmt.Sprintf("%s: the counter says %d (row present: %v), the series holds %d", s, last, ok, len(invs)))
		}
	}
	r.notes = append(r.notes, fmt.Sprintf("%d series, %d numbers", len(series), len(f.invoices)))
	return r
}

// statesAgree compares each invoice sent through Chorus Pro with what
// Chorus Pro holds: delivered or paid in the books means integrated there
// for the same amount; paid means paid there; rejected means not held
// there, or rejected; a postal invoice or one awaiting references is not
// there at all. The books may lag Chorus Pro (it goes on after the workers
// stop): delivered while Chorus Pro has paid or rejected is said, not
// counted wrong.
func statesAgree(f facts) checkResult {
	r := checkResult{name: checkStates}
	lag := 0
	for _, inv := range f.invoices {
		held := f.chorus[inv.Number]
		var cur *sandbox.Invoice
		for i := range held {
			if held[i].Visible {
				cur = &held[i]
			}
		}
		status := ""
		if cur != nil {
			status = string(cur.Statut)
		}
		switch inv.State {
		case "delivered", "paid":
			if inv.Channel != "chorus" {
				break
			}
			if cur == nil {
				r.problems = append(r.problems, fmt.Sprintf("%s is %s in the books but Chorus Pro holds no integrated invoice of that number", inv.Number, inv.State))
				break
			}
			if amount, err := parseCents(cur.MontantTTC); err != nil || amount != inv.TTC {
				r.problems = append(r.problems, fmt.Sprintf("%s: %s TTC in the books, %q at Chorus Pro", inv.Number, euro(inv.TTC), cur.MontantTTC))
			}
			switch {
			case inv.State == "paid" && status != "MISE_EN_PAIEMENT":
				r.problems = append(r.problems, fmt.Sprintf("%s is paid in the books, %s at Chorus Pro", inv.Number, status))
			case inv.State == "delivered" && (status == "MISE_EN_PAIEMENT" || status == "REJETEE"):
				lag++
			}
		case "rejected":
			if cur != nil && status != "REJETEE" {
				r.problems = append(r.problems, fmt.Sprintf("%s is rejected in the books while integrated at Chorus Pro (%s)", inv.Number, status))
			}
		case "postal", "awaiting_reference":
			if len(held) > 0 {
				r.problems = append(r.problems, fmt.Sprintf("%s is %s in the books but Chorus Pro holds it (%s)", inv.Number, inv.State, status))
			}
		}
	}
	r.notes = append(r.notes, fmt.Sprintf("%d delivered invoice(s) whose payment or rejection at Chorus Pro the books had not read yet", lag))
	return r
}

// paymentsOnce checks that every payment counts once: no invoice is paid
// beyond what it bills; no two payments of an invoice share their day and
// amount; each payment the run entered is recorded at most once, for its
// amount; an invoice paid through Chorus Pro has one payment from it, of
// its total; and a late payment has at most one interest invoice.
func paymentsOnce(f facts) checkResult {
	r := checkResult{name: checkPayments}
	byID := map[int64]factInvoice{}
	byNumber := map[string]factInvoice{}
	credited := map[int64]int64{}
	for _, inv := range f.invoices {
		byID[inv.ID], byNumber[inv.Number] = inv, inv
		if inv.Kind == kindCreditNote && inv.OriginalID != nil && inv.CancelsID == nil && inv.State != "cancelled" {
			credited[*inv.OriginalID] += inv.TTC
		}
	}
	paid := map[int64]int64{}
	fromChorus := map[int64]int{}
	seen := map[string]int64{}
	byRef := map[string][]factPayment{}
	for _, p := range f.payments {
		paid[p.InvoiceID] += p.Amount
		if p.Source == "chorus" {
			fromChorus[p.InvoiceID]++
		}
		key := fmt.Sprintf("%d/%s/%d", p.InvoiceID, p.PaidOn.Format("2006-01-02"), p.Amount)
		if first, dup := seen[key]; dup {
			r.problems = append(r.problems, fmt.Sprintf("%s: payment #%d repeats payment #%d (%s on %s)", byID[p.InvoiceID].Number, p.ID, first,
				euro(p.Amount), p.PaidOn.Format("02/01/2006")))
		} else {
			seen[key] = p.ID
		}
		byRef[byID[p.InvoiceID].Number+"/"+p.Reference] = append(byRef[byID[p.InvoiceID].Number+"/"+p.Reference], p)
	}
	for id, sum := range paid {
		inv := byID[id]
		if due := inv.TTC - credited[id]; sum > due {
			r.problems = append(r.problems, fmt.Sprintf("%s: %s paid for %s due", inv.Number, euro(sum), euro(due)))
		}
	}
	entered := map[string]bool{}
	for _, e := range f.entered {
		key := e.Number + "/" + e.Reference
		if entered[key] {
			continue // the same line imported twice counts once
		}
		entered[key] = true
		switch rows := byRef[key]; {
		case len(rows) > 1:
			r.problems = append(r.problems, fmt.Sprintf("%s: the payment %s entered once is recorded %d times", e.Number, e.Reference, len(rows)))
		case len(rows) == 1 && rows[0].Amount != cents(e.Amount):
			r.problems = append(r.problems, fmt.Sprintf("%s: the payment %s of %s is recorded as %s", e.Number, e.Reference, euro(cents(e.Amount)), euro(rows[0].Amount)))
		}
	}
	for _, inv := range f.invoices {
		if inv.Channel != "chorus" || inv.State != "paid" {
			continue
		}
		if fromChorus[inv.ID] != 1 || paid[inv.ID] != inv.TTC-credited[inv.ID] {
			r.problems = append(r.problems, fmt.Sprintf("%s: paid through Chorus Pro by %d payment(s) for %s, bills %s", inv.Number, fromChorus[inv.ID],
				euro(paid[inv.ID]), euro(inv.TTC-credited[inv.ID])))
		}
	}
	interest := map[int64][]string{}
	for _, inv := range f.invoices {
		if inv.InterestOf != nil && inv.State != "cancelled" {
			interest[*inv.InterestOf] = append(interest[*inv.InterestOf], inv.Number)
		}
	}
	for p, invs := range interest {
		if len(invs) > 1 {
			r.problems = append(r.problems, fmt.Sprintf("payment #%d bears %d interest invoices: %s", p, len(invs), strings.Join(invs, ", ")))
		}
	}
	sort.Strings(r.problems)
	r.notes = append(r.notes, fmt.Sprintf("%d payments, %d entered by the run", len(f.payments), len(entered)))
	return r
}

// nothingStuck checks that the run settled within its time limit and left
// no invoice in a working state.
func nothingStuck(f facts) checkResult {
	r := checkResult{name: checkStuck}
	if !f.settled {
		r.problems = append(r.problems, fmt.Sprintf("the run had not settled after %s", f.waited.Round(1e9)))
	}
	for _, inv := range f.invoices {
		if slices.Contains(working, inv.State) {
			r.problems = append(r.problems, fmt.Sprintf("%s is still %s (Chorus Pro status in the books: %q)", inv.Number, inv.State, inv.ChorusStatus))
		}
	}
	r.notes = append(r.notes, fmt.Sprintf("settled in %s", f.waited.Round(1e9)))
	return r
}

// auditTrail checks that each invoice's trail has a row for every state
// change, ending at its state.
func auditTrail(f facts) checkResult {
	r := checkResult{name: checkAudit}
	for _, inv := range f.invoices {
		state := ""
		for _, t := range f.transitions[inv.ID] {
			if state != "" && t.From != state {
				r.problems = append(r.problems, fmt.Sprintf("%s: %s→%s after %s", inv.Number, t.From, t.To, state))
			}
			state = t.To
		}
		if state != inv.State {
			r.problems = append(r.problems, fmt.Sprintf("%s is %s but its trail ends at %q", inv.Number, inv.State, state))
		}
	}
	return r
}

// euro writes cents as euros.
func euro(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d €", sign, c/100, c%100)
}

// parseCents reads an amount as Chorus Pro holds it ("1234.50").
func parseCents(s string) (int64, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	return cents(d), nil
}

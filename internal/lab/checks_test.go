package lab

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/internal/lab/judge"
	"github.com/shopspring/decimal"
)

// cleanFacts is a small book the checks must pass: an establishment billed
// through Chorus Pro and paid there, one billed by post and paid by a
// statement imported twice, one that owes nothing.
// t0 is when the clean book's trails begin, on the machine's clock.
var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func cleanFacts() facts {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	bill := func(ttc string) *judge.Bill { return &judge.Bill{TTC: decimal.RequireFromString(ttc)} }
	// The books record each state a minute after the previous one, from
	// t0 on; the deposit of CT2026-000001 arrives and is answered in
	// between its "delivering" and its "deposited".
	trail := func(states ...string) []factTransition {
		var out []factTransition
		from := ""
		for i, s := range states {
			out = append(out, factTransition{From: from, To: s, At: t0.Add(time.Duration(i) * time.Minute)})
			from = s
		}
		return out
	}
	return facts{
		year: 2025,
		owed: map[string]judge.Expected{
			"21299951000010": {SIRET: "21299951000010", Outcome: judge.Due, Bill: bill("603.75")},
			"19290263300010": {SIRET: "19290263300010", Outcome: judge.Due, Bill: bill("100.00")},
			"19560820300012": {SIRET: "19560820300012", Outcome: judge.NothingDue},
		},
		invoices: []factInvoice{
			{ID: 1, Kind: "contribution", Series: "CT2026", Seq: 1, Number: "CT2026-000001", Year: 2025, SIRET: "21299951000010",
				IssueDate: day(1, 15), TTC: 60375, State: "paid", Channel: "chorus", ChorusStatus: "MISE_EN_PAIEMENT"},
			{ID: 2, Kind: "contribution", Series: "CT2026", Seq: 2, Number: "CT2026-000002", Year: 2025, SIRET: "19290263300010",
				IssueDate: day(1, 15), TTC: 10000, State: "paid", Channel: "postal"},
		},
		counters: map[string]int64{"CT2026": 2},
		payments: []factPayment{
			{ID: 1, InvoiceID: 1, PaidOn: day(2, 20), Amount: 60375, Source: "chorus"},
			{ID: 2, InvoiceID: 2, PaidOn: day(2, 10), Amount: 10000, Source: "import", Reference: "VIR CHAOS-0001"},
		},
		transitions: map[int64][]factTransition{
			1: trail("finalised", "delivering", "deposited", "delivered", "paid"),
			2: trail("finalised", "postal", "paid"),
		},
		deposits: []sandbox.Deposit{{NumeroFluxDepot: "CPP001", NumeroFacture: "CT2026-000001", EtatFinal: "IN_INTEGRE", IdentifiantFactureCPP: 7,
			ReceivedAt: t0.Add(90 * time.Second), AnsweredAt: t0.Add(91 * time.Second)}},
		chorus: map[string][]sandbox.Invoice{"CT2026-000001": {{IdentifiantFactureCPP: 7, NumeroFacture: "CT2026-000001", MontantTTC: "603.75",
			Visible: true, Statut: "MISE_EN_PAIEMENT"}}},
		entered: []EnteredPayment{
			{Number: "CT2026-000002", Amount: decimal.RequireFromString("100.00"), PaidOn: day(2, 10), Reference: "VIR CHAOS-0001"},
			{Number: "CT2026-000002", Amount: decimal.RequireFromString("100.00"), PaidOn: day(2, 10), Reference: "VIR CHAOS-0001"},
		},
		settled: true,
		waited:  42 * time.Second,
	}
}

// TestChecksCatchPlantedBugs plants, one at a time, the bugs the chaos run
// must never agree with, and checks that the check meant to catch each
// fails (and that the clean book passes every check).
func TestChecksCatchPlantedBugs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(*facts)
		// fails is the check that must fail (none for the clean book).
		fails string
	}{
		{"clean book", func(*facts) {}, ""},
		{"a payment recorded twice", func(f *facts) {
			f.payments = append(f.payments, factPayment{ID: 3, InvoiceID: 1, PaidOn: f.payments[0].PaidOn, Amount: 60375, Source: "chorus", Reference: "bis"})
		}, checkPayments},
		{"an entered payment recorded twice", func(f *facts) {
			f.invoices[1].TTC = 20000
			f.owed["19290263300010"] = judge.Expected{Outcome: judge.Due, Bill: &judge.Bill{TTC: decimal.RequireFromString("200.00")}}
			f.payments = append(f.payments, factPayment{ID: 3, InvoiceID: 2, PaidOn: f.payments[1].PaidOn.AddDate(0, 0, 1), Amount: 10000,
				Source: "import", Reference: "VIR CHAOS-0001"})
		}, checkPayments},
		{"two interest invoices for one payment", func(f *facts) {
			one := int64(1)
			for i := range 2 {
				f.invoices = append(f.invoices, factInvoice{ID: int64(10 + i), Kind: "interest", Series: "IN2026", Seq: int64(i + 1),
					Number: "IN2026-00000" + string(rune('1'+i)), SIRET: "21299951000010", IssueDate: f.invoices[0].IssueDate, TTC: 300,
					State: "postal", Channel: "postal", InterestOf: &one})
				f.transitions[int64(10+i)] = []factTransition{{To: "finalised"}, {From: "finalised", To: "postal"}}
			}
			f.counters["IN2026"] = 2
		}, checkPayments},
		{"a deposit made twice", func(f *facts) {
			f.deposits = append(f.deposits, sandbox.Deposit{NumeroFluxDepot: "CPP002", NumeroFacture: "CT2026-000001", EtatFinal: "IN_REJETE",
				ReceivedAt: t0.Add(10 * time.Minute), AnsweredAt: t0.Add(10*time.Minute + time.Second)})
		}, checkDeposits},
		{"two deposits of a number at once", func(f *facts) {
			f.deposits = append(f.deposits, sandbox.Deposit{NumeroFluxDepot: "CPP002", NumeroFacture: "CT2026-000001", EtatFinal: "IN_REJETE",
				ReceivedAt: t0.Add(90*time.Second + 500*time.Millisecond), AnsweredAt: t0.Add(92 * time.Second)})
		}, checkDeposits},
		{"deposited again after an answer the books never recorded", func(f *facts) {
			// The worker got the answer, then died (or the database went
			// down) before recording it: it could not know.
			f.deposits = append(f.deposits, sandbox.Deposit{NumeroFluxDepot: "CPP002", NumeroFacture: "CT2026-000001", EtatFinal: "IN_REJETE",
				ReceivedAt: t0.Add(100 * time.Second), AnsweredAt: t0.Add(101 * time.Second)})
		}, ""},
		{"a postal invoice deposited", func(f *facts) {
			f.deposits = append(f.deposits, sandbox.Deposit{NumeroFluxDepot: "CPP002", NumeroFacture: "CT2026-000002", EtatFinal: "IN_INTEGRE"})
		}, checkDeposits},
		{"a gap in a series", func(f *facts) {
			f.invoices[1].Seq, f.invoices[1].Number = 3, "CT2026-000003"
			f.counters["CT2026"] = 3
		}, checkNumbering},
		{"a counter ahead of its series", func(f *facts) { f.counters["CT2026"] = 3 }, checkNumbering},
		{"issue dates going backwards", func(f *facts) { f.invoices[1].IssueDate = f.invoices[0].IssueDate.AddDate(0, 0, -1) }, checkNumbering},
		{"a total one cent off the inputs", func(f *facts) { f.invoices[1].TTC++; f.payments[1].Amount++ }, checkTotals},
		{"an establishment never billed", func(f *facts) {
			f.owed["19560820300012"] = judge.Expected{Outcome: judge.Due, Bill: &judge.Bill{TTC: decimal.RequireFromString("50.00")}}
		}, checkTotals},
		{"rejected in the books, integrated at Chorus Pro", func(f *facts) {
			f.invoices[0].State = "rejected"
			f.chorus["CT2026-000001"][0].Statut = "MISE_A_DISPOSITION"
			f.transitions[1] = append(f.transitions[1][:3], factTransition{From: "deposited", To: "rejected"})
			f.payments = f.payments[1:]
		}, checkStates},
		{"paid in the books, not at Chorus Pro", func(f *facts) { f.chorus["CT2026-000001"][0].Statut = "MISE_A_DISPOSITION" }, checkStates},
		{"not settled in time", func(f *facts) { f.settled = false }, checkStuck},
		{"an invoice left working", func(f *facts) {
			f.invoices[0].State = "deposited"
			f.transitions[1] = f.transitions[1][:3]
		}, checkStuck},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := cleanFacts()
			tc.plant(&f)
			var failed []string
			for _, r := range judgeFacts(f) {
				if len(r.problems) > 0 {
					failed = append(failed, r.name)
					t.Logf("%s: %v", r.name, r.problems)
				}
			}
			if tc.fails == "" && len(failed) > 0 || tc.fails != "" && !slices.Contains(failed, tc.fails) {
				t.Errorf("checks failed: %v, want %q among them", failed, tc.fails)
			}
		})
	}
}

// TestReportChecks prints each check as "check: NAME ok|FAILED" and fails
// when one does.
func TestReportChecks(t *testing.T) {
	var b bytes.Buffer
	err := reportChecks(&b, []checkResult{{name: checkTotals, notes: []string{"3 establishments"}},
		{name: checkDeposits, problems: []string{"A", "B"}}})
	want := "check: independent-totals ok  — 3 establishments\ncheck: deposits-per-number FAILED (2 problem(s))\n    A\n    B\n"
	if err == nil || b.String() != want {
		t.Errorf("err %v, output:\n%s\nwant:\n%s", err, b.String(), want)
	}
	b.Reset()
	if err := reportChecks(&b, []checkResult{{name: checkStuck}}); err != nil || !strings.HasSuffix(b.String(), "chaos: all checks passed\n") {
		t.Errorf("err %v, output %q", err, b.String())
	}
}

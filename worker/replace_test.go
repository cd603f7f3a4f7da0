package worker

import (
	"context"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// A buyer rejects Ker Héol's contribution; before the finance team
// re-submits it, a fact changes (a termination). The replacement follows
// today's facts — not a copy of the rejected invoice, which the buyer
// would reject again — keeps the invoice's references, and the operator's
// comment is in the audit trail (issue 14, problem 4).
func TestReplacementFollowsTodaysFacts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p, _, inv := correctionBooks(t, s)
		for _, c := range []store.Change{
			{To: invoice.StateDelivering, Actor: "test"},
			{To: invoice.StateDeposited, Actor: "test"},
			{To: invoice.StateDelivered, Actor: "test"},
			{To: invoice.StateRejected, ChorusStatus: ptr(string(chorus.StatutRejetee)), StatusReason: ptr("service inconnu"), Actor: "test"},
		} {
			var err error
			if inv, err = s.Apply(ctx, inv.ID, inv.State, c); err != nil {
				t.Fatal(err)
			}
		}
		est := changeFacts(t, s, "2026-03-16", 81) // terminated: service ends 31/05
		want, err := quote(ctx, s, catalog(t), est, 2026, invoice.KindContribution)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := p.Resubmit(ctx, inv.Number, "service corrigé avec l'acheteur", "user:olivia")
		if err != nil {
			t.Fatal(err)
		}
		repl, err := s.InvoiceReplacing(ctx, inv.ID)
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		if got, w := repl.TotalTTC.StringFixed(2), invoice.ComputeTotals(want.Lines).TTC.StringFixed(2); got != w || got == inv.TotalTTC.StringFixed(2) {
			t.Errorf("replacement %s TTC, want %s from today's facts (rejected: %s)", got, w, inv.TotalTTC.StringFixed(2))
		}
		if repl.CodeService != inv.CodeService || repl.Engagement != inv.Engagement {
			t.Errorf("replacement references %q/%q, rejected %q/%q", repl.CodeService, repl.Engagement, inv.CodeService, inv.Engagement)
		}
		if !repl.IssueDate.Equal(invoice.CivilDay(p.now())) {
			t.Errorf("replacement dated %s, want today %s", repl.IssueDate, invoice.CivilDay(p.now()))
		}
		trail, _ := s.AuditTrail(ctx, "invoice", inv.ID)
		found := false
		for _, ev := range trail {
			found = found || ev.Actor == "user:olivia" && strings.Contains(ev.Reason, "motif : service corrigé avec l'acheteur")
		}
		if !found {
			t.Errorf("the operator's comment is in no audit row: %+v", trail)
		}
	})
}

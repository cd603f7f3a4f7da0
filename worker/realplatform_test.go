package worker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// What the real Chorus Pro does that the happy sandbox did not play
// (issue 15, ../shared/research/chorus-pro-fidelity.md): each case starts
// the sample's run on a sandbox playing one behaviour, and checks that the
// books end right — never an invoice rejected while it is live at its
// buyer, never one followed forever with no reason shown.

// waitUntil polls cond until it holds, failing the test after timeout with
// the books' invoices.
func (s *stack) waitUntil(ctx context.Context, timeout time.Duration, what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("waited %s for %s: %s", timeout, what, s.snapshot(ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// onChorus lists the invoices of the run that went to Chorus Pro (the
// sample's buyers on it, references complete).
func (s *stack) onChorus(ctx context.Context) []store.Invoice {
	s.t.Helper()
	list, err := s.books.ListInvoices(ctx, store.InvoiceFilter{})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []store.Invoice
	for _, inv := range list {
		if inv.Channel == "chorus" {
			out = append(out, inv)
		}
	}
	return out
}

// depositsPerNumber counts every flow the sandbox received, per invoice
// number (refused ones included).
func (s *stack) depositsPerNumber() map[string]int {
	out := map[string]int{}
	for _, d := range s.sb.Deposits() {
		out[d.NumeroFacture]++
	}
	return out
}

func quirked(t *testing.T, q sandbox.Quirks) func(*stack) {
	return func(s *stack) {
		if err := s.sb.SetQuirks(q); err != nil {
			t.Fatal(err)
		}
	}
}

// Problem 6: a deposit answered codeRetour ≠ 0 that Chorus Pro had in fact
// applied, and lost answers whose invoice the search finds only later: each
// invoice ends delivered and then paid, one flow per number integrated. A
// deposit whose answer was lost and that no search finds is made again
// after SearchLagWait; Chorus Pro refuses the number as a duplicate
// (recognised by its code here), and the invoice is adopted once the search
// catches up. None is rejected.
func TestDepositsAppliedDespiteTheAnswer(t *testing.T) {
	cases := []struct {
		name   string
		quirks sandbox.Quirks
		faults sandbox.Faults
		// maxDeposits is the most flows one number may have needed (0: no
		// bound; each answer may be lost again).
		maxDeposits int
	}{
		{"codeRetour 20099 although applied", sandbox.Quirks{CodeRetourAppliedRate: 1}, sandbox.Faults{}, 1},
		{"lost answers, a search that lags, duplicates refused by code",
			sandbox.Quirks{SearchLag: sandbox.Duration(12 * time.Hour), DuplicateByCode: true},
			sandbox.Faults{LostResponseRate: 0.5, Paths: []string{chorus.PathDeposerFlux}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStackOn(t, storetest.Postgres(t), tc.faults, redistest.Start(t))
			quirked(t, tc.quirks)(s)
			s.startWorker()
			startSample(t, s)
			// Days pass: the search catches up, the buyers pay.
			s.waitUntil(ctx, 60*time.Second, "every deposit to be answered", func() bool {
				for _, inv := range s.onChorus(ctx) {
					if inv.State == invoice.StateDelivering && inv.ChorusStatus != StatusToVerify {
						return false
					}
				}
				return len(s.onChorus(ctx)) > 0
			})
			for range 12 {
				if err := s.sb.Advance(24 * time.Hour); err != nil {
					t.Fatal(err)
				}
				if _, err := s.p.Sweep(ctx); err != nil {
					t.Fatal(err)
				}
			}
			s.waitUntil(ctx, 60*time.Second, "the invoices to leave the working states", func() bool {
				for _, inv := range s.onChorus(ctx) {
					if inv.State == invoice.StateDelivering || inv.State == invoice.StateDeposited {
						return false
					}
				}
				return true
			})
			deposits := s.depositsPerNumber()
			integrated := map[string]int{}
			for _, d := range s.sb.Deposits() {
				if d.EtatFinal == chorus.EtatFluxIntegre {
					integrated[d.NumeroFacture]++
				}
			}
			live := map[string]bool{}
			for _, v := range s.sb.Invoices() {
				live[v.NumeroFacture] = true
			}
			for _, inv := range s.onChorus(ctx) {
				if inv.State == invoice.StateRejected && live[inv.Number] {
					t.Errorf("%s rejected in the books (%s) while live at its buyer", inv.Number, inv.StatusReason)
				}
				if n := deposits[inv.Number]; n < 1 || (tc.maxDeposits > 0 && n > tc.maxDeposits) {
					t.Errorf("%s deposited %d times, want 1 to %d", inv.Number, n, tc.maxDeposits)
				}
				if n := integrated[inv.Number]; n != 1 {
					t.Errorf("%s integrated %d times at Chorus Pro, want once", inv.Number, n)
				}
				if live[inv.Number] && inv.ChorusInvoiceID == nil {
					t.Errorf("%s is live at Chorus Pro, the books do not know its id: %s/%s", inv.Number, inv.State, inv.ChorusStatus)
				}
			}
			paid, _ := s.books.InvoicesInStates(ctx, invoice.StatePaid)
			if len(paid) == 0 {
				t.Errorf("no invoice paid: %s", s.snapshot(ctx))
			}
		})
	}
}

// Problem 7: the PISTE application not subscribed to the Factures API (403
// on every deposit) pauses deliveries — no invoice is rejected, the pause
// says why — and once the subscription is fixed they resume by themselves.
func TestForbiddenDepositsPauseDeliveries(t *testing.T) {
	ctx := context.Background()
	s := newStackOn(t, storetest.Postgres(t), sandbox.Faults{}, redistest.Start(t))
	quirked(t, sandbox.Quirks{ForbiddenRoutes: []string{chorus.PathDeposerFlux}})(s)
	s.startWorker()
	startSample(t, s)
	s.waitUntil(ctx, 60*time.Second, "the deliveries to pause", func() bool {
		_, paused, _ := s.books.DeliveryPause(ctx)
		held := 0
		for _, inv := range s.onChorus(ctx) {
			if inv.ChorusStatus == StatusPaused {
				held++
			}
		}
		return paused && held > 0
	})
	p, _, _ := s.books.DeliveryPause(ctx)
	if !strings.Contains(p.Reason, "403") || !strings.Contains(p.Reason, "PISTE") {
		t.Errorf("pause reason %q does not say 403 and PISTE", p.Reason)
	}
	for _, inv := range s.onChorus(ctx) {
		if inv.State == invoice.StateRejected {
			t.Errorf("%s rejected for a configuration fault: %s", inv.Number, inv.StatusReason)
		}
	}
	if len(s.sb.Deposits()) != 0 {
		t.Errorf("%d deposits went through a 403", len(s.sb.Deposits()))
	}
	// The subscription is fixed: one delivery tries again, the others follow.
	quirked(t, sandbox.Quirks{})(s)
	s.waitUntil(ctx, 60*time.Second, "the deliveries to resume", func() bool {
		_, paused, _ := s.books.DeliveryPause(ctx)
		if paused {
			return false
		}
		for _, inv := range s.onChorus(ctx) {
			if inv.State == invoice.StateDelivering {
				return false
			}
		}
		return true
	})
	for n, c := range s.depositsPerNumber() {
		if c != 1 {
			t.Errorf("%s deposited %d times after the pause", n, c)
		}
	}
}

// Problems 2 and 3: an integrated flow whose invoice no search ever returns
// (OCA met it), and flows Chorus Pro ends IN_A_RELANCER: the first goes to
// « à vérifier sur Chorus Pro » with what was tried, after NotFoundAfter;
// the second is rejected with a re-deposit offered. Re-submitted once the
// platform behaves, both end delivered.
func TestFlowsThatNeedAHuman(t *testing.T) {
	cases := []struct {
		name      string
		quirks    sandbox.Quirks
		state     invoice.State
		status    string
		reasonHas string
	}{
		{"integrated, never found", sandbox.Quirks{LostInvoiceRate: 1}, invoice.StateDeposited, StatusToVerify, "à vérifier sur Chorus Pro"},
		{"IN_A_RELANCER", sandbox.Quirks{FlowARelancerRate: 1}, invoice.StateRejected, string(chorus.EtatFluxARelancer), "déposer à nouveau"},
		{"IN_ERREUR_INTERNE", sandbox.Quirks{FlowErreurInterneRate: 1}, invoice.StateRejected, string(chorus.EtatFluxErreurInterne), "déposer à nouveau"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStackOn(t, storetest.Postgres(t), sandbox.Faults{}, redistest.Start(t))
			quirked(t, tc.quirks)(s)
			s.startWorker()
			startSample(t, s)
			s.waitUntil(ctx, 60*time.Second, "every invoice on Chorus Pro to need a human", func() bool {
				all := s.onChorus(ctx)
				for _, inv := range all {
					if inv.State != tc.state || inv.ChorusStatus != tc.status {
						return false
					}
				}
				return len(all) > 0
			})
			all := s.onChorus(ctx)
			for _, inv := range all {
				if !strings.Contains(inv.StatusReason, tc.reasonHas) || !strings.Contains(inv.StatusReason, inv.Number) {
					t.Errorf("%s: reason %q does not say %q and the invoice", inv.Number, inv.StatusReason, tc.reasonHas)
				}
				if a := ResubmitActionFor(inv); a != ResubmitRedeposit {
					t.Errorf("%s: action %q, want a re-deposit", inv.Number, a)
				}
			}
			// Nothing more is asked of Chorus Pro for them: no poll forever.
			before := s.sb.Calls().Calls[chorus.PathConsulterCRDetaille]
			time.Sleep(500 * time.Millisecond)
			if after := s.sb.Calls().Calls[chorus.PathConsulterCRDetaille]; after != before {
				t.Errorf("flow reports still read: %d then %d", before, after)
			}
			quirked(t, sandbox.Quirks{})(s)
			if _, err := s.p.Resubmit(ctx, all[0].Number, "vérifié sur le portail", "finance"); err != nil {
				t.Fatal(err)
			}
			s.waitUntil(ctx, 30*time.Second, all[0].Number+" to be delivered", func() bool {
				inv, err := s.books.InvoiceByID(ctx, all[0].ID)
				return err == nil && inv.State == invoice.StateDelivered && inv.ChorusInvoiceID != nil
			})
		})
	}
}

// Problem 1: a buyer that does not report payment still rejects: its
// invoice is followed after integration, and ends rejected with the
// buyer's reason, not "delivered" forever.
func TestBuyerNotReportingPaymentRejects(t *testing.T) {
	ctx := context.Background()
	const quiberon = "21565643000018" // statutMiseEnPaiementNestPasRemonte
	s := newStackOn(t, storetest.Postgres(t), sandbox.Faults{}, redistest.Start(t))
	if err := s.sb.SetBehaviour(quiberon, sandbox.Behaviour{Lifecycle: []sandbox.Step{
		{Status: chorus.StatutMiseADisposition, After: sandbox.Duration(time.Hour)},
		{Status: chorus.StatutRejetee, After: sandbox.Duration(3 * 24 * time.Hour), Comment: "Facture en double avec la convention 2025"},
	}}); err != nil {
		t.Fatal(err)
	}
	s.startWorker()
	startSample(t, s)
	s.settle(ctx, 6)
	est, err := s.books.EstablishmentBySIRET(ctx, quiberon)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.books.ListInvoices(ctx, store.InvoiceFilter{EstablishmentID: est.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("Quiberon's invoices: %v %v", list, err)
	}
	inv := list[0]
	if inv.State != invoice.StateRejected || inv.ChorusStatus != string(chorus.StatutRejetee) ||
		!strings.Contains(inv.StatusReason, "Facture en double avec la convention 2025") {
		t.Errorf("Quiberon's invoice: %s/%s %q, want rejected by the buyer with its reason", inv.State, inv.ChorusStatus, inv.StatusReason)
	}
}

// Problem 4: the buyer's reason is that of the newest entry of its status,
// whatever the order Chorus Pro lists the history in.
func TestLatestEntry(t *testing.T) {
	first := chorus.HistoStatut{HistoStatutID: 10, HistoStatutCode: chorus.StatutSuspendue, HistoStatutDatePassage: "2026-03-04 10:00", HistoStatutCommentaire: "bon de commande manquant"}
	completed := chorus.HistoStatut{HistoStatutID: 11, HistoStatutCode: chorus.StatutCompletee, HistoStatutDatePassage: "2026-03-05 09:00"}
	second := chorus.HistoStatut{HistoStatutID: 12, HistoStatutCode: chorus.StatutSuspendue, HistoStatutDatePassage: "2026-03-07 16:30", HistoStatutCommentaire: "attestation de service fait manquante"}
	sameMinute := chorus.HistoStatut{HistoStatutID: 13, HistoStatutCode: chorus.StatutSuspendue, HistoStatutDatePassage: "2026-03-07 16:30", HistoStatutCommentaire: "pièce illisible"}
	cases := []struct {
		name    string
		entries []chorus.HistoStatut
		want    string
	}{
		{"oldest first", []chorus.HistoStatut{first, completed, second}, "attestation de service fait manquante"},
		{"newest first (Chorus Pro, Pastell)", []chorus.HistoStatut{second, completed, first}, "attestation de service fait manquante"},
		{"same minute: the later id", []chorus.HistoStatut{sameMinute, second, first}, "pièce illisible"},
		{"once", []chorus.HistoStatut{completed, first}, "bon de commande manquant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := chorus.ConsulterHistoriqueResponse{StatutCourantCode: chorus.StatutSuspendue}
			h.HistoriquesDesStatuts.HistoStatut = tc.entries
			e, ok := latestEntry(h, chorus.StatutSuspendue)
			if !ok || e.HistoStatutCommentaire != tc.want {
				t.Errorf("latest entry %+v (%v), want the comment %q", e, ok, tc.want)
			}
		})
	}
}

// Problem 4 on the wire, and problem 5: a buyer that suspends twice, with
// the history listed newest first; the invoice's reason is the second
// suspension's, and it is completed with the missing document attached
// (ajouter/fichier, then completer naming it).
func TestSuspendedTwiceCompletedWithAttachment(t *testing.T) {
	ctx := context.Background()
	const quiberon = "21565643000018"
	s := newStackOn(t, storetest.Postgres(t), sandbox.Faults{}, redistest.Start(t))
	quirked(t, sandbox.Quirks{HistoryNewestFirst: true})(s)
	if err := s.sb.SetBehaviour(quiberon, sandbox.Behaviour{Lifecycle: []sandbox.Step{
		{Status: chorus.StatutMiseADisposition, After: sandbox.Duration(time.Hour)},
		{Status: chorus.StatutSuspendue, After: sandbox.Duration(24 * time.Hour), Comment: "bon de commande manquant"},
		{Status: chorus.StatutSuspendue, After: sandbox.Duration(24 * time.Hour), Comment: "attestation de service fait manquante"},
		{Status: chorus.StatutMandatee, After: sandbox.Duration(2 * 24 * time.Hour)},
	}}); err != nil {
		t.Fatal(err)
	}
	s.startWorker()
	startSample(t, s)
	s.settle(ctx, 2)
	est, _ := s.books.EstablishmentBySIRET(ctx, quiberon)
	list, _ := s.books.ListInvoices(ctx, store.InvoiceFilter{EstablishmentID: est.ID})
	if len(list) != 1 || list[0].ChorusStatus != string(chorus.StatutSuspendue) {
		t.Fatalf("Quiberon's invoice: %+v", list)
	}
	inv := list[0]
	// Refused before any call: not a file Chorus Pro takes.
	if _, err := s.p.ResubmitWith(ctx, inv.Number, "pièce jointe", "finance", []chorus.Attachment{{Name: "bon.exe", MIME: "application/octet-stream", Content: []byte("x")}}); err == nil {
		t.Fatal("an .exe attachment was accepted")
	}
	pdf := []byte("%PDF-1.4\n% bon de commande\n")
	msg, err := s.p.ResubmitWith(ctx, inv.Number, "bon de commande joint", "finance", []chorus.Attachment{{Name: "bon-de-commande.pdf", MIME: "application/pdf", Content: pdf}})
	if err != nil || !strings.Contains(msg, "1 pièce(s) jointe(s)") {
		t.Fatalf("complete with an attachment: %q, %v", msg, err)
	}
	if got := s.sb.Calls().Calls[chorus.PathAjouterFichier]; got != 1 {
		t.Errorf("%d ajouter/fichier calls, want 1", got)
	}
	// The second suspension: its reason, read from a history listed newest
	// first, is the second comment.
	if err := s.sb.Advance(30 * time.Hour); err != nil {
		t.Fatal(err)
	}
	inv, _ = s.books.InvoiceByID(ctx, inv.ID)
	if _, err := s.p.trackStatus(ctx, s.p.chorus, inv); err != nil {
		t.Fatal(err)
	}
	inv, _ = s.books.InvoiceByID(ctx, inv.ID)
	if inv.ChorusStatus != string(chorus.StatutSuspendue) || !strings.Contains(inv.StatusReason, "attestation de service fait manquante") {
		t.Errorf("after the second suspension: %s %q, want its own reason", inv.ChorusStatus, inv.StatusReason)
	}
	// Attachments on an invoice that is not suspended are refused.
	others := s.onChorus(ctx)
	for _, o := range others {
		if o.ID == inv.ID || o.ChorusStatus == string(chorus.StatutSuspendue) {
			continue
		}
		_, err := s.p.ResubmitWith(ctx, o.Number, "x", "finance", []chorus.Attachment{{Name: "a.pdf", MIME: "application/pdf", Content: pdf}})
		if !errors.Is(err, ErrNotSuspended) {
			t.Errorf("%s (%s/%s): attachments gave %v, want ErrNotSuspended", o.Number, o.State, o.ChorusStatus, err)
		}
		break
	}
}

// "Could break": lists as single objects, per-service no-result codes and
// the history newest first, all at once: the year ends as on the happy
// sandbox.
func TestSampleYearOnAQuirkyPlatform(t *testing.T) {
	ctx := context.Background()
	happy := newStack(t, storetest.Postgres(t), sandbox.Faults{})
	startSample(t, happy)
	happy.settle(ctx, 14)
	quirky := newStackOn(t, storetest.Postgres(t), sandbox.Faults{}, redistest.Start(t))
	quirked(t, sandbox.Quirks{SingleObjects: true, SingleObjectsAll: true, NoResultCodes: true, HistoryNewestFirst: true})(quirky)
	quirky.startWorker()
	startSample(t, quirky)
	quirky.settle(ctx, 14)
	if h, q := happy.snapshot(ctx), quirky.snapshot(ctx); h != q {
		t.Errorf("the quirky platform ends otherwise:\nhappy:  %s\nquirky: %s", h, q)
	}
}

// The Factur-X option: the PDF with its CII embedded is what is deposited
// (IN_DP_E2_CII_FACTURX, a .pdf), and the year ends as with the CII.
func TestDepositFacturX(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, storetest.Postgres(t), sandbox.Faults{}, func(c *Config) { c.Syntax = chorus.SyntaxeFacturX })
	startSample(t, s)
	s.settle(ctx, 14)
	deps := s.sb.Deposits()
	if len(deps) == 0 {
		t.Fatal("nothing deposited")
	}
	for _, d := range deps {
		if d.SyntaxeFlux != chorus.SyntaxeFacturX || !strings.HasSuffix(d.NomFichier, ".pdf") || d.EtatFinal != chorus.EtatFluxIntegre || d.NumeroFacture == "" {
			t.Errorf("deposit %s: %s %s %s (number read %q), want an integrated Factur-X PDF", d.NumeroFluxDepot, d.SyntaxeFlux, d.NomFichier, d.EtatFinal, d.NumeroFacture)
		}
	}
	paid, _ := s.books.InvoicesInStates(ctx, invoice.StatePaid)
	if len(paid) == 0 {
		t.Errorf("no invoice paid: %s", s.snapshot(ctx))
	}
}

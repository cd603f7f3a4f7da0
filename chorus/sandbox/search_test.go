package sandbox

import (
	"slices"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// expectedByStatusDate is what a search on periodeDateHeureEtatCourant
// [du, au] must find, by the admin view: the visible invoices whose current
// status dates from within the period, in identifiantFactureCPP order.
func expectedByStatusDate(h *harness, du, au time.Time) []Invoice {
	var want []Invoice
	for _, inv := range h.srv.Invoices() {
		last := inv.Historique[len(inv.Historique)-1].Le
		if inv.Visible && !last.Before(du) && !last.After(au) {
			want = append(want, inv)
		}
	}
	return want
}

// checkSweep sweeps [du, au] in pages of 7 and compares with the admin view.
func checkSweep(t *testing.T, h *harness, du, au time.Time) {
	t.Helper()
	// The sweep first: the admin view advances every invoice, which would
	// hide a search that failed to.
	got := sweepPages(t, h, du.Format(time.RFC3339Nano), au.Format(time.RFC3339Nano), 7)
	want := expectedByStatusDate(h, du, au)
	if len(got) != len(want) {
		t.Fatalf("sweep [%s, %s] found %d invoices, want %d", du, au, len(got), len(want))
	}
	for i, f := range got {
		w := want[i]
		if f.IdentifiantFactureCPP != w.IdentifiantFactureCPP || f.Statut != w.Statut {
			t.Fatalf("result %d: %d %s, want %d %s (identifiantFactureCPP order, current status)", i, f.IdentifiantFactureCPP, f.Statut, w.IdentifiantFactureCPP, w.Statut)
		}
		at, err := time.Parse(formatTimestamp, f.DateHeureEtatCourant)
		if err != nil || at.Before(du) || at.After(au) {
			t.Fatalf("result %d: dateHeureEtatCourant %s outside [%s, %s] (%v)", i, f.DateHeureEtatCourant, du, au, err)
		}
	}
}

func sweepPages(t *testing.T, h *harness, du, au string, size int) []chorus.FactureFournisseur {
	t.Helper()
	var all []chorus.FactureFournisseur
	for page := 1; ; page++ {
		var out chorus.RechercherFactureParFournisseurResponse
		h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
			PeriodeDateHeureEtatCourantDu: du, PeriodeDateHeureEtatCourantAu: au,
			RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: size, PageResultatDemandee: page},
		}, &out)
		if out.AucunResultat() {
			return all
		}
		if !out.OK() || len(out.ListeFactures) > size {
			t.Fatalf("page %d: %+v, %d results", page, out.Retour, len(out.ListeFactures))
		}
		all = append(all, out.ListeFactures...)
		if page >= out.ParametresRetour.Pages {
			return all
		}
	}
}

func TestSweepByStatusDate(t *testing.T) {
	h := newHarness(t, nil)
	seedInvoices(t, h, 400) // deposited one a minute, the last a minute ago
	steps := []struct {
		name    string
		advance time.Duration
		window  time.Duration
	}{
		{"fresh: all DEPOSEE or just made available", 0, 10 * day},
		{"after 3 days, statuses of the last day", 3 * day, day},
		// Nobody called between: the previous search's result must not be
		// reused across the steps that fell due meanwhile.
		{"2 more days, same-size window", 2 * day, day},
		{"a month later, everything", 30 * day, 60 * day},
		{"a narrow window", 0, 3 * time.Hour},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			h.advance(st.advance)
			now := h.srv.Now()
			checkSweep(t, h, now.Add(-st.window), now)
		})
	}
}

func TestSearchSeesChangesBetweenPages(t *testing.T) {
	h := newHarness(t, nil)
	seedInvoices(t, h, 60)
	h.advance(4 * day) // Combourg's invoices are SUSPENDUE (after 1h + 3d)
	now := h.srv.Now()
	du, au := now.Add(-time.Hour), now.Add(time.Hour)
	// total runs the search (page 1 of 5) first, then compares its total
	// with the admin view's.
	total := func(what string) int {
		t.Helper()
		var out chorus.RechercherFactureParFournisseurResponse
		h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
			PeriodeDateHeureEtatCourantDu: du.Format(time.RFC3339), PeriodeDateHeureEtatCourantAu: au.Format(time.RFC3339),
			RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: 5},
		}, &out)
		got := 0
		if out.ParametresRetour != nil {
			got = out.ParametresRetour.Total
		}
		if want := len(expectedByStatusDate(h, du, au)); got != want {
			t.Fatalf("%s: total %d, want %d", what, got, want)
		}
		return got
	}
	before := total("before")
	// A supplier action changes an invoice: the next call sees it.
	var suspended int64
	for _, inv := range h.srv.Invoices() {
		if inv.Statut == chorus.StatutSuspendue {
			suspended = inv.IdentifiantFactureCPP
			break
		}
	}
	if suspended == 0 {
		t.Fatal("no SUSPENDUE invoice to complete")
	}
	total("again") // cached now
	var cr chorus.CompleterResponse
	h.call(chorus.PathCompleter, chorus.CompleterRequest{IdentifiantFactureCPP: suspended, Commentaire: "pièce jointe"}, &cr)
	if !cr.OK() {
		t.Fatalf("completer: %+v", cr.Retour)
	}
	if got := total("after completer"); got != before+1 {
		t.Errorf("after completer: %d, want %d (COMPLETEE now)", got, before+1)
	}
	// A new invoice becomes visible with no call in between: found too.
	h.deposit(newInvoice("LATE-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	total("flow not integrated yet")
	h.advance(testIntegration)
	total("after a new integration")
	// Scripted steps fall due with no call in between.
	for range 8 {
		h.advance(20 * time.Minute)
		total("later")
	}
	// Descending order is the reverse of the ascending one.
	asc := sweepPages(t, h, "", "", 9)
	var desc []chorus.FactureFournisseur
	for page := 1; ; page++ {
		var out chorus.RechercherFactureParFournisseurResponse
		h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
			RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: 9, PageResultatDemandee: page, TriSens: chorus.TriDescendant},
		}, &out)
		desc = append(desc, out.ListeFactures...)
		if page >= out.ParametresRetour.Pages {
			break
		}
	}
	slices.Reverse(desc)
	if len(asc) != 61 || !slices.EqualFunc(asc, desc, func(a, b chorus.FactureFournisseur) bool { return a.IdentifiantFactureCPP == b.IdentifiantFactureCPP }) {
		t.Errorf("ascending %d results, descending %d, not in reverse order", len(asc), len(desc))
	}
	if !slices.IsSortedFunc(asc, func(a, b chorus.FactureFournisseur) int {
		return int(a.IdentifiantFactureCPP - b.IdentifiantFactureCPP)
	}) {
		t.Error("not in identifiantFactureCPP order")
	}
}

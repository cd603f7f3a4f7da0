package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

const day = 24 * time.Hour

func TestLifecycleScripts(t *testing.T) {
	S := func(ss ...chorus.StatutFacture) []chorus.StatutFacture { return ss }
	tests := []struct {
		name  string
		inv   testInvoice
		steps []struct {
			advance time.Duration
			want    []chorus.StatutFacture
		}
	}{
		{"pays after 10 days", newInvoice("LC-PLOUG-1", siretPlougastel), []struct {
			advance time.Duration
			want    []chorus.StatutFacture
		}{
			{0, S("DEPOSEE")},
			{time.Hour, S("DEPOSEE", "MISE_A_DISPOSITION")},
			{10*day - time.Second, S("DEPOSEE", "MISE_A_DISPOSITION")},
			{time.Second, S("DEPOSEE", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT")},
			{100 * day, S("DEPOSEE", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT")},
		}},
		{"every optional status", newInvoice("LC-JM-1", siretJeanMoulin), []struct {
			advance time.Duration
			want    []chorus.StatutFacture
		}{
			{30 * day, S("DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE", "MISE_EN_PAIEMENT")},
		}},
		{"never reports payment", newInvoice("LC-PAIMPOL-1", siretPaimpol).with(func(i *testInvoice) { i.CodeService, i.EJ = "DAF-FOURNISSEURS", "EJ-1" }), []struct {
			advance time.Duration
			want    []chorus.StatutFacture
		}{
			{365 * day, S("DEPOSEE", "MISE_A_DISPOSITION", "MANDATEE")},
		}},
		{"made available only", newInvoice("LC-QUIB-1", siretQuiberon), []struct {
			advance time.Duration
			want    []chorus.StatutFacture
		}{
			{365 * day, S("DEPOSEE", "MISE_A_DISPOSITION")},
		}},
		{"default behaviour", newInvoice("LC-CROZON-1", siretCrozon), []struct {
			advance time.Duration
			want    []chorus.StatutFacture
		}{
			{11 * day, S("DEPOSEE", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT")},
		}},
		{"pays late", newInvoice("LC-SDIS-1", siretSDIS).with(func(i *testInvoice) { i.EJ = "2026000092" }), []struct {
			advance time.Duration
			want    []chorus.StatutFacture
		}{
			{31 * day, S("DEPOSEE", "MISE_A_DISPOSITION", "MANDATEE")},
			{15 * day, S("DEPOSEE", "MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT")},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			id := h.integrate(tc.inv)
			for i, st := range tc.steps {
				h.advance(st.advance)
				hr := h.history(id)
				got := statuses(hr)
				if !slices.Equal(got, st.want) {
					t.Fatalf("step %d: history %v, want %v", i, got, st.want)
				}
				if hr.StatutCourantCode != st.want[len(st.want)-1] || hr.NumeroFacture != tc.inv.Number || hr.IDFacture != id {
					t.Errorf("step %d: %+v", i, hr)
				}
			}
		})
	}
}

func TestRejectionThenReissue(t *testing.T) {
	h := newHarness(t, nil)
	first := h.integrate(newInvoice("CT2025-000004", siretLandivisiau).with(func(i *testInvoice) { i.CodeService = "FINANCES" }))
	h.advance(4*day + time.Hour)
	hr := h.history(first)
	last := hr.HistoriquesDesStatuts.HistoStatut[len(hr.HistoriquesDesStatuts.HistoStatut)-1]
	if hr.StatutCourantCode != chorus.StatutRejetee || last.HistoStatutCommentaire == "" {
		t.Fatalf("first invoice: %+v", hr)
	}
	// The reason is also on the search result (commentaireEtatCourant).
	var res chorus.RechercherFactureParFournisseurResponse
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: "CT2025-000004"}, &res)
	if f := res.ListeFactures[0]; f.Statut != chorus.StatutRejetee || f.CommentaireEtatCourant != last.HistoStatutCommentaire || f.RejetTraite {
		t.Errorf("search: %+v", f)
	}
	// traiterRejet acknowledges it.
	var tr chorus.TraiterRejetResponse
	h.call(chorus.PathTraiterRejet, chorus.TraiterRejetRequest{ListeDemandePaiement: []chorus.DemandePaiement{{IDDemandePaiement: first}}}, &tr)
	if !tr.OK() {
		t.Fatalf("traiterRejet: %+v", tr)
	}
	hr = h.history(first)
	if hr.DerniereAction == nil || hr.DerniereAction.DerniereActionCode != string(chorus.ActionTraitementRejet) {
		t.Errorf("actions after traiterRejet: %+v", hr.HistoriquesDesActionsUtilisateurs)
	}
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: "CT2025-000004"}, &res)
	if !res.ListeFactures[0].RejetTraite {
		t.Error("rejetTraite not set")
	}
	// The same number is refused (chorus-pro.md §3.1): re-issue under a new one.
	again := h.deposit(newInvoice("CT2025-000004", siretLandivisiau).with(func(i *testInvoice) { i.CodeService = "FINANCES" }).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if cr := h.cr(again); cr.EtatCourantDepotFlux != chorus.EtatFluxRejete {
		t.Errorf("same number re-deposited: %+v", cr)
	}
	// The buyer's second script: the re-issued invoice is paid.
	second := h.integrate(newInvoice("CT2025-000041", siretLandivisiau).with(func(i *testInvoice) { i.CodeService = "FINANCES" }))
	h.advance(11 * day)
	if got := h.history(second).StatutCourantCode; got != chorus.StatutMiseEnPaiement {
		t.Errorf("re-issued invoice: %s", got)
	}
	// The first invoice of another series follows the first script again.
	ov := h.integrate(newInvoice("OV2025-000001", siretLandivisiau).with(func(i *testInvoice) { i.CodeService = "FINANCES" }))
	h.advance(5 * day)
	if got := h.history(ov).StatutCourantCode; got != chorus.StatutRejetee {
		t.Errorf("first invoice of another series: %s", got)
	}
	// traiterRejet on an invoice that is not REJETEE is refused.
	h.call(chorus.PathTraiterRejet, chorus.TraiterRejetRequest{ListeDemandePaiement: []chorus.DemandePaiement{{IDDemandePaiement: second}}}, &tr)
	if tr.CodeRetour != CodeActionImpossible {
		t.Errorf("traiterRejet on a paid invoice: %+v", tr)
	}
}

func TestSuspensionAndCompletion(t *testing.T) {
	h := newHarness(t, nil)
	id := h.integrate(newInvoice("LC-COMB-1", siretCombourg))
	var cp chorus.CompleterResponse
	h.call(chorus.PathCompleter, chorus.CompleterRequest{IdentifiantFactureCPP: id, Commentaire: "too early"}, &cp)
	if cp.CodeRetour != CodeActionImpossible {
		t.Errorf("completer on a DEPOSEE invoice: %+v", cp)
	}
	h.advance(30 * day)
	hr := h.history(id)
	if hr.StatutCourantCode != chorus.StatutSuspendue {
		t.Fatalf("want SUSPENDUE (waiting for the supplier), got %v", statuses(hr))
	}
	// An attachment, then completer.
	var aj chorus.AjouterFichierResponse
	h.call(chorus.PathAjouterFichier, chorus.AjouterFichierRequest{PieceJointeFichier: minimalPDF(), PieceJointeNom: "convention.pdf",
		PieceJointeTypeMime: "application/pdf", PieceJointeExtension: "PDF"}, &aj)
	if !aj.OK() || aj.PieceJointeID == 0 {
		t.Fatalf("ajouter/fichier: %+v", aj)
	}
	h.call(chorus.PathCompleter, chorus.CompleterRequest{IdentifiantFactureCPP: id, Commentaire: "convention jointe",
		PieceJointeComplementaire: []chorus.PieceJointeComplementaire{{PieceJointeComplementaireID: aj.PieceJointeID, PieceJointeComplementaireDesignation: "Convention"}}}, &cp)
	if !cp.OK() || cp.IdentifiantFactureCPP != id || cp.NumeroFacture != "LC-COMB-1" || cp.DateTraitement == "" {
		t.Fatalf("completer: %+v", cp)
	}
	h.advance(7*day - time.Second)
	if got := statuses(h.history(id)); !slices.Equal(got, []chorus.StatutFacture{"DEPOSEE", "MISE_A_DISPOSITION", "SUSPENDUE", "COMPLETEE"}) {
		t.Fatalf("after completer: %v", got)
	}
	h.advance(time.Second)
	if got := h.history(id).StatutCourantCode; got != chorus.StatutMiseEnPaiement {
		t.Errorf("7 days after completer: %s", got)
	}
}

func TestRecycling(t *testing.T) {
	h := newHarness(t, nil)
	id := h.integrate(newInvoice("LC-ROST-1", siretRostrenen))
	h.advance(2*day + time.Hour)
	if got := h.history(id).StatutCourantCode; got != chorus.StatutARecycler {
		t.Fatalf("want A_RECYCLER, got %s", got)
	}
	tests := []struct {
		name     string
		req      chorus.RecyclerRequest
		wantCode int
	}{
		{"unknown invoice", chorus.RecyclerRequest{IdentifiantFactureCPP: 1, Destinataire: chorus.DestinataireFacture{CodeDestinataire: siretRostrenen}}, CodeIntrouvable},
		{"recipient not on Chorus Pro", chorus.RecyclerRequest{IdentifiantFactureCPP: id, Destinataire: chorus.DestinataireFacture{CodeDestinataire: siretJosselin}}, CodeFactureRefusee},
		{"inactive service", chorus.RecyclerRequest{IdentifiantFactureCPP: id, Destinataire: chorus.DestinataireFacture{CodeDestinataire: siretDupuyDeLome, CodeServiceExecutant: "ANCIEN-ECONOMAT"}}, CodeFactureRefusee},
		{"corrected routing", chorus.RecyclerRequest{IdentifiantFactureCPP: id, Destinataire: chorus.DestinataireFacture{CodeDestinataire: siretRostrenen, CodeServiceExecutant: "COMPTABILITE"}, Commentaire: "service corrigé"}, 0},
		{"not A_RECYCLER any more", chorus.RecyclerRequest{IdentifiantFactureCPP: id, Destinataire: chorus.DestinataireFacture{CodeDestinataire: siretRostrenen}}, CodeActionImpossible},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out chorus.RecyclerResponse
			h.call(chorus.PathRecycler, tc.req, &out)
			if out.CodeRetour != tc.wantCode {
				t.Fatalf("codeRetour %d (%s), want %d", out.CodeRetour, out.Libelle, tc.wantCode)
			}
			if tc.wantCode == 0 && (out.StatutFacture != chorus.StatutDeposee || out.NumeroFacture != "LC-ROST-1" || out.IdentifiantFactureCPP != id) {
				t.Errorf("recycler: %+v", out)
			}
		})
	}
	h.advance(11 * day)
	want := []chorus.StatutFacture{"DEPOSEE", "MISE_A_DISPOSITION", "A_RECYCLER", "DEPOSEE", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT"}
	if got := statuses(h.history(id)); !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	var res chorus.RechercherFactureParFournisseurResponse
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: "LC-ROST-1"}, &res)
	if f := res.ListeFactures[0]; f.CodeServiceExecutant != "COMPTABILITE" {
		t.Errorf("service after recycling: %+v", f)
	}
}

func TestCreditNoteLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	// A credit note to Landivisiau does not use up the buyer's first script.
	av := h.integrate(newInvoice("AV2025-000001", siretLandivisiau).with(func(i *testInvoice) { i.TypeCode = "381"; i.CodeService = "FINANCES" }))
	ct := h.integrate(newInvoice("CT2025-000001", siretLandivisiau).with(func(i *testInvoice) { i.CodeService = "FINANCES" }))
	h.advance(30 * day)
	if got := statuses(h.history(av)); !slices.Equal(got, []chorus.StatutFacture{"DEPOSEE", "MISE_A_DISPOSITION"}) {
		t.Errorf("credit note: %v", got)
	}
	if got := h.history(ct).StatutCourantCode; got != chorus.StatutRejetee {
		t.Errorf("first invoice after a credit note: %s", got)
	}
}

func TestBehaviourTestHooks(t *testing.T) {
	h := newHarness(t, nil)
	// An unknown status, for the client's "unknown" handling.
	err := h.srv.SetBehaviour(siretCrozon, Behaviour{Lifecycle: []Step{{Status: "STATUT_INCONNU_TEST", After: Duration(time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	id := h.integrate(newInvoice("HOOK-1", siretCrozon))
	h.advance(2 * time.Hour)
	if got := h.history(id).StatutCourantCode; got != "STATUT_INCONNU_TEST" || got.Known() {
		t.Errorf("status %q", got)
	}
	// Flow outcomes.
	for i, out := range []chorus.EtatFlux{chorus.EtatFluxIncidente, "IN_ETAT_INCONNU_TEST", chorus.EtatFluxRejete} {
		if err := h.srv.SetBehaviour(siretCrozon, Behaviour{FlowOutcome: out}); err != nil {
			t.Fatal(err)
		}
		numero := h.deposit(newInvoice(fmt.Sprintf("HOOK-FLOW-%d", i), siretCrozon).cii(), chorus.SyntaxeCII16B)
		h.advance(testIntegration)
		cr := h.cr(numero)
		if cr.EtatCourantDepotFlux != out {
			t.Errorf("flowOutcome %s: got %s", out, cr.EtatCourantDepotFlux)
		}
		if out == chorus.EtatFluxRejete && (len(cr.ListeErreurDP) != 1 || cr.ListeErreurDP[0].LibelleErreurDP != MsgRejetSimule) {
			t.Errorf("simulated rejection: %+v", cr.ListeErreurDP)
		}
	}
	// Invalid behaviours are refused.
	bad := []Behaviour{
		{Lifecycle: []Step{{Status: chorus.StatutRejetee}}}, // no reason
		{Lifecycle: []Step{{Status: chorus.StatutMiseEnPaiement}, {Status: chorus.StatutMandatee}}},
		{Lifecycle: []Step{{Status: "lower_case"}}},
		{Lifecycle: []Step{{Status: "X"}}, Lifecycles: [][]Step{{{Status: "Y"}}}},
		{FlowOutcome: "in progress"},
	}
	for i, b := range bad {
		if err := h.srv.SetBehaviour(siretCrozon, b); err == nil {
			t.Errorf("bad behaviour %d accepted", i)
		}
	}
	if err := h.srv.SetBehaviour(siretJosselin, Behaviour{}); err == nil {
		t.Error("behaviour of a buyer not on Chorus Pro accepted")
	}
}

func TestInvoicePaging(t *testing.T) {
	h := newHarness(t, nil)
	const n = 25
	for i := 1; i <= n; i++ {
		h.deposit(newInvoice(fmt.Sprintf("PAGE-%03d", i), siretCrozon).cii(), chorus.SyntaxeCII16B)
	}
	h.deposit(newInvoice("OTHER-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	crozonID := h.srv.cfg.Directory.buyers[h.srv.cfg.Directory.bySIRET[siretCrozon]].ID
	search := func(p *chorus.Pagination) chorus.RechercherFactureParFournisseurResponse {
		var out chorus.RechercherFactureParFournisseurResponse
		h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
			ListeDestinataire:              []chorus.DestinataireRecherche{{IDDestinataire: crozonID}},
			RechercheFactureParFournisseur: p,
		}, &out)
		return out
	}
	tests := []struct {
		name              string
		p                 *chorus.Pagination
		wantLen           int
		wantPage, wantPgs int
		wantFirst         string
	}{
		{"default page size is 10", nil, 10, 1, 3, "PAGE-001"},
		{"page 2", &chorus.Pagination{PageResultatDemandee: 2}, 10, 2, 3, "PAGE-011"},
		{"last page", &chorus.Pagination{PageResultatDemandee: 3}, 5, 3, 3, "PAGE-021"},
		{"beyond the last page", &chorus.Pagination{PageResultatDemandee: 4}, 0, 4, 3, ""},
		{"bigger pages", &chorus.Pagination{NbResultatsParPage: 100}, 25, 1, 1, "PAGE-001"},
		{"descending", &chorus.Pagination{TriSens: chorus.TriDescendant}, 10, 1, 3, "PAGE-025"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := search(tc.p)
			if !out.OK() || len(out.ListeFactures) != tc.wantLen || out.ParametresRetour == nil ||
				out.ParametresRetour.PageCourante != tc.wantPage || out.ParametresRetour.Pages != tc.wantPgs || out.ParametresRetour.Total != n {
				t.Fatalf("got %d results, %+v %+v", len(out.ListeFactures), out.Retour, out.ParametresRetour)
			}
			if tc.wantFirst != "" && out.ListeFactures[0].NumeroFacture != tc.wantFirst {
				t.Errorf("first %s, want %s", out.ListeFactures[0].NumeroFacture, tc.wantFirst)
			}
		})
	}
	// Reading every page finds every invoice exactly once.
	seen := map[string]int{}
	for page := 1; ; page++ {
		out := search(&chorus.Pagination{PageResultatDemandee: page})
		for _, f := range out.ListeFactures {
			seen[f.NumeroFacture]++
		}
		if !out.ParametresRetour.HasNext() {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("paging found %d invoices, want %d", len(seen), n)
	}
	// Filters.
	var out chorus.RechercherFactureParFournisseurResponse
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
		StatutCourant: []chorus.StatutFacture{chorus.StatutDeposee}, RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: 1000}}, &out)
	if len(out.ListeFactures) != n+1 {
		t.Errorf("statutCourant DEPOSEE: %d", len(out.ListeFactures))
	}
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
		StatutCourant: []chorus.StatutFacture{chorus.StatutMiseEnPaiement}}, &out)
	if out.CodeRetour != chorus.CodeRetourAucunResultat || len(out.ListeFactures) != 0 {
		t.Errorf("statutCourant MISE_EN_PAIEMENT: %+v", out.Retour)
	}
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: "NOPE"}, &out)
	if out.CodeRetour != chorus.CodeRetourAucunResultat {
		t.Errorf("unknown number: %+v", out.Retour)
	}
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
		PeriodeDateDepotDu: "2026-01-15", PeriodeDateDepotAu: "2026-01-15", RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: 1000}}, &out)
	if len(out.ListeFactures) != n+1 {
		t.Errorf("deposit date filter: %d", len(out.ListeFactures))
	}
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{PeriodeDateDepotDu: "2026-01-16"}, &out)
	if len(out.ListeFactures) != 0 {
		t.Errorf("deposit date filter (after): %d", len(out.ListeFactures))
	}
}

func TestNonReportingBuyerRejects(t *testing.T) {
	h := newHarness(t, nil)
	var cs chorus.ConsulterStructureResponse
	b, _ := h.srv.Buyer(siretAnitaConti)
	h.call(chorus.PathConsulterStructure, chorus.ConsulterStructureRequest{IDStructureCPP: b.ID}, &cs)
	if !cs.OK() || !cs.Parametres.StatutMiseEnPaiementNestPasRemonte {
		t.Fatalf("structure: %+v", cs)
	}
	first := h.integrate(newInvoice("NR-001", siretAnitaConti))
	second := h.integrate(newInvoice("NR-002", siretAnitaConti))
	third := h.integrate(newInvoice("NR-003", siretAnitaConti))
	h.advance(10 * day)
	if got := statuses(h.history(first)); !slices.Equal(got, []chorus.StatutFacture{chorus.StatutDeposee, chorus.StatutMiseADisposition, chorus.StatutRejetee}) {
		t.Errorf("first invoice: %v, want it rejected", got)
	}
	if hr := h.history(second); hr.StatutCourantCode != chorus.StatutSuspendue {
		t.Fatalf("second invoice: %v, want it suspended", statuses(hr))
	}
	var cr chorus.CompleterResponse
	h.call(chorus.PathCompleter, chorus.CompleterRequest{IdentifiantFactureCPP: second, Commentaire: "bon de commande joint"}, &cr)
	h.advance(400 * day)
	for _, tc := range []struct {
		id   int64
		want chorus.StatutFacture
	}{{first, chorus.StatutRejetee}, {second, chorus.StatutMandatee}, {third, chorus.StatutMandatee}} {
		got := statuses(h.history(tc.id))
		if got[len(got)-1] != tc.want || slices.Contains(got, chorus.StatutMiseEnPaiement) {
			t.Errorf("invoice %d: %v, want it to end %s without payment", tc.id, got, tc.want)
		}
	}
}

func TestNonReportingBuyerNeverPays(t *testing.T) {
	// A buyer that does not report payment, given the default lifecycle
	// (which pays): the payment is not played.
	yaml := `
default:
  lifecycle:
    - {status: MISE_A_DISPOSITION, after: 1h}
    - {status: MISE_EN_PAIEMENT, after: 10d}
buyers:
  - siret: "` + siretQuiberon + `"
    name: Commune de Quiberon
    parametres: {statutMiseEnPaiementNestPasRemonte: true}
    services: [{codeService: FACTURES_PUBLIQUES}]
`
	d, err := LoadDirectory("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.Directory = d })
	id := h.integrate(newInvoice("NP-1", siretQuiberon))
	h.advance(30 * day)
	if got := statuses(h.history(id)); !slices.Equal(got, []chorus.StatutFacture{chorus.StatutDeposee, chorus.StatutMiseADisposition}) {
		t.Errorf("history %v: want no MISE_EN_PAIEMENT", got)
	}
	// An explicit lifecycle that pays such a buyer is refused, in the file
	// and through the admin.
	paying := strings.Replace(yaml, "services:", "lifecycle: [{status: MISE_EN_PAIEMENT, after: 1d}]\n    services:", 1)
	if _, err := LoadDirectory("test.yaml", []byte(paying)); err == nil || !strings.Contains(err.Error(), "statutMiseEnPaiementNestPasRemonte") {
		t.Errorf("a paying lifecycle for a non-reporting buyer: %v", err)
	}
	if err := h.srv.SetBehaviour(siretQuiberon, Behaviour{Lifecycle: []Step{{Status: chorus.StatutMiseEnPaiement}}}); err == nil {
		t.Error("SetBehaviour accepted a payment for a non-reporting buyer")
	}
	if err := h.srv.SetBehaviour(siretQuiberon, Behaviour{Lifecycle: []Step{{Status: chorus.StatutARecycler, Comment: "mauvais service"}}}); err != nil {
		t.Errorf("SetBehaviour refused a recycling: %v", err)
	}
}

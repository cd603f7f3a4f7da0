package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// raw sends a /cpro call that must answer 200 and returns its body.
func (h *harness) raw(path string, in any) []byte {
	h.t.Helper()
	resp, body, err := h.do(path, in)
	if err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("%s: %v %v %s", path, resp, err, body)
	}
	return body
}

// field returns the raw JSON of a dotted path of keys in body ("" when
// absent).
func field(t *testing.T, body []byte, path string) string {
	t.Helper()
	cur := json.RawMessage(body)
	for k := range strings.SplitSeq(path, ".") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(cur, &m); err != nil {
			t.Fatalf("%s: %s is not an object: %s", path, k, cur)
		}
		v, ok := m[k]
		if !ok {
			return ""
		}
		cur = v
	}
	return string(cur)
}

func setQuirks(t *testing.T, h *harness, q Quirks) {
	t.Helper()
	if err := h.srv.SetQuirks(q); err != nil {
		t.Fatal(err)
	}
}

func TestQuirksFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Quirks
		wantErr string
	}{
		{"none", nil, Quirks{}, ""},
		{"names", map[string]string{EnvQuirks: " history-newest-first , SINGLE-OBJECTS,"},
			Quirks{HistoryNewestFirst: true, SingleObjects: true}, ""},
		{"single objects everywhere", map[string]string{EnvQuirks: "single-objects", EnvSingleObjectsAll: "true"},
			Quirks{SingleObjects: true, SingleObjectsAll: true}, ""},
		{"duplicates, synchronous", map[string]string{EnvQuirks: "no-result-codes,duplicate-by-code", EnvDuplicateSync: "1"},
			Quirks{NoResultCodes: true, DuplicateByCode: true, DuplicateSync: true}, ""},
		{"forbidden routes, default", map[string]string{EnvQuirks: "forbidden-routes"},
			Quirks{ForbiddenRoutes: []string{"/cpro/factures/"}}, ""},
		{"forbidden routes", map[string]string{EnvQuirks: "forbidden-routes", EnvForbiddenRoutes: "/cpro/structures/, /cpro/transverses/v1/consulterCRDetaille"},
			Quirks{ForbiddenRoutes: []string{"/cpro/structures/", "/cpro/transverses/v1/consulterCRDetaille"}}, ""},
		{"forbidden route outside /cpro/", map[string]string{EnvQuirks: "forbidden-routes", EnvForbiddenRoutes: "/factures/"}, Quirks{}, "does not start with /cpro/"},
		{"lag and shares, defaults", map[string]string{EnvQuirks: "search-lag,lost-invoice,flow-a-relancer,flow-erreur-interne"},
			Quirks{SearchLag: Duration(15 * time.Minute), LostInvoiceRate: 0.1, FlowARelancerRate: 0.1, FlowErreurInterneRate: 0.1}, ""},
		{"lag and shares", map[string]string{EnvQuirks: "search-lag,lost-invoice", EnvSearchLag: "5m", EnvLostInvoiceRate: "0.25"},
			Quirks{SearchLag: Duration(5 * time.Minute), LostInvoiceRate: 0.25}, ""},
		{"share above 1", map[string]string{EnvQuirks: "lost-invoice", EnvLostInvoiceRate: "1.5"}, Quirks{}, "not a probability"},
		{"bad lag", map[string]string{EnvQuirks: "search-lag", EnvSearchLag: "soon"}, Quirks{}, EnvSearchLag},
		{"deposit answers", map[string]string{EnvQuirks: "coderetour-applied,deposit-4xx", EnvDeposit4xxRate: "0.05"},
			Quirks{CodeRetourAppliedRate: 0.1, Deposit4xxRate: 0.05}, ""},
		{"unknown name", map[string]string{EnvQuirks: "history-newest-first,nope"}, Quirks{}, `unknown quirk "nope"`},
		{"parameter without its quirk", map[string]string{EnvSingleObjectsAll: "true"}, Quirks{}, "does not name single-objects"},
		{"bad parameter", map[string]string{EnvQuirks: "single-objects", EnvSingleObjectsAll: "oui"}, Quirks{}, EnvSingleObjectsAll},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(envOf(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(c.Quirks); string(got) != string(must(json.Marshal(tc.want))) {
				t.Errorf("quirks %s, want %+v", got, tc.want)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestQuirksAdmin(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Quirks = Quirks{HistoryNewestFirst: true} })
	if code, body := h.admin("GET", "/_sandbox/quirks", ""); code != 200 || field(t, body, "historyNewestFirst") != "true" {
		t.Errorf("GET: %d %s", code, body)
	}
	if code, body := h.admin("POST", "/_sandbox/quirks", `{"singleObjects":true}`); code != 200 ||
		field(t, body, "singleObjects") != "true" || field(t, body, "historyNewestFirst") != "false" {
		t.Errorf("POST replaces: %d %s", code, body)
	}
	if got := h.srv.Quirks().Names(); !slices.Equal(got, []string{QuirkSingleObjects}) {
		t.Errorf("names %v", got)
	}
	if code, _ := h.admin("POST", "/_sandbox/quirks", `{"typo":true}`); code != 400 {
		t.Errorf("unknown field: %d", code)
	}
	// Reset restores the configuration's quirks.
	h.srv.Reset()
	if q := h.srv.Quirks(); !q.HistoryNewestFirst || q.SingleObjects {
		t.Errorf("after reset: %+v", q)
	}
	if code, _ := h.admin("POST", "/_sandbox/quirks", `{}`); code != 200 || len(h.srv.Quirks().Names()) != 0 {
		t.Errorf("{} turns every quirk off: %d %v", code, h.srv.Quirks().Names())
	}
}

func TestHistoryNewestFirst(t *testing.T) {
	for _, newestFirst := range []bool{false, true} {
		h := newHarness(t, nil)
		setQuirks(t, h, Quirks{HistoryNewestFirst: newestFirst})
		id := h.integrate(newInvoice("HIST-1", siretJeanMoulin))
		h.advance(9 * day) // MISE_A_DISPOSITION (2h), SERVICE_FAIT (3d), MANDATEE (5d)
		body := h.raw(chorus.PathConsulterHistorique, chorus.ConsulterHistoriqueRequest{IDFacture: id})
		var hr chorus.ConsulterHistoriqueResponse
		if err := json.Unmarshal(body, &hr); err != nil {
			t.Fatal(err)
		}
		want := []chorus.StatutFacture{chorus.StatutDeposee, chorus.StatutMiseADisposition, chorus.StatutServiceFait, chorus.StatutMandatee}
		if newestFirst {
			slices.Reverse(want)
		}
		if got := statuses(hr); !slices.Equal(got, want) || hr.StatutCourantCode != chorus.StatutMandatee {
			t.Errorf("newest first %v: %v (current %s), want %v", newestFirst, got, hr.StatutCourantCode, want)
		}
		// Capped: the first entries of the list's order.
		h.call(chorus.PathConsulterHistorique, chorus.ConsulterHistoriqueRequest{IDFacture: id, NbResultatsMaximum: 1}, &hr)
		if got := statuses(hr); len(got) != 1 || got[0] != want[0] {
			t.Errorf("newest first %v, capped at 1: %v, want %s", newestFirst, got, want[0])
		}
	}
}

func TestSingleObjects(t *testing.T) {
	rejected := newInvoice("SINGLE-1", siretUnknown)
	tests := []struct {
		name   string
		quirks Quirks
		// want: path → the raw JSON's first byte ('{' object, '[' array).
		want map[string]byte
	}{
		{"off", Quirks{}, map[string]byte{
			"cr.listeErreurDP": '[', "histo.historiquesDesStatuts.histoStatut": '[', "histo.historiquesDesActionsUtilisateurs.histoAction": '[',
			"search.listeFactures": '[', "actives.listeStructures": '[', "bank.listeCoordonneeBancaire": '[', "histo2.historiquesDesStatuts.histoStatut": '[',
		}},
		{"listed keys", Quirks{SingleObjects: true}, map[string]byte{
			"cr.listeErreurDP": '{', "histo.historiquesDesStatuts.histoStatut": '{', "histo.historiquesDesActionsUtilisateurs.histoAction": '[',
			"search.listeFactures": '{', "actives.listeStructures": '{', "bank.listeCoordonneeBancaire": '{',
			// Two elements stay an array.
			"histo2.historiquesDesStatuts.histoStatut": '[',
		}},
		{"every key", Quirks{SingleObjectsAll: true}, map[string]byte{
			"cr.listeErreurDP": '{', "histo.historiquesDesActionsUtilisateurs.histoAction": '{', "histo2.historiquesDesStatuts.histoStatut": '[',
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			id := h.integrate(newInvoice("SINGLE-2", siretPlougastel))
			numero := h.deposit(rejected.cii(), chorus.SyntaxeCII16B)
			// One user action on the invoice (histoAction, a list outside
			// singleObjectKeys), recorded through the state: no supplier
			// call records one on a DEPOSEE invoice.
			h.srv.mu.Lock()
			h.srv.st.addAction(h.srv.st.invoicesByID[id], chorus.ActionTraitementRejet, h.srv.nowLocked(), "x")
			h.srv.mu.Unlock()
			h.advance(testIntegration)
			setQuirks(t, h, tc.quirks)
			bodies := map[string][]byte{
				"cr":      h.raw(chorus.PathConsulterCRDetaille, chorus.ConsulterCRDetailleRequest{NumeroFluxDepot: numero}),
				"histo":   h.raw(chorus.PathConsulterHistorique, chorus.ConsulterHistoriqueRequest{IDFacture: id}),
				"search":  h.raw(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: "SINGLE-2"}),
				"actives": h.raw(chorus.PathStructuresActivesFournisseur, struct{}{}),
				"bank":    h.raw(chorus.PathCoordBancValides, chorus.CoordBancValidesRequest{IDStructure: DefaultSupplierID}),
			}
			h.advance(2 * day) // MISE_A_DISPOSITION: two statuses
			bodies["histo2"] = h.raw(chorus.PathConsulterHistorique, chorus.ConsulterHistoriqueRequest{IDFacture: id})
			for path, want := range tc.want {
				which, rest, _ := strings.Cut(path, ".")
				got := field(t, bodies[which], rest)
				if got == "" || got[0] != want {
					t.Errorf("%s: %s, want it to start with %c", path, got, want)
				}
			}
			// Numbers are written as they were, object or not.
			if got := field(t, bodies["search"], "listeFactures"); !strings.Contains(got, `"identifiantFactureCPP":`+itoa(id)+`,`) ||
				!strings.Contains(got, `"montantTTC":2415.00`) {
				t.Errorf("numbers rewritten: %s", got)
			}
			// The client's wire types read both shapes (chorus.List,
			// fidelity.md B-3): one error either way.
			var cr chorus.ConsulterCRDetailleResponse
			if err := json.Unmarshal(bodies["cr"], &cr); err != nil || len(cr.ListeErreurDP) != 1 {
				t.Errorf("decoding the flow report into the wire type: %d errors, %v", len(cr.ListeErreurDP), err)
			}
		})
	}
}

func TestNoResultCodes(t *testing.T) {
	type search struct {
		path string
		in   any
		list string // the list's key
	}
	searches := map[string]search{
		"structures/rechercher": {chorus.PathRechercherStructure, chorus.RechercherStructureRequest{
			Structure: chorus.CritereStructure{IdentifiantStructure: siretUnknown, TypeIdentifiantStructure: chorus.TypeIdentifiantSIRET}}, "listeStructures"},
		"rechercher/services":    {chorus.PathRechercherServices, chorus.RechercherServicesRequest{IDStructure: DefaultSupplierID}, "listeServices"},
		"rechercher/fournisseur": {chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: "NOPE"}, "listeFactures"},
	}
	tests := []struct {
		name  string
		on    bool
		which string
		code  string
		lib   string
		list  string // the list's raw JSON, "" when absent
	}{
		{"off", false, "structures/rechercher", "20000", "TRA_MSG_00.015", "[]"},
		{"off", false, "rechercher/services", "20000", "TRA_MSG_00.015", "[]"},
		{"off", false, "rechercher/fournisseur", "20000", "TRA_MSG_00.015", "[]"},
		{"on", true, "structures/rechercher", "20007", "GFT_MSG_01.075", "[]"},
		{"on", true, "rechercher/services", "20007", "GFT_MSG_01.075", "[]"},
		{"on", true, "rechercher/fournisseur", "20000", "TRA_MSG_00.015", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name+" "+tc.which, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Quirks.NoResultCodes = tc.on })
			sr := searches[tc.which]
			body := h.raw(sr.path, sr.in)
			if got := field(t, body, "codeRetour"); got != tc.code {
				t.Errorf("codeRetour %s, want %s: %s", got, tc.code, body)
			}
			if got := field(t, body, "libelle"); !strings.HasPrefix(got, `"`+tc.lib) {
				t.Errorf("libelle %s, want %s…", got, tc.lib)
			}
			if got := field(t, body, sr.list); got != tc.list {
				t.Errorf("%s: %q, want %q (raw %s)", sr.list, got, tc.list, body)
			}
		})
	}
}

// hasDuplicateWords reports whether a wording lets a client recognise a
// duplicate by its words (what the worker's heuristic looks for).
func hasDuplicateWords(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "déjà") || strings.Contains(s, "deja") || strings.Contains(s, "doublon")
}

func TestDuplicateByCode(t *testing.T) {
	tests := []struct {
		name   string
		quirks Quirks
	}{
		{"off", Quirks{}},
		{"in the flow report", Quirks{DuplicateByCode: true}},
		{"synchronous", Quirks{DuplicateByCode: true, DuplicateSync: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Quirks = tc.quirks })
			h.integrate(newInvoice("DUPQ-1", siretPlougastel))
			var dep chorus.DeposerFluxResponse
			body := h.raw(chorus.PathDeposerFlux, chorus.DeposerFluxRequest{FichierFlux: newInvoice("DUPQ-1", siretPlougastel).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B})
			if err := json.Unmarshal(body, &dep); err != nil {
				t.Fatal(err)
			}
			if tc.quirks.DuplicateSync {
				// Refused at once, with the code; no flow.
				if dep.CodeRetour != codeRetourDoublon || dep.NumeroFluxDepot != "" || hasDuplicateWords(dep.Libelle) || len(h.srv.Deposits()) != 1 {
					t.Fatalf("deposit: %s (%d flows)", body, len(h.srv.Deposits()))
				}
				// A new number is deposited as usual.
				h.integrate(newInvoice("DUPQ-2", siretPlougastel))
				return
			}
			if !dep.OK() || dep.NumeroFluxDepot == "" {
				t.Fatalf("deposit: %s", body)
			}
			h.advance(testIntegration)
			raw := h.raw(chorus.PathConsulterCRDetaille, chorus.ConsulterCRDetailleRequest{NumeroFluxDepot: dep.NumeroFluxDepot})
			var cr chorus.ConsulterCRDetailleResponse
			if err := json.Unmarshal(raw, &cr); err != nil || cr.EtatCourantDepotFlux != chorus.EtatFluxRejete || len(cr.ListeErreurDP) != 1 {
				t.Fatalf("flow report: %s", raw)
			}
			libelle := cr.ListeErreurDP[0].LibelleErreurDP
			if !tc.quirks.DuplicateByCode {
				if !hasDuplicateWords(libelle) || field(t, raw, "listeErreurTechnique") != "" {
					t.Errorf("happy duplicate: %s", raw)
				}
				return
			}
			want := `[{"codeErreur":"` + chorus.CodeErreurDoublon + `","libelleErreur":"Facture rejetée : numéro DUPQ-1 non unique pour ce fournisseur","natureErreur":"REJET"}]`
			if got := field(t, raw, "listeErreurTechnique"); got != want {
				t.Errorf("listeErreurTechnique %s, want %s", got, want)
			}
			if hasDuplicateWords(libelle) || libelle != "Facture rejetée : numéro DUPQ-1 non unique pour ce fournisseur" {
				t.Errorf("listeErreurDP libelle %q", libelle)
			}
		})
	}
	// soumettre answers 20008 for a duplicate with the quirk.
	h := newHarness(t, func(c *Config) { c.Quirks.DuplicateByCode = true })
	h.integrate(newInvoice("DUPQ-3", siretPlougastel))
	var out chorus.SoumettreResponse
	h.call(chorus.PathSoumettre, chorus.SoumettreRequest{
		ModeDepot: chorus.ModeDepotSaisieAPI, NumeroFactureSaisi: "DUPQ-3", DateFacture: "2026-01-15",
		Destinataire:       chorus.DestinataireFacture{CodeDestinataire: siretPlougastel},
		Fournisseur:        chorus.FournisseurFacture{IDFournisseur: DefaultSupplierID},
		CadreDeFacturation: chorus.CadreDeFacturation{CodeCadreFacturation: chorus.CadreA1FactureFournisseur},
	}, &out)
	if out.CodeRetour != codeRetourDoublon || hasDuplicateWords(out.Libelle) {
		t.Errorf("soumettre duplicate: %+v", out.Retour)
	}
}

func TestForbiddenRoutes(t *testing.T) {
	h := newHarness(t, nil)
	h.token = h.getToken()
	if code, body := h.admin("POST", "/_sandbox/quirks", `{"forbiddenRoutes":["/cpro/factures/"]}`); code != 200 {
		t.Fatalf("admin: %d %s", code, body)
	}
	good := cproAccount(DefaultTechLogin, DefaultTechPassword)
	deposit := chorus.DeposerFluxRequest{FichierFlux: newInvoice("FORB-1", siretPlougastel).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B}
	tests := []struct {
		name    string
		path    string
		in      any
		token   string
		account string
		want    int
	}{
		{"a Factures route", chorus.PathDeposerFlux, deposit, h.token, good, 403},
		{"an unknown Factures route (the probe's consulter/cr)", "/cpro/factures/v1/consulter/cr", struct{}{}, h.token, good, 403},
		// The gateway checks the subscription before Chorus Pro checks the
		// technical account ([FR1]: 403 with a bogus cpro-account)…
		{"a bogus technical account", chorus.PathRechercherFactureFournisseur, struct{}{}, h.token, cproAccount("x", "y"), 403},
		// … but after the token.
		{"a bad token", chorus.PathDeposerFlux, deposit, "bad", good, 401},
		{"another API", chorus.PathStructuresActivesFournisseur, struct{}{}, h.token, good, 200},
		{"another API, bogus account", chorus.PathStructuresActivesFournisseur, struct{}{}, h.token, cproAccount("x", "y"), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, err := h.doWith(h.http.Client(), tc.path, tc.in, tc.token, tc.account)
			if err != nil || resp.StatusCode != tc.want {
				t.Fatalf("%v %v %s, want %d", resp, err, body, tc.want)
			}
			if tc.want == 403 && (field(t, body, "error") != `"Accès refusé"` || !strings.Contains(field(t, body, "message"), "abonnement")) {
				t.Errorf("403 body %s", body)
			}
		})
	}
	if n := len(h.srv.Deposits()); n != 0 {
		t.Errorf("a refused deposit was applied (%d flows)", n)
	}
	// A test turns it off again.
	if code, _ := h.admin("POST", "/_sandbox/quirks", `{}`); code != 200 {
		t.Fatal(code)
	}
	h.deposit(newInvoice("FORB-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	if code, body := h.admin("POST", "/_sandbox/quirks", `{"forbiddenRoutes":["factures"]}`); code != 400 {
		t.Errorf("a prefix outside /cpro/: %d %s", code, body)
	}
}

// searchNumber searches an invoice by number and returns how many were found.
func (h *harness) searchNumber(number string) int {
	h.t.Helper()
	var out chorus.RechercherFactureParFournisseurResponse
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: number}, &out)
	return len(out.ListeFactures)
}

func TestSearchLag(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Quirks.SearchLag = Duration(10 * time.Minute) })
	numero := h.deposit(newInvoice("LAG-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if cr := h.cr(numero); cr.EtatCourantDepotFlux != chorus.EtatFluxIntegre {
		t.Fatalf("flow: %+v", cr)
	}
	invs := h.srv.Invoices()
	if len(invs) != 1 || !invs[0].Visible {
		t.Fatalf("invoices: %+v", invs)
	}
	byFlow := func() int {
		var out chorus.RechercherFactureParFournisseurResponse
		h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFluxDepot: numero}, &out)
		return len(out.ListeFactures)
	}
	if n, f, all := h.searchNumber("LAG-1"), byFlow(), len(sweepPages(t, h, "", "", 10)); n+f+all != 0 {
		t.Errorf("found before the lag: by number %d, by flow %d, all %d", n, f, all)
	}
	// The history answers by id meanwhile.
	if hr := h.history(invs[0].IdentifiantFactureCPP); hr.StatutCourantCode != chorus.StatutDeposee {
		t.Errorf("history: %+v", hr)
	}
	h.advance(10*time.Minute - time.Second)
	if n := len(sweepPages(t, h, "", "", 10)); n != 0 {
		t.Errorf("found a second before the lag is over: %d", n)
	}
	h.advance(time.Second)
	if n, f, all := h.searchNumber("LAG-1"), byFlow(), len(sweepPages(t, h, "", "", 10)); n != 1 || f != 1 || all != 1 {
		t.Errorf("after the lag: by number %d, by flow %d, all %d", n, f, all)
	}
	// Turned off at runtime: the next invoice is found as soon as integrated.
	h.deposit(newInvoice("LAG-2", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if n := len(sweepPages(t, h, "", "", 10)); n != 1 {
		t.Errorf("with the lag: %d", n)
	}
	setQuirks(t, h, Quirks{})
	if n := len(sweepPages(t, h, "", "", 10)); n != 2 {
		t.Errorf("lag turned off: %d, want 2", n)
	}
}

func TestFlowQuirks(t *testing.T) {
	tests := []struct {
		name     string
		quirks   Quirks
		behavior chorus.EtatFlux // Behaviour.FlowOutcome of the buyer instead
		want     chorus.EtatFlux
		quirk    string
	}{
		{"lost invoice", Quirks{LostInvoiceRate: 1}, "", chorus.EtatFluxIntegre, QuirkLostInvoice},
		{"IN_A_RELANCER", Quirks{FlowARelancerRate: 1}, "", chorus.EtatFluxARelancer, QuirkFlowARelancer},
		{"IN_ERREUR_INTERNE", Quirks{FlowErreurInterneRate: 1}, "", chorus.EtatFluxErreurInterne, QuirkFlowErreurInterne},
		{"IN_A_RELANCER, buyer behaviour", Quirks{}, chorus.EtatFluxARelancer, chorus.EtatFluxARelancer, ""},
		{"IN_ERREUR_INTERNE, buyer behaviour", Quirks{}, chorus.EtatFluxErreurInterne, chorus.EtatFluxErreurInterne, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Quirks = tc.quirks })
			if tc.behavior != "" {
				b, _ := h.srv.Buyer(siretPlougastel)
				b.Behaviour.FlowOutcome = tc.behavior
				if err := h.srv.SetBehaviour(siretPlougastel, b.Behaviour); err != nil {
					t.Fatal(err)
				}
			}
			numero := h.deposit(newInvoice("FATE-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
			h.advance(testIntegration)
			raw := h.raw(chorus.PathConsulterCRDetaille, chorus.ConsulterCRDetailleRequest{NumeroFluxDepot: numero})
			if got := field(t, raw, "etatCourantDepotFlux"); got != `"`+string(tc.want)+`"` ||
				field(t, raw, "listeErreurDP") != "" || field(t, raw, "listeErreurTechnique") != "" {
				t.Errorf("flow report %s, want %s without errors", raw, tc.want)
			}
			h.advance(day)
			if n := h.searchNumber("FATE-1"); n != 0 {
				t.Errorf("the invoice was found (%d)", n)
			}
			if d := h.srv.Deposits(); len(d) != 1 || d[0].Quirk != tc.quirk || d[0].IdentifiantFactureCPP != 0 {
				t.Errorf("admin view: %+v", d)
			}
			// No invoice was created: the same number is accepted again.
			setQuirks(t, h, Quirks{})
			if tc.behavior != "" {
				if err := h.srv.SetBehaviour(siretPlougastel, Behaviour{}); err != nil {
					t.Fatal(err)
				}
			}
			if id := h.integrate(newInvoice("FATE-1", siretPlougastel)); id == 0 {
				t.Error("re-deposit not found")
			}
		})
	}
}

func TestFlowQuirkShares(t *testing.T) {
	run := func(seed uint64) []string {
		h := newHarness(t, func(c *Config) {
			c.Seed = seed
			c.Quirks = Quirks{LostInvoiceRate: 0.2, FlowARelancerRate: 0.2, FlowErreurInterneRate: 0.2}
		})
		for i := range 50 {
			h.deposit(newInvoice(fmt.Sprintf("SHARE-%d", i), siretPlougastel).cii(), chorus.SyntaxeCII16B)
		}
		var fates []string
		for _, d := range h.srv.Deposits() {
			fates = append(fates, d.Quirk+"/"+string(d.EtatFinal))
		}
		return fates
	}
	a, b, c := run(3), run(3), run(4)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Error("the fates do not follow the seed")
	}
	count := map[string]int{}
	for _, f := range a {
		count[f]++
	}
	for _, f := range []string{"/IN_INTEGRE", "lost-invoice/IN_INTEGRE", "flow-a-relancer/IN_A_RELANCER", "flow-erreur-interne/IN_ERREUR_INTERNE"} {
		if count[f] == 0 {
			t.Errorf("no %s among %v", f, count)
		}
	}
	if err := (Quirks{LostInvoiceRate: 0.5, FlowARelancerRate: 0.6}).Validate(); err == nil {
		t.Error("shares above 1 in all accepted")
	}
	if err := (Quirks{SearchLag: -1}).Validate(); err == nil {
		t.Error("negative lag accepted")
	}
}

func TestDepositAnswerQuirks(t *testing.T) {
	h := newHarness(t, nil)
	h.token = h.getToken()
	deposit := func(number string) (*http.Response, []byte) {
		t.Helper()
		resp, body, err := h.do(chorus.PathDeposerFlux, chorus.DeposerFluxRequest{
			FichierFlux: newInvoice(number, siretPlougastel).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B})
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	// deposit-4xx: HTTP 400 {codeRetour, libelle}, nothing applied.
	setQuirks(t, h, Quirks{Deposit4xxRate: 1})
	resp, body := deposit("ANS-1")
	if want := `{"codeRetour":20002,"libelle":"Requête mal formulée : le dépôt n'a pas été pris en compte"}`; resp.StatusCode != 400 || string(body) != want {
		t.Errorf("deposit-4xx: %d %s, want 400 %s", resp.StatusCode, body, want)
	}
	if n := len(h.srv.Deposits()); n != 0 {
		t.Errorf("deposit-4xx applied the deposit (%d flows)", n)
	}

	// coderetour-applied: HTTP 200, codeRetour ≠ 0, no flow number… yet the
	// flow was created and is processed.
	setQuirks(t, h, Quirks{CodeRetourAppliedRate: 1})
	resp, body = deposit("ANS-1")
	if want := `{"codeRetour":20099,"libelle":"Erreur technique, veuillez réessayer"}`; resp.StatusCode != 200 || string(body) != want {
		t.Errorf("coderetour-applied: %d %s, want 200 %s", resp.StatusCode, body, want)
	}
	deps := h.srv.Deposits()
	if len(deps) != 1 || deps[0].Quirk != QuirkCodeRetourApplied || deps[0].NumeroFacture != "ANS-1" {
		t.Fatalf("coderetour-applied: %+v", deps)
	}
	setQuirks(t, h, Quirks{})
	h.advance(testIntegration)
	if n := h.searchNumber("ANS-1"); n != 1 {
		t.Errorf("the applied deposit's invoice: %d found", n)
	}
	// Depositing again meets the duplicate.
	numero := h.deposit(newInvoice("ANS-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if cr := h.cr(numero); cr.EtatCourantDepotFlux != chorus.EtatFluxRejete {
		t.Errorf("second deposit: %+v", cr)
	}

	// Shares follow the seed.
	run := func(seed uint64) []int {
		h := newHarness(t, func(c *Config) { c.Seed = seed; c.Quirks = Quirks{Deposit4xxRate: 0.3, CodeRetourAppliedRate: 0.3} })
		var got []int
		for i := range 40 {
			resp, body, err := h.do(chorus.PathDeposerFlux, chorus.DeposerFluxRequest{
				FichierFlux: newInvoice(fmt.Sprintf("ANS-S%d", i), siretPlougastel).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, resp.StatusCode*100000+must(strconv.Atoi(field(t, body, "codeRetour"))))
		}
		return got
	}
	a, b := run(5), run(5)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different answers")
	}
	count := map[int]int{}
	for _, v := range a {
		count[v]++
	}
	if count[200*100000] == 0 || count[200*100000+20099] == 0 || count[400*100000+20002] == 0 {
		t.Errorf("answers %v: want some of each", count)
	}
	if err := (Quirks{Deposit4xxRate: 0.6, CodeRetourAppliedRate: 0.6}).Validate(); err == nil {
		t.Error("deposit shares above 1 in all accepted")
	}
}

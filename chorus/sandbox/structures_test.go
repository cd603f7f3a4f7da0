package sandbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

func TestBuyerLookup(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name     string
		siret    string
		found    bool
		exigence chorus.Exigence
		services []string // active services, FACTURES_PUBLIQUES excluded
	}{
		{"no obligation", siretPlougastel, true, chorus.ExigenceAucune, []string{"FINANCES"}},
		{"code service", siretDupuyDeLome, true, chorus.ExigenceCodeService, []string{"GESTION"}},
		{"engagement", siretSDIS, true, chorus.ExigenceEngagement, nil},
		{"both", siretPaimpol, true, chorus.ExigenceCodeServiceEtEngagement, []string{"DAF-FOURNISSEURS", "DAF-MARCHES"}},
		{"either", siretPloermel, true, chorus.ExigenceCodeServiceOuEngagement, []string{"SERV-ECO"}},
		{"sample establishment with the default behaviour", siretCrozon, true, chorus.ExigenceAucune, nil},
		{"sample establishment not on Chorus Pro", siretJosselin, false, "", nil},
		{"unknown SIRET", siretUnknown, false, "", nil},
		{"the supplier itself", DefaultSupplierSIRET, true, chorus.ExigenceAucune, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rs chorus.RechercherStructureResponse
			h.call(chorus.PathRechercherStructure, chorus.RechercherStructureRequest{
				Structure: chorus.CritereStructure{IdentifiantStructure: tc.siret, TypeIdentifiantStructure: chorus.TypeIdentifiantSIRET},
			}, &rs)
			if !tc.found {
				if rs.CodeRetour != chorus.CodeRetourAucunResultat || len(rs.ListeStructures) != 0 {
					t.Fatalf("want 20000 and no structure, got %+v", rs)
				}
				return
			}
			if !rs.OK() || len(rs.ListeStructures) != 1 || rs.ListeStructures[0].IdentifiantStructure != tc.siret {
				t.Fatalf("search: %+v", rs)
			}
			id := rs.ListeStructures[0].IDStructureCPP
			var cs chorus.ConsulterStructureResponse
			h.call(chorus.PathConsulterStructure, chorus.ConsulterStructureRequest{IDStructureCPP: id, CodeLangue: "fr"}, &cs)
			if !cs.OK() || cs.InformationGenerales.IdentifiantStructure != tc.siret || cs.Parametres.Exigence() != tc.exigence {
				t.Fatalf("consulter: %+v", cs)
			}
			var active []string
			for page := 1; ; page++ {
				var ls chorus.RechercherServicesResponse
				h.call(chorus.PathRechercherServices, chorus.RechercherServicesRequest{IDStructure: id,
					ParametresRechercherServicesStructure: &chorus.Pagination{NbResultatsParPage: 1, PageResultatDemandee: page}}, &ls)
				if ls.AucunResultat() {
					break
				}
				if !ls.OK() {
					t.Fatalf("services: %+v", ls.Retour)
				}
				for _, s := range ls.ListeServices {
					if s.EstActif && s.CodeService != chorus.CodeServiceFacturesPubliques {
						active = append(active, s.CodeService)
					}
				}
				if !ls.ParametresRetour.HasNext() {
					break
				}
			}
			if strings.Join(active, ",") != strings.Join(tc.services, ",") {
				t.Errorf("active services %v, want %v", active, tc.services)
			}
		})
	}
}

func TestServiceDetails(t *testing.T) {
	h := newHarness(t, nil)
	b, _ := h.srv.Buyer(siretPaimpol)
	var ls chorus.RechercherServicesResponse
	h.call(chorus.PathRechercherServices, chorus.RechercherServicesRequest{IDStructure: b.ID,
		ParametresRechercherServicesStructure: &chorus.Pagination{TriColonne: "CodeService", TriSens: chorus.TriDescendant}}, &ls)
	if len(ls.ListeServices) != 3 || ls.ListeServices[0].CodeService != "FACTURES_PUBLIQUES" || ls.ListeServices[2].CodeService != "DAF-FOURNISSEURS" {
		t.Fatalf("sorted services: %+v", ls.ListeServices)
	}
	var cs chorus.ConsulterServiceResponse
	h.call(chorus.PathConsulterService, chorus.ConsulterServiceRequest{IDStructure: b.ID, IDService: ls.ListeServices[2].IDService}, &cs)
	if !cs.OK() || cs.InformationsGenerales.CodeService != "DAF-FOURNISSEURS" || !cs.Parametres.NumeroEngagement || cs.Parametres.MiseEnPaiement {
		t.Errorf("consulter/service: %+v", cs)
	}
	h.call(chorus.PathConsulterService, chorus.ConsulterServiceRequest{IDStructure: b.ID, IDService: 1}, &cs)
	if cs.CodeRetour != CodeIntrouvable {
		t.Errorf("unknown service: %+v", cs.Retour)
	}
	var inactive chorus.RechercherServicesResponse
	lycee, _ := h.srv.Buyer(siretDupuyDeLome)
	h.call(chorus.PathRechercherServices, chorus.RechercherServicesRequest{IDStructure: lycee.ID}, &inactive)
	found := false
	for _, s := range inactive.ListeServices {
		if s.CodeService == "ANCIEN-ECONOMAT" {
			found = !s.EstActif && s.DateFinService != ""
		}
	}
	if !found {
		t.Errorf("inactive service not listed as such: %+v", inactive.ListeServices)
	}
	var unknown chorus.ConsulterStructureResponse
	h.call(chorus.PathConsulterStructure, chorus.ConsulterStructureRequest{IDStructureCPP: 1}, &unknown)
	if unknown.CodeRetour != CodeIntrouvable {
		t.Errorf("unknown structure: %+v", unknown.Retour)
	}
	var none chorus.RechercherStructureResponse
	h.call(chorus.PathRechercherStructure, chorus.RechercherStructureRequest{}, &none)
	if none.CodeRetour != CodeParametreInvalide {
		t.Errorf("search without criteria: %+v", none.Retour)
	}
	h.call(chorus.PathRechercherStructure, chorus.RechercherStructureRequest{Structure: chorus.CritereStructure{RaisonSocialeStructure: "centre hospitalier"}}, &none)
	if !none.OK() || none.ParametresRetour.Total != 2 {
		t.Errorf("search by name: %+v %+v", none.Retour, none.ParametresRetour)
	}
}

func TestSupplierIdentifiers(t *testing.T) {
	expires := mustTime(t, "2027-03-01T00:00:00Z")
	h := newHarness(t, func(c *Config) { c.TechPasswordExpires = expires })
	var sa chorus.StructuresActivesFournisseurResponse
	h.call(chorus.PathStructuresActivesFournisseur, chorus.StructuresActivesFournisseurRequest{}, &sa)
	if !sa.OK() || len(sa.ListeStructures) != 1 || sa.ListeStructures[0].IDStructureCPP != DefaultSupplierID || sa.ListeStructures[0].Identifiant != DefaultSupplierSIRET {
		t.Fatalf("structures actives: %+v", sa)
	}
	var cb chorus.CoordBancValidesResponse
	h.call(chorus.PathCoordBancValides, chorus.CoordBancValidesRequest{IDStructure: DefaultSupplierID}, &cb)
	if !cb.OK() || len(cb.ListeCoordonneeBancaire) != 1 || cb.ListeCoordonneeBancaire[0].IDCoordonneeBancaire != DefaultBankAccountID {
		t.Fatalf("coordbanc: %+v", cb)
	}
	h.call(chorus.PathCoordBancValides, chorus.CoordBancValidesRequest{IDStructure: 25100001}, &cb)
	if cb.CodeRetour != chorus.CodeRetourAucunResultat {
		t.Errorf("another structure's accounts: %+v", cb.Retour)
	}
	var cs chorus.ConsulterStructureResponse
	h.call(chorus.PathConsulterStructure, chorus.ConsulterStructureRequest{IDStructureCPP: DefaultSupplierID}, &cs)
	if cs.InformationGenerales.DateExpirationMotPasseCompteTech != "2027-03-01T01:00:00.000+01:00" {
		t.Errorf("dateExpirationMotPasseCompteTech %q", cs.InformationGenerales.DateExpirationMotPasseCompteTech)
	}
	var hc chorus.HealthCheckResponse
	resp, body, err := h.do(chorus.PathHealthCheck, nil)
	if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &hc) != nil || hc.StatusCodeValue != 200 {
		t.Errorf("health check: %v %s", err, body)
	}
}

func TestSoumettre(t *testing.T) {
	h := newHarness(t, nil)
	var aj chorus.AjouterFichierResponse
	h.call(chorus.PathAjouterFichier, chorus.AjouterFichierRequest{PieceJointeFichier: minimalPDF(), PieceJointeNom: "F-2026-01.pdf",
		PieceJointeTypeMime: "application/pdf", PieceJointeExtension: "PDF"}, &aj)
	if !aj.OK() {
		t.Fatalf("ajouter/fichier: %+v", aj)
	}
	base := func(number, buyer string) chorus.SoumettreRequest {
		return chorus.SoumettreRequest{
			ModeDepot: chorus.ModeDepotDepotPDFAPI, NumeroFactureSaisi: number, DateFacture: "2026-01-15",
			Destinataire:          chorus.DestinataireFacture{CodeDestinataire: buyer},
			Fournisseur:           chorus.FournisseurFacture{IDFournisseur: DefaultSupplierID, CodeCoordonneesBancairesFournisseur: DefaultBankAccountID},
			CadreDeFacturation:    chorus.CadreDeFacturation{CodeCadreFacturation: chorus.CadreA1FactureFournisseur},
			References:            chorus.ReferencesFacture{DeviseFacture: "EUR", TypeFacture: chorus.TypeFactureFacture, TypeTva: "SANS_TVA", ModePaiement: "VIREMENT"},
			MontantTotal:          chorus.MontantTotal{MontantHtTotal: "920.00", MontantTVA: "0", MontantTtcTotal: "920.00", MontantAPayer: "920.00"},
			PieceJointePrincipale: chorus.PiecesJointesPrincipales{{PieceJointePrincipaleDesignation: "Facture", PieceJointePrincipaleID: aj.PieceJointeID}},
		}
	}
	tests := []struct {
		name    string
		req     chorus.SoumettreRequest
		wantErr string // substring of libelle; "" means accepted
	}{
		{"valid", base("SUB-1", siretPlougastel), ""},
		{"duplicate", base("SUB-1", siretPlougastel), "déjà été utilisé"},
		{"EJ as numeroBonCommande", func() chorus.SoumettreRequest {
			r := base("SUB-2", siretSDIS)
			r.References.NumeroBonCommande = "2025000347"
			return r
		}(), ""},
		{"EJ missing", base("SUB-3", siretSDIS), "engagement est obligatoire"},
		{"number too long", base("SUB-0123456789ABCDEFG", siretPlougastel), "dépasse 20"},
		{"wrong supplier", func() chorus.SoumettreRequest {
			r := base("SUB-4", siretPlougastel)
			r.Fournisseur.IDFournisseur = 1
			return r
		}(), "fournisseur 1"},
		{"wrong bank account", func() chorus.SoumettreRequest {
			r := base("SUB-5", siretPlougastel)
			r.Fournisseur.CodeCoordonneesBancairesFournisseur = 9
			return r
		}(), "coordonnées bancaires"},
		{"unknown attachment", func() chorus.SoumettreRequest {
			r := base("SUB-6", siretPlougastel)
			r.PieceJointePrincipale[0].PieceJointePrincipaleID = 1
			return r
		}(), "Pièce jointe 1"},
		{"framework not allowed", func() chorus.SoumettreRequest {
			r := base("SUB-7", siretPlougastel)
			r.CadreDeFacturation.CodeCadreFacturation = "A4_DEMANDE_PAIEMENT"
			return r
		}(), "cadre de facturation"},
		{"mode not allowed", func() chorus.SoumettreRequest {
			r := base("SUB-8", siretPlougastel)
			r.ModeDepot = chorus.ModeDepotSaisieWeb
			return r
		}(), "mode de dépôt"},
		{"not on Chorus Pro", base("SUB-9", siretJosselin), "n'est pas référencé"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out chorus.SoumettreResponse
			h.call(chorus.PathSoumettre, tc.req, &out)
			if tc.wantErr == "" {
				if !out.OK() || out.IdentifiantFactureCPP == 0 || out.StatutFacture != chorus.StatutDeposee || out.NumeroFacture != tc.req.NumeroFactureSaisi {
					t.Fatalf("refused: %+v", out)
				}
				return
			}
			if out.CodeRetour != CodeFactureRefusee || !strings.Contains(out.Libelle, tc.wantErr) {
				t.Errorf("got %d %q, want %q", out.CodeRetour, out.Libelle, tc.wantErr)
			}
		})
	}
	// The structured invoice is visible at once, and its number cannot be
	// deposited again as a flow.
	var res chorus.RechercherFactureParFournisseurResponse
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: "SUB-1"}, &res)
	if len(res.ListeFactures) != 1 || res.ListeFactures[0].ModeDepot != chorus.ModeDepotDepotPDFAPI || string(res.ListeFactures[0].MontantTTC) != "920.00" {
		t.Fatalf("search: %+v", res)
	}
	numero := h.deposit(newInvoice("SUB-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if cr := h.cr(numero); cr.EtatCourantDepotFlux != chorus.EtatFluxRejete {
		t.Errorf("flow with a submitted number: %s", cr.EtatCourantDepotFlux)
	}
	// pieceJointePrincipale as a single object is read too (chorus-pro.md §2.5).
	raw := `{"modeDepot":"DEPOT_PDF_API","numeroFactureSaisi":"SUB-OBJ","destinataire":{"codeDestinataire":"` + siretPlougastel + `"},` +
		`"fournisseur":{"idFournisseur":26300989},"cadreDeFacturation":{"codeCadreFacturation":"A1_FACTURE_FOURNISSEUR"},` +
		`"references":{"typeFacture":"FACTURE"},"montantTotal":{"montantHtTotal":1,"montantTVA":0,"montantTtcTotal":1,"montantAPayer":1},` +
		`"pieceJointePrincipale":{"pieceJointePrincipaleId":` + itoa(aj.PieceJointeID) + `}}`
	var out chorus.SoumettreResponse
	h.call(chorus.PathSoumettre, json.RawMessage(raw), &out)
	if !out.OK() {
		t.Errorf("object pieceJointePrincipale: %+v", out.Retour)
	}
}

func TestAjouterFichier(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name       string
		req        chorus.AjouterFichierRequest
		wantStatus int
		wantCode   int
	}{
		{"ok", chorus.AjouterFichierRequest{PieceJointeFichier: []byte("a;b\n"), PieceJointeNom: "releve.csv", PieceJointeTypeMime: "text/csv"}, 200, 0},
		{"name of 51 characters", chorus.AjouterFichierRequest{PieceJointeFichier: []byte("x"), PieceJointeNom: strings.Repeat("n", 47) + ".pdf"}, 400, 0},
		{"extension not allowed", chorus.AjouterFichierRequest{PieceJointeFichier: []byte("x"), PieceJointeNom: "run.exe"}, 200, CodeParametreInvalide},
		{"no extension", chorus.AjouterFichierRequest{PieceJointeFichier: []byte("x"), PieceJointeNom: "facture"}, 200, CodeParametreInvalide},
		{"empty", chorus.AjouterFichierRequest{PieceJointeNom: "facture.pdf"}, 200, CodeParametreInvalide},
		{"above 10 MB", chorus.AjouterFichierRequest{PieceJointeFichier: make([]byte, chorus.MaxTailleFichierFlux+1), PieceJointeNom: "gros.pdf"}, 200, chorus.CodeRetourFichierTropGros},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, err := h.do(chorus.PathAjouterFichier, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				return
			}
			var out chorus.AjouterFichierResponse
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			if out.CodeRetour != tc.wantCode || (tc.wantCode == 0) != (out.PieceJointeID != 0) {
				t.Errorf("got %+v, want code %d", out, tc.wantCode)
			}
		})
	}
}

// TestObligationsOnTheWire checks by their raw JSON names the two answers a
// client reads obligations from: the service's engagement obligation
// (consulter/service → parametres.numeroEngagement, fidelity.md C-1) and
// the technical account's password expiry on the supplier's own structure
// (structures/consulter → informationGenerales.dateExpirationMotPasseCompteTech,
// fidelity.md C-4).
func TestObligationsOnTheWire(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.TechPasswordExpires = mustTime(t, "2027-03-01T00:00:00Z") })
	paimpol, _ := h.srv.Buyer(siretPaimpol)
	for _, sv := range paimpol.Services {
		body := h.raw(chorus.PathConsulterService, chorus.ConsulterServiceRequest{IDStructure: paimpol.ID, IDService: sv.ID})
		want := "false"
		if sv.Code == "DAF-FOURNISSEURS" || sv.Code == "DAF-MARCHES" {
			want = "true"
		}
		if got := field(t, body, "parametres.numeroEngagement"); got != want {
			t.Errorf("%s: parametres.numeroEngagement %s, want %s (%s)", sv.Code, got, want, body)
		}
	}
	body := h.raw(chorus.PathConsulterStructure, chorus.ConsulterStructureRequest{IDStructureCPP: DefaultSupplierID})
	if got := field(t, body, "informationGenerales.dateExpirationMotPasseCompteTech"); got != `"2027-03-01T01:00:00.000+01:00"` {
		t.Errorf("supplier structure: dateExpirationMotPasseCompteTech %s (%s)", got, body)
	}
	// Another structure does not carry it.
	body = h.raw(chorus.PathConsulterStructure, chorus.ConsulterStructureRequest{IDStructureCPP: paimpol.ID})
	if got := field(t, body, "informationGenerales.dateExpirationMotPasseCompteTech"); got != "" {
		t.Errorf("a buyer's structure: dateExpirationMotPasseCompteTech %s", got)
	}
}

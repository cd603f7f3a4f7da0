package chorus

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSyntaxeFluxValid(t *testing.T) {
	if n := len(SyntaxesFlux()); n != 13 {
		t.Errorf("%d official values, want 13", n)
	}
	tests := []struct {
		s    SyntaxeFlux
		want bool
	}{
		{SyntaxeCII16B, true},
		{SyntaxeUBLInvoice, true},
		{SyntaxeFacturX, true},
		{"IN_DP_E2_CII_MIN_16B", true},
		{"IN_DP_PDFARCHIVE_CII_MUG", true},
		// chorus-pro.md §2.3: seen in the wild, not in the enum.
		{"IN_DP_E3_FACTUR_X_10", false},
		{"IN_DP_E1_UBL_201", false},
		{"IN_DP_E2_CII_16B", false},
		{"IN_DP_E1_CII_FACTURX", false},
		{"", false},
		{"in_dp_e1_cii_16b", false},
	}
	for _, tc := range tests {
		if got := tc.s.Valid(); got != tc.want {
			t.Errorf("%q.Valid() = %v", tc.s, got)
		}
	}
	if SyntaxeFacturX.CodeInterface() != "FSO1117A" || SyntaxeCII16B.CodeInterface() != "FSO1106A" ||
		SyntaxeUBLInvoice.CodeInterface() != "FSO1100A" || SyntaxeXCBL.CodeInterface() != "" {
		t.Error("CodeInterface")
	}
}

func TestEtatFluxClassification(t *testing.T) {
	tests := []struct {
		e        EtatFlux
		issue    Issue
		terminal bool
		known    bool
	}{
		{EtatFluxDeposeEnAttente, IssueEnCours, false, true},
		{EtatFluxRecu, IssueEnCours, false, true},
		{EtatFluxTraiteSE, IssueEnCours, false, true},
		{EtatFluxEnAttenteTraitement, IssueEnCours, false, true},
		{EtatFluxEnCoursTraitement, IssueEnCours, false, true},
		{EtatFluxEnAttenteRetraitement, IssueEnCours, false, true},
		{EtatFluxIntegre, IssueSucces, true, true},
		{EtatFluxIntegrePartiel, IssuePartiel, true, true},
		{EtatFluxRejete, IssueEchec, true, true},
		{EtatFluxIncidente, IssueEchec, true, true},
		{EtatFluxQPIrrecevable, IssueEchec, true, true},
		{EtatFluxQPRecevableAvecErreur, IssueEchec, true, true},
		{EtatFluxQPRecevable, IssueUnknown, false, true},
		{EtatFluxARelancer, IssueARedeposer, true, true},
		{EtatFluxErreurInterne, IssueARedeposer, true, true},
		// Unknown values are unknown: neither pending nor success.
		{"IN_NOUVEL_ETAT", IssueUnknown, false, false},
		{"", IssueUnknown, false, false},
		{"in_integre", IssueUnknown, false, false},
	}
	for _, tc := range tests {
		if got := tc.e.Issue(); got != tc.issue {
			t.Errorf("%q.Issue() = %q, want %q", tc.e, got, tc.issue)
		}
		if got := tc.e.Terminal(); got != tc.terminal {
			t.Errorf("%q.Terminal() = %v", tc.e, got)
		}
		if got := tc.e.Known(); got != tc.known {
			t.Errorf("%q.Known() = %v", tc.e, got)
		}
	}
}

func TestStatutFactureClassification(t *testing.T) {
	all := StatutsFacture()
	if len(all) != 56 {
		t.Errorf("%d statuses, want 56", len(all))
	}
	seen := map[StatutFacture]bool{}
	for _, s := range all {
		if seen[s] {
			t.Errorf("%s twice", s)
		}
		seen[s] = true
		if !s.Known() {
			t.Errorf("%s not Known", s)
		}
	}
	tests := []struct {
		s        StatutFacture
		classe   ClasseStatut
		terminal bool
	}{
		{StatutDeposee, ClasseEnCours, false},
		{StatutMiseADisposition, ClasseEnCours, false},
		{StatutMandatee, ClasseEnCours, false},
		{StatutCompletee, ClasseEnCours, false},
		{StatutMiseEnPaiement, ClassePayee, true},
		{StatutRejetee, ClasseRejetee, true},
		{StatutAbandonnee, ClasseRetiree, true},
		{StatutSupprimee, ClasseRetiree, true},
		{StatutSuspendue, ClasseActionFournisseur, false},
		{StatutARecycler, ClasseActionFournisseur, false},
		{StatutInterpreteeOCR, ClasseActionFournisseur, false},
		// In the enum but not described for an A1 supplier invoice.
		{StatutRefuseeMOA, ClasseInconnue, false},
		{StatutTechniqueInconnu, ClasseInconnue, false},
		// Not in the enum.
		{"NOUVEAU_STATUT", ClasseInconnue, false},
	}
	for _, tc := range tests {
		if got := tc.s.Classe(); got != tc.classe {
			t.Errorf("%s.Classe() = %s, want %s", tc.s, got, tc.classe)
		}
		if got := tc.s.Terminal(); got != tc.terminal {
			t.Errorf("%s.Terminal() = %v", tc.s, got)
		}
	}
	if StatutFacture("NOUVEAU_STATUT").Known() {
		t.Error("unknown status Known")
	}
	for _, s := range StatutsDestinataire() {
		if !s.Known() {
			t.Errorf("recipient status %s not in the enum", s)
		}
	}
}

func TestExigence(t *testing.T) {
	tests := []struct {
		p    ParametresStructure
		want Exigence
		// satisfied with (code service, engagement): none, cs, ej, both
		sat [4]bool
	}{
		{ParametresStructure{}, ExigenceAucune, [4]bool{true, true, true, true}},
		{ParametresStructure{CodeServiceDoitEtreRenseigne: true}, ExigenceCodeService, [4]bool{false, true, false, true}},
		{ParametresStructure{NumeroEJDoitEtreRenseigne: true}, ExigenceEngagement, [4]bool{false, false, true, true}},
		{ParametresStructure{CodeServiceDoitEtreRenseigne: true, NumeroEJDoitEtreRenseigne: true}, ExigenceCodeServiceEtEngagement, [4]bool{false, false, false, true}},
		// OCA's order: "either" wins over the other flags.
		{ParametresStructure{GestionNumeroEJOuCodeService: true, CodeServiceDoitEtreRenseigne: true, NumeroEJDoitEtreRenseigne: true}, ExigenceCodeServiceOuEngagement, [4]bool{false, true, true, true}},
	}
	inputs := [4][2]string{{"", ""}, {"SERV", ""}, {"", "EJ"}, {"SERV", "EJ"}}
	for _, tc := range tests {
		ex := tc.p.Exigence()
		if ex != tc.want {
			t.Errorf("%+v: %s, want %s", tc.p, ex, tc.want)
		}
		for i, in := range inputs {
			if got := ex.Satisfaite(in[0], in[1]); got != tc.sat[i] {
				t.Errorf("%s.Satisfaite(%q, %q) = %v", ex, in[0], in[1], got)
			}
		}
	}
}

func TestRetour(t *testing.T) {
	var r DeposerFluxResponse
	if err := json.Unmarshal([]byte(`{"codeRetour":0,"libelle":"TRA_MSG_00.000","numeroFluxDepot":"CPP0011117000000000425903","dateDepot":"2026-01-15","syntaxeFlux":"IN_DP_E2_CII_FACTURX"}`), &r); err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Err() != nil || r.NumeroFluxDepot != "CPP0011117000000000425903" || r.SyntaxeFlux != SyntaxeFacturX {
		t.Errorf("%+v", r)
	}
	var e ConsulterCRDetailleResponse
	if err := json.Unmarshal([]byte(`{"codeRetour":20001,"libelle":"POQ_MSG_01.003 - Flux introuvable."}`), &e); err != nil {
		t.Fatal(err)
	}
	if e.OK() || e.Err() == nil || !strings.Contains(e.Err().Error(), "20001") || e.AucunResultat() {
		t.Errorf("%+v", e)
	}
	if (Retour{CodeRetour: 20000}).AucunResultat() != true {
		t.Error("AucunResultat")
	}
	if RetourOK() != (Retour{0, "TRA_MSG_00.000"}) {
		t.Error("RetourOK")
	}
}

// The JSON field names are Chorus Pro's, exactly.
func TestWireFieldNames(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"deposer/flux", DeposerFluxRequest{FichierFlux: []byte("<x/>"), NomFichier: "f.xml", SyntaxeFlux: SyntaxeCII16B},
			`{"fichierFlux":"PHgvPg==","nomFichier":"f.xml","syntaxeFlux":"IN_DP_E1_CII_16B","avecSignature":false}`},
		{"structures/rechercher", RechercherStructureRequest{Structure: CritereStructure{IdentifiantStructure: "12345678200051", TypeIdentifiantStructure: TypeIdentifiantSIRET}},
			`{"structure":{"identifiantStructure":"12345678200051","typeIdentifiantStructure":"SIRET"},"restreindreStructuresPrivees":false}`},
		{"structures/consulter", ConsulterStructureRequest{IDStructureCPP: 26300989, CodeLangue: "fr"},
			`{"idStructureCPP":26300989,"codeLangue":"fr"}`},
		{"rechercher/services", RechercherServicesRequest{IDStructure: 1, ParametresRechercherServicesStructure: &Pagination{NbResultatsParPage: 10000, PageResultatDemandee: 1, TriColonne: "CodeService", TriSens: TriDescendant}},
			`{"idStructure":1,"parametresRechercherServicesStructure":{"nbResultatsParPage":10000,"pageResultatDemandee":1,"triColonne":"CodeService","triSens":"Descendant"}}`},
		{"consulter/service", ConsulterServiceRequest{IDStructure: 1, IDService: 2, CodeLangue: "fr"},
			`{"idStructure":1,"idService":2,"codeLangue":"fr"}`},
		{"consulterCRDetaille", ConsulterCRDetailleRequest{NumeroFluxDepot: "CPP1"}, `{"numeroFluxDepot":"CPP1"}`},
		{"rechercher/fournisseur", RechercherFactureParFournisseurRequest{NumeroFluxDepot: "CPP1", RechercheFactureParFournisseur: &Pagination{PageResultatDemandee: 2}},
			`{"numeroFluxDepot":"CPP1","rechercheFactureParFournisseur":{"pageResultatDemandee":2}}`},
		{"consulter/historique", ConsulterHistoriqueRequest{IDFacture: 7, NbResultatsMaximum: 50}, `{"idFacture":7,"nbResultatsMaximum":50}`},
		{"traiterRejet", TraiterRejetRequest{ListeDemandePaiement: []DemandePaiement{{IDDemandePaiement: 7}}}, `{"listeDemandePaiement":[{"idDemandePaiement":7}]}`},
		{"recycler", RecyclerRequest{IdentifiantFactureCPP: 7, Destinataire: DestinataireFacture{CodeDestinataire: "1", CodeServiceExecutant: "S"}, Reference: &ReferenceRecyclage{NumeroBonCommande: "EJ"}},
			`{"identifiantFactureCPP":7,"destinataire":{"codeDestinataire":"1","codeServiceExecutant":"S"},"reference":{"numeroBonCommande":"EJ"}}`},
		{"coordbanc", CoordBancValidesRequest{IDStructure: 3}, `{"idStructure":3}`},
		{"ParametresRetour", ParametresRetour{PageCourante: 1, Pages: 3, NbResultatsParPage: 10, Total: 25},
			`{"pageCourante":1,"pages":3,"nbResultatsParPage":10,"total":25}`},
		{"response envelope", RechercherServicesResponse{Retour: RetourOK(), ListeServices: []ServiceStructure{}},
			`{"codeRetour":0,"libelle":"TRA_MSG_00.000","listeServices":[]}`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, b, tc.want)
		}
	}
	// Responses as the reference quotes them decode into the types.
	var ls RechercherServicesResponse
	if err := json.Unmarshal([]byte(`{"codeRetour":0,"libelle":"TRA_MSG_00.000","listeServices":[{"idService":1,"codeService":"SERV","libelleService":"Service","estActif":true,"dateDbtService":"2016-10-25 17:42"}],"parametresRetour":{"pageCourante":1,"pages":2,"nbResultatsParPage":1,"total":2}}`), &ls); err != nil {
		t.Fatal(err)
	}
	if len(ls.ListeServices) != 1 || !ls.ListeServices[0].EstActif || !ls.ParametresRetour.HasNext() {
		t.Errorf("%+v", ls)
	}
	var cs ConsulterStructureResponse
	if err := json.Unmarshal([]byte(`{"codeRetour":0,"libelle":"x","parametres":{"codeServiceDoitEtreRenseigne":true,"gestionNumeroEJOuCodeService":false,"numeroEJDoitEtreRenseigne":true,"statutMiseEnPaiementNestPasRemonte":true},"informationGenerales":{"idStructureCPP":5,"identifiantStructure":"1"}}`), &cs); err != nil {
		t.Fatal(err)
	}
	if cs.Parametres.Exigence() != ExigenceCodeServiceEtEngagement || !cs.Parametres.StatutMiseEnPaiementNestPasRemonte || cs.InformationGenerales.IDStructureCPP != 5 {
		t.Errorf("%+v", cs)
	}
	var f FactureFournisseur
	if err := json.Unmarshal([]byte(`{"identifiantFactureCPP":42,"numeroFacture":"CT2025-000001","statut":"MISE_EN_PAIEMENT","montantTTC":2415.00,"montantHT":2012.5}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.IdentifiantFactureCPP != 42 || f.Statut != StatutMiseEnPaiement || f.MontantTTC.String() != "2415.00" || f.MontantHT.String() != "2012.5" {
		t.Errorf("%+v", f)
	}
}

func TestPiecesJointesPrincipales(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantLen int
		ok      bool
	}{
		{`[{"pieceJointePrincipaleDesignation":"Facture","pieceJointePrincipaleId":12}]`, 12, 1, true},
		{`{"pieceJointePrincipaleDesignation":"Facture","pieceJointePrincipaleId":13}`, 13, 1, true},
		{`null`, 0, 0, true},
		{`"x"`, 0, 0, false},
	}
	for _, tc := range tests {
		var p PiecesJointesPrincipales
		err := json.Unmarshal([]byte(tc.in), &p)
		if (err == nil) != tc.ok || len(p) != tc.wantLen || (tc.wantLen > 0 && p[0].PieceJointePrincipaleID != tc.want) {
			t.Errorf("%s: %+v %v", tc.in, p, err)
		}
	}
	b, _ := json.Marshal(SoumettreRequest{PieceJointePrincipale: PiecesJointesPrincipales{{PieceJointePrincipaleID: 1}}})
	if !strings.Contains(string(b), `"pieceJointePrincipale":[{"pieceJointePrincipaleId":1}]`) {
		t.Errorf("sent as %s", b)
	}
}

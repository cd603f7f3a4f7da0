package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

func TestDepositSynchronousRefusals(t *testing.T) {
	h := newHarness(t, nil)
	valid := newInvoice("SYNC-1", siretPlougastel).cii()
	type raw struct {
		FichierFlux string             `json:"fichierFlux"`
		NomFichier  string             `json:"nomFichier"`
		SyntaxeFlux chorus.SyntaxeFlux `json:"syntaxeFlux"`
	}
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name     string
		req      raw
		wantCode int
		wantLib  string
	}{
		{"syntax outside the enum", raw{b64(valid), "f.xml", "IN_DP_E3_FACTUR_X_10"}, CodeParametreInvalide, "n'est pas reconnue"},
		{"syntax seen in the wild", raw{b64(valid), "f.xml", "IN_DP_E2_CII_16B"}, CodeParametreInvalide, "n'est pas reconnue"},
		{"official syntax the sandbox cannot read", raw{b64(valid), "f.xml", chorus.SyntaxeXCBL}, CodeParametreInvalide, "bac à sable"},
		{"no file name", raw{b64(valid), "", chorus.SyntaxeCII16B}, CodeParametreInvalide, "nomFichier"},
		{"no file", raw{"", "f.xml", chorus.SyntaxeCII16B}, CodeParametreInvalide, "fichierFlux"},
		{"not base64", raw{"%%%", "f.xml", chorus.SyntaxeCII16B}, CodeParametreInvalide, "base 64"},
		// chorus-pro.md §2.3: above 10 MB, 20001 GDP_MSG_11.022.
		{"file too large", raw{b64(bytes.Repeat([]byte("x"), chorus.MaxTailleFichierFlux+1)), "f.xml", chorus.SyntaxeCII16B}, chorus.CodeRetourErreur20001, "GDP_MSG_11.022"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out chorus.DeposerFluxResponse
			h.call(chorus.PathDeposerFlux, tc.req, &out)
			if out.CodeRetour != tc.wantCode || !strings.Contains(out.Libelle, tc.wantLib) {
				t.Errorf("got %d %q, want %d containing %q", out.CodeRetour, out.Libelle, tc.wantCode, tc.wantLib)
			}
			if out.NumeroFluxDepot != "" {
				t.Errorf("a refused deposit got flow %s", out.NumeroFluxDepot)
			}
		})
	}
	if n := len(h.srv.Deposits()); n != 0 {
		t.Errorf("%d flows recorded for refused deposits", n)
	}
}

// Every invoice-level error comes back asynchronously: the deposit is
// accepted, and the flow ends IN_REJETE with listeErreurDP (or
// listeErreurTechnique for an unreadable file). chorus-pro.md §2.4, §4-7.
func TestDepositFlowRejections(t *testing.T) {
	h := newHarness(t, nil)
	long := strings.Repeat("E", 51)
	n := 0
	num := func() string { n++; return fmt.Sprintf("REJ-%03d", n) }
	inv := func(buyer string, f func(*testInvoice)) testInvoice {
		i := newInvoice(num(), buyer)
		if f != nil {
			f(&i)
		}
		return i
	}
	tests := []struct {
		name    string
		file    []byte
		syntaxe chorus.SyntaxeFlux
		// wantTech is the technical error code, or wantDP a substring of
		// libelleErreurDP; neither means IN_INTEGRE.
		wantTech, wantDP string
	}{
		{"not well-formed", []byte("<rsm:CrossIndustryInvoice><oops>"), chorus.SyntaxeCII16B, "ERR_XSD_001", ""},
		{"not XML at all", []byte("%PDF-1.4 not an xml"), chorus.SyntaxeCII16B, "ERR_XSD_001", ""},
		{"UBL declared as CII", inv(siretPlougastel, nil).ubl(), chorus.SyntaxeCII16B, "ERR_XSD_001", ""},
		{"CII declared as UBL", inv(siretPlougastel, nil).cii(), chorus.SyntaxeUBLInvoice, "ERR_XSD_001", ""},
		{"no invoice number", inv(siretPlougastel, func(i *testInvoice) { i.Number = "" }).cii(), chorus.SyntaxeCII16B, "ERR_XSD_001", ""},
		{"Factur-X that is not a PDF", inv(siretPlougastel, nil).cii(), chorus.SyntaxeFacturX, "ERR_PDF_001", ""},
		{"Factur-X without factur-x.xml", facturX(t, inv(siretPlougastel, nil).cii(), "other.xml"), chorus.SyntaxeFacturX, "ERR_PDF_001", ""},
		{"number of 21 characters", inv(siretPlougastel, func(i *testInvoice) { i.Number = "CT2025-00000000000001" }).cii(), chorus.SyntaxeCII16B, "", "dépasse 20 caractères"},
		{"buyer not on Chorus Pro", inv(siretJosselin, nil).cii(), chorus.SyntaxeCII16B, "", "n'est pas référencé dans Chorus Pro"},
		{"unknown buyer", inv(siretUnknown, nil).cii(), chorus.SyntaxeCII16B, "", "n'est pas référencé dans Chorus Pro"},
		{"no buyer identifier", inv("", nil).cii(), chorus.SyntaxeCII16B, "", "destinataire est absent"},
		{"wrong supplier", inv(siretPlougastel, func(i *testInvoice) { i.Seller = "21350549800013" }).cii(), chorus.SyntaxeCII16B, "", "L'identifiant fournisseur 21350549800013"},
		{"wrong supplier (UBL label)", inv(siretPlougastel, func(i *testInvoice) { i.Seller = "21350549800013" }).ubl(), chorus.SyntaxeUBLInvoice, "", "AccountingSupplierParty.Party.PartyIdentification.ID.value"},
		{"code service required, missing", inv(siretDupuyDeLome, nil).cii(), chorus.SyntaxeCII16B, "", "code service est obligatoire"},
		{"engagement required, missing", inv(siretSDIS, nil).cii(), chorus.SyntaxeCII16B, "", "numéro d'engagement est obligatoire pour le destinataire"},
		{"both required, engagement missing", inv(siretPaimpol, func(i *testInvoice) { i.CodeService = "DAF-FOURNISSEURS" }).cii(), chorus.SyntaxeCII16B, "", "numéro d'engagement est obligatoire pour le service DAF-FOURNISSEURS"},
		{"both required, code service missing", inv(siretPaimpol, func(i *testInvoice) { i.EJ = "EJ-1" }).cii(), chorus.SyntaxeCII16B, "", "code service est obligatoire"},
		{"either required, none", inv(siretPloermel, nil).cii(), chorus.SyntaxeCII16B, "", "code service ou le numéro d'engagement"},
		{"inactive service", inv(siretDupuyDeLome, func(i *testInvoice) { i.CodeService = "ANCIEN-ECONOMAT" }).cii(), chorus.SyntaxeCII16B, "", "n'est pas actif"},
		{"inactive optional service", inv(siretLiffre, func(i *testInvoice) { i.CodeService = "ANCIEN-SERVICE" }).cii(), chorus.SyntaxeCII16B, "", "n'est pas actif"},
		{"unknown service", inv(siretDupuyDeLome, func(i *testInvoice) { i.CodeService = "NOPE" }).cii(), chorus.SyntaxeCII16B, "", "n'existe pas"},
		{"FACTURES_PUBLIQUES", inv(siretDupuyDeLome, func(i *testInvoice) { i.CodeService = "FACTURES_PUBLIQUES" }).cii(), chorus.SyntaxeCII16B, "", "FACTURES_PUBLIQUES ne peut pas"},
		{"engagement of 51 characters", inv(siretSDIS, func(i *testInvoice) { i.EJ = long }).cii(), chorus.SyntaxeCII16B, "", "dépasse 50 caractères"},
		{"valid CII", inv(siretPlougastel, nil).cii(), chorus.SyntaxeCII16B, "", ""},
		{"valid CII with code service", inv(siretDupuyDeLome, func(i *testInvoice) { i.CodeService = "GESTION" }).cii(), chorus.SyntaxeCII16B, "", ""},
		{"valid CII with both", inv(siretPaimpol, func(i *testInvoice) { i.CodeService = "DAF-FOURNISSEURS"; i.EJ = "EJ-2026-1" }).cii(), chorus.SyntaxeCII16B, "", ""},
		{"valid CII with either (EJ)", inv(siretPloermel, func(i *testInvoice) { i.EJ = "4500012873" }).cii(), chorus.SyntaxeCII16B, "", ""},
		{"valid CII credit note", inv(siretPlougastel, func(i *testInvoice) { i.TypeCode = "381" }).cii(), chorus.SyntaxeCII16B, "", ""},
		{"valid UBL", inv(siretSDIS, func(i *testInvoice) { i.EJ = "2025000347" }).ubl(), chorus.SyntaxeUBLInvoice, "", ""},
		{"valid UBL credit note", inv(siretPlougastel, func(i *testInvoice) { i.TypeCode = "381" }).ubl(), chorus.SyntaxeUBLInvoice, "", ""},
		{"valid Factur-X", facturX(t, inv(siretCrozon, nil).cii(), "factur-x.xml"), chorus.SyntaxeFacturX, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			numero := h.deposit(tc.file, tc.syntaxe)
			if cr := h.cr(numero); cr.EtatCourantDepotFlux != chorus.EtatFluxDeposeEnAttente || len(cr.ListeErreurDP)+len(cr.ListeErreurTechnique) != 0 {
				t.Fatalf("right after the deposit: %+v", cr)
			}
			h.advance(testIntegration)
			cr := h.cr(numero)
			switch {
			case tc.wantTech != "":
				if cr.EtatCourantDepotFlux != chorus.EtatFluxRejete || len(cr.ListeErreurTechnique) != 1 || cr.ListeErreurTechnique[0].CodeErreur != tc.wantTech {
					t.Fatalf("want IN_REJETE with %s, got %+v", tc.wantTech, cr)
				}
				if !strings.HasPrefix(cr.ListeErreurTechnique[0].LibelleErreur, "IRRECEVABILITE: ") {
					t.Errorf("libelleErreur %q", cr.ListeErreurTechnique[0].LibelleErreur)
				}
			case tc.wantDP != "":
				if cr.EtatCourantDepotFlux != chorus.EtatFluxRejete || len(cr.ListeErreurDP) != 1 || !strings.Contains(cr.ListeErreurDP[0].LibelleErreurDP, tc.wantDP) {
					t.Fatalf("want IN_REJETE with %q, got %+v", tc.wantDP, cr)
				}
				if len([]rune(cr.ListeErreurDP[0].LibelleErreurDP)) > maxLibelleErreurDP {
					t.Errorf("libelleErreurDP longer than %d", maxLibelleErreurDP)
				}
			default:
				if cr.EtatCourantDepotFlux != chorus.EtatFluxIntegre || len(cr.ListeErreurDP)+len(cr.ListeErreurTechnique) != 0 {
					t.Fatalf("want IN_INTEGRE, got %+v", cr)
				}
			}
		})
	}
}

func TestDepositedInvoiceFields(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name    string
		file    []byte
		syntaxe chorus.SyntaxeFlux
		inv     testInvoice
		typ     chorus.TypeFacture
		ttc     string
		service string
	}{
		{"CII", newInvoice("F-CII-1", siretPaimpol).with(func(i *testInvoice) { i.CodeService, i.EJ = "DAF-MARCHES", "EJ-2026-00112" }).cii(), chorus.SyntaxeCII16B,
			newInvoice("F-CII-1", siretPaimpol), chorus.TypeFactureFacture, "2415.00", "DAF-MARCHES"},
		{"UBL credit note", newInvoice("AV-UBL-1", siretPlougastel).with(func(i *testInvoice) { i.TypeCode = "381" }).ubl(), chorus.SyntaxeUBLInvoice,
			newInvoice("AV-UBL-1", siretPlougastel), chorus.TypeFactureAvoir, "1104.00", ""},
		{"Factur-X", facturX(t, newInvoice("F-FX-1", siretCrozon).cii(), "factur-x.xml"), chorus.SyntaxeFacturX,
			newInvoice("F-FX-1", siretCrozon), chorus.TypeFactureFacture, "2415.00", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			numero := h.deposit(tc.file, tc.syntaxe)
			wantPrefix := "CPP00" + interfaceCodes[tc.syntaxe]
			if len(numero) != 25 || !strings.HasPrefix(numero, wantPrefix) {
				t.Errorf("numeroFluxDepot %q, want 25 characters starting %s", numero, wantPrefix)
			}
			h.advance(testIntegration)
			var out chorus.RechercherFactureParFournisseurResponse
			h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFluxDepot: numero}, &out)
			if !out.OK() || len(out.ListeFactures) != 1 {
				t.Fatalf("search by flow: %+v", out)
			}
			f := out.ListeFactures[0]
			if f.NumeroFacture != tc.inv.Number || f.NumeroFluxDepot != numero || f.CodeDestinataire != tc.inv.Buyer ||
				f.TypeFacture != tc.typ || string(f.MontantTTC) != tc.ttc || f.CodeServiceExecutant != tc.service ||
				f.Statut != chorus.StatutDeposee || f.IdentifiantFactureCPP == 0 || f.ModeDepot != chorus.ModeDepotUploadAPI ||
				f.DateFacture != "2026-01-15" || f.Devise != "EUR" {
				t.Errorf("invoice %+v", f)
			}
		})
	}
}

func TestDuplicateNumber(t *testing.T) {
	h := newHarness(t, nil)
	first := h.deposit(newInvoice("DUP-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	// A second deposit before the first is processed is refused too: the
	// outcome of a flow is decided against everything deposited before it.
	second := h.deposit(newInvoice("DUP-1", siretPlougastel).ubl(), chorus.SyntaxeUBLInvoice)
	h.advance(testIntegration)
	if cr := h.cr(first); cr.EtatCourantDepotFlux != chorus.EtatFluxIntegre {
		t.Fatalf("first deposit: %+v", cr)
	}
	third := h.deposit(newInvoice("DUP-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	for _, numero := range []string{second, third} {
		cr := h.cr(numero)
		if cr.EtatCourantDepotFlux != chorus.EtatFluxRejete || len(cr.ListeErreurDP) != 1 ||
			cr.ListeErreurDP[0].LibelleErreurDP != fmt.Sprintf(MsgNumeroDejaDepose, "DUP-1") ||
			cr.ListeErreurDP[0].NumeroDP != "DUP-1" || cr.ListeErreurDP[0].IdentifiantDestinataire != siretPlougastel ||
			cr.ListeErreurDP[0].IdentifiantFournisseur != DefaultSupplierSIRET {
			t.Errorf("duplicate %s: %+v", numero, cr)
		}
	}
	// chorus-pro.md §3.1: a number whose flow was rejected never became a
	// Chorus Pro invoice and may be deposited again once fixed.
	bad := h.deposit(newInvoice("FIX-1", siretDupuyDeLome).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if cr := h.cr(bad); cr.EtatCourantDepotFlux != chorus.EtatFluxRejete {
		t.Fatalf("missing code service not rejected: %+v", cr)
	}
	fixed := h.deposit(newInvoice("FIX-1", siretDupuyDeLome).with(func(i *testInvoice) { i.CodeService = "GESTION" }).cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if cr := h.cr(fixed); cr.EtatCourantDepotFlux != chorus.EtatFluxIntegre {
		t.Fatalf("fixed re-deposit: %+v", cr)
	}
	count := map[string]int{}
	for _, inv := range h.srv.Invoices() {
		count[inv.NumeroFacture]++
	}
	if count["DUP-1"] != 1 || count["FIX-1"] != 1 {
		t.Errorf("invoices per number: %v", count)
	}
	if n := len(h.srv.Deposits()); n != 5 {
		t.Errorf("%d deposits recorded, want 5", n)
	}
}

func TestFlowProgression(t *testing.T) {
	h := newHarness(t, nil)
	numero := h.deposit(newInvoice("PROG-1", siretPlougastel).cii(), chorus.SyntaxeCII16B)
	search := func() chorus.RechercherFactureParFournisseurResponse {
		var out chorus.RechercherFactureParFournisseurResponse
		h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFluxDepot: numero}, &out)
		return out
	}
	steps := []struct {
		advance      int // seconds
		want         chorus.EtatFlux
		wantSince    string
		wantSearchOK bool
	}{
		{0, chorus.EtatFluxDeposeEnAttente, "2026-01-15T10:00:00.000+01:00", false},
		{59, chorus.EtatFluxDeposeEnAttente, "2026-01-15T10:00:00.000+01:00", false},
		{1, chorus.EtatFluxEnCoursTraitement, "2026-01-15T10:01:00.000+01:00", false},
		{239, chorus.EtatFluxEnCoursTraitement, "2026-01-15T10:01:00.000+01:00", false},
		{1, chorus.EtatFluxIntegre, "2026-01-15T10:05:00.000+01:00", true},
		{86400, chorus.EtatFluxIntegre, "2026-01-15T10:05:00.000+01:00", true},
	}
	for _, st := range steps {
		h.advance(secs(st.advance))
		cr := h.cr(numero)
		if cr.EtatCourantDepotFlux != st.want || cr.DateHeureEtatCourantFlux != st.wantSince {
			t.Errorf("+%ds: %s since %s, want %s since %s", st.advance, cr.EtatCourantDepotFlux, cr.DateHeureEtatCourantFlux, st.want, st.wantSince)
		}
		if cr.NomFichier != "facture.xml" || cr.DateDepotFlux != "2026-01-15T10:00:00.000+01:00" || cr.CodeInterfaceDepotFlux != "FSO1106A" {
			t.Errorf("report %+v", cr)
		}
		res := search()
		if got := res.OK() && len(res.ListeFactures) == 1; got != st.wantSearchOK {
			t.Errorf("+%ds: search by flow found=%v (%+v)", st.advance, got, res.Retour)
		}
		if !st.wantSearchOK && res.CodeRetour != chorus.CodeRetourAucunResultat {
			t.Errorf("search before integration: codeRetour %d, want 20000", res.CodeRetour)
		}
	}
	// chorus-pro.md §2.4 [S20]: an unknown flow.
	cr := h.cr("CPP0011106000000000000001")
	if cr.CodeRetour != 20001 || cr.Libelle != "POQ_MSG_01.003 - Flux introuvable." {
		t.Errorf("unknown flow: %+v", cr.Retour)
	}
}

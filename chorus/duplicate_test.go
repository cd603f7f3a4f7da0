package chorus

import (
	"fmt"
	"testing"
)

func TestDuplicateNumber(t *testing.T) {
	for _, tt := range []struct {
		name   string
		report FlowReport
		want   bool
	}{
		{"AIFE's wording", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Vous avez déjà déposé une demande de paiement avec ce numéro de facture pour cette structure"}}}, true},
		{"upper case, no accents", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "VOUS AVEZ DEJA DEPOSE UNE DEMANDE DE PAIEMENT AVEC CE NUMERO"}}}, true},
		{"the sandbox's wording", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Le numéro de facture CT2026-000001 a déjà été utilisé par le fournisseur pour une facture déposée"}}}, true},
		{"doublon", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Facture en Doublon"}}}, true},
		{"existe déjà", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "La facture existe déjà"}}}, true},
		{"duplicate", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Duplicate invoice number"}}}, true},
		{"among other errors", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Le code service est obligatoire | Vous avez déjà déposé une demande de paiement avec ce numéro"}}}, true},
		{"technical code", FlowReport{TechnicalErrors: []ErreurTechnique{{CodeErreur: CodeErreurDoublon, LibelleErreur: "refus"}}}, true},
		{"technical code variant", FlowReport{TechnicalErrors: []ErreurTechnique{{CodeErreur: "doublon_facture"}}}, true},
		{"technical wording", FlowReport{TechnicalErrors: []ErreurTechnique{{CodeErreur: "ERR_X", LibelleErreur: "Numéro de facture déjà utilisé"}}}, true},
		{"another refusal", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Le code service GESTION n'existe pas pour le destinataire 19560820300012"}}}, false},
		{"déjà alone", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Le service est déjà inactif"}}}, false},
		{"words split across errors", FlowReport{Errors: []ErreurDP{{LibelleErreurDP: "Engagement déjà clos | Facture déposée hors délai"}}}, false},
		{"XSD error", FlowReport{TechnicalErrors: []ErreurTechnique{{CodeErreur: "ERR_XSD_001", LibelleErreur: "IRRECEVABILITE: cvc-datatype-valid"}}}, false},
		{"no error", FlowReport{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.report.DuplicateNumber(); got != tt.want {
				t.Errorf("DuplicateNumber() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIsDuplicateNumber(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"the code", &Error{Op: "deposer/flux", Kind: Permanent, Status: 200, CodeRetour: CodeRetourDoublon, Libelle: "GDP_MSG"}, true},
		{"the wording", &Error{Op: "deposer/flux", Kind: Permanent, Status: 200, CodeRetour: 20006, Libelle: "Vous avez déjà déposé une demande de paiement avec ce numéro de facture"}, true},
		{"wrapped", fmt.Errorf("deposit: %w", &Error{Op: "deposer/flux", Kind: Permanent, CodeRetour: CodeRetourDoublon}), true},
		{"another refusal", &Error{Op: "deposer/flux", Kind: Permanent, Status: 200, CodeRetour: CodeRetourErreur20001, Libelle: LibelleFichierTropGros}, false},
		{"no codeRetour", &Error{Op: "deposer/flux", Kind: Permanent, Status: 400, Reason: "déjà déposé"}, false},
		{"not a Chorus Pro error", fmt.Errorf("doublon"), false},
		{"nil", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsDuplicateNumber(tt.err); got != tt.want {
				t.Errorf("IsDuplicateNumber(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsDuplicateCode(t *testing.T) {
	for code, want := range map[string]bool{
		CodeErreurDoublon: true, "DOUBLON_FACTURE": true, " dp_doublon ": true, "20008": true,
		"20000": false, "ERR_XSD_001": false, "": false, "DOUBLON": false,
	} {
		if got := IsDuplicateCode(code); got != want {
			t.Errorf("IsDuplicateCode(%q) = %v, want %v", code, got, want)
		}
	}
}

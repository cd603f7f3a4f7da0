package chorus

import (
	"errors"
	"strconv"
	"strings"
)

// Chorus Pro refuses an invoice number the supplier structure already used
// (« chaque facture déposée … pour un identifiant émetteur donné, doit avoir
// un numéro unique par année de création »). When a deposit whose answer
// was lost is sent again, that refusal means the first one arrived: the
// caller adopts the earlier invoice instead of failing (fidelity B-1).
//
// The wording is AIFE's: « Vous avez déjà déposé une demande de paiement
// avec ce numéro de facture pour cette structure » (Chorus Pro community,
// « Bien renseigner son numéro de facture », 28/03/2023,
// https://communaute.chorus-pro.gouv.fr/category/good-practices/). No source
// read gives the code of that refusal: the Pastell (connecteur/cpp), OCA
// (l10n_fr_chorus_account) and Tryton (account_fr_chorus) connectors do not
// handle it, and the « Annexe messages d'erreur » could not be read. The
// codes below are therefore an assumption, shared with the sandbox, which
// plays exactly them; the wording match is what recognises the real
// platform until a qualification run records the real code (fidelity §4).
const (
	// CodeErreurDoublon is the codeErreur of a flow's technical error
	// (listeErreurTechnique) refusing a duplicate number. assumption.
	CodeErreurDoublon = "DP_DOUBLON"
	// CodeRetourDoublon is the codeRetour of a deposit refused at once
	// (HTTP 200, codeRetour ≠ 0) for a duplicate number. assumption.
	CodeRetourDoublon = 20008
)

// IsDuplicateCode reports whether a Chorus Pro error code (a technical
// error's codeErreur, or a codeRetour written in decimal) means the invoice
// number was already used. The set is fixed: CodeErreurDoublon, its variant
// DOUBLON_FACTURE, and CodeRetourDoublon (all assumptions, see above).
func IsDuplicateCode(code string) bool {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case CodeErreurDoublon, "DOUBLON_FACTURE", strconv.Itoa(CodeRetourDoublon):
		return true
	}
	return false
}

// DuplicateNumber reports whether the report refuses an invoice of the flow
// because its number was already used: by an error's code (IsDuplicateCode)
// or its wording (« déjà » with « utilisé » or « déposé », « doublon »,
// « existe déjà », "duplicate"; case and accents ignored). The caller then
// looks for the invoice already on Chorus Pro before calling it rejected.
func (r FlowReport) DuplicateNumber() bool {
	for _, e := range r.Errors {
		if duplicateWording(e.LibelleErreurDP) {
			return true
		}
	}
	for _, e := range r.TechnicalErrors {
		if IsDuplicateCode(e.CodeErreur) || duplicateWording(e.LibelleErreur) {
			return true
		}
	}
	return false
}

// IsDuplicateNumber reports whether err is a business refusal (codeRetour ≠
// 0) of a number already used: CodeRetourDoublon, or the wording of its
// libelle (see DuplicateNumber).
func IsDuplicateNumber(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.CodeRetour == 0 {
		return false
	}
	return e.CodeRetour == CodeRetourDoublon || duplicateWording(e.Libelle)
}

// duplicateWording reports whether a refusal's text says the number was
// already used. libelleErreurDP joins several errors with "|", so the words
// are looked for in each part, not across parts.
func duplicateWording(text string) bool {
	for _, part := range strings.Split(fold(text), "|") {
		switch {
		case strings.Contains(part, "doublon"), strings.Contains(part, "duplicate"), strings.Contains(part, "existe deja"):
			return true
		case strings.Contains(part, "deja") && (strings.Contains(part, "utilis") || strings.Contains(part, "depos")):
			return true
		}
	}
	return false
}

// fold lowers s and strips the accents French uses, so that « DÉJÀ »,
// « déjà » and « deja » compare equal.
func fold(s string) string {
	return accents.Replace(strings.ToLower(s))
}

var accents = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c",
	"œ", "oe", "æ", "ae",
)

package document

import "fmt"

// SIRETScheme is the schemeID the CII gives the parties' SIRET in their
// legal organisation (BT-30 seller, BT-47 buyer: SpecifiedLegalOrganization/
// ID), where Chorus Pro reads the supplier and the recipient of an E1 CII
// flow. The identifier is the 14-digit SIRET whatever the scheme: every
// sender found writes the SIRET there, and a flow carrying the 9-digit
// SIREN was rejected (research/chorus-pro.md §3.5). Which scheme Chorus Pro
// accepts is not documented, and senders differ (fidelity B-5):
//
//   - 0009 (ISO 6523 ICD 0009, SIRET) is the scheme's own code, the one the
//     Peppol route to Chorus Pro uses, and the one the 2026 reform rules
//     ask for public buyers (BR-FR-CPRO-10, research/chorus-pro.md §3.5);
//     no production sender was found writing it in an E1 CII flow.
//   - 0002 (ICD 0002, SIRENE) with the SIRET is what OCA's
//     l10n_fr_account_invoice_facturx writes from 12.0 to 18.0
//     (`res["0002"] = commercial_partner.siret`), for its Factur-X and CII
//     flows to Chorus Pro alike, and what Odoo's own Factur-X writes
//     (account_edi_ubl_cii, cii_22_templates.xml: schemeID '0002' over the
//     company's SIRET).
//   - 1 is Chorus Pro's own "type d'identifiant" code for a SIRET: OCA 10.0
//     wrote `res['1'] = siret` in CII16B flows for Chorus Pro
//     (fr_chorus_cii16b), and GOBL and Tryton write it too (research/
//     chorus-pro.md §3.5). It is not an ISO 6523 code, so the EN 16931
//     validator reports BR-CL-11 on it.
//
// Only the legal organisation follows the setting: the electronic addresses
// (BT-34, BT-49) stay 0009 + SIRET, an EAS code (BR-CL-25 allows neither
// "1" nor a free choice there), and the UBL rendering, which chorusbill
// does not deposit, keeps 0009 too.
type SIRETScheme string

// The schemes CHORUS_SIRET_SCHEME accepts.
const (
	SchemeSIRET0009  SIRETScheme = "0009"
	SchemeSIRENE0002 SIRETScheme = "0002"
	SchemeChorus1    SIRETScheme = "1"
)

// SIRETSchemes lists the accepted schemes, the default first.
func SIRETSchemes() []SIRETScheme {
	return []SIRETScheme{SchemeSIRET0009, SchemeSIRENE0002, SchemeChorus1}
}

// ParseSIRETScheme reads a scheme as configured; "" is the default, 0009.
func ParseSIRETScheme(s string) (SIRETScheme, error) {
	if s == "" {
		return SchemeSIRET0009, nil
	}
	for _, v := range SIRETSchemes() {
		if SIRETScheme(s) == v {
			return v, nil
		}
	}
	return "", fmt.Errorf("SIRET scheme %q: want 0009 (the default), 0002 or 1", s)
}

// orDefault is the scheme to write: 0009 when none was set.
func (s SIRETScheme) orDefault() SIRETScheme {
	if s == "" {
		return SchemeSIRET0009
	}
	return s
}

package chorus

// This file holds the wire format of the Chorus Pro API calls chorusbill
// makes: the typed requests and responses with Chorus Pro's exact JSON field
// names, the enumerations as typed string constants, and the classification
// of flow states and invoice statuses. It is shared by the client and the
// local sandbox (chorus/sandbox), so it knows nothing of HTTP.
//
// Every name comes from ../shared/research/chorus-pro.md (cited as
// "chorus-pro.md §…"), which quotes the official Swagger [S1] and the
// production clients [S2] (OCA), [S4] (go-choruspro), [S6] (Pastell).
// Where the reference is unsure, the declaration says "assumption:".
//
// Conventions of the types below:
//   - dates travel as strings, because Chorus Pro uses several formats
//     (YYYY-MM-DD for dates, 2019-03-27T11:12:24.777+01:00 for timestamps,
//     "2016-10-25 17:42" in some lists; chorus-pro.md §2 "Dates");
//   - amounts travel as json.Number, never float (DESIGN §1.6);
//   - optional request fields carry omitempty; booleans whose absence means
//     something else than false (restreindreStructuresPrivees) do not.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Paths of the Chorus Pro calls, relative to the API base URL
// (https://api.piste.gouv.fr, https://sandbox-api.piste.gouv.fr, or the local
// sandbox). Every call is POST with a JSON body except PathHealthCheck (GET).
// chorus-pro.md §0-3, §2.
const (
	PathRechercherStructure          = "/cpro/structures/v1/rechercher"
	PathConsulterStructure           = "/cpro/structures/v1/consulter"
	PathRechercherServices           = "/cpro/structures/v1/rechercher/services"
	PathConsulterService             = "/cpro/structures/v1/consulter/service"
	PathDeposerFlux                  = "/cpro/factures/v1/deposer/flux"
	PathSoumettre                    = "/cpro/factures/v1/soumettre"
	PathRechercherFactureFournisseur = "/cpro/factures/v1/rechercher/fournisseur"
	PathConsulterHistorique          = "/cpro/factures/v1/consulter/historique"
	PathRecycler                     = "/cpro/factures/v1/recycler"
	PathCompleter                    = "/cpro/factures/v1/completer"
	PathTraiterRejet                 = "/cpro/factures/v1/traiterRejet"
	PathConsulterCRDetaille          = "/cpro/transverses/v1/consulterCRDetaille"
	PathConsulterCR                  = "/cpro/transverses/v1/consulterCR"
	PathAjouterFichier               = "/cpro/transverses/v1/ajouter/fichier"
	PathStructuresActivesFournisseur = "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"
	PathCoordBancValides             = "/cpro/transverses/v1/recuperer/coordbanc/valides"
	PathHealthCheck                  = "/cpro/transverses/v1/health-check"
)

// PathToken is the path of the PISTE OAuth2 token endpoint on the OAuth host
// (https://oauth.piste.gouv.fr, https://sandbox-oauth.piste.gouv.fr, or the
// local sandbox). chorus-pro.md §1.1.
const PathToken = "/api/oauth/token"

// HeaderCproAccount is the header carrying base64("login:password") of the
// Chorus Pro technical account on every call. chorus-pro.md §1.3.
const HeaderCproAccount = "cpro-account"

// ScopeOpenID is the only OAuth2 scope the Swagger declares. chorus-pro.md §1.2.
const ScopeOpenID = "openid"

// ContentTypeJSON is the Content-Type of every request and response
// (the Swagger's consumes/produces). chorus-pro.md §1.4.
const ContentTypeJSON = "application/json;charset=utf-8"

// Known codeRetour values. Any value other than CodeRetourOK is a business
// error, reported with HTTP 200. chorus-pro.md §2.11.
const (
	// CodeRetourOK means success; its libelle is LibelleOK.
	CodeRetourOK = 0
	// CodeRetourAucunResultat is "TRA_MSG_00.015 La recherche n'a retourné
	// aucun résultat": a search that found nothing. Treat it as an empty
	// result, not as a failure ([S6a]).
	CodeRetourAucunResultat = 20000
	// CodeRetourErreur20001 is returned both for an unknown flow in
	// consulterCRDetaille ("POQ_MSG_01.003 - Flux introuvable.", [S20]) and
	// for a file too large in deposer/flux ("GDP_MSG_11.022", [S11]).
	CodeRetourErreur20001 = 20001
	// CodeRetourFichierTropGros is returned by ajouter/fichier for a file
	// above 10 MB ([S4]).
	CodeRetourFichierTropGros = 20003
)

// Known libelle values. chorus-pro.md §0-3, §2.11.
const (
	LibelleOK              = "TRA_MSG_00.000"
	LibelleAucunResultat   = "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat"
	LibelleFluxIntrouvable = "POQ_MSG_01.003 - Flux introuvable."
	LibelleFichierTropGros = "GDP_MSG_11.022 - La taille du fichier dépasse la taille maximale autorisée."
)

// Retour is the envelope every response carries: codeRetour (0 = OK) and
// libelle (e.g. TRA_MSG_00.000, or the error label). chorus-pro.md §0-3, §2.
// Response types embed it, so its fields appear at the top level of the JSON.
type Retour struct {
	CodeRetour int    `json:"codeRetour"`
	Libelle    string `json:"libelle"`
}

// OK reports whether codeRetour is 0.
func (r Retour) OK() bool { return r.CodeRetour == CodeRetourOK }

// AucunResultat reports whether codeRetour is the documented "no result"
// code, 20000. Other services use other codes (Pastell: 20007 for the
// works search), so the client reads any codeRetour ≠ 0 with an empty list
// as no result for its searches, not this alone.
func (r Retour) AucunResultat() bool { return r.CodeRetour == CodeRetourAucunResultat }

// Err returns nil when codeRetour is 0, else an error quoting codeRetour and
// libelle. The client wraps this into its own typed errors.
func (r Retour) Err() error {
	if r.OK() {
		return nil
	}
	return fmt.Errorf("chorus pro: codeRetour %d: %s", r.CodeRetour, r.Libelle)
}

// List is a list in a Chorus Pro answer. AIFE's own consulterCRDetaille
// sample prints listeErreurDP as a single object, and Pastell reads
// listeStructures both as an array and as one object (fidelity B-3): a
// list of one may come unwrapped. UnmarshalJSON accepts an array, a single
// object (a list of one), or null (an empty list); it is written as an
// array. A []T literal is assignable to a List[T].
type List[T any] []T

// UnmarshalJSON reads an array, a single element, or null.
func (l *List[T]) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || bytes.Equal(data, []byte("null")):
		*l = nil
		return nil
	case data[0] == '[':
		var many []T
		if err := json.Unmarshal(data, &many); err != nil {
			return err
		}
		*l = many
		return nil
	}
	var one T
	if err := json.Unmarshal(data, &one); err != nil {
		return fmt.Errorf("neither an array nor a single element: %w", err)
	}
	*l = List[T]{one}
	return nil
}

// RetourOK is the envelope of a successful call.
func RetourOK() Retour { return Retour{CodeRetour: CodeRetourOK, Libelle: LibelleOK} }

// DefaultNbResultatsParPage is the page size Chorus Pro uses when the caller
// does not give one: callers must page. chorus-pro.md §2 "Default page size
// is 10", §4-9.
const DefaultNbResultatsParPage = 10

// TriSens is a sort direction. chorus-pro.md §2 "Pagination parameters".
type TriSens string

// Sort directions.
const (
	TriAscendant  TriSens = "Ascendant"
	TriDescendant TriSens = "Descendant"
)

// Pagination is the paging block of a search request. Chorus Pro names the
// block differently per operation (rechercheFactureParFournisseur,
// parametresRechercherServicesStructure, parametres…), but its fields are
// the same. pageResultatDemandee is 1-based. chorus-pro.md §2.
type Pagination struct {
	NbResultatsParPage   int     `json:"nbResultatsParPage,omitempty"`
	PageResultatDemandee int     `json:"pageResultatDemandee,omitempty"`
	TriColonne           string  `json:"triColonne,omitempty"`
	TriSens              TriSens `json:"triSens,omitempty"`
	// NbResultatsMaximum caps the whole result; only documented for
	// rechercheFactureParFournisseur. chorus-pro.md §2.6.
	NbResultatsMaximum int `json:"nbResultatsMaximum,omitempty"`
}

// ParametresRetour describes the page a search returned. chorus-pro.md §2
// "Pagination results".
type ParametresRetour struct {
	PageCourante       int `json:"pageCourante"`
	Pages              int `json:"pages"`
	NbResultatsParPage int `json:"nbResultatsParPage"`
	Total              int `json:"total"`
}

// HasNext reports whether a page follows this one.
func (p ParametresRetour) HasNext() bool { return p.PageCourante < p.Pages }

// ---------------------------------------------------------------------------
// Structures (buyer directory). chorus-pro.md §2.2.

// TypeIdentifiantSIRET is the typeIdentifiantStructure of a SIRET.
const TypeIdentifiantSIRET = "SIRET"

// CritereStructure holds the search criteria of structures/v1/rechercher.
// chorus-pro.md §2.2.
type CritereStructure struct {
	IdentifiantStructure     string `json:"identifiantStructure,omitempty"`
	TypeIdentifiantStructure string `json:"typeIdentifiantStructure,omitempty"`
	RaisonSocialeStructure   string `json:"raisonSocialeStructure,omitempty"`
	StatutStructure          string `json:"statutStructure,omitempty"`
	TypeStructure            string `json:"typeStructure,omitempty"`
	AdresseCodePostal        string `json:"adresseCodePostal,omitempty"`
	// assumption: estMOA is a boolean; the reference lists it without a type.
	EstMOA *bool `json:"estMOA,omitempty"`
}

// RechercherStructureRequest is the body of structures/v1/rechercher.
// Send RestreindreStructuresPrivees false explicitly: when it is missing or
// true, only the private structures the user is attached to are returned
// (the spec quoted by [S6a]). chorus-pro.md §2.2.
type RechercherStructureRequest struct {
	Structure                    CritereStructure `json:"structure"`
	RestreindreStructuresPrivees bool             `json:"restreindreStructuresPrivees"`
	Parametres                   *Pagination      `json:"parametres,omitempty"`
}

// StructureTrouvee is one line of listeStructures in a structure search.
type StructureTrouvee struct {
	IDStructureCPP           int64  `json:"idStructureCPP"`
	IdentifiantStructure     string `json:"identifiantStructure"`
	DesignationStructure     string `json:"designationStructure"`
	TypeIdentifiantStructure string `json:"typeIdentifiantStructure"`
	Statut                   string `json:"statut"`
}

// RechercherStructureResponse is the answer of structures/v1/rechercher.
// OCA accepts exactly one match and takes listeStructures[0].idStructureCPP.
type RechercherStructureResponse struct {
	Retour
	ListeStructures  List[StructureTrouvee] `json:"listeStructures"`
	ParametresRetour *ParametresRetour      `json:"parametresRetour,omitempty"`
}

// ConsulterStructureRequest is the body of structures/v1/consulter. The key
// is idStructureCPP (go-choruspro's idStructure is probably wrong).
// chorus-pro.md §2.2.
type ConsulterStructureRequest struct {
	IDStructureCPP int64  `json:"idStructureCPP"`
	CodeLangue     string `json:"codeLangue,omitempty"`
}

// ParametresStructure are a structure's obligations and settings: what a
// supplier's invoice must carry. chorus-pro.md §2.2 (names from OCA [S2c]
// and go-choruspro [S4], which types them all as booleans).
type ParametresStructure struct {
	CodeServiceDoitEtreRenseigne bool `json:"codeServiceDoitEtreRenseigne"`
	NumeroEJDoitEtreRenseigne    bool `json:"numeroEJDoitEtreRenseigne"`
	GestionNumeroEJOuCodeService bool `json:"gestionNumeroEJOuCodeService"`
	// StatutMiseEnPaiementNestPasRemonte: the buyer does not report
	// MISE_EN_PAIEMENT (meaning from the name: UNCONFIRMED), so tracking must
	// not wait for it.
	StatutMiseEnPaiementNestPasRemonte bool `json:"statutMiseEnPaiementNestPasRemonte"`
	ConnexionEDI                       bool `json:"connexionEDI"`
	RecevoirDonneesViaEDI              bool `json:"recevoirDonneesViaEDI"`
	EstMoaUniquement                   bool `json:"estMoaUniquement"`
	EstValideurDelegue                 bool `json:"estValideurDelegue"`
	GetaMoa                            bool `json:"getaMoa"`
	NonDiffusibleInsee                 bool `json:"nonDiffusibleInsee"`
}

// Exigence is what a buyer requires on an invoice: nothing, a code service,
// an engagement (EJ), both, or either.
type Exigence string

// Requirements, from OCA's decision logic. chorus-pro.md §2.2.
const (
	ExigenceAucune                  Exigence = "aucune"
	ExigenceCodeService             Exigence = "code_service"
	ExigenceEngagement              Exigence = "engagement"
	ExigenceCodeServiceEtEngagement Exigence = "code_service_et_engagement"
	ExigenceCodeServiceOuEngagement Exigence = "code_service_ou_engagement"
)

// Exigence applies OCA's decision logic to the structure's flags
// (chorus-pro.md §2.2): gestionNumeroEJOuCodeService first (either), then
// both flags (both), then each flag alone, else nothing.
func (p ParametresStructure) Exigence() Exigence {
	switch {
	case p.GestionNumeroEJOuCodeService:
		return ExigenceCodeServiceOuEngagement
	case p.CodeServiceDoitEtreRenseigne && p.NumeroEJDoitEtreRenseigne:
		return ExigenceCodeServiceEtEngagement
	case p.CodeServiceDoitEtreRenseigne:
		return ExigenceCodeService
	case p.NumeroEJDoitEtreRenseigne:
		return ExigenceEngagement
	default:
		return ExigenceAucune
	}
}

// Satisfaite reports whether an invoice carrying the given code service and
// engagement (empty when absent) meets the requirement.
func (e Exigence) Satisfaite(codeService, engagement string) bool {
	switch e {
	case ExigenceCodeService:
		return codeService != ""
	case ExigenceEngagement:
		return engagement != ""
	case ExigenceCodeServiceEtEngagement:
		return codeService != "" && engagement != ""
	case ExigenceCodeServiceOuEngagement:
		return codeService != "" || engagement != ""
	default:
		return true
	}
}

// InformationGeneralesStructure is the informationGenerales block (sic: no
// "s", unlike the service's informationsGenerales) of structures/v1/consulter.
// chorus-pro.md §2.2; field names from [S2c] and [S4].
type InformationGeneralesStructure struct {
	IDStructureCPP           int64  `json:"idStructureCPP"`
	IdentifiantStructure     string `json:"identifiantStructure"`
	TypeIdentifiantStructure string `json:"typeIdentifiantStructure"`
	RaisonSocialeStructure   string `json:"raisonSocialeStructure"`
	LibelleStructure         string `json:"libelleStructure,omitempty"`
	NumeroTVA                string `json:"numeroTVA,omitempty"`
	// StructurePriveePublique: assumption: values PUBLIQUE / PRIVEE.
	StructurePriveePublique string `json:"structurePriveePublique,omitempty"`
	EmailStructure          string `json:"emailStructure,omitempty"`
	// DateExpirationMotPasseCompteTech is set on the technical account's own
	// structure: the password expires every 424 days. chorus-pro.md §0-8, §1.5.
	DateExpirationMotPasseCompteTech string `json:"dateExpirationMotPasseCompteTech,omitempty"`
}

// AdressePostale is a postal address of a structure or service
// (field names from go-choruspro [S4]).
type AdressePostale struct {
	Adresse            string `json:"adresse,omitempty"`
	ComplementAdresse1 string `json:"complementAdresse1,omitempty"`
	ComplementAdresse2 string `json:"complementAdresse2,omitempty"`
	CodePostal         string `json:"codePostal,omitempty"`
	Ville              string `json:"ville,omitempty"`
	Pays               string `json:"pays,omitempty"`
	Telephone          string `json:"telephone,omitempty"`
}

// ConsulterStructureResponse is the answer of structures/v1/consulter.
type ConsulterStructureResponse struct {
	Retour
	Parametres            ParametresStructure           `json:"parametres"`
	InformationGenerales  InformationGeneralesStructure `json:"informationGenerales"`
	AdressePostaleDuSiege *AdressePostale               `json:"adressePostaleDuSiege,omitempty"`
}

// CodeServiceFacturesPubliques is the service reserved for intra-public-sphere
// invoicing: never use it in a supplier deposit (a flow using it is
// rejected). chorus-pro.md §2.2, §3.4, §4-12.
const CodeServiceFacturesPubliques = "FACTURES_PUBLIQUES"

// RechercherServicesRequest is the body of structures/v1/rechercher/services.
// The paging key is parametresRechercherServicesStructure ("parametres" is
// refused, [FR2]); the default page size is 10. chorus-pro.md §2.2.
type RechercherServicesRequest struct {
	IDStructure                           int64       `json:"idStructure"`
	ParametresRechercherServicesStructure *Pagination `json:"parametresRechercherServicesStructure,omitempty"`
}

// ServiceStructure is one line of listeServices. chorus-pro.md §2.2 (an OCA
// comment with a real answer).
type ServiceStructure struct {
	IDService      int64  `json:"idService"`
	CodeService    string `json:"codeService"`
	LibelleService string `json:"libelleService"`
	EstActif       bool   `json:"estActif"`
	// DateDbtService looks like "2016-10-25 17:42".
	DateDbtService string `json:"dateDbtService,omitempty"`
	DateFinService string `json:"dateFinService,omitempty"`
}

// RechercherServicesResponse is the answer of structures/v1/rechercher/services.
type RechercherServicesResponse struct {
	Retour
	ListeServices    List[ServiceStructure] `json:"listeServices"`
	ParametresRetour *ParametresRetour      `json:"parametresRetour,omitempty"`
}

// ConsulterServiceRequest is the body of structures/v1/consulter/service.
// chorus-pro.md §2.2.
type ConsulterServiceRequest struct {
	IDStructure int64  `json:"idStructure"`
	IDService   int64  `json:"idService"`
	CodeLangue  string `json:"codeLangue,omitempty"`
}

// InformationsGeneralesService is the informationsGenerales block of
// consulter/service.
type InformationsGeneralesService struct {
	CodeService        string `json:"codeService"`
	NomService         string `json:"nomService"`
	DescriptionService string `json:"descriptionService,omitempty"`
}

// ParametresService are a service's settings. NumeroEngagement means an EJ
// is required for this service even when the structure does not require one.
// chorus-pro.md §2.2, §3.4.
type ParametresService struct {
	NumeroEngagement  bool   `json:"numeroEngagement"`
	MiseEnPaiement    bool   `json:"miseEnPaiement"`
	DateCreation      string `json:"dateCreation,omitempty"`
	DateDebutValidite string `json:"dateDebutValidite,omitempty"`
	DateFinValidite   string `json:"dateFinValidite,omitempty"`
	DateModification  string `json:"dateModification,omitempty"`
}

// ConsulterServiceResponse is the answer of structures/v1/consulter/service.
type ConsulterServiceResponse struct {
	Retour
	InformationsGenerales InformationsGeneralesService `json:"informationsGenerales"`
	Parametres            ParametresService            `json:"parametres"`
	AdressePostale        *AdressePostale              `json:"adressePostale,omitempty"`
}

// ---------------------------------------------------------------------------
// Supplier's own identifiers. chorus-pro.md §2.1.

// StructuresActivesFournisseurRequest is the (empty) body of
// transverses/v1/recuperer/structures/actives/fournisseur.
type StructuresActivesFournisseurRequest struct{}

// StructureActive is one of the supplier structures the technical account
// may act for. Use IDStructureCPP as fournisseur.idFournisseur.
type StructureActive struct {
	IDStructureCPP       int64  `json:"idStructureCPP"`
	DesignationStructure string `json:"designationStructure"`
	// Identifiant is the structure's SIRET.
	Identifiant string `json:"identifiant"`
}

// StructuresActivesFournisseurResponse is the answer of
// recuperer/structures/actives/fournisseur.
type StructuresActivesFournisseurResponse struct {
	Retour
	ListeStructures List[StructureActive] `json:"listeStructures"`
}

// CoordBancValidesRequest is the body of transverses/v1/recuperer/coordbanc/valides.
type CoordBancValidesRequest struct {
	IDStructure int64 `json:"idStructure"`
}

// CoordonneeBancaire is one valid bank account of the supplier structure.
// Use IDCoordonneeBancaire as fournisseur.codeCoordonneesBancairesFournisseur.
type CoordonneeBancaire struct {
	IDCoordonneeBancaire  int64  `json:"idCoordonneeBancaire"`
	NomCoordonneeBancaire string `json:"nomCoordonneeBancaire"`
}

// CoordBancValidesResponse is the answer of recuperer/coordbanc/valides.
type CoordBancValidesResponse struct {
	Retour
	ListeCoordonneeBancaire List[CoordonneeBancaire] `json:"listeCoordonneeBancaire"`
}

// ---------------------------------------------------------------------------
// Flow deposit. chorus-pro.md §2.3.

// SyntaxeFlux is the declared format of a deposited flow.
type SyntaxeFlux string

// The official syntaxeFlux enum [S1]. chorus-pro.md §2.3. Values seen in the
// wild but absent from it (IN_DP_E3_FACTUR_X_10, IN_DP_E1_UBL_201,
// IN_DP_E2_CII_16B, IN_DP_E1_CII_FACTURX) are invalid.
const (
	// SyntaxeUBLInvoice is UBL 2.1 Invoice, structured (E1), flow FSO1100A.
	SyntaxeUBLInvoice SyntaxeFlux = "IN_DP_E1_UBL_INVOICE"
	// SyntaxeCII is the pre-D16B CII. Prefer SyntaxeCII16B.
	SyntaxeCII           SyntaxeFlux = "IN_DP_E1_CII"
	SyntaxePESFacture    SyntaxeFlux = "IN_DP_E1_PES_FACTURE"
	SyntaxeXCBL          SyntaxeFlux = "IN_DP_E1_XCBL"
	SyntaxeUBLInvoiceMin SyntaxeFlux = "IN_DP_E2_UBL_INVOICE_MIN"
	SyntaxeCIIMin        SyntaxeFlux = "IN_DP_E2_CII_MIN"
	SyntaxePESFactureMin SyntaxeFlux = "IN_DP_E2_PES_FACTURE_MIN"
	SyntaxeCPPFactureMin SyntaxeFlux = "IN_DP_E2_CPP_FACTURE_MIN"
	SyntaxeUBLMUG        SyntaxeFlux = "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG"
	SyntaxeCIIMUG        SyntaxeFlux = "IN_DP_PDFARCHIVE_CII_MUG"
	// SyntaxeCII16B is UN/CEFACT CII D16B XML, structured (E1), flow FSO1106A.
	SyntaxeCII16B    SyntaxeFlux = "IN_DP_E1_CII_16B"
	SyntaxeCIIMin16B SyntaxeFlux = "IN_DP_E2_CII_MIN_16B"
	// SyntaxeFacturX is a Factur-X PDF/A-3 with embedded CII (mixed, E2),
	// flow FSO1117A.
	SyntaxeFacturX SyntaxeFlux = "IN_DP_E2_CII_FACTURX"
)

// SyntaxesFlux returns every official syntaxeFlux value, in the Swagger's order.
func SyntaxesFlux() []SyntaxeFlux {
	return []SyntaxeFlux{
		SyntaxeUBLInvoice, SyntaxeCII, SyntaxePESFacture, SyntaxeXCBL,
		SyntaxeUBLInvoiceMin, SyntaxeCIIMin, SyntaxePESFactureMin, SyntaxeCPPFactureMin,
		SyntaxeUBLMUG, SyntaxeCIIMUG, SyntaxeCII16B, SyntaxeCIIMin16B, SyntaxeFacturX,
	}
}

// Valid reports whether s is in the official enum.
func (s SyntaxeFlux) Valid() bool { return slices.Contains(SyntaxesFlux(), s) }

// CodeInterface returns the AIFE flow code of the three syntaxes chorusbill
// produces (FSO1100A, FSO1106A, FSO1117A; chorus-pro.md §2.3 table), or "".
func (s SyntaxeFlux) CodeInterface() string {
	switch s {
	case SyntaxeUBLInvoice:
		return "FSO1100A"
	case SyntaxeCII16B:
		return "FSO1106A"
	case SyntaxeFacturX:
		return "FSO1117A"
	}
	return ""
}

// DeposerFluxRequest is the body of factures/v1/deposer/flux
// (DeposerFluxFactureParam; no field is marked required). FichierFlux holds
// the raw file: encoding/json writes it as standard base64, which is what
// the API expects. IDUtilisateurCourant is optional: OCA, Tryton and Pastell
// never send it. chorus-pro.md §2.3, §2 "idUtilisateurCourant".
type DeposerFluxRequest struct {
	IDUtilisateurCourant int64       `json:"idUtilisateurCourant,omitempty"`
	FichierFlux          []byte      `json:"fichierFlux"`
	NomFichier           string      `json:"nomFichier"`
	SyntaxeFlux          SyntaxeFlux `json:"syntaxeFlux"`
	AvecSignature        bool        `json:"avecSignature"`
}

// DeposerFluxResponse is the answer of deposer/flux
// (WsRetourDeposerFluxFacture). It carries no invoice id and no status:
// poll consulterCRDetaille with NumeroFluxDepot (which looks like
// CPP0011117000000000425903). chorus-pro.md §2.3.
type DeposerFluxResponse struct {
	Retour
	NumeroFluxDepot string      `json:"numeroFluxDepot,omitempty"`
	DateDepot       string      `json:"dateDepot,omitempty"`
	SyntaxeFlux     SyntaxeFlux `json:"syntaxeFlux,omitempty"`
}

// MaxTailleFichierFlux is the largest file deposer/flux accepts (10 MB;
// "GDP_MSG_11.022" beyond). chorus-pro.md §2.3 [S11], §3.3.
const MaxTailleFichierFlux = 10 * 1024 * 1024

// MaxLongueurNumeroFacture is Chorus Pro's limit on the invoice number
// (BR-FR-CPRO-02). chorus-pro.md §3.1.
const MaxLongueurNumeroFacture = 20

// MaxLongueurReference is the limit on engagement, order and contract
// references and on attachment names. chorus-pro.md §3.3.
const MaxLongueurReference = 50

// ---------------------------------------------------------------------------
// Flow processing report. chorus-pro.md §2.4.

// ConsulterCRDetailleRequest is the body of transverses/v1/consulterCRDetaille.
// SyntaxeFlux is optional: production clients send numeroFluxDepot alone
// (fidelity C-2), and so does the client.
type ConsulterCRDetailleRequest struct {
	NumeroFluxDepot string      `json:"numeroFluxDepot"`
	SyntaxeFlux     SyntaxeFlux `json:"syntaxeFlux,omitempty"`
}

// ErreurDP is one rejected invoice (demande de paiement) of a flow.
// LibelleErreurDP is cut at about 200 characters and joins several errors
// with "|". chorus-pro.md §2.4.
type ErreurDP struct {
	// NumeroDP is the invoice number. assumption: a string.
	NumeroDP                string `json:"numeroDP"`
	IdentifiantFournisseur  string `json:"identifiantFournisseur"`
	IdentifiantDestinataire string `json:"identifiantDestinataire"`
	LibelleErreurDP         string `json:"libelleErreurDP"`
}

// ErreurTechnique is a flow-level unacceptability (irrecevabilité), e.g.
// ERR_XSD_001 "IRRECEVABILITE: cvc-datatype-valid…". chorus-pro.md §2.4.
type ErreurTechnique struct {
	CodeErreur    string `json:"codeErreur"`
	LibelleErreur string `json:"libelleErreur"`
	NatureErreur  string `json:"natureErreur"`
}

// ConsulterCRDetailleResponse is the answer of consulterCRDetaille. Note the
// state's name, etatCourantDepotFlux (consulterCR says etatCourantFlux), and
// that the answer has no numeroFluxDepot. An unknown flow gives codeRetour
// 20001 "POQ_MSG_01.003 - Flux introuvable.". chorus-pro.md §2.4.
type ConsulterCRDetailleResponse struct {
	Retour
	NomFichier               string                `json:"nomFichier,omitempty"`
	DateDepotFlux            string                `json:"dateDepotFlux,omitempty"`
	CodeInterfaceDepotFlux   string                `json:"codeInterfaceDepotFlux,omitempty"`
	EtatCourantDepotFlux     EtatFlux              `json:"etatCourantDepotFlux,omitempty"`
	DateHeureEtatCourantFlux string                `json:"dateHeureEtatCourantFlux,omitempty"`
	ListeErreurDP            List[ErreurDP]        `json:"listeErreurDP,omitempty"`
	ListeErreurTechnique     List[ErreurTechnique] `json:"listeErreurTechnique,omitempty"`
}

// ConsulterCRRequest is the body of transverses/v1/consulterCR. Prefer
// consulterCRDetaille: OCA found consulterCR broken for Factur-X.
// chorus-pro.md §2.4.
type ConsulterCRRequest struct {
	NumeroFluxDepot string      `json:"numeroFluxDepot"`
	SyntaxeFlux     SyntaxeFlux `json:"syntaxeFlux,omitempty"`
	DateDepot       string      `json:"dateDepot,omitempty"`
}

// ConsulterCRResponse is the answer of consulterCR: the state is named
// etatCourantFlux here, and fichierCR is a base64 PDF report.
type ConsulterCRResponse struct {
	Retour
	EtatCourantFlux          EtatFlux `json:"etatCourantFlux,omitempty"`
	FichierCR                []byte   `json:"fichierCR,omitempty"`
	NomFichierFlux           string   `json:"nomFichierFlux,omitempty"`
	CodeInterfaceFlux        string   `json:"codeInterfaceFlux,omitempty"`
	DateDepotFlux            string   `json:"dateDepotFlux,omitempty"`
	DateHeureEtatCourantFlux string   `json:"dateHeureEtatCourantFlux,omitempty"`
}

// EtatFlux is the processing state of a deposited flow
// (etatCourantDepotFlux). The Swagger declares no enum for it: treat any
// value not listed here as unknown. chorus-pro.md §2.4.
type EtatFlux string

// Flow states, from the chorus-api README [S12] unless noted. chorus-pro.md §2.4.
const (
	// EtatFluxDeposeEnAttente: just deposited, waiting (observed right
	// after each deposit [FR1]).
	EtatFluxDeposeEnAttente     EtatFlux = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
	EtatFluxRecu                EtatFlux = "IN_RECU"
	EtatFluxTraiteSE            EtatFlux = "IN_TRAITE_SE_CPP"
	EtatFluxEnAttenteTraitement EtatFlux = "IN_EN_ATTENTE_TRAITEMENT_CPP"
	EtatFluxEnCoursTraitement   EtatFlux = "IN_EN_COURS_TRAITEMENT_CPP"
	// EtatFluxEnAttenteRetraitement: blocked, waiting for manual
	// reprocessing; can last.
	EtatFluxEnAttenteRetraitement EtatFlux = "IN_EN_ATTENTE_RETRAITEMENT_CPP"
	// EtatFluxIntegre: processed, everything integrated (terminal, success).
	EtatFluxIntegre EtatFlux = "IN_INTEGRE"
	// EtatFluxIntegrePartiel: only the correct invoices were integrated
	// (terminal, mixed).
	EtatFluxIntegrePartiel EtatFlux = "IN_INTEGRE_PARTIEL"
	// EtatFluxRejete: processed but rejected (terminal, failure).
	EtatFluxRejete EtatFlux = "IN_REJETE"
	// EtatFluxIncidente: not processed; re-send the whole flow (terminal,
	// failure; Pastell [S6c], Tryton [S5]).
	EtatFluxIncidente EtatFlux = "IN_INCIDENTE"
	// The QP_* acceptability states come from PhpChorusPiste [S10]; their
	// meaning is UNCONFIRMED.
	EtatFluxQPIrrecevable         EtatFlux = "QP_IRRECEVABLE"
	EtatFluxQPRecevable           EtatFlux = "QP_RECEVABLE"
	EtatFluxQPRecevableAvecErreur EtatFlux = "QP_RECEVABLE_AVEC_ERREUR"
	// IN_A_RELANCER and IN_ERREUR_INTERNE: Dolibarr's Demat4Dolibarr
	// marks them re-sendable (can_resend, like IN_REJETE and IN_INCIDENTE;
	// fidelity A-3); their exact meaning is UNCONFIRMED.
	EtatFluxARelancer     EtatFlux = "IN_A_RELANCER"
	EtatFluxErreurInterne EtatFlux = "IN_ERREUR_INTERNE"
)

// Issue is the outcome class of a flow state or an invoice status.
type Issue string

// Outcome classes. IssueUnknown is for values not in the tables (and for
// listed values whose meaning is unconfirmed): never read it as success or
// as pending; raise it to a human. IssueARedeposer asks for a new deposit.
const (
	IssueEnCours Issue = "pending"
	IssueSucces  Issue = "success"
	IssuePartiel Issue = "partial"
	IssueEchec   Issue = "failure"
	IssueUnknown Issue = "unknown"
	// IssueARedeposer: the flow was not processed and will not be by
	// itself; the same file may be deposited again (IN_A_RELANCER,
	// IN_ERREUR_INTERNE). If an earlier deposit did reach Chorus Pro, the
	// new one is refused as a duplicate number (see DuplicateNumber).
	IssueARedeposer Issue = "redeposit"
)

// etatsFlux maps every known flow state to its class. chorus-pro.md §2.4.
var etatsFlux = map[EtatFlux]Issue{
	EtatFluxDeposeEnAttente:       IssueEnCours,
	EtatFluxRecu:                  IssueEnCours, // Tryton wrongly reads it as success [S5]
	EtatFluxTraiteSE:              IssueEnCours, // idem
	EtatFluxEnAttenteTraitement:   IssueEnCours,
	EtatFluxEnCoursTraitement:     IssueEnCours,
	EtatFluxEnAttenteRetraitement: IssueEnCours,
	EtatFluxIntegre:               IssueSucces,
	EtatFluxIntegrePartiel:        IssuePartiel,
	EtatFluxRejete:                IssueEchec,
	EtatFluxIncidente:             IssueEchec,
	// assumption: Tryton counts these two as failures [S5]; meaning UNCONFIRMED.
	EtatFluxQPIrrecevable:         IssueEchec,
	EtatFluxQPRecevableAvecErreur: IssueEchec,
	// assumption: meaning UNCONFIRMED, so it stays unknown (a human looks).
	EtatFluxQPRecevable: IssueUnknown,
	// Re-sendable per Demat4Dolibarr (fidelity A-3).
	EtatFluxARelancer:     IssueARedeposer,
	EtatFluxErreurInterne: IssueARedeposer,
}

// Known reports whether e is one of the states listed in the reference.
func (e EtatFlux) Known() bool { _, ok := etatsFlux[e]; return ok }

// Issue classifies the state: pending, success, partial, failure, or
// unknown for anything not in the table.
func (e EtatFlux) Issue() Issue {
	if c, ok := etatsFlux[e]; ok {
		return c
	}
	return IssueUnknown
}

// Terminal reports whether the flow will not change any more: integrated
// (fully or partially), rejected or incidente, or to be deposited again.
// Unknown states are not terminal, and not pending either: see Issue.
func (e EtatFlux) Terminal() bool {
	switch e.Issue() {
	case IssueSucces, IssuePartiel, IssueEchec, IssueARedeposer:
		return true
	}
	return false
}

// ---------------------------------------------------------------------------
// Invoice lifecycle. chorus-pro.md §2.10.

// StatutFacture is an invoice status (statutFacture, statut,
// statutCourantCode, histoStatutCode).
type StatutFacture string

// The 56 values of the official enum [S1], identical in every response model.
// chorus-pro.md §2.10.
const (
	StatutBrouillon                     StatutFacture = "BROUILLON"
	StatutAValider1                     StatutFacture = "A_VALIDER_1"
	StatutErreurFournisseurSurValideur  StatutFacture = "ERREUR_FOURNISSEUR_SUR_VALIDEUR"
	StatutRefusee1                      StatutFacture = "REFUSEE_1"
	StatutValidee1                      StatutFacture = "VALIDEE_1"
	StatutAbsenceValidation1HorsDelai   StatutFacture = "ABSENCE_VALIDATION_1_HORS_DELAI"
	StatutAValider2                     StatutFacture = "A_VALIDER_2"
	StatutErreurCotraitantSurValideur   StatutFacture = "ERREUR_COTRAITANT_SUR_VALIDEUR"
	StatutRefusee2                      StatutFacture = "REFUSEE_2"
	StatutValidee2                      StatutFacture = "VALIDEE_2"
	StatutAbsenceValidation2HorsDelai   StatutFacture = "ABSENCE_VALIDATION_2_HORS_DELAI"
	StatutDeposee                       StatutFacture = "DEPOSEE"
	StatutErreurFournisseurSurMOE       StatutFacture = "ERREUR_FOURNISSEUR_SUR_MOE"
	StatutEnCoursAcheminement           StatutFacture = "EN_COURS_ACHEMINEMENT"
	StatutMiseADisposition              StatutFacture = "MISE_A_DISPOSITION"
	StatutARecycler                     StatutFacture = "A_RECYCLER"
	StatutSuspendue                     StatutFacture = "SUSPENDUE"
	StatutRejetee                       StatutFacture = "REJETEE"
	StatutMandatee                      StatutFacture = "MANDATEE"
	StatutMiseEnPaiement                StatutFacture = "MISE_EN_PAIEMENT"
	StatutComptabilisee                 StatutFacture = "COMPTABILISEE"
	StatutMiseADispositionComptable     StatutFacture = "MISE_A_DISPOSITION_COMPTABLE"
	StatutAbandonnee                    StatutFacture = "ABANDONNEE"
	StatutSupprimee                     StatutFacture = "SUPPRIMEE"
	StatutAssociee                      StatutFacture = "ASSOCIEE"
	StatutEnCoursTraitementPivotS       StatutFacture = "EN_COURS_TRAITEMENT_PIVOT_S"
	StatutAValiderMOE                   StatutFacture = "A_VALIDER_MOE"
	StatutRefuseeMOE                    StatutFacture = "REFUSEE_MOE"
	StatutEnAttenteRecyclageFournisseur StatutFacture = "EN_ATTENTE_RECYCLAGE_FOURNISSEUR"
	StatutErreurMOESurFournisseur       StatutFacture = "ERREUR_MOE_SUR_FOURNISSEUR"
	StatutErreurMOASurFournisseur       StatutFacture = "ERREUR_MOA_SUR_FOURNISSEUR"
	StatutInterpreteeOCR                StatutFacture = "INTERPRETEE_OCR"
	StatutCompletee                     StatutFacture = "COMPLETEE"
	StatutErreurFournisseurSurMOA       StatutFacture = "ERREUR_FOURNISSEUR_SUR_MOA"
	StatutErreurMOESurMOA               StatutFacture = "ERREUR_MOE_SUR_MOA"
	StatutErreurDestinatairePD          StatutFacture = "ERREUR_DESTINATAIRE_PD"
	StatutErreurDestinataireEA          StatutFacture = "ERREUR_DESTINATAIRE_EA"
	StatutServiceFait                   StatutFacture = "SERVICE_FAIT"
	StatutNonConforme                   StatutFacture = "NON_CONFORME"
	StatutAAssocierMOE                  StatutFacture = "A_ASSOCIER_MOE"
	StatutErreurDeMOE                   StatutFacture = "ERREUR_DE_MOE"
	StatutMiseADispositionMOE           StatutFacture = "MISE_A_DISPOSITION_MOE"
	StatutPriseEnCompteMOE              StatutFacture = "PRISE_EN_COMPTE_MOE"
	StatutAAssocierMOA                  StatutFacture = "A_ASSOCIER_MOA"
	StatutErreurDeMOA                   StatutFacture = "ERREUR_DE_MOA"
	StatutRefuseeMOA                    StatutFacture = "REFUSEE_MOA"
	StatutAAssocierFournisseur          StatutFacture = "A_ASSOCIER_FOURNISSEUR"
	StatutRefuseeFournisseur            StatutFacture = "REFUSEE_FOURNISSEUR"
	StatutACompleter                    StatutFacture = "A_COMPLETER"
	StatutTransmiseMOA                  StatutFacture = "TRANSMISE_MOA"
	StatutPriseEnCompteDestinataire     StatutFacture = "PRISE_EN_COMPTE_DESTINATAIRE"
	StatutRemplaceeParA22               StatutFacture = "REMPLACEE_PAR_A22"
	StatutDupliqueApresRefus            StatutFacture = "DUPLIQUE_APRES_REFUS"
	StatutMiseADispositionMOA           StatutFacture = "MISE_A_DISPOSITION_MOA"
	StatutPriseEnCompteMOA              StatutFacture = "PRISE_EN_COMPTE_MOA"
	StatutTechniqueInconnu              StatutFacture = "TECHNIQUE_INCONNU"
)

// StatutsFacture returns the 56 values of the official enum, in its order.
func StatutsFacture() []StatutFacture {
	return []StatutFacture{
		StatutBrouillon, StatutAValider1, StatutErreurFournisseurSurValideur, StatutRefusee1,
		StatutValidee1, StatutAbsenceValidation1HorsDelai, StatutAValider2,
		StatutErreurCotraitantSurValideur, StatutRefusee2, StatutValidee2,
		StatutAbsenceValidation2HorsDelai, StatutDeposee, StatutErreurFournisseurSurMOE,
		StatutEnCoursAcheminement, StatutMiseADisposition, StatutARecycler, StatutSuspendue,
		StatutRejetee, StatutMandatee, StatutMiseEnPaiement, StatutComptabilisee,
		StatutMiseADispositionComptable, StatutAbandonnee, StatutSupprimee, StatutAssociee,
		StatutEnCoursTraitementPivotS, StatutAValiderMOE, StatutRefuseeMOE,
		StatutEnAttenteRecyclageFournisseur, StatutErreurMOESurFournisseur,
		StatutErreurMOASurFournisseur, StatutInterpreteeOCR, StatutCompletee,
		StatutErreurFournisseurSurMOA, StatutErreurMOESurMOA, StatutErreurDestinatairePD,
		StatutErreurDestinataireEA, StatutServiceFait, StatutNonConforme, StatutAAssocierMOE,
		StatutErreurDeMOE, StatutMiseADispositionMOE, StatutPriseEnCompteMOE,
		StatutAAssocierMOA, StatutErreurDeMOA, StatutRefuseeMOA, StatutAAssocierFournisseur,
		StatutRefuseeFournisseur, StatutACompleter, StatutTransmiseMOA,
		StatutPriseEnCompteDestinataire, StatutRemplaceeParA22, StatutDupliqueApresRefus,
		StatutMiseADispositionMOA, StatutPriseEnCompteMOA, StatutTechniqueInconnu,
	}
}

// Known reports whether s is in the official enum.
func (s StatutFacture) Known() bool { return slices.Contains(StatutsFacture(), s) }

// ClasseStatut says what a supplier tracking an A1 invoice does with a status.
type ClasseStatut string

// Status classes. ClasseInconnue covers values outside the enum and the enum
// values the reference does not describe for an A1 supplier invoice: they
// are never read as pending or paid, a human looks.
const (
	// ClasseEnCours: the buyer is processing; keep polling.
	ClasseEnCours ClasseStatut = "pending"
	// ClassePayee: terminal success (MISE_EN_PAIEMENT).
	ClassePayee ClasseStatut = "paid"
	// ClasseRejetee: terminal, the buyer refused it (REJETEE): acknowledge
	// with traiterRejet and re-issue under a new number.
	ClasseRejetee ClasseStatut = "rejected"
	// ClasseRetiree: terminal, withdrawn or deleted (ABANDONNEE, SUPPRIMEE;
	// meaning UNCONFIRMED).
	ClasseRetiree ClasseStatut = "withdrawn"
	// ClasseActionFournisseur: the supplier must act: SUSPENDUE → completer,
	// A_RECYCLER → recycler, INTERPRETEE_OCR → soumettre.
	ClasseActionFournisseur ClasseStatut = "action_required"
	// ClasseInconnue: unknown; raise it.
	ClasseInconnue ClasseStatut = "unknown"
)

// classesStatut classifies the statuses chorus-pro.md §2.10 describes for an
// A1 supplier invoice (its table "Statuses relevant to an A1 supplier
// invoice"). Every other value is ClasseInconnue.
var classesStatut = map[StatutFacture]ClasseStatut{
	StatutDeposee:                   ClasseEnCours,
	StatutEnCoursAcheminement:       ClasseEnCours, // meaning inferred from the name
	StatutMiseADisposition:          ClasseEnCours,
	StatutPriseEnCompteDestinataire: ClasseEnCours, // meaning UNCONFIRMED
	StatutServiceFait:               ClasseEnCours, // optional status
	StatutMandatee:                  ClasseEnCours, // optional; OCA stops here, we wait for payment
	StatutMiseADispositionComptable: ClasseEnCours, // optional
	StatutComptabilisee:             ClasseEnCours, // optional
	StatutCompletee:                 ClasseEnCours, // after completer
	StatutMiseEnPaiement:            ClassePayee,
	StatutRejetee:                   ClasseRejetee,
	StatutAbandonnee:                ClasseRetiree,
	StatutSupprimee:                 ClasseRetiree,
	StatutSuspendue:                 ClasseActionFournisseur,
	StatutARecycler:                 ClasseActionFournisseur,
	StatutInterpreteeOCR:            ClasseActionFournisseur,
}

// Classe classifies the status for a supplier; see ClasseStatut.
func (s StatutFacture) Classe() ClasseStatut {
	if c, ok := classesStatut[s]; ok {
		return c
	}
	return ClasseInconnue
}

// Terminal reports whether tracking stops: MISE_EN_PAIEMENT, REJETEE,
// ABANDONNEE, SUPPRIMEE. Unknown statuses are not terminal (nor pending).
func (s StatutFacture) Terminal() bool {
	switch s.Classe() {
	case ClassePayee, ClasseRejetee, ClasseRetiree:
		return true
	}
	return false
}

// StatutsDestinataire are the statuses a recipient can set through
// traiter/recue; a reason is mandatory for REJETEE and SUSPENDUE.
// chorus-pro.md §2.10.
func StatutsDestinataire() []StatutFacture {
	return []StatutFacture{
		StatutMiseADisposition, StatutSuspendue, StatutRejetee, StatutMandatee,
		StatutMiseEnPaiement, StatutComptabilisee, StatutMiseADispositionComptable,
		StatutARecycler,
	}
}

// ModeDepot is how an invoice reached Chorus Pro. chorus-pro.md §2.6.
type ModeDepot string

// modeDepot values (search filter and result field). chorus-pro.md §2.5, §2.6.
const (
	ModeDepotSaisieWeb            ModeDepot = "SAISIE_WEB"
	ModeDepotPortailPDF           ModeDepot = "PORTAIL_PDF"
	ModeDepotEDIXMLStruct         ModeDepot = "EDI_XML_STRUCT"
	ModeDepotEDIMixte             ModeDepot = "EDI_MIXTE"
	ModeDepotEDIPDFArchive        ModeDepot = "EDI_PDF_ARCHIVE"
	ModeDepotSaisiePortail        ModeDepot = "SAISIE_PORTAIL"
	ModeDepotSaisieAPI            ModeDepot = "SAISIE_API"
	ModeDepotDepotPDFPortail      ModeDepot = "DEPOT_PDF_PORTAIL"
	ModeDepotDepotPDFSignePortail ModeDepot = "DEPOT_PDF_SIGNE_PORTAIL"
	ModeDepotDepotPDFAPI          ModeDepot = "DEPOT_PDF_API"
	ModeDepotDepotPDFSigneAPI     ModeDepot = "DEPOT_PDF_SIGNE_API"
	ModeDepotEDI                  ModeDepot = "EDI"
	ModeDepotUploadPortail        ModeDepot = "UPLOAD_PORTAIL"
	ModeDepotUploadAPI            ModeDepot = "UPLOAD_API"
	ModeDepotEDINumerisation      ModeDepot = "EDI_NUMERISATION"
)

// TypeFacture distinguishes invoices from credit notes. chorus-pro.md §2.5, §2.6.
type TypeFacture string

// typeFacture values.
const (
	TypeFactureFacture TypeFacture = "FACTURE"
	TypeFactureAvoir   TypeFacture = "AVOIR"
	TypeFactureAcompte TypeFacture = "ACOMPTE"
)

// ---------------------------------------------------------------------------
// Searching the supplier's invoices. chorus-pro.md §2.6.

// DestinataireRecherche filters a supplier search on a recipient.
type DestinataireRecherche struct {
	IDDestinataire          int64   `json:"idDestinataire,omitempty"`
	ListeIDServiceExecutant []int64 `json:"listeIdServiceExecutant,omitempty"`
	// RaisonSocialeStuctDmd is spelled so by the API.
	RaisonSocialeStuctDmd string `json:"raisonSocialeStuctDmd,omitempty"`
}

// RechercherFactureParFournisseurRequest is the body of
// factures/v1/rechercher/fournisseur (rechercherFactureParFournisseur).
// After a flow is IN_INTEGRE, search by NumeroFluxDepot and match
// numeroFacture; after an uncertain deposit, search by NumeroFacture.
// Always read every page. chorus-pro.md §2.6.
type RechercherFactureParFournisseurRequest struct {
	IDUtilisateurCourant int64                   `json:"idUtilisateurCourant,omitempty"`
	NumeroFluxDepot      string                  `json:"numeroFluxDepot,omitempty"`
	NumeroFacture        string                  `json:"numeroFacture,omitempty"`
	IDFournisseur        int64                   `json:"idFournisseur,omitempty"`
	IDServiceFournisseur int64                   `json:"idServiceFournisseur,omitempty"`
	ListeDestinataire    []DestinataireRecherche `json:"listeDestinataire,omitempty"`
	// assumption: rechercheSirenDestinataire is a boolean (go-choruspro [S4]).
	RechercheSirenDestinataire    bool        `json:"rechercheSirenDestinataire,omitempty"`
	PeriodeDateDepotDu            string      `json:"periodeDateDepotDu,omitempty"`
	PeriodeDateDepotAu            string      `json:"periodeDateDepotAu,omitempty"`
	PeriodeDateFactureDu          string      `json:"periodeDateFactureDu,omitempty"`
	PeriodeDateFactureAu          string      `json:"periodeDateFactureAu,omitempty"`
	PeriodeDateHeureEtatCourantDu string      `json:"periodeDateHeureEtatCourantDu,omitempty"`
	PeriodeDateHeureEtatCourantAu string      `json:"periodeDateHeureEtatCourantAu,omitempty"`
	TypeFacture                   TypeFacture `json:"typeFacture,omitempty"`
	// CadreFacturation is a string enum A1…A25 (go-choruspro wrongly
	// models it as an object).
	CadreFacturation               string          `json:"cadreFacturation,omitempty"`
	StatutCourant                  []StatutFacture `json:"statutCourant,omitempty"`
	ModeDepot                      ModeDepot       `json:"modeDepot,omitempty"`
	NumeroMarche                   string          `json:"numeroMarche,omitempty"`
	NumeroBonCommande              string          `json:"numeroBonCommande,omitempty"`
	NumeroFactureOrigine           string          `json:"numeroFactureOrigine,omitempty"`
	RejetTraite                    *bool           `json:"rejetTraite,omitempty"`
	RecupererTaille                *bool           `json:"recupererTaille,omitempty"`
	RechercheFactureParFournisseur *Pagination     `json:"rechercheFactureParFournisseur,omitempty"`
}

// FactureFournisseur is one line of listeFactures in a supplier search.
// chorus-pro.md §2.6 (field names from [S1] and [S4]).
type FactureFournisseur struct {
	IdentifiantFactureCPP   int64         `json:"identifiantFactureCPP"`
	NumeroFacture           string        `json:"numeroFacture"`
	NumeroFluxDepot         string        `json:"numeroFluxDepot,omitempty"`
	ModeDepot               ModeDepot     `json:"modeDepot,omitempty"`
	TypeFacture             TypeFacture   `json:"typeFacture,omitempty"`
	TypeDemandePaiement     string        `json:"typeDemandePaiement,omitempty"`
	CodeDestinataire        string        `json:"codeDestinataire,omitempty"`
	IDDestinataire          int64         `json:"idDestinataire,omitempty"`
	DesignationDestinataire string        `json:"designationDestinataire,omitempty"`
	CodeServiceExecutant    string        `json:"codeServiceExecutant,omitempty"`
	IDServiceExecutant      int64         `json:"idServiceExecutant,omitempty"`
	NomServiceExecutant     string        `json:"nomServiceExecutant,omitempty"`
	CodeFournisseur         string        `json:"codeFournisseur,omitempty"`
	Statut                  StatutFacture `json:"statut"`
	DateHeureEtatCourant    string        `json:"dateHeureEtatCourant,omitempty"`
	// CommentaireEtatCourant holds the buyer's reason for a rejection or a
	// suspension (also in the history).
	CommentaireEtatCourant string      `json:"commentaireEtatCourant,omitempty"`
	RejetTraite            bool        `json:"rejetTraite"`
	DateFacture            string      `json:"dateFacture,omitempty"`
	DateDepot              string      `json:"dateDepot,omitempty"`
	MontantHT              json.Number `json:"montantHT,omitempty"`
	MontantTTC             json.Number `json:"montantTTC,omitempty"`
	MontantAPayer          json.Number `json:"montantAPayer,omitempty"`
	Devise                 string      `json:"devise,omitempty"`
	NumeroMarche           string      `json:"numeroMarche,omitempty"`
	NumeroBonCommande      string      `json:"numeroBonCommande,omitempty"`
	NumeroFactureOrigine   string      `json:"numeroFactureOrigine,omitempty"`
	Taille                 int64       `json:"taille,omitempty"`
}

// RechercherFactureParFournisseurResponse is the answer of
// rechercher/fournisseur. A search that finds nothing answers a codeRetour
// ≠ 0 and no list: 20000 by analogy with the recipient search ([S6a]), but
// the code is not documented for this service (fidelity B-2).
type RechercherFactureParFournisseurResponse struct {
	Retour
	ListeFactures    List[FactureFournisseur] `json:"listeFactures"`
	ParametresRetour *ParametresRetour        `json:"parametresRetour,omitempty"`
}

// ParamRechercheHistoStatuts pages the status history (names from
// go-choruspro [S4]; the reference leaves the block as {...}: assumption).
type ParamRechercheHistoStatuts struct {
	NbResultatsParPageListeHistoStatut   int    `json:"nbResultatsParPageListeHistoStatut,omitempty"`
	PageResultatDemandeeListeHistoStatut int    `json:"pageResultatDemandeeListeHistoStatut,omitempty"`
	TriColonneListeHistoStatut           string `json:"triColonneListeHistoStatut,omitempty"`
	TriSensListeHistoStatut              string `json:"triSensListeHistoStatut,omitempty"`
}

// ConsulterHistoriqueRequest is the body of factures/v1/consulter/historique
// (consulterHistoriqueFacture). IDFacture is the identifiantFactureCPP.
// chorus-pro.md §2.6.
type ConsulterHistoriqueRequest struct {
	IDUtilisateurCourant       int64                       `json:"idUtilisateurCourant,omitempty"`
	IDFacture                  int64                       `json:"idFacture"`
	NbResultatsMaximum         int                         `json:"nbResultatsMaximum,omitempty"`
	ParamRechercheHistoStatuts *ParamRechercheHistoStatuts `json:"paramRechercheHistoStatuts,omitempty"`
}

// HistoStatut is one status change. HistoStatutCommentaire carries the
// buyer's reason for REJETEE or SUSPENDUE. Utilisateur fields from [S4].
type HistoStatut struct {
	HistoStatutID   int64         `json:"histoStatutId"`
	HistoStatutCode StatutFacture `json:"histoStatutCode"`
	// HistoStatutDatePassage: assumption: "2006-01-02 15:04" as parsed by
	// go-choruspro [S4].
	HistoStatutDatePassage       string `json:"histoStatutDatePassage"`
	HistoStatutCommentaire       string `json:"histoStatutCommentaire,omitempty"`
	HistoStatutUtilisateurNom    string `json:"histoStatutUtilisateurNom,omitempty"`
	HistoStatutUtilisateurPrenom string `json:"histoStatutUtilisateurPrenom,omitempty"`
	HistoStatutUtilisateurEmail  string `json:"histoStatutUtilisateurEmail,omitempty"`
}

// HistoriquesDesStatuts is the paged list of status changes (paging field
// names from [S4]).
type HistoriquesDesStatuts struct {
	HistoStatut                   List[HistoStatut] `json:"histoStatut"`
	NbResultatsParPageHistoStatut int               `json:"nbResultatsParPageHistoStatut,omitempty"`
	PageCouranteHistoStatut       int               `json:"pageCouranteHistoStatut,omitempty"`
	PagesHistoStatut              int               `json:"pagesHistoStatut,omitempty"`
	TotalHistoStatut              int               `json:"totalHistoStatut,omitempty"`
}

// HistoActionCode is a user action on an invoice. chorus-pro.md §2.6.
type HistoActionCode string

// histoActionCode values.
const (
	ActionTelechargementFacture  HistoActionCode = "TELECHARGEMENT_FACTURE"
	ActionAcquittementRejet      HistoActionCode = "ACQUITTEMENT_REJET"
	ActionAcquittementSuspension HistoActionCode = "ACQUITTEMENT_SUSPENSION"
	ActionTraitementRejet        HistoActionCode = "TRAITEMENT_REJET"
)

// HistoAction is one user action (field names from [S4]).
type HistoAction struct {
	HistoActionID             int64           `json:"histoActionId"`
	HistoActionCode           HistoActionCode `json:"histoActionCode"`
	HistoActionDateHeure      string          `json:"histoActionDateHeure,omitempty"`
	HistoActionUtilisateurNom string          `json:"histoActionUtilisateurNom,omitempty"`
}

// HistoriquesDesActionsUtilisateurs is the list of user actions.
type HistoriquesDesActionsUtilisateurs struct {
	HistoAction List[HistoAction] `json:"histoAction"`
}

// DerniereAction is the last action on the invoice (names from [S4]).
type DerniereAction struct {
	DerniereActionCode string `json:"derniereActionCode,omitempty"`
	DerniereActionID   int64  `json:"derniereActionId,omitempty"`
}

// ConsulterHistoriqueResponse is the answer of consulter/historique. OCA
// polls StatutCourantCode with it. chorus-pro.md §2.6.
type ConsulterHistoriqueResponse struct {
	Retour
	IDFacture                         int64                              `json:"idFacture"`
	NumeroFacture                     string                             `json:"numeroFacture"`
	ModeDepot                         ModeDepot                          `json:"modeDepot,omitempty"`
	StatutCourantCode                 StatutFacture                      `json:"statutCourantCode"`
	HistoriquesDesStatuts             HistoriquesDesStatuts              `json:"historiquesDesStatuts"`
	HistoriquesDesActionsUtilisateurs *HistoriquesDesActionsUtilisateurs `json:"historiquesDesActionsUtilisateurs,omitempty"`
	// HistoriquesDesEvenementsComplementaires is kept raw: its content is
	// not needed by a supplier.
	HistoriquesDesEvenementsComplementaires json.RawMessage `json:"historiquesDesEvenementsComplementaires,omitempty"`
	DerniereAction                          *DerniereAction `json:"derniereAction,omitempty"`
}

// ---------------------------------------------------------------------------
// Supplier actions after issue. chorus-pro.md §2.7.

// PieceJointeComplementaire is a supporting document uploaded with
// ajouter/fichier and referenced by id. chorus-pro.md §2.5, §2.7.
type PieceJointeComplementaire struct {
	PieceJointeComplementaireDesignation        string `json:"pieceJointeComplementaireDesignation,omitempty"`
	PieceJointeComplementaireType               string `json:"pieceJointeComplementaireType,omitempty"`
	PieceJointeComplementaireNumeroLigneFacture int    `json:"pieceJointeComplementaireNumeroLigneFacture,omitempty"`
	PieceJointeComplementaireID                 int64  `json:"pieceJointeComplementaireId,omitempty"`
	PieceJointeComplementaireIDLiaison          int64  `json:"pieceJointeComplementaireIdLiaison,omitempty"`
}

// CompleterRequest is the body of factures/v1/completer, for a SUSPENDUE
// invoice; the status becomes COMPLETEE.
type CompleterRequest struct {
	IDUtilisateurCourant      int64                       `json:"idUtilisateurCourant,omitempty"`
	IdentifiantFactureCPP     int64                       `json:"identifiantFactureCPP"`
	Commentaire               string                      `json:"commentaire,omitempty"`
	PieceJointeComplementaire []PieceJointeComplementaire `json:"pieceJointeComplementaire,omitempty"`
}

// CompleterResponse is the answer of completer.
type CompleterResponse struct {
	Retour
	IdentifiantFactureCPP int64  `json:"identifiantFactureCPP,omitempty"`
	NumeroFacture         string `json:"numeroFacture,omitempty"`
	DateTraitement        string `json:"dateTraitement,omitempty"`
}

// DestinataireFacture is the recipient block of soumettre and recycler:
// the buyer's SIRET and its service code. chorus-pro.md §2.5, §2.7.
type DestinataireFacture struct {
	CodeDestinataire     string `json:"codeDestinataire"`
	CodeServiceExecutant string `json:"codeServiceExecutant,omitempty"`
}

// ReferenceRecyclage is the (singular) reference block of recycler.
// assumption: it holds the same reference fields as soumettre's references;
// the reference only names numeroBonCommande.
type ReferenceRecyclage struct {
	NumeroBonCommande string `json:"numeroBonCommande,omitempty"`
	NumeroMarche      string `json:"numeroMarche,omitempty"`
}

// RecyclerRequest is the body of factures/v1/recycler, for an A_RECYCLER
// invoice (wrong recipient or routing); the number is kept.
type RecyclerRequest struct {
	IDUtilisateurCourant  int64               `json:"idUtilisateurCourant,omitempty"`
	IdentifiantFactureCPP int64               `json:"identifiantFactureCPP"`
	Destinataire          DestinataireFacture `json:"destinataire"`
	Reference             *ReferenceRecyclage `json:"reference,omitempty"`
	Commentaire           string              `json:"commentaire,omitempty"`
}

// RecyclerResponse is the answer of recycler.
type RecyclerResponse struct {
	Retour
	IdentifiantFactureCPP int64         `json:"identifiantFactureCPP,omitempty"`
	NumeroFacture         string        `json:"numeroFacture,omitempty"`
	StatutFacture         StatutFacture `json:"statutFacture,omitempty"`
	DateDepot             string        `json:"dateDepot,omitempty"`
}

// DemandePaiement identifies an invoice in traiterRejet.
// assumption: idDemandePaiement is the identifiantFactureCPP.
type DemandePaiement struct {
	IDDemandePaiement int64 `json:"idDemandePaiement"`
}

// TraiterRejetRequest is the body of factures/v1/traiterRejet: acknowledge
// that REJETEE invoices were handled. go-choruspro also sends motifRejet and
// cpltInfos (UNCONFIRMED). chorus-pro.md §2.7.
type TraiterRejetRequest struct {
	ListeDemandePaiement []DemandePaiement `json:"listeDemandePaiement"`
	MotifRejet           string            `json:"motifRejet,omitempty"`
	CpltInfos            string            `json:"cpltInfos,omitempty"`
}

// TraiterRejetResponse is the answer of traiterRejet.
type TraiterRejetResponse struct {
	Retour
}

// ---------------------------------------------------------------------------
// Structured submission. chorus-pro.md §2.5.

// AjouterFichierRequest is the body of transverses/v1/ajouter/fichier.
// PieceJointeFichier is the raw file (base64 on the wire); PieceJointeNom is
// at most 50 characters (HTTP 400 beyond, [FR2]); 10 MB at most (20003).
type AjouterFichierRequest struct {
	IDUtilisateurCourant int64  `json:"idUtilisateurCourant,omitempty"`
	PieceJointeFichier   []byte `json:"pieceJointeFichier"`
	PieceJointeNom       string `json:"pieceJointeNom"`
	PieceJointeTypeMime  string `json:"pieceJointeTypeMime"`
	PieceJointeExtension string `json:"pieceJointeExtension"`
}

// AjouterFichierResponse is the answer of ajouter/fichier.
type AjouterFichierResponse struct {
	Retour
	PieceJointeID int64 `json:"pieceJointeId,omitempty"`
}

// CadreFacturation codes soumettre accepts. chorus-pro.md §2.5.
const (
	CadreA1FactureFournisseur          = "A1_FACTURE_FOURNISSEUR"
	CadreA2FactureFournisseurDejaPayee = "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE"
	CadreA9FactureSoustraitant         = "A9_FACTURE_SOUSTRAITANT"
	CadreA12FactureCotraitant          = "A12_FACTURE_COTRAITANT"
)

// FournisseurFacture is the supplier block of soumettre: the supplier's
// idStructureCPP (not its SIRET) and bank account id. chorus-pro.md §2.1, §2.5.
type FournisseurFacture struct {
	IDFournisseur                       int64 `json:"idFournisseur"`
	IDServiceFournisseur                int64 `json:"idServiceFournisseur,omitempty"`
	CodeCoordonneesBancairesFournisseur int64 `json:"codeCoordonneesBancairesFournisseur,omitempty"`
}

// CadreDeFacturation is the billing framework block of soumettre.
type CadreDeFacturation struct {
	CodeCadreFacturation  string `json:"codeCadreFacturation"`
	CodeStructureValideur string `json:"codeStructureValideur,omitempty"`
	CodeServiceValideur   string `json:"codeServiceValideur,omitempty"`
}

// ReferencesFacture is the references block of soumettre. The engagement
// (EJ) goes in NumeroBonCommande: soumettre has no numeroEngagement.
// chorus-pro.md §0-5, §2.5.
type ReferencesFacture struct {
	DeviseFacture        string      `json:"deviseFacture,omitempty"`
	TypeFacture          TypeFacture `json:"typeFacture,omitempty"`
	TypeTva              string      `json:"typeTva,omitempty"`
	MotifExonerationTva  string      `json:"motifExonerationTva,omitempty"`
	NumeroMarche         string      `json:"numeroMarche,omitempty"`
	NumeroBonCommande    string      `json:"numeroBonCommande,omitempty"`
	NumeroFactureOrigine string      `json:"numeroFactureOrigine,omitempty"`
	ModePaiement         string      `json:"modePaiement,omitempty"`
}

// LignePoste is an invoice line of soumettre.
type LignePoste struct {
	LignePosteNumero            int         `json:"lignePosteNumero"`
	LignePosteReference         string      `json:"lignePosteReference,omitempty"`
	LignePosteDenomination      string      `json:"lignePosteDenomination"`
	LignePosteQuantite          json.Number `json:"lignePosteQuantite"`
	LignePosteUnite             string      `json:"lignePosteUnite,omitempty"`
	LignePosteMontantUnitaireHT json.Number `json:"lignePosteMontantUnitaireHT"`
	LignePosteMontantRemiseHT   json.Number `json:"lignePosteMontantRemiseHT,omitempty"`
	// LignePosteTauxTva is a code from recuperer/tauxtva (e.g. TVA1);
	// omit it and give LignePosteTauxTvaManuel for a manual rate.
	LignePosteTauxTva       string      `json:"lignePosteTauxTva,omitempty"`
	LignePosteTauxTvaManuel json.Number `json:"lignePosteTauxTvaManuel,omitempty"`
}

// LigneTva is a VAT summary line of soumettre.
type LigneTva struct {
	LigneTvaTaux                 string      `json:"ligneTvaTaux,omitempty"`
	LigneTvaTauxManuel           json.Number `json:"ligneTvaTauxManuel,omitempty"`
	LigneTvaMontantBaseHtParTaux json.Number `json:"ligneTvaMontantBaseHtParTaux"`
	LigneTvaMontantTvaParTaux    json.Number `json:"ligneTvaMontantTvaParTaux"`
}

// MontantTotal holds the totals of soumettre.
type MontantTotal struct {
	MontantHtTotal          json.Number `json:"montantHtTotal"`
	MontantTVA              json.Number `json:"montantTVA"`
	MontantTtcTotal         json.Number `json:"montantTtcTotal"`
	MontantRemiseGlobaleTTC json.Number `json:"montantRemiseGlobaleTTC,omitempty"`
	MotifRemiseGlobaleTTC   string      `json:"motifRemiseGlobaleTTC,omitempty"`
	MontantAPayer           json.Number `json:"montantAPayer"`
}

// PieceJointePrincipale references the uploaded invoice PDF.
type PieceJointePrincipale struct {
	PieceJointePrincipaleDesignation string `json:"pieceJointePrincipaleDesignation,omitempty"`
	PieceJointePrincipaleID          int64  `json:"pieceJointePrincipaleId"`
}

// PiecesJointesPrincipales is pieceJointePrincipale. The 2020 Swagger types
// it as one object; a later example and a working client send an array of
// one object (UNCONFIRMED which is current, chorus-pro.md §2.5). It is sent
// as an array and read from either form.
type PiecesJointesPrincipales []PieceJointePrincipale

// UnmarshalJSON accepts an array of objects, a single object, or null.
func (p *PiecesJointesPrincipales) UnmarshalJSON(data []byte) error {
	var many []PieceJointePrincipale
	if err := json.Unmarshal(data, &many); err == nil {
		*p = many
		return nil
	}
	var one PieceJointePrincipale
	if err := json.Unmarshal(data, &one); err != nil {
		return fmt.Errorf("pieceJointePrincipale: neither an object nor an array: %w", err)
	}
	*p = PiecesJointesPrincipales{one}
	return nil
}

// SoumettreRequest is the body of factures/v1/soumettre
// (SoumettreFactureParam; no field is marked required). Synchronous: the
// answer carries the invoice id and status. chorus-pro.md §2.5.
type SoumettreRequest struct {
	IDUtilisateurCourant      int64                       `json:"idUtilisateurCourant,omitempty"`
	ModeDepot                 ModeDepot                   `json:"modeDepot"`
	NumeroFactureSaisi        string                      `json:"numeroFactureSaisi"`
	DateFacture               string                      `json:"dateFacture,omitempty"`
	Destinataire              DestinataireFacture         `json:"destinataire"`
	Fournisseur               FournisseurFacture          `json:"fournisseur"`
	CadreDeFacturation        CadreDeFacturation          `json:"cadreDeFacturation"`
	References                ReferencesFacture           `json:"references"`
	LignePoste                []LignePoste                `json:"lignePoste,omitempty"`
	LigneTva                  []LigneTva                  `json:"ligneTva,omitempty"`
	MontantTotal              MontantTotal                `json:"montantTotal"`
	PieceJointePrincipale     PiecesJointesPrincipales    `json:"pieceJointePrincipale,omitempty"`
	PieceJointeComplementaire []PieceJointeComplementaire `json:"pieceJointeComplementaire,omitempty"`
	Commentaire               string                      `json:"commentaire,omitempty"`
}

// SoumettreResponse is the answer of soumettre (WsRetourSoumettreFacture).
type SoumettreResponse struct {
	Retour
	IdentifiantFactureCPP    int64         `json:"identifiantFactureCPP,omitempty"`
	NumeroFacture            string        `json:"numeroFacture,omitempty"`
	StatutFacture            StatutFacture `json:"statutFacture,omitempty"`
	DateDepot                string        `json:"dateDepot,omitempty"`
	IdentifiantStructure     string        `json:"identifiantStructure,omitempty"`
	EmpreinteCertificatDepot string        `json:"empreinteCertificatDepot,omitempty"`
}

// ---------------------------------------------------------------------------
// Health check. chorus-pro.md §2.9.

// HealthCheckResponse is the answer of GET transverses/v1/health-check.
// assumption: body is a string and statusCode a name such as "OK".
type HealthCheckResponse struct {
	Body            string `json:"body"`
	StatusCode      string `json:"statusCode"`
	StatusCodeValue int    `json:"statusCodeValue"`
}

// ---------------------------------------------------------------------------
// PISTE OAuth2. chorus-pro.md §1.2.

// GrantTypeClientCredentials is the only grant PISTE applications use.
const GrantTypeClientCredentials = "client_credentials"

// TokenResponse is the PISTE token endpoint's answer, e.g.
// {"access_token": "...", "token_type": "Bearer", "expires_in": 3600,
// "scope": "openid"} (OCA's recorded example [S2a]). chorus-pro.md §1.2.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// TokenError is an OAuth2 error answer of the token endpoint. Bad
// credentials give {"error":"invalid_client",...}, byte-identical for an
// unknown client id and a wrong secret ([FR1]); PISTE also answers it now
// and then for valid credentials (about 1 call in 10, [FR2]): retry it.
// chorus-pro.md §1.2, §4-5.
type TokenError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// TokenErrorInvalidClient is the OAuth2 error code of bad (or flakily
// refused) client credentials.
const TokenErrorInvalidClient = "invalid_client"

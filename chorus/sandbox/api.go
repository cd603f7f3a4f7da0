package sandbox

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/chorus"
)

// Business error codes the reference does not document: the sandbox uses
// them for refusals whose real code is in the unread « Annexe messages
// d'erreur » (chorus-pro.md §2.11). assumption: codes and wording. Only
// codeRetour ≠ 0 matters to a client: every such answer is a business
// error, reported with HTTP 200.
const (
	// CodeParametreInvalide: a missing or invalid parameter.
	CodeParametreInvalide = 20002
	// CodeIntrouvable: the structure, service, invoice or attachment does
	// not exist (or is not visible to the supplier).
	CodeIntrouvable = 20004
	// CodeActionImpossible: the action is not allowed in the invoice's
	// current status (completer outside SUSPENDUE, recycler outside
	// A_RECYCLER, traiterRejet outside REJETEE).
	CodeActionImpossible = 20005
	// CodeFactureRefusee: soumettre or recycler refused the invoice's data
	// (the same checks as a flow's listeErreurDP).
	CodeFactureRefusee = 20006
)

// Messages of listeErreurDP, listeErreurTechnique and refusals that tests
// match on. assumption: wording (except where a section is cited).
const (
	// MsgNumeroDejaDepose: chorus-pro.md §3.1 « Chorus refuse un n° déjà
	// déposé » [FR2]; the real label is unknown (§6 question 4).
	MsgNumeroDejaDepose = "Le numéro de facture %s a déjà été utilisé par le fournisseur pour une facture déposée"
	// MsgNumeroTropLong: BR-FR-CPRO-02, chorus-pro.md §3.1.
	MsgNumeroTropLong = "Le numéro de facture %s dépasse 20 caractères (BR-FR-CPRO-02)"
	// MsgFournisseurNonReference: modelled on the UBL label quoted in
	// chorus-pro.md §3.5 [S20].
	MsgFournisseurNonReference  = "L'identifiant fournisseur %s (balise %s) n'est pas référencé"
	MsgDestinataireAbsent       = "L'identifiant du destinataire est absent (BT-47)"
	MsgDestinataireInconnu      = "Le destinataire %s n'est pas référencé dans Chorus Pro"
	MsgCodeServiceObligatoire   = "Le code service est obligatoire pour le destinataire %s"
	MsgEngagementObligatoire    = "Le numéro d'engagement est obligatoire pour le destinataire %s"
	MsgCodeServiceOuEngagement  = "Le code service ou le numéro d'engagement est obligatoire pour le destinataire %s"
	MsgServiceInconnu           = "Le code service %s n'existe pas pour le destinataire %s"
	MsgServiceInactif           = "Le service %s du destinataire %s n'est pas actif"
	MsgServiceFacturesPubliques = "Le service FACTURES_PUBLIQUES ne peut pas être utilisé pour une facture de fournisseur"
	MsgEngagementService        = "Le numéro d'engagement est obligatoire pour le service %s"
	MsgEngagementTropLong       = "Le numéro d'engagement dépasse 50 caractères"
	MsgRejetSimule              = "Rejet du flux simulé par le bac à sable"
)

// maxLibelleErreurDP: libelleErreurDP is cut at about 200 characters
// (chorus-pro.md §2.4, field report [FR1]).
const maxLibelleErreurDP = 200

func cproRoutes() map[string]route {
	post := func(h func(*Server, []byte) (int, any)) route { return route{http.MethodPost, h} }
	return map[string]route{
		chorus.PathRechercherStructure:          post((*Server).rechercherStructure),
		chorus.PathConsulterStructure:           post((*Server).consulterStructure),
		chorus.PathRechercherServices:           post((*Server).rechercherServices),
		chorus.PathConsulterService:             post((*Server).consulterService),
		chorus.PathStructuresActivesFournisseur: post((*Server).structuresActives),
		chorus.PathCoordBancValides:             post((*Server).coordBancValides),
		chorus.PathDeposerFlux:                  post((*Server).deposerFlux),
		chorus.PathConsulterCRDetaille:          post((*Server).consulterCRDetaille),
		chorus.PathRechercherFactureFournisseur: post((*Server).rechercherFactureFournisseur),
		chorus.PathConsulterHistorique:          post((*Server).consulterHistorique),
		chorus.PathRecycler:                     post((*Server).recycler),
		chorus.PathCompleter:                    post((*Server).completer),
		chorus.PathTraiterRejet:                 post((*Server).traiterRejet),
		chorus.PathAjouterFichier:               post((*Server).ajouterFichier),
		chorus.PathSoumettre:                    post((*Server).soumettre),
		// chorus-pro.md §2.9: the only GET.
		chorus.PathHealthCheck: {http.MethodGet, (*Server).healthCheck},
	}
}

func retour(code int, format string, args ...any) chorus.Retour {
	return chorus.Retour{CodeRetour: code, Libelle: fmt.Sprintf(format, args...)}
}

func aucunResultat() chorus.Retour {
	// chorus-pro.md §2.11 [S6a]: a search with no result.
	return chorus.Retour{CodeRetour: chorus.CodeRetourAucunResultat, Libelle: chorus.LibelleAucunResultat}
}

// aucunResultatStructures is the "no result" of the structure and service
// searches: 20000, or 20007 with the no-result-codes quirk. The caller
// holds s.mu.
func (s *Server) aucunResultatStructures() chorus.Retour {
	if s.st.quirks.NoResultCodes {
		return chorus.Retour{CodeRetour: CodeRechercheVide, Libelle: LibelleRechercheVide}
	}
	return aucunResultat()
}

// paginate computes the page [from, to) of total results.
// chorus-pro.md §2: default page size 10, pageResultatDemandee from 1,
// results in parametresRetour. assumption: a page beyond the last is empty,
// and pages is 0 when there is no result.
func paginate(total int, p *chorus.Pagination) (from, to int, pr chorus.ParametresRetour) {
	size, page, limit := pageRequest(p)
	if limit > 0 && total > limit {
		total = limit
	}
	pages := (total + size - 1) / size
	from = min((page-1)*size, total)
	to = min(from+size, total)
	return from, to, chorus.ParametresRetour{PageCourante: page, Pages: pages, NbResultatsParPage: size, Total: total}
}

// pageRequest reads the page size, the page (from 1) and nbResultatsMaximum
// (0: none) of a request, with paginate's defaults.
func pageRequest(p *chorus.Pagination) (size, page, limit int) {
	size, page = chorus.DefaultNbResultatsParPage, 1
	if p != nil {
		if p.NbResultatsParPage > 0 {
			size = p.NbResultatsParPage
		}
		if p.PageResultatDemandee > 0 {
			page = p.PageResultatDemandee
		}
		limit = max(p.NbResultatsMaximum, 0)
	}
	return size, page, limit
}

func descending(p *chorus.Pagination) bool { return p != nil && p.TriSens == chorus.TriDescendant }

// ---------------------------------------------------------------------------
// Structures. chorus-pro.md §2.2.

// supplierBuyer is the supplier's own structure, found by a structure
// search like any public structure (a syndicat mixte is public).
func (s *Server) supplierBuyer() Buyer {
	return Buyer{SIRET: s.cfg.Supplier.SIRET, ID: s.cfg.Supplier.ID, Name: s.cfg.Supplier.Name}
}

func (s *Server) rechercherStructure(body []byte) (int, any) {
	var req chorus.RechercherStructureRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	c := req.Structure
	var found []Buyer
	s.mu.Lock()
	switch {
	case c.IdentifiantStructure != "":
		// assumption: the only identifier type the sandbox knows is SIRET.
		if c.TypeIdentifiantStructure == "" || c.TypeIdentifiantStructure == chorus.TypeIdentifiantSIRET {
			if b, ok := s.st.buyers[c.IdentifiantStructure]; ok {
				found = append(found, *b)
			} else if c.IdentifiantStructure == s.cfg.Supplier.SIRET {
				found = append(found, s.supplierBuyer())
			}
		}
	case c.RaisonSocialeStructure != "":
		// assumption: a case-insensitive substring match on the name.
		want := strings.ToLower(c.RaisonSocialeStructure)
		for _, b := range s.st.buyers {
			if strings.Contains(strings.ToLower(b.Name), want) {
				found = append(found, *b)
			}
		}
		if strings.Contains(strings.ToLower(s.cfg.Supplier.Name), want) {
			found = append(found, s.supplierBuyer())
		}
	default:
		// assumption: a search without criteria is refused.
		s.mu.Unlock()
		return http.StatusOK, chorus.RechercherStructureResponse{Retour: retour(CodeParametreInvalide,
			"Au moins un critère de recherche est obligatoire (identifiantStructure ou raisonSocialeStructure)")}
	}
	aucun := s.aucunResultatStructures()
	s.mu.Unlock()
	// All the sandbox's structures are public, so restreindreStructuresPrivees
	// changes nothing (chorus-pro.md §2.2: public structures are always
	// returned).
	if len(found) == 0 {
		return http.StatusOK, chorus.RechercherStructureResponse{Retour: aucun, ListeStructures: []chorus.StructureTrouvee{}}
	}
	slices.SortFunc(found, func(a, b Buyer) int { return cmp.Compare(a.ID, b.ID) })
	from, to, pr := paginate(len(found), req.Parametres)
	out := make([]chorus.StructureTrouvee, 0, to-from)
	for _, b := range found[from:to] {
		out = append(out, chorus.StructureTrouvee{
			IDStructureCPP: b.ID, IdentifiantStructure: b.SIRET, DesignationStructure: b.Name,
			TypeIdentifiantStructure: chorus.TypeIdentifiantSIRET,
			Statut:                   "ACTIF", // assumption: the value of an active structure
		})
	}
	return http.StatusOK, chorus.RechercherStructureResponse{Retour: chorus.RetourOK(), ListeStructures: out, ParametresRetour: &pr}
}

func (s *Server) consulterStructure(body []byte) (int, any) {
	var req chorus.ConsulterStructureRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	if req.IDStructureCPP == s.cfg.Supplier.ID {
		info := chorus.InformationGeneralesStructure{
			IDStructureCPP: s.cfg.Supplier.ID, IdentifiantStructure: s.cfg.Supplier.SIRET,
			TypeIdentifiantStructure: chorus.TypeIdentifiantSIRET, RaisonSocialeStructure: s.cfg.Supplier.Name,
			StructurePriveePublique: "PUBLIQUE", // assumption: the value's spelling
		}
		if !s.cfg.TechPasswordExpires.IsZero() {
			// chorus-pro.md §1.5: the password expiry of the technical account.
			info.DateExpirationMotPasseCompteTech = s.cfg.TechPasswordExpires.In(s.paris).Format(formatTimestamp)
		}
		return http.StatusOK, chorus.ConsulterStructureResponse{Retour: chorus.RetourOK(), InformationGenerales: info}
	}
	s.mu.Lock()
	b, ok := s.st.buyersByID[req.IDStructureCPP]
	var c Buyer
	if ok {
		c = b.clone()
	}
	s.mu.Unlock()
	if !ok {
		// assumption: code and wording (see CodeIntrouvable).
		return http.StatusOK, chorus.ConsulterStructureResponse{Retour: retour(CodeIntrouvable, "Structure %d introuvable", req.IDStructureCPP)}
	}
	addr := c.Address
	return http.StatusOK, chorus.ConsulterStructureResponse{
		Retour:     chorus.RetourOK(),
		Parametres: c.Parametres,
		InformationGenerales: chorus.InformationGeneralesStructure{
			IDStructureCPP: c.ID, IdentifiantStructure: c.SIRET, TypeIdentifiantStructure: chorus.TypeIdentifiantSIRET,
			RaisonSocialeStructure: c.Name, LibelleStructure: c.Name, StructurePriveePublique: "PUBLIQUE",
		},
		AdressePostaleDuSiege: &addr,
	}
}

func (s *Server) rechercherServices(body []byte) (int, any) {
	var req chorus.RechercherServicesRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	b, ok := s.st.buyersByID[req.IDStructure]
	var services []Service
	if ok {
		services = slices.Clone(b.Services)
	}
	aucun := s.aucunResultatStructures()
	s.mu.Unlock()
	if !ok {
		// assumption: the supplier has no service here; an unknown
		// structure is CodeIntrouvable.
		if req.IDStructure == s.cfg.Supplier.ID {
			return http.StatusOK, chorus.RechercherServicesResponse{Retour: aucun, ListeServices: []chorus.ServiceStructure{}}
		}
		return http.StatusOK, chorus.RechercherServicesResponse{Retour: retour(CodeIntrouvable, "Structure %d introuvable", req.IDStructure)}
	}
	if len(services) == 0 {
		return http.StatusOK, chorus.RechercherServicesResponse{Retour: aucun, ListeServices: []chorus.ServiceStructure{}}
	}
	p := req.ParametresRechercherServicesStructure
	// assumption: triColonne CodeService sorts by code, anything else by id.
	if p != nil && strings.EqualFold(p.TriColonne, "CodeService") {
		slices.SortFunc(services, func(a, b Service) int { return strings.Compare(a.Code, b.Code) })
	} else {
		slices.SortFunc(services, func(a, b Service) int { return cmp.Compare(a.ID, b.ID) })
	}
	if descending(p) {
		slices.Reverse(services)
	}
	from, to, pr := paginate(len(services), p)
	out := make([]chorus.ServiceStructure, 0, to-from)
	for _, sv := range services[from:to] {
		out = append(out, chorus.ServiceStructure{
			IDService: sv.ID, CodeService: sv.Code, LibelleService: sv.Name, EstActif: sv.Active,
			DateDbtService: sv.Start, DateFinService: sv.End,
		})
	}
	return http.StatusOK, chorus.RechercherServicesResponse{Retour: chorus.RetourOK(), ListeServices: out, ParametresRetour: &pr}
}

func (s *Server) consulterService(body []byte) (int, any) {
	var req chorus.ConsulterServiceRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	var sv *Service
	var paysNotReported bool
	if b, ok := s.st.buyersByID[req.IDStructure]; ok {
		for i := range b.Services {
			if b.Services[i].ID == req.IDService {
				c := b.Services[i]
				sv = &c
			}
		}
		paysNotReported = b.Parametres.StatutMiseEnPaiementNestPasRemonte
	}
	s.mu.Unlock()
	if sv == nil {
		return http.StatusOK, chorus.ConsulterServiceResponse{Retour: retour(CodeIntrouvable, "Service %d de la structure %d introuvable", req.IDService, req.IDStructure)}
	}
	return http.StatusOK, chorus.ConsulterServiceResponse{
		Retour:                chorus.RetourOK(),
		InformationsGenerales: chorus.InformationsGeneralesService{CodeService: sv.Code, NomService: sv.Name},
		Parametres: chorus.ParametresService{
			NumeroEngagement: sv.EngagementRequired,
			// assumption: miseEnPaiement mirrors the structure's
			// statutMiseEnPaiementNestPasRemonte.
			MiseEnPaiement:    !paysNotReported,
			DateDebutValidite: sv.Start, DateFinValidite: sv.End,
		},
	}
}

// ---------------------------------------------------------------------------
// The supplier's own identifiers. chorus-pro.md §2.1.

func (s *Server) structuresActives(body []byte) (int, any) {
	var req chorus.StructuresActivesFournisseurRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	return http.StatusOK, chorus.StructuresActivesFournisseurResponse{
		Retour: chorus.RetourOK(),
		ListeStructures: []chorus.StructureActive{{
			IDStructureCPP: s.cfg.Supplier.ID, DesignationStructure: s.cfg.Supplier.Name, Identifiant: s.cfg.Supplier.SIRET,
		}},
	}
}

func (s *Server) coordBancValides(body []byte) (int, any) {
	var req chorus.CoordBancValidesRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	if req.IDStructure != s.cfg.Supplier.ID {
		// assumption: another structure's accounts are not visible.
		return http.StatusOK, chorus.CoordBancValidesResponse{Retour: aucunResultat(), ListeCoordonneeBancaire: []chorus.CoordonneeBancaire{}}
	}
	out := make([]chorus.CoordonneeBancaire, 0, len(s.cfg.Supplier.BankAccounts))
	for _, a := range s.cfg.Supplier.BankAccounts {
		out = append(out, chorus.CoordonneeBancaire{IDCoordonneeBancaire: a.ID, NomCoordonneeBancaire: a.Name})
	}
	return http.StatusOK, chorus.CoordBancValidesResponse{Retour: chorus.RetourOK(), ListeCoordonneeBancaire: out}
}

// ---------------------------------------------------------------------------
// Routing checks shared by deposits, soumettre and recycler.
// chorus-pro.md §2.2 (OCA's decision logic), §3.4.

// checkRouting checks that the buyer is on Chorus Pro and that the code
// service and engagement meet its requirements. It returns the buyer and
// service found (nil when absent) and the refusals.
func (st *state) checkRouting(buyerID, codeService, engagement string) (*Buyer, *Service, []string) {
	var msgs []string
	if buyerID == "" {
		return nil, nil, []string{MsgDestinataireAbsent}
	}
	b, ok := st.buyers[buyerID]
	if !ok {
		return nil, nil, []string{fmt.Sprintf(MsgDestinataireInconnu, buyerID)}
	}
	var sv *Service
	if codeService != "" {
		for i := range b.Services {
			if b.Services[i].Code == codeService {
				sv = &b.Services[i]
			}
		}
		switch {
		case codeService == chorus.CodeServiceFacturesPubliques:
			// chorus-pro.md §2.2, §3.4: never FACTURES_PUBLIQUES; OCA says
			// a flow using it is rejected.
			msgs = append(msgs, MsgServiceFacturesPubliques)
		case sv == nil:
			// chorus-pro.md §3.4: the service must exist…
			msgs = append(msgs, fmt.Sprintf(MsgServiceInconnu, codeService, b.SIRET))
		case !sv.Active:
			// … and be active.
			msgs = append(msgs, fmt.Sprintf(MsgServiceInactif, codeService, b.SIRET))
		case sv.EngagementRequired && engagement == "":
			// chorus-pro.md §2.2, §3.4: the service's numeroEngagement.
			msgs = append(msgs, fmt.Sprintf(MsgEngagementService, codeService))
		}
	}
	if ex := b.Parametres.Exigence(); !ex.Satisfaite(codeService, engagement) {
		switch ex {
		case chorus.ExigenceCodeService:
			msgs = append(msgs, fmt.Sprintf(MsgCodeServiceObligatoire, b.SIRET))
		case chorus.ExigenceEngagement:
			msgs = append(msgs, fmt.Sprintf(MsgEngagementObligatoire, b.SIRET))
		case chorus.ExigenceCodeServiceEtEngagement:
			if codeService == "" {
				msgs = append(msgs, fmt.Sprintf(MsgCodeServiceObligatoire, b.SIRET))
			}
			if engagement == "" {
				msgs = append(msgs, fmt.Sprintf(MsgEngagementObligatoire, b.SIRET))
			}
		case chorus.ExigenceCodeServiceOuEngagement:
			msgs = append(msgs, fmt.Sprintf(MsgCodeServiceOuEngagement, b.SIRET))
		}
	}
	// chorus-pro.md §3.3, §3.4: an EJ is at most 50 characters.
	if utf8.RuneCountInString(engagement) > chorus.MaxLongueurReference {
		msgs = append(msgs, MsgEngagementTropLong)
	}
	if sv != nil && (codeService == chorus.CodeServiceFacturesPubliques || !sv.Active) {
		sv = nil
	}
	return b, sv, msgs
}

// checkNumber checks the invoice number's length and that the supplier
// never deposited it (dup). chorus-pro.md §3.1; the duplicate's wording is
// MsgNumeroNonUnique with the duplicate-by-code quirk.
func (st *state) checkNumber(number string) (msgs []string, dup bool) {
	// assumption: the duplicate scope is the supplier structure, for all
	// time (chorus-pro.md §3.1 says to assume so). A number whose flow was
	// rejected was never a Chorus Pro invoice and may be deposited again.
	if _, dup = st.numbers[number]; dup {
		msg := MsgNumeroDejaDepose
		if st.quirks.duplicateByCode() {
			msg = MsgNumeroNonUnique
		}
		msgs = append(msgs, fmt.Sprintf(msg, number))
	}
	if utf8.RuneCountInString(number) > chorus.MaxLongueurNumeroFacture {
		msgs = append(msgs, fmt.Sprintf(MsgNumeroTropLong, number))
	}
	return msgs, dup
}

func joinErrors(msgs []string) string {
	s := strings.Join(msgs, " | ")
	if utf8.RuneCountInString(s) <= maxLibelleErreurDP {
		return s
	}
	r := []rune(s)
	return string(r[:maxLibelleErreurDP])
}

// ---------------------------------------------------------------------------
// Flow deposit. chorus-pro.md §2.3.

// deposerFluxParam mirrors chorus.DeposerFluxRequest with fichierFlux as
// text, so that bad base64 is a business refusal, not a 400.
type deposerFluxParam struct {
	FichierFlux   string             `json:"fichierFlux"`
	NomFichier    string             `json:"nomFichier"`
	SyntaxeFlux   chorus.SyntaxeFlux `json:"syntaxeFlux"`
	AvecSignature bool               `json:"avecSignature"`
}

// interfaceCodes gives the digits of numeroFluxDepot after "CPP00": the AIFE
// flow code (CPP0011117… for Factur-X, chorus-pro.md §2.3 [FR1]).
// assumption: the other syntaxes follow the same pattern.
var interfaceCodes = map[chorus.SyntaxeFlux]string{
	chorus.SyntaxeUBLInvoice: "11100",
	chorus.SyntaxeCII16B:     "11106",
	chorus.SyntaxeCII:        "11106",
	chorus.SyntaxeFacturX:    "11117",
}

const firstFlowSeq = 500_000

func (s *Server) deposerFlux(body []byte) (int, any) {
	var req deposerFluxParam
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	refuse := func(code int, format string, args ...any) (int, any) {
		return http.StatusOK, chorus.DeposerFluxResponse{Retour: retour(code, format, args...)}
	}
	// Synchronous refusals (codeRetour ≠ 0, no flow).
	// chorus-pro.md §2.3: syntaxeFlux is checked against the official enum.
	// assumption: the code and wording of that refusal.
	if !req.SyntaxeFlux.Valid() {
		return refuse(CodeParametreInvalide, "La syntaxe de flux %q n'est pas reconnue", req.SyntaxeFlux)
	}
	code, supported := interfaceCodes[req.SyntaxeFlux]
	if !supported {
		// assumption: a limitation of the sandbox, not of Chorus Pro.
		return refuse(CodeParametreInvalide, "La syntaxe de flux %s n'est pas prise en charge par le bac à sable (UBL, CII 16B, Factur-X seulement)", req.SyntaxeFlux)
	}
	if strings.TrimSpace(req.NomFichier) == "" {
		return refuse(CodeParametreInvalide, "Le nom du fichier (nomFichier) est obligatoire")
	}
	if req.FichierFlux == "" {
		return refuse(CodeParametreInvalide, "Le fichier (fichierFlux) est obligatoire")
	}
	data, err := base64.StdEncoding.DecodeString(req.FichierFlux)
	if err != nil {
		return refuse(CodeParametreInvalide, "Le fichier (fichierFlux) n'est pas encodé en base 64")
	}
	// chorus-pro.md §2.3, §3.3: 10 MB per file, error 20001 GDP_MSG_11.022.
	if len(data) > chorus.MaxTailleFichierFlux {
		return refuse(chorus.CodeRetourErreur20001, chorus.LibelleFichierTropGros)
	}
	sum := sha256.Sum256(data)
	f := &flow{nomFichier: req.NomFichier, syntaxe: req.SyntaxeFlux, size: len(data), sha256: hex.EncodeToString(sum[:])}
	// Parse outside the lock: it is the expensive part.
	doc, tech := readFlowFile(req.SyntaxeFlux, data)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	fate := s.drawDepositFate()
	if fate == QuirkDeposit4xx {
		// The deposit-4xx quirk: refused before anything is applied.
		s.faultCount.deposit4xx.Add(1)
		return http.StatusBadRequest, chorus.Retour{CodeRetour: CodeParametreInvalide, Libelle: LibelleRequeteInvalide}
	}
	if _, dup := s.st.numbers[doc.Number]; dup && tech == nil && s.st.quirks.DuplicateSync {
		// The duplicate-by-code quirk's synchronous mode: no flow.
		return refuse(codeRetourDoublon, MsgNumeroNonUnique, doc.Number)
	}
	s.st.flowSeq++
	f.numero = fmt.Sprintf("CPP00%s%015d", code, firstFlowSeq+s.st.flowSeq)
	f.depositedAt, f.receivedAt = now, time.Now()
	f.doc = doc
	s.decideFlow(f, tech)
	s.st.flows = append(s.st.flows, f)
	s.st.flowsByNum[f.numero] = f
	if fate == QuirkCodeRetourApplied {
		// The coderetour-applied quirk: applied, but answered as an error.
		f.quirk = strings.Join(slices.DeleteFunc([]string{QuirkCodeRetourApplied, f.quirk}, func(q string) bool { return q == "" }), ",")
		return refuse(CodeErreurTechnique, "%s", LibelleErreurTechnique)
	}
	return http.StatusOK, chorus.DeposerFluxResponse{
		Retour: chorus.RetourOK(), NumeroFluxDepot: f.numero,
		DateDepot: now.In(s.paris).Format(formatDate), SyntaxeFlux: f.syntaxe,
	}
}

// readFlowFile extracts and parses the invoice of a flow file. A file that
// cannot be read makes the flow unacceptable: IN_REJETE with
// listeErreurTechnique (chorus-pro.md §2.4: irrecevabilité, e.g.
// ERR_XSD_001 « IRRECEVABILITE: … »). assumption: the codes other than
// ERR_XSD_001 and the natureErreur value.
func readFlowFile(syntaxe chorus.SyntaxeFlux, data []byte) (document, *chorus.ErreurTechnique) {
	irrecevable := func(code, format string, args ...any) (document, *chorus.ErreurTechnique) {
		return document{}, &chorus.ErreurTechnique{CodeErreur: code, NatureErreur: "IRRECEVABILITE",
			LibelleErreur: "IRRECEVABILITE: " + fmt.Sprintf(format, args...)}
	}
	xmlData := data
	if syntaxe == chorus.SyntaxeFacturX {
		var err error
		if xmlData, err = extractFacturX(data); err != nil {
			return irrecevable("ERR_PDF_001", "%v", err)
		}
	}
	doc, err := parseInvoiceXML(xmlData)
	if err != nil {
		return irrecevable("ERR_XSD_001", "%v", err)
	}
	want := syntaxCII
	if syntaxe == chorus.SyntaxeUBLInvoice {
		want = syntaxUBL
	}
	if doc.Syntax != want {
		return irrecevable("ERR_XSD_001", "le fichier est une facture %s alors que la syntaxe déclarée est %s", doc.Syntax, syntaxe)
	}
	if doc.Number == "" {
		// The invoice number (BT-1) is mandatory in both schemas.
		return irrecevable("ERR_XSD_001", "le numéro de facture (BT-1) est absent")
	}
	return doc, nil
}

// decideFlow decides a flow's final state when it is deposited (caller
// holds the lock). The checks are those chorus-pro.md lists that the
// sandbox can reproduce; Chorus Pro reports invoice-level errors
// asynchronously in listeErreurDP of an IN_REJETE flow (§2.4, §4-7), not in
// the deposit's answer.
func (s *Server) decideFlow(f *flow, tech *chorus.ErreurTechnique) {
	if tech != nil {
		f.final = chorus.EtatFluxRejete
		f.erreursTech = []chorus.ErreurTechnique{*tech}
		return
	}
	doc := f.doc
	msgs, dup := s.st.checkNumber(doc.Number)
	if doc.SellerID != s.cfg.Supplier.SIRET {
		balise := "SellerTradeParty.SpecifiedLegalOrganization.ID.value" // assumption for CII
		if doc.Syntax == syntaxUBL {
			balise = "AccountingSupplierParty.Party.PartyIdentification.ID.value" // [S20]
		}
		msgs = append(msgs, fmt.Sprintf(MsgFournisseurNonReference, doc.SellerID, balise))
	}
	buyer, service, routing := s.st.checkRouting(doc.BuyerID, doc.BuyerReference, doc.OrderReference)
	msgs = append(msgs, routing...)
	rejectDP := func(msgs []string) {
		f.final = chorus.EtatFluxRejete
		f.erreursDP = []chorus.ErreurDP{{
			NumeroDP: doc.Number, IdentifiantFournisseur: doc.SellerID, IdentifiantDestinataire: doc.BuyerID,
			LibelleErreurDP: joinErrors(msgs),
		}}
	}
	if len(msgs) > 0 {
		rejectDP(msgs)
		if dup && s.st.quirks.duplicateByCode() {
			f.quirk = QuirkDuplicateByCode
			f.erreursTech = []chorus.ErreurTechnique{{CodeErreur: codeErreurDoublon, NatureErreur: natureErreurRejet,
				LibelleErreur: fmt.Sprintf(MsgNumeroNonUnique, doc.Number)}}
		}
		return
	}
	// Test hook (assumption, see Behaviour.FlowOutcome).
	if out := buyer.Behaviour.FlowOutcome; out != "" && out != chorus.EtatFluxIntegre {
		if out == chorus.EtatFluxRejete {
			rejectDP([]string{MsgRejetSimule})
			return
		}
		f.final = out
		return
	}
	// The flow quirks (lost-invoice, flow-a-relancer, flow-erreur-interne):
	// no invoice, so the number stays free.
	if quirk, out := s.drawFlowFate(); quirk != "" {
		f.quirk, f.final = quirk, out
		return
	}
	f.final = chorus.EtatFluxIntegre
	inv := &invoice{
		number: doc.Number, flowNumber: f.numero, modeDepot: chorus.ModeDepotUploadAPI,
		typeFacture: chorus.TypeFactureFacture, buyer: buyer, service: service,
		engagement: doc.OrderReference, contract: doc.ContractReference, dateFacture: doc.IssueDate,
		currency: doc.Currency, ht: doc.TotalHT, ttc: doc.TotalTTC, aPayer: doc.DuePayable,
		depositedAt: f.depositedAt, visibleAt: f.depositedAt.Add(s.cfg.FlowIntegrationDelay),
	}
	if doc.CreditNote {
		inv.typeFacture = chorus.TypeFactureAvoir
	}
	s.integrate(s.st, inv)
	f.invoice = inv
}

// ---------------------------------------------------------------------------
// Flow report. chorus-pro.md §2.4.

func (s *Server) consulterCRDetaille(body []byte) (int, any) {
	var req chorus.ConsulterCRDetailleRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.st.flowsByNum[req.NumeroFluxDepot]
	if !ok {
		// chorus-pro.md §2.4 [S20].
		return http.StatusOK, chorus.ConsulterCRDetailleResponse{Retour: chorus.Retour{
			CodeRetour: chorus.CodeRetourErreur20001, Libelle: chorus.LibelleFluxIntrouvable}}
	}
	now := s.nowLocked()
	etat, since := s.flowStateAt(f, now)
	resp := chorus.ConsulterCRDetailleResponse{
		Retour: chorus.RetourOK(), NomFichier: f.nomFichier,
		DateDepotFlux:            f.depositedAt.In(s.paris).Format(formatTimestamp),
		CodeInterfaceDepotFlux:   f.syntaxe.CodeInterface(),
		EtatCourantDepotFlux:     etat,
		DateHeureEtatCourantFlux: since.In(s.paris).Format(formatTimestamp),
	}
	if etat == f.final {
		resp.ListeErreurDP = f.erreursDP
		resp.ListeErreurTechnique = f.erreursTech
	}
	return http.StatusOK, resp
}

// ---------------------------------------------------------------------------
// Invoice search and history. chorus-pro.md §2.6.

func (s *Server) rechercherFactureFournisseur(body []byte) (int, any) {
	var req chorus.RechercherFactureParFournisseurRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	flt := s.newInvoiceFilter(&req)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	candidates := s.st.invoices
	switch {
	case req.NumeroFluxDepot != "":
		candidates = nil
		if f, ok := s.st.flowsByNum[req.NumeroFluxDepot]; ok && f.invoice != nil {
			candidates = []*invoice{f.invoice}
		}
	case req.NumeroFacture != "":
		candidates = nil
		if inv, ok := s.st.numbers[req.NumeroFacture]; ok {
			candidates = []*invoice{inv}
		}
	}
	// assumption: results in identifiantFactureCPP order (st.invoices is
	// in that order), so that paging is stable; triSens reverses it,
	// triColonne is ignored.
	p := req.RechercheFactureParFournisseur
	var found []*invoice
	if len(candidates) <= 1 {
		found, _ = s.scanInvoices(candidates, flt, now, descending(p))
	} else {
		found = s.searchAll(&req, flt, now)
	}
	if len(found) == 0 {
		if s.st.quirks.NoResultCodes {
			// The no-result-codes quirk: no listeFactures at all.
			return http.StatusOK, struct{ chorus.Retour }{aucunResultat()}
		}
		return http.StatusOK, chorus.RechercherFactureParFournisseurResponse{Retour: aucunResultat(), ListeFactures: []chorus.FactureFournisseur{}}
	}
	from, to, pr := paginate(len(found), p)
	out := make([]chorus.FactureFournisseur, 0, to-from)
	for _, inv := range found[from:to] {
		// Already advanced to now by the scan (or nothing was due since).
		out = append(out, s.factureFournisseur(inv, s.st.current(inv, now)))
	}
	return http.StatusOK, chorus.RechercherFactureParFournisseurResponse{Retour: chorus.RetourOK(), ListeFactures: out, ParametresRetour: &pr}
}

// scanInvoices advances each candidate to now, then filters it on its
// current status, and returns the matches, reversed when desc. It also
// returns when the result may next change by itself: the first instant an
// invisible candidate becomes visible or a scripted step falls due (zero:
// never). The caller holds s.mu.
func (s *Server) scanInvoices(candidates []*invoice, flt *invoiceFilter, now time.Time, desc bool) (found []*invoice, until time.Time) {
	lag := time.Duration(s.st.quirks.SearchLag)
	found = make([]*invoice, 0, len(candidates))
	soonest := func(t time.Time) {
		if until.IsZero() || t.Before(until) {
			until = t
		}
	}
	for i := range candidates {
		inv := candidates[i]
		if desc {
			inv = candidates[len(candidates)-1-i]
		}
		// The search-lag quirk: found only lag after it became an invoice.
		if vis := inv.visibleAt.Add(lag); now.Before(vis) {
			soonest(vis)
			if !now.Before(inv.visibleAt) && flt.match(inv, s.st.current(inv, now)) {
				s.faultCount.hiddenByLag(inv.id) // an invoice already, that the search missed
			}
			continue // its flow is not integrated yet
		}
		cur := s.st.current(inv, now)
		if due, ok := inv.nextDue(); ok {
			soonest(due)
		}
		if flt.match(inv, cur) {
			found = append(found, inv)
		}
	}
	return found, until
}

// searchCache is the result of the last search through all the supplier's
// invoices. The next pages of the same search reuse it while nothing can
// have changed it: no invoice changed (st.histoSeq: every change to an
// invoice records a status or an action) and no invoice became visible or
// had a scripted step fall due (until). A sweep of n invoices in pages of
// k then scans them once instead of n/k times (BenchmarkSweep).
type searchCache struct {
	key       string
	lag       Duration // the search-lag quirk's, which decides visibility
	histoSeq  int64
	at, until time.Time
	found     []*invoice
}

// searchAll runs a search through all the supplier's invoices, or reuses
// the previous one's result (see searchCache). The caller holds s.mu.
func (s *Server) searchAll(req *chorus.RechercherFactureParFournisseurRequest, flt *invoiceFilter, now time.Time) []*invoice {
	key := searchKey(req)
	if c := s.st.search; c != nil && c.key == key && c.lag == s.st.quirks.SearchLag && c.histoSeq == s.st.histoSeq &&
		!now.Before(c.at) && (c.until.IsZero() || now.Before(c.until)) {
		return c.found
	}
	found, until := s.scanInvoices(s.st.invoices, flt, now, descending(req.RechercheFactureParFournisseur))
	// The scan's own advances are part of the state the result reflects.
	s.st.search = &searchCache{key: key, lag: s.st.quirks.SearchLag, histoSeq: s.st.histoSeq, at: now, until: until, found: found}
	return found
}

// searchKey identifies a search by everything but its page: its filters and
// sort.
func searchKey(req *chorus.RechercherFactureParFournisseurRequest) string {
	r := *req
	if p := r.RechercheFactureParFournisseur; p != nil {
		r.RechercheFactureParFournisseur = &chorus.Pagination{TriColonne: p.TriColonne, TriSens: p.TriSens}
	}
	b, _ := json.Marshal(r) // a request that was decoded always encodes
	return string(b)
}

// invoiceFilter is a supplier invoice search's filters, parsed once per
// call. The filters the sandbox does not support are ignored
// (assumption).
type invoiceFilter struct {
	req *chorus.RechercherFactureParFournisseurRequest
	// The periods' bounds; zero when absent (or unreadable: assumption,
	// ignored like an unsupported filter).
	depotDu, depotAu, etatDu, etatAu time.Time
	factureDu, factureAu             string
	otherSupplier                    bool
}

func (s *Server) newInvoiceFilter(req *chorus.RechercherFactureParFournisseurRequest) *invoiceFilter {
	f := &invoiceFilter{req: req, otherSupplier: req.IDFournisseur != 0 && req.IDFournisseur != s.cfg.Supplier.ID}
	f.depotDu, _ = parseBound(req.PeriodeDateDepotDu, s.paris, false)
	f.depotAu, _ = parseBound(req.PeriodeDateDepotAu, s.paris, true)
	f.etatDu, _ = parseBound(req.PeriodeDateHeureEtatCourantDu, s.paris, false)
	f.etatAu, _ = parseBound(req.PeriodeDateHeureEtatCourantAu, s.paris, true)
	f.factureDu = req.PeriodeDateFactureDu[:min(10, len(req.PeriodeDateFactureDu))]
	f.factureAu = req.PeriodeDateFactureAu[:min(10, len(req.PeriodeDateFactureAu))]
	return f
}

// match reports whether the invoice, whose current status is cur, passes
// the filters.
func (f *invoiceFilter) match(inv *invoice, cur histo) bool {
	req := f.req
	switch {
	case f.otherSupplier,
		req.NumeroFacture != "" && inv.number != req.NumeroFacture,
		req.NumeroFluxDepot != "" && inv.flowNumber != req.NumeroFluxDepot,
		req.TypeFacture != "" && inv.typeFacture != req.TypeFacture,
		req.ModeDepot != "" && inv.modeDepot != req.ModeDepot,
		req.NumeroBonCommande != "" && inv.engagement != req.NumeroBonCommande,
		req.NumeroMarche != "" && inv.contract != req.NumeroMarche,
		len(req.StatutCourant) > 0 && !slices.Contains(req.StatutCourant, cur.status),
		req.RejetTraite != nil && inv.rejetTraite != *req.RejetTraite:
		return false
	}
	if len(req.ListeDestinataire) > 0 && !slices.ContainsFunc(req.ListeDestinataire, func(d chorus.DestinataireRecherche) bool {
		return d.IDDestinataire == 0 || d.IDDestinataire == inv.buyer.ID
	}) {
		return false
	}
	if !inRange(inv.depositedAt, f.depotDu, f.depotAu) || !inRange(cur.at, f.etatDu, f.etatAu) {
		return false
	}
	if f.factureDu != "" && inv.dateFacture < f.factureDu || f.factureAu != "" && inv.dateFacture > f.factureAu {
		return false
	}
	return true
}

// inRange reports whether t is within [from, to]; a zero bound is none.
func inRange(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to))
}

// parseBound reads a period bound: a date (YYYY-MM-DD, the whole day
// included: end selects its last instant) or a timestamp, in Paris time
// unless it has an offset. It returns false for an empty or unreadable
// value.
func parseBound(v string, loc *time.Location, end bool) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			if layout == time.DateOnly && end {
				t = t.Add(24*time.Hour - time.Nanosecond)
			}
			return t, true
		}
	}
	return time.Time{}, false
}

// factureFournisseur is an invoice as a search returns it, with cur its
// current status (the one the filters saw).
func (s *Server) factureFournisseur(inv *invoice, cur histo) chorus.FactureFournisseur {
	out := chorus.FactureFournisseur{
		IdentifiantFactureCPP: inv.id, NumeroFacture: inv.number, NumeroFluxDepot: inv.flowNumber,
		ModeDepot: inv.modeDepot, TypeFacture: inv.typeFacture, TypeDemandePaiement: "FACTURE",
		CodeDestinataire: inv.buyer.SIRET, IDDestinataire: inv.buyer.ID, DesignationDestinataire: inv.buyer.Name,
		CodeFournisseur: s.cfg.Supplier.SIRET, Statut: cur.status,
		DateHeureEtatCourant:   cur.at.In(s.paris).Format(formatTimestamp),
		CommentaireEtatCourant: cur.comment, RejetTraite: inv.rejetTraite,
		DateFacture: inv.dateFacture, DateDepot: inv.depositedAt.In(s.paris).Format(formatDate),
		MontantHT: jsonNumber(inv.ht), MontantTTC: jsonNumber(inv.ttc), MontantAPayer: jsonNumber(inv.aPayer),
		Devise: inv.currency, NumeroMarche: inv.contract, NumeroBonCommande: inv.engagement,
	}
	if inv.service != nil {
		out.CodeServiceExecutant, out.IDServiceExecutant, out.NomServiceExecutant = inv.service.Code, inv.service.ID, inv.service.Name
	}
	return out
}

// visibleInvoice returns the invoice with this id if the supplier can see
// it at now (caller holds the lock).
func (s *Server) visibleInvoice(id int64, now time.Time) (*invoice, bool) {
	inv, ok := s.st.invoicesByID[id]
	if !ok || now.Before(inv.visibleAt) {
		return nil, false
	}
	return inv, true
}

func (s *Server) consulterHistorique(body []byte) (int, any) {
	var req chorus.ConsulterHistoriqueRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	inv, ok := s.visibleInvoice(req.IDFacture, now)
	if !ok {
		return http.StatusOK, chorus.ConsulterHistoriqueResponse{Retour: retour(CodeIntrouvable, "Facture %d introuvable", req.IDFacture)}
	}
	cur := s.st.current(inv, now)
	// assumption: statuses in chronological order, all of them unless
	// paged with paramRechercheHistoStatuts or capped by nbResultatsMaximum.
	// The history-newest-first quirk lists them newest first (Pastell,
	// fidelity.md A-4), before paging and capping.
	all := make([]chorus.HistoStatut, 0, len(inv.history))
	for _, h := range inv.history {
		all = append(all, chorus.HistoStatut{
			HistoStatutID: h.id, HistoStatutCode: h.status, HistoStatutDatePassage: h.at.In(s.paris).Format(formatHisto),
			HistoStatutCommentaire: h.comment,
		})
	}
	if s.st.quirks.HistoryNewestFirst {
		slices.Reverse(all)
	}
	if req.NbResultatsMaximum > 0 && len(all) > req.NbResultatsMaximum {
		all = all[:req.NbResultatsMaximum]
	}
	hs := chorus.HistoriquesDesStatuts{HistoStatut: all, TotalHistoStatut: len(all), PagesHistoStatut: 1, PageCouranteHistoStatut: 1, NbResultatsParPageHistoStatut: len(all)}
	if p := req.ParamRechercheHistoStatuts; p != nil && p.NbResultatsParPageListeHistoStatut > 0 {
		from, to, pr := paginate(len(all), &chorus.Pagination{NbResultatsParPage: p.NbResultatsParPageListeHistoStatut, PageResultatDemandee: p.PageResultatDemandeeListeHistoStatut})
		hs = chorus.HistoriquesDesStatuts{HistoStatut: all[from:to], TotalHistoStatut: pr.Total, PagesHistoStatut: pr.Pages,
			PageCouranteHistoStatut: pr.PageCourante, NbResultatsParPageHistoStatut: pr.NbResultatsParPage}
	}
	resp := chorus.ConsulterHistoriqueResponse{
		Retour: chorus.RetourOK(), IDFacture: inv.id, NumeroFacture: inv.number, ModeDepot: inv.modeDepot,
		StatutCourantCode: cur.status, HistoriquesDesStatuts: hs,
		HistoriquesDesActionsUtilisateurs: &chorus.HistoriquesDesActionsUtilisateurs{HistoAction: slices.Clone(inv.actions)},
	}
	if resp.HistoriquesDesActionsUtilisateurs.HistoAction == nil {
		resp.HistoriquesDesActionsUtilisateurs.HistoAction = []chorus.HistoAction{}
	}
	if n := len(inv.actions); n > 0 {
		last := inv.actions[n-1]
		resp.DerniereAction = &chorus.DerniereAction{DerniereActionCode: string(last.HistoActionCode), DerniereActionID: last.HistoActionID}
	}
	return http.StatusOK, resp
}

// ---------------------------------------------------------------------------
// Supplier actions. chorus-pro.md §2.7.

// invoiceInStatus finds a visible invoice in the one status a supplier
// action applies to, or says why not (unknown invoice, wrong status).
// The caller holds s.mu.
func (s *Server) invoiceInStatus(id int64, now time.Time, want chorus.StatutFacture, done string) (*invoice, chorus.Retour) {
	inv, ok := s.visibleInvoice(id, now)
	if !ok {
		return nil, retour(CodeIntrouvable, "Facture %d introuvable", id)
	}
	if cur := s.st.current(inv, now); cur.status != want {
		return nil, retour(CodeActionImpossible, "La facture %s est au statut %s : seule une facture %s peut être %s", inv.number, cur.status, want, done)
	}
	return inv, chorus.Retour{}
}

func (s *Server) completer(body []byte) (int, any) {
	var req chorus.CompleterRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	inv, refused := s.invoiceInStatus(req.IdentifiantFactureCPP, now, chorus.StatutSuspendue, "complétée")
	if inv == nil {
		return http.StatusOK, chorus.CompleterResponse{Retour: refused}
	}
	for _, pj := range req.PieceJointeComplementaire {
		if _, ok := s.st.attachments[pj.PieceJointeComplementaireID]; !ok {
			return http.StatusOK, chorus.CompleterResponse{Retour: retour(CodeIntrouvable, "Pièce jointe %d introuvable", pj.PieceJointeComplementaireID)}
		}
	}
	// chorus-pro.md §2.7: the status becomes COMPLETEE.
	s.st.resume(inv, chorus.StatutCompletee, now, req.Commentaire)
	return http.StatusOK, chorus.CompleterResponse{
		Retour: chorus.RetourOK(), IdentifiantFactureCPP: inv.id, NumeroFacture: inv.number,
		DateTraitement: now.In(s.paris).Format(formatDate),
	}
}

func (s *Server) recycler(body []byte) (int, any) {
	var req chorus.RecyclerRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	inv, refused := s.invoiceInStatus(req.IdentifiantFactureCPP, now, chorus.StatutARecycler, "recyclée")
	if inv == nil {
		return http.StatusOK, chorus.RecyclerResponse{Retour: refused}
	}
	engagement := inv.engagement
	if req.Reference != nil {
		engagement = req.Reference.NumeroBonCommande
	}
	buyer, service, msgs := s.st.checkRouting(req.Destinataire.CodeDestinataire, req.Destinataire.CodeServiceExecutant, engagement)
	if len(msgs) > 0 {
		return http.StatusOK, chorus.RecyclerResponse{Retour: retour(CodeFactureRefusee, "%s", strings.Join(msgs, " | "))}
	}
	// chorus-pro.md §2.7: new routing, same number. assumption: the invoice
	// is DEPOSEE again and the rest of the original buyer's script goes on.
	inv.buyer, inv.service, inv.engagement = buyer, service, engagement
	if req.Reference != nil && req.Reference.NumeroMarche != "" {
		inv.contract = req.Reference.NumeroMarche
	}
	s.st.resume(inv, chorus.StatutDeposee, now, req.Commentaire)
	return http.StatusOK, chorus.RecyclerResponse{
		Retour: chorus.RetourOK(), IdentifiantFactureCPP: inv.id, NumeroFacture: inv.number,
		StatutFacture: chorus.StatutDeposee, DateDepot: now.In(s.paris).Format(formatDate),
	}
}

func (s *Server) traiterRejet(body []byte) (int, any) {
	var req chorus.TraiterRejetRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	if len(req.ListeDemandePaiement) == 0 {
		return http.StatusOK, chorus.TraiterRejetResponse{Retour: retour(CodeParametreInvalide, "La liste des demandes de paiement (listeDemandePaiement) est vide")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	var invs []*invoice
	for _, dp := range req.ListeDemandePaiement {
		inv, ok := s.visibleInvoice(dp.IDDemandePaiement, now)
		if !ok {
			return http.StatusOK, chorus.TraiterRejetResponse{Retour: retour(CodeIntrouvable, "Facture %d introuvable", dp.IDDemandePaiement)}
		}
		if cur := s.st.current(inv, now); cur.status != chorus.StatutRejetee {
			return http.StatusOK, chorus.TraiterRejetResponse{Retour: retour(CodeActionImpossible,
				"La facture %s est au statut %s : seul le rejet d'une facture REJETEE peut être traité", inv.number, cur.status)}
		}
		invs = append(invs, inv)
	}
	// chorus-pro.md §2.6, §2.7: the rejection is marked handled
	// (rejetTraite) and a TRAITEMENT_REJET action is recorded.
	for _, inv := range invs {
		if !inv.rejetTraite {
			inv.rejetTraite = true
			s.st.addAction(inv, chorus.ActionTraitementRejet, now.In(s.paris), s.cfg.TechLogin)
		}
	}
	return http.StatusOK, chorus.TraiterRejetResponse{Retour: chorus.RetourOK()}
}

// ---------------------------------------------------------------------------
// Structured submission. chorus-pro.md §2.5.

type ajouterFichierParam struct {
	PieceJointeFichier   string `json:"pieceJointeFichier"`
	PieceJointeNom       string `json:"pieceJointeNom"`
	PieceJointeTypeMime  string `json:"pieceJointeTypeMime"`
	PieceJointeExtension string `json:"pieceJointeExtension"`
}

// allowedExtension reports whether Chorus Pro accepts attachments with this
// extension (chorus-pro.md §3.3, OCA from the AIFE page).
func allowedExtension(ext string) bool {
	return slices.Contains(strings.Fields("BMP GIF FAX ODT PPT TIFF XLS BZ2 GZ JPEG P7S RTF TXT XML CSV GZIP JPG PDF SVG XHTML XLSX DOC HTM ODP PNG TGZ XLC ZIP DOCX HTML ODS PPS TIF XLM PPTX"), ext)
}

func (s *Server) ajouterFichier(body []byte) (int, any) {
	var req ajouterFichierParam
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	// chorus-pro.md §2.5 [FR2]: a name above 50 characters gives HTTP 400.
	if utf8.RuneCountInString(req.PieceJointeNom) > chorus.MaxLongueurReference {
		return http.StatusBadRequest, httpError{Error: "Requête mal formulée", Description: "pieceJointeNom dépasse 50 caractères"}
	}
	refuse := func(code int, format string, args ...any) (int, any) {
		return http.StatusOK, chorus.AjouterFichierResponse{Retour: retour(code, format, args...)}
	}
	if strings.TrimSpace(req.PieceJointeNom) == "" || req.PieceJointeFichier == "" {
		return refuse(CodeParametreInvalide, "Le fichier et son nom (pieceJointeFichier, pieceJointeNom) sont obligatoires")
	}
	ext := strings.ToUpper(strings.TrimPrefix(req.PieceJointeExtension, "."))
	if ext == "" {
		if i := strings.LastIndexByte(req.PieceJointeNom, '.'); i >= 0 {
			ext = strings.ToUpper(req.PieceJointeNom[i+1:])
		}
	}
	// chorus-pro.md §3.3: an extension is required and must be allowed.
	if !allowedExtension(ext) {
		return refuse(CodeParametreInvalide, "L'extension %q n'est pas autorisée", ext)
	}
	data, err := base64.StdEncoding.DecodeString(req.PieceJointeFichier)
	if err != nil {
		return refuse(CodeParametreInvalide, "Le fichier (pieceJointeFichier) n'est pas encodé en base 64")
	}
	// chorus-pro.md §2.5, §3.3: at most 10 MB, error 20003.
	if len(data) > chorus.MaxTailleFichierFlux {
		return refuse(chorus.CodeRetourFichierTropGros, "La taille du fichier dépasse 10 Mo")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.attachmentSeq++
	id := s.st.attachmentSeq
	s.st.attachments[id] = attachment{name: req.PieceJointeNom, mime: req.PieceJointeTypeMime, ext: ext, size: len(data)}
	return http.StatusOK, chorus.AjouterFichierResponse{Retour: chorus.RetourOK(), PieceJointeID: id}
}

func (s *Server) soumettre(body []byte) (int, any) {
	var req chorus.SoumettreRequest
	if err := decode(body, &req); err != nil {
		return badRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	var msgs []string
	code := CodeFactureRefusee
	// chorus-pro.md §2.5: the API deposit modes.
	switch req.ModeDepot {
	case chorus.ModeDepotSaisieAPI, chorus.ModeDepotDepotPDFAPI, chorus.ModeDepotDepotPDFSigneAPI:
	default:
		msgs = append(msgs, fmt.Sprintf("Le mode de dépôt %q n'est pas autorisé (SAISIE_API, DEPOT_PDF_API, DEPOT_PDF_SIGNE_API)", req.ModeDepot))
	}
	number := strings.TrimSpace(req.NumeroFactureSaisi)
	if number == "" {
		msgs = append(msgs, "Le numéro de facture (numeroFactureSaisi) est obligatoire")
	} else {
		m, dup := s.st.checkNumber(number)
		msgs = append(msgs, m...)
		if dup && s.st.quirks.duplicateByCode() {
			code = codeRetourDoublon
		}
	}
	// chorus-pro.md §2.1, §2.5: idFournisseur is the supplier's idStructureCPP.
	if req.Fournisseur.IDFournisseur != s.cfg.Supplier.ID {
		msgs = append(msgs, fmt.Sprintf("Le fournisseur %d n'est pas une structure du compte technique", req.Fournisseur.IDFournisseur))
	}
	if id := req.Fournisseur.CodeCoordonneesBancairesFournisseur; id != 0 && !slices.ContainsFunc(s.cfg.Supplier.BankAccounts, func(a BankAccount) bool { return a.ID == id }) {
		msgs = append(msgs, fmt.Sprintf("Les coordonnées bancaires %d ne sont pas valides pour le fournisseur", id))
	}
	// chorus-pro.md §2.5: soumettre accepts only A1, A2, A9 and A12.
	switch req.CadreDeFacturation.CodeCadreFacturation {
	case chorus.CadreA1FactureFournisseur, chorus.CadreA2FactureFournisseurDejaPayee, chorus.CadreA9FactureSoustraitant, chorus.CadreA12FactureCotraitant:
	default:
		msgs = append(msgs, fmt.Sprintf("Le cadre de facturation %q n'est pas autorisé", req.CadreDeFacturation.CodeCadreFacturation))
	}
	// chorus-pro.md §0-5: the EJ travels as references.numeroBonCommande.
	buyer, service, routing := s.st.checkRouting(req.Destinataire.CodeDestinataire, req.Destinataire.CodeServiceExecutant, req.References.NumeroBonCommande)
	msgs = append(msgs, routing...)
	if req.ModeDepot == chorus.ModeDepotDepotPDFAPI || req.ModeDepot == chorus.ModeDepotDepotPDFSigneAPI {
		if len(req.PieceJointePrincipale) == 0 {
			msgs = append(msgs, "La pièce jointe principale est obligatoire pour un dépôt PDF")
		}
		for _, pj := range req.PieceJointePrincipale {
			if _, ok := s.st.attachments[pj.PieceJointePrincipaleID]; !ok {
				msgs = append(msgs, fmt.Sprintf("Pièce jointe %d introuvable", pj.PieceJointePrincipaleID))
			}
		}
	}
	if len(msgs) > 0 {
		// chorus-pro.md §0-4: soumettre is synchronous, so refusals come in
		// its answer. assumption: code and wording.
		return http.StatusOK, chorus.SoumettreResponse{Retour: retour(code, "%s", strings.Join(msgs, " | "))}
	}
	inv := &invoice{
		number: number, modeDepot: req.ModeDepot, typeFacture: chorus.TypeFactureFacture, buyer: buyer, service: service,
		engagement: req.References.NumeroBonCommande, contract: req.References.NumeroMarche, dateFacture: req.DateFacture,
		currency: req.References.DeviseFacture, ht: numberOrEmpty(req.MontantTotal.MontantHtTotal),
		ttc: numberOrEmpty(req.MontantTotal.MontantTtcTotal), aPayer: numberOrEmpty(req.MontantTotal.MontantAPayer),
		depositedAt: now, visibleAt: now,
	}
	if req.References.TypeFacture == chorus.TypeFactureAvoir {
		inv.typeFacture = chorus.TypeFactureAvoir
	}
	s.integrate(s.st, inv)
	sum := sha256.Sum256(body)
	return http.StatusOK, chorus.SoumettreResponse{
		Retour: chorus.RetourOK(), IdentifiantFactureCPP: inv.id, NumeroFacture: inv.number,
		StatutFacture: chorus.StatutDeposee, DateDepot: now.In(s.paris).Format(formatDate),
		IdentifiantStructure: buyer.SIRET,
		// assumption: a digest of the submission stands for the deposit
		// certificate's fingerprint.
		EmpreinteCertificatDepot: hex.EncodeToString(sum[:]),
	}
}

func numberOrEmpty(n json.Number) string { return amount(n.String()) }

// ---------------------------------------------------------------------------

func (s *Server) healthCheck([]byte) (int, any) {
	// chorus-pro.md §2.9. assumption: the values.
	return http.StatusOK, chorus.HealthCheckResponse{Body: "OK", StatusCode: "OK", StatusCodeValue: http.StatusOK}
}

package chorus

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Buyer is what Chorus Pro's directory says of a public buyer: whether it
// is on Chorus Pro, what its invoices must carry, and (once LoadServices
// read them) its services. It is written to JSON under stable names, to be
// kept with the books.
type Buyer struct {
	SIRET       string   `json:"siret"`
	OnChorus    bool     `json:"on_chorus"`
	IDStructure int64    `json:"id_structure,omitempty"`
	Name        string   `json:"name,omitempty"`
	Exigence    Exigence `json:"exigence,omitempty"`
	// PaymentNotReported: the buyer does not report MISE_EN_PAIEMENT, so
	// tracking stops once the invoice is delivered.
	PaymentNotReported bool `json:"payment_not_reported,omitempty"`
	// Services are the buyer's services, valid only when ServicesLoaded:
	// LookupBuyer leaves them out (they cost a call per page, and only a
	// code service needs them); LoadServices reads them.
	Services       []ServiceStructure `json:"services,omitempty"`
	ServicesLoaded bool               `json:"services_loaded,omitempty"`
}

// ErrServicesNotLoaded is the error of Buyer.Check given a code service
// for a buyer whose services were not read (LoadServices): the code cannot
// be checked, and must not pass unchecked.
var ErrServicesNotLoaded = errors.New("the buyer's services were not loaded")

// ReferenceProblem is what is wrong with an invoice's buyer references.
type ReferenceProblem int

// Reference problems.
const (
	// ReferencesMissing: the buyer requires references the invoice lacks
	// (ReferenceError.Missing says which).
	ReferencesMissing ReferenceProblem = iota + 1
	// BuyerNotOnChorus: the buyer is not in Chorus Pro's directory.
	BuyerNotOnChorus
	// ServiceReserved: the code service is FACTURES_PUBLIQUES, reserved to
	// invoices between public bodies.
	ServiceReserved
	// ServiceInactive: the code service is an inactive service of the buyer.
	ServiceInactive
	// ServiceUnknown: the buyer has no service with that code.
	ServiceUnknown
)

// Reference is a buyer reference an invoice may have to carry.
type Reference int

// References a buyer may require.
const (
	RefCodeService Reference = iota + 1
	RefEngagement
	// RefCodeServiceOrEngagement: either one will do.
	RefCodeServiceOrEngagement
)

func (r Reference) String() string {
	switch r {
	case RefCodeService:
		return "a code service"
	case RefEngagement:
		return "an engagement number"
	case RefCodeServiceOrEngagement:
		return "a code service or an engagement number"
	}
	return "an unknown reference"
}

// ReferenceError says what an invoice lacks or gets wrong for its buyer: no
// call that changes anything should be made until a human fixes it.
type ReferenceError struct {
	SIRET   string
	Problem ReferenceProblem
	// Missing lists what the buyer requires (ReferencesMissing).
	Missing []Reference
	// Service is the code service at fault (ServiceReserved,
	// ServiceInactive, ServiceUnknown).
	Service string
}

func (e *ReferenceError) Error() string {
	switch e.Problem {
	case ReferencesMissing:
		parts := make([]string, len(e.Missing))
		for i, m := range e.Missing {
			parts[i] = m.String()
		}
		return fmt.Sprintf("buyer %s requires %s", e.SIRET, strings.Join(parts, " and "))
	case BuyerNotOnChorus:
		return fmt.Sprintf("buyer %s: not on Chorus Pro", e.SIRET)
	case ServiceReserved:
		return fmt.Sprintf("buyer %s: the code service %s is reserved to the public sphere", e.SIRET, e.Service)
	case ServiceInactive:
		return fmt.Sprintf("buyer %s: service %s is inactive", e.SIRET, e.Service)
	case ServiceUnknown:
		return fmt.Sprintf("buyer %s: no service %s", e.SIRET, e.Service)
	}
	return fmt.Sprintf("buyer %s: references refused", e.SIRET)
}

// Check tells whether an invoice with these references may be deposited:
// the buyer's requirement is met and a code service, when given, is an
// active service of the buyer other than FACTURES_PUBLIQUES. Its errors are
// *ReferenceError, except one wrapping ErrServicesNotLoaded when a code
// service is given and the buyer's services were not loaded: that is the
// caller's fault, not the invoice's.
func (b Buyer) Check(codeService, engagement string) error {
	if !b.OnChorus {
		return &ReferenceError{SIRET: b.SIRET, Problem: BuyerNotOnChorus}
	}
	if !b.Exigence.Satisfaite(codeService, engagement) {
		var missing []Reference
		switch b.Exigence {
		case ExigenceCodeService:
			missing = []Reference{RefCodeService}
		case ExigenceEngagement:
			missing = []Reference{RefEngagement}
		case ExigenceCodeServiceEtEngagement:
			if codeService == "" {
				missing = append(missing, RefCodeService)
			}
			if engagement == "" {
				missing = append(missing, RefEngagement)
			}
		case ExigenceCodeServiceOuEngagement:
			missing = []Reference{RefCodeServiceOrEngagement}
		}
		return &ReferenceError{SIRET: b.SIRET, Problem: ReferencesMissing, Missing: missing}
	}
	if codeService == "" {
		return nil
	}
	if codeService == CodeServiceFacturesPubliques {
		return &ReferenceError{SIRET: b.SIRET, Problem: ServiceReserved, Service: codeService}
	}
	if !b.ServicesLoaded {
		return fmt.Errorf("buyer %s: check code service %s: %w", b.SIRET, codeService, ErrServicesNotLoaded)
	}
	for _, s := range b.Services {
		if s.CodeService == codeService {
			if !s.EstActif {
				return &ReferenceError{SIRET: b.SIRET, Problem: ServiceInactive, Service: codeService}
			}
			return nil
		}
	}
	return &ReferenceError{SIRET: b.SIRET, Problem: ServiceUnknown, Service: codeService}
}

// LookupBuyer reads a buyer's directory entry by SIRET: structures/v1/
// rechercher, then consulter (its obligations). It does not read the
// buyer's services (Services nil, ServicesLoaded false): LoadServices does,
// when a code service is to be checked. A SIRET Chorus Pro does not know is
// a buyer not on Chorus Pro (postal), whatever the "no result" code.
// chorus-pro.md §2.2.
func (c *Client) LookupBuyer(ctx context.Context, siret string) (Buyer, error) {
	b := Buyer{SIRET: siret}
	var found RechercherStructureResponse
	err := c.call(ctx, "structures/rechercher", PathRechercherStructure, RechercherStructureRequest{
		Structure:                    CritereStructure{IdentifiantStructure: siret, TypeIdentifiantStructure: TypeIdentifiantSIRET},
		RestreindreStructuresPrivees: false,
	}, &found, safe)
	if c.noResult(ctx, "structures/rechercher", err, found.Retour, len(found.ListeStructures)) {
		return b, nil
	}
	if err != nil {
		return b, err
	}
	if len(found.ListeStructures) == 0 {
		return b, nil
	}
	s := found.ListeStructures[0]
	b.OnChorus, b.IDStructure, b.Name = true, s.IDStructureCPP, s.DesignationStructure
	var detail ConsulterStructureResponse
	if err := c.call(ctx, "structures/consulter", PathConsulterStructure, ConsulterStructureRequest{IDStructureCPP: s.IDStructureCPP}, &detail, safe); err != nil {
		return b, err
	}
	b.Exigence = detail.Parametres.Exigence()
	b.PaymentNotReported = detail.Parametres.StatutMiseEnPaiementNestPasRemonte
	return b, nil
}

// LoadServices returns b with every page of its services read from
// structures/v1/rechercher/services, and ServicesLoaded set. A buyer not on
// Chorus Pro has none, and no call is made. A structure without services
// answers "no result" (whatever its code): an empty list.
func (c *Client) LoadServices(ctx context.Context, b Buyer) (Buyer, error) {
	if !b.OnChorus {
		b.Services, b.ServicesLoaded = nil, true
		return b, nil
	}
	const op = "structures/rechercher/services"
	var all []ServiceStructure
	for page := 1; page <= maxPages; page++ {
		var out RechercherServicesResponse
		err := c.call(ctx, op, PathRechercherServices, RechercherServicesRequest{
			IDStructure:                           b.IDStructure,
			ParametresRechercherServicesStructure: &Pagination{PageResultatDemandee: page, NbResultatsParPage: c.cfg.PageSize},
		}, &out, safe)
		if c.noResult(ctx, op, err, out.Retour, len(out.ListeServices)) {
			break
		}
		if err != nil {
			return b, err
		}
		all = append(all, out.ListeServices...)
		if out.ParametresRetour == nil || !out.ParametresRetour.HasNext() || len(out.ListeServices) == 0 {
			break
		}
	}
	b.Services, b.ServicesLoaded = all, true
	return b, nil
}

// ServiceRules are the obligations of one of a buyer's services.
type ServiceRules struct {
	// EngagementRequired: invoices to this service must carry an
	// engagement (EJ) number, even when the structure does not require one
	// (parametres.numeroEngagement, which OCA checks before sending;
	// fidelity C-1).
	EngagementRequired bool
}

// ServiceRules reads a service's obligations (structures/v1/consulter/
// service): idStructure is the buyer's idStructureCPP (Buyer.IDStructure),
// idService the service's (ServiceStructure.IDService, from LoadServices).
// OCA (chorus_partner_service.py, _api_consulter_service) sends the same
// {idStructure, idService} and reads parametres.numeroEngagement.
// chorus-pro.md §2.2.
func (c *Client) ServiceRules(ctx context.Context, idStructure, idService int64) (ServiceRules, error) {
	var out ConsulterServiceResponse
	err := c.call(ctx, "structures/consulter/service", PathConsulterService,
		ConsulterServiceRequest{IDStructure: idStructure, IDService: idService}, &out, safe)
	if err != nil {
		return ServiceRules{}, err
	}
	return ServiceRules{EngagementRequired: out.Parametres.NumeroEngagement}, nil
}

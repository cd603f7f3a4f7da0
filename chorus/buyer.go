package chorus

import (
	"context"
	"fmt"
	"strings"
)

// Buyer is what Chorus Pro's directory says of a public buyer: whether it
// is on Chorus Pro, what its invoices must carry, and its services.
type Buyer struct {
	SIRET       string
	OnChorus    bool
	IDStructure int64
	Name        string
	Exigence    Exigence
	// PaymentNotReported: the buyer does not report MISE_EN_PAIEMENT, so
	// tracking stops once the invoice is delivered.
	PaymentNotReported bool
	Services           []ServiceStructure
}

// ReferenceError says what an invoice lacks or gets wrong for its buyer: no
// call that changes anything should be made until a human fixes it.
type ReferenceError struct {
	SIRET   string
	Missing []string
	Problem string
}

func (e *ReferenceError) Error() string {
	if e.Problem != "" {
		return fmt.Sprintf("buyer %s: %s", e.SIRET, e.Problem)
	}
	return fmt.Sprintf("buyer %s requires %s", e.SIRET, strings.Join(e.Missing, " and "))
}

// Check tells whether an invoice with these references may be deposited:
// the buyer's requirement is met and a code service, when given, is an
// active service of the buyer other than FACTURES_PUBLIQUES.
func (b Buyer) Check(codeService, engagement string) error {
	if !b.OnChorus {
		return &ReferenceError{SIRET: b.SIRET, Problem: "not on Chorus Pro"}
	}
	if !b.Exigence.Satisfaite(codeService, engagement) {
		var missing []string
		switch b.Exigence {
		case ExigenceCodeService:
			missing = []string{"a code service"}
		case ExigenceEngagement:
			missing = []string{"an engagement number"}
		case ExigenceCodeServiceEtEngagement:
			if codeService == "" {
				missing = append(missing, "a code service")
			}
			if engagement == "" {
				missing = append(missing, "an engagement number")
			}
		case ExigenceCodeServiceOuEngagement:
			missing = []string{"a code service or an engagement number"}
		}
		return &ReferenceError{SIRET: b.SIRET, Missing: missing}
	}
	if codeService == "" {
		return nil
	}
	if codeService == CodeServiceFacturesPubliques {
		return &ReferenceError{SIRET: b.SIRET, Problem: "the code service FACTURES_PUBLIQUES is reserved to the public sphere"}
	}
	for _, s := range b.Services {
		if s.CodeService == codeService {
			if !s.EstActif {
				return &ReferenceError{SIRET: b.SIRET, Problem: fmt.Sprintf("service %s is inactive", codeService)}
			}
			return nil
		}
	}
	return &ReferenceError{SIRET: b.SIRET, Problem: fmt.Sprintf("no service %s", codeService)}
}

// LookupBuyer reads a buyer's directory entry by SIRET: structures/v1/
// rechercher, consulter (its obligations), and every page of its services.
// A SIRET Chorus Pro does not know is a buyer not on Chorus Pro (postal).
// chorus-pro.md §2.2.
func (c *Client) LookupBuyer(ctx context.Context, siret string) (Buyer, error) {
	b := Buyer{SIRET: siret}
	var found RechercherStructureResponse
	err := c.call(ctx, "structures/rechercher", PathRechercherStructure, RechercherStructureRequest{
		Structure:                    CritereStructure{IdentifiantStructure: siret, TypeIdentifiantStructure: TypeIdentifiantSIRET},
		RestreindreStructuresPrivees: false,
	}, &found, safe)
	if found.AucunResultat() {
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
	for page := 1; ; page++ {
		var services RechercherServicesResponse
		err := c.call(ctx, "structures/rechercher/services", PathRechercherServices, RechercherServicesRequest{
			IDStructure:                           s.IDStructureCPP,
			ParametresRechercherServicesStructure: &Pagination{PageResultatDemandee: page, NbResultatsParPage: 100},
		}, &services, safe)
		if services.AucunResultat() {
			break
		}
		if err != nil {
			return b, err
		}
		b.Services = append(b.Services, services.ListeServices...)
		if services.ParametresRetour == nil || !services.ParametresRetour.HasNext() || len(services.ListeServices) == 0 {
			break
		}
	}
	return b, nil
}

// Service reads one service of a structure (consulter/service), e.g. to see
// whether it requires an engagement number.
func (c *Client) Service(ctx context.Context, idStructure, idService int64) (ConsulterServiceResponse, error) {
	var out ConsulterServiceResponse
	err := c.call(ctx, "structures/consulter/service", PathConsulterService, ConsulterServiceRequest{IDStructure: idStructure, IDService: idService}, &out, safe)
	return out, err
}

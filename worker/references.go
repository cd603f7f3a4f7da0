package worker

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
)

// ReferenceCode says what is wrong with an invoice's buyer references.
type ReferenceCode string

// Reference problems.
const (
	// RefsMissing: the buyer requires references the invoice lacks
	// (ReferenceProblem.Missing says which).
	RefsMissing ReferenceCode = "missing"
	// RefsBuyerNotOnChorus: the buyer is not in Chorus Pro's directory.
	RefsBuyerNotOnChorus ReferenceCode = "buyer_not_on_chorus"
	// RefsServiceReserved: FACTURES_PUBLIQUES, reserved to the public sphere.
	RefsServiceReserved ReferenceCode = "service_reserved"
	// RefsServiceInactive: an inactive service of the buyer.
	RefsServiceInactive ReferenceCode = "service_inactive"
	// RefsServiceUnknown: the buyer has no such service.
	RefsServiceUnknown ReferenceCode = "service_unknown"
	// RefsServiceNeedsEngagement: the service requires an engagement
	// number the invoice lacks (structures/v1/consulter/service).
	RefsServiceNeedsEngagement ReferenceCode = "service_needs_engagement"
	// RefsNoneGiven: neither a code service nor an engagement was given.
	RefsNoneGiven ReferenceCode = "none_given"
	// RefsTooLong: longer than Chorus Pro accepts.
	RefsTooLong ReferenceCode = "too_long"
	// RefsRefused: any other refusal.
	RefsRefused ReferenceCode = "refused"
)

// Required is a reference a buyer requires.
type Required string

// References a buyer may require.
const (
	RequiredCodeService             Required = "code_service"
	RequiredEngagement              Required = "engagement"
	RequiredCodeServiceOrEngagement Required = "code_service_or_engagement"
)

// ReferenceProblem is why an invoice's buyer references are not enough to
// deposit it. The pipeline parks the invoice with its Reason; FillReferences
// returns it when the references typed in are refused.
type ReferenceProblem struct {
	Code ReferenceCode
	// Missing lists what the buyer requires (RefsMissing).
	Missing []Required
	// Service is the code service at fault (RefsService…).
	Service string
	// Detail is Chorus Pro's own words (RefsRefused).
	Detail string
}

// Error is the French reason: it is what the finance team reads.
func (e *ReferenceProblem) Error() string { return e.Reason().Text }

// Reason is the problem as the invoice's status reason.
func (e *ReferenceProblem) Reason() Reason {
	var text string
	switch e.Code {
	case RefsMissing:
		fr := map[Required]string{RequiredCodeService: "un code service", RequiredEngagement: "un numéro d'engagement",
			RequiredCodeServiceOrEngagement: "un code service ou un numéro d'engagement"}
		parts := make([]string, len(e.Missing))
		for i, m := range e.Missing {
			parts[i] = fr[m]
		}
		text = "Chorus Pro : l'acheteur exige " + strings.Join(parts, " et ") + "."
	case RefsBuyerNotOnChorus:
		text = "Cet acheteur n'est pas sur Chorus Pro : la facture partira par courrier."
	case RefsServiceReserved:
		text = "Le code service " + chorus.CodeServiceFacturesPubliques + " est réservé à la sphère publique : saisissez le code service donné par l'acheteur."
	case RefsServiceInactive:
		text = fmt.Sprintf("Le service %s de l'acheteur est inactif sur Chorus Pro.", e.Service)
	case RefsServiceUnknown:
		text = fmt.Sprintf("L'acheteur n'a pas de service %s sur Chorus Pro : vérifiez le code.", e.Service)
	case RefsServiceNeedsEngagement:
		text = fmt.Sprintf("Chorus Pro : le service %s de l'acheteur exige un numéro d'engagement.", e.Service)
	case RefsNoneGiven:
		text = "Saisissez un code service, un numéro d'engagement, ou les deux."
	case RefsTooLong:
		text = fmt.Sprintf("Chorus Pro limite le code service à %d caractères et le numéro d'engagement à %d.",
			document.FieldCodeService.Max(), document.FieldEngagement.Max())
	default:
		text = "Chorus Pro refuse ces références : " + e.Detail
	}
	return Reason{Code: ReasonReferences, Text: text}
}

// checkReferences is the buyer-reference rule: whether an invoice with
// these references may be deposited for this buyer (nil), or what is
// wrong. Both delivery paths and FillReferences ask it.
func checkReferences(buyer chorus.Buyer, codeService, engagement string) *ReferenceProblem {
	err := buyer.Check(codeService, engagement)
	if err == nil {
		return nil
	}
	var re *chorus.ReferenceError
	if !errors.As(err, &re) {
		return &ReferenceProblem{Code: RefsRefused, Detail: err.Error()}
	}
	switch re.Problem {
	case chorus.ReferencesMissing:
		p := &ReferenceProblem{Code: RefsMissing}
		for _, m := range re.Missing {
			switch m {
			case chorus.RefCodeService:
				p.Missing = append(p.Missing, RequiredCodeService)
			case chorus.RefEngagement:
				p.Missing = append(p.Missing, RequiredEngagement)
			default:
				p.Missing = append(p.Missing, RequiredCodeServiceOrEngagement)
			}
		}
		return p
	case chorus.BuyerNotOnChorus:
		return &ReferenceProblem{Code: RefsBuyerNotOnChorus}
	case chorus.ServiceReserved:
		return &ReferenceProblem{Code: RefsServiceReserved, Service: re.Service}
	case chorus.ServiceInactive:
		return &ReferenceProblem{Code: RefsServiceInactive, Service: re.Service}
	case chorus.ServiceUnknown:
		return &ReferenceProblem{Code: RefsServiceUnknown, Service: re.Service}
	}
	return &ReferenceProblem{Code: RefsRefused, Detail: re.Error()}
}

// referencesInput checks references typed in by a person before anything
// is asked of Chorus Pro.
func referencesInput(codeService, engagement string) *ReferenceProblem {
	switch {
	case codeService == "" && engagement == "":
		return &ReferenceProblem{Code: RefsNoneGiven}
	case document.FieldCodeService.Check(codeService) != nil || document.FieldEngagement.Check(engagement) != nil:
		return &ReferenceProblem{Code: RefsTooLong}
	}
	return nil
}

package worker

import (
	"errors"
	"slices"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/store"
)

func TestDecideChannel(t *testing.T) {
	onChorus := store.Establishment{OnChorus: true}
	services := []chorus.ServiceStructure{{CodeService: "GESTION", EstActif: true}, {CodeService: "ANCIEN"}}
	buyer := func(ex chorus.Exigence) chorus.Buyer {
		return chorus.Buyer{SIRET: "26223144200035", OnChorus: true, Exigence: ex, Services: services, ServicesLoaded: true}
	}
	for _, tt := range []struct {
		name      string
		est       store.Establishment
		buyer     chorus.Buyer
		code, eng string
		channel   Channel
		reason    ReasonCode
		text      string
		problem   ReferenceCode
		missing   []Required
	}{
		{"establishment billed by post", store.Establishment{}, chorus.Buyer{}, "", "", ChannelPostal,
			ReasonEstablishmentOffChorus, "établissement hors Chorus Pro", "", nil},
		{"buyer not in the directory", onChorus, chorus.Buyer{SIRET: "26223144200035"}, "", "", ChannelPostal,
			ReasonBuyerNotInDirectory, "acheteur absent de l'annuaire Chorus Pro", "", nil},
		{"nothing required", onChorus, buyer(chorus.ExigenceAucune), "", "", ChannelChorus, "", "", "", nil},
		{"requirement met", onChorus, buyer(chorus.ExigenceCodeServiceEtEngagement), "GESTION", "EJ-1", ChannelChorus, "", "", "", nil},
		{"engagement missing", onChorus, buyer(chorus.ExigenceEngagement), "GESTION", "", ChannelAwaiting,
			ReasonReferences, "Chorus Pro : l'acheteur exige un numéro d'engagement.", RefsMissing, []Required{RequiredEngagement}},
		{"both missing", onChorus, buyer(chorus.ExigenceCodeServiceEtEngagement), "", "", ChannelAwaiting,
			ReasonReferences, "Chorus Pro : l'acheteur exige un code service et un numéro d'engagement.", RefsMissing,
			[]Required{RequiredCodeService, RequiredEngagement}},
		{"either missing", onChorus, buyer(chorus.ExigenceCodeServiceOuEngagement), "", "", ChannelAwaiting,
			ReasonReferences, "Chorus Pro : l'acheteur exige un code service ou un numéro d'engagement.", RefsMissing,
			[]Required{RequiredCodeServiceOrEngagement}},
		{"inactive service", onChorus, buyer(chorus.ExigenceCodeService), "ANCIEN", "", ChannelAwaiting,
			ReasonReferences, "Le service ANCIEN de l'acheteur est inactif sur Chorus Pro.", RefsServiceInactive, nil},
		{"unknown service", onChorus, buyer(chorus.ExigenceAucune), "NOPE", "", ChannelAwaiting,
			ReasonReferences, "L'acheteur n'a pas de service NOPE sur Chorus Pro : vérifiez le code.", RefsServiceUnknown, nil},
		{"reserved service", onChorus, buyer(chorus.ExigenceCodeService), chorus.CodeServiceFacturesPubliques, "", ChannelAwaiting,
			ReasonReferences, "Le code service FACTURES_PUBLIQUES est réservé à la sphère publique : saisissez le code service donné par l'acheteur.",
			RefsServiceReserved, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := decideChannel(tt.est, tt.buyer, tt.code, tt.eng)
			if d.Channel != tt.channel || d.Reason.Code != tt.reason || d.Reason.Text != tt.text {
				t.Fatalf("decision %+v, want channel %d reason %q %q", d, tt.channel, tt.reason, tt.text)
			}
			if tt.problem == "" {
				if d.Problem != nil {
					t.Fatalf("problem %+v, want none", d.Problem)
				}
				return
			}
			if d.Problem == nil || d.Problem.Code != tt.problem || !slices.Equal(d.Problem.Missing, tt.missing) {
				t.Fatalf("problem %+v, want %s %v", d.Problem, tt.problem, tt.missing)
			}
		})
	}
}

func TestDepositOutcome(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want depositResult
	}{
		{"accepted", nil, depositAccepted},
		{"refused for good", &chorus.Error{Op: "deposer/flux", Kind: chorus.Permanent}, depositRefused},
		{"uncertain", &chorus.Error{Op: "deposer/flux", Kind: chorus.Uncertain}, depositRetry},
		{"transient", &chorus.Error{Op: "deposer/flux", Kind: chorus.Transient}, depositRetry},
		{"not a Chorus Pro error", errors.New("context canceled"), depositRetry},
	} {
		if got := depositOutcome(tt.err); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFlowIntegrated(t *testing.T) {
	for o, want := range map[chorus.Issue]bool{chorus.IssueSucces: true, chorus.IssuePartiel: true, chorus.IssueEchec: false, chorus.IssueUnknown: false} {
		if got := flowIntegrated(chorus.FlowReport{Outcome: o}); got != want {
			t.Errorf("%v: %v, want %v", o, got, want)
		}
	}
}

package dashboard

import (
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// Every Chorus status chorusbill writes itself, and the flow states that
// ask for a new deposit, reads in French for the finance team.
func TestChorusStatusLabels(t *testing.T) {
	for _, tc := range []struct{ status, want string }{
		{"DEPOT_A_VERIFIER", "Dépôt à vérifier (réponse de Chorus Pro contestable)"},
		{worker.StatusPaused, "Dépôt suspendu (configuration Chorus Pro)"},
		{"DEPOT_SUSPENDU", "Dépôt suspendu (configuration Chorus Pro)"},
		{worker.StatusToVerify, "À vérifier sur Chorus Pro"},
		{"A_VERIFIER", "À vérifier sur Chorus Pro"},
		{"IN_A_RELANCER", "Chorus Pro demande un nouveau dépôt"},
		{"IN_ERREUR_INTERNE", "Chorus Pro demande un nouveau dépôt"},
		{"DEPOT_REFUSE", "Dépôt refusé par Chorus Pro"},
		{"DEPOT_EN_COURS", "Dépôt en cours"},
		{"IN_INTEGRE", "Flux intégré"},
		{"SUSPENDUE", "Suspendue"},
		{"", "—"},
		{"STATUT_INCONNU", "STATUT_INCONNU"}, // shown as Chorus Pro gave it
	} {
		if got := chorusStatusLabel(tc.status); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.status, got, tc.want)
		}
	}
}

// The plan shown before a re-deposit says why it is one: a flow the
// platform refused, one it asks to have again, or an invoice to look for
// on the portal first.
func TestResubmitPlanOfARedeposit(t *testing.T) {
	for _, tc := range []struct {
		state       invoice.State
		status      string
		want, avoid string
	}{
		{invoice.StateRejected, "IN_REJETE", "Le flux a été rejeté par la plateforme", "portail"},
		{invoice.StateRejected, "IN_A_RELANCER", "Chorus Pro demande un nouveau dépôt du flux", "rejeté"},
		{invoice.StateRejected, "IN_ERREUR_INTERNE", "Chorus Pro demande un nouveau dépôt du flux", "rejeté"},
		{invoice.StateDeposited, worker.StatusToVerify, "Vérifiez sur le portail Chorus Pro qu'elle n'y est pas", "rejeté"},
		{invoice.StateDelivering, worker.StatusToVerify, "le suivi la retrouvera", "rejeté"},
	} {
		plan, ok := resubmitPlan(store.Invoice{Number: "CT2025-000007", State: tc.state, ChorusStatus: tc.status})
		if !ok || !strings.Contains(plan, tc.want) || strings.Contains(plan, tc.avoid) ||
			!strings.Contains(plan, "la même facture CT2025-000007 (même numéro) sera déposée à nouveau") {
			t.Errorf("%s/%s: %v %q", tc.state, tc.status, ok, plan)
		}
	}
	// Paused or being checked by the worker: nothing for a person to do.
	for _, st := range []string{worker.StatusPaused, "DEPOT_A_VERIFIER"} {
		if plan, ok := resubmitPlan(store.Invoice{Number: "CT2025-000007", State: invoice.StateDelivering, ChorusStatus: st}); ok || plan != "" {
			t.Errorf("%s: %v %q", st, ok, plan)
		}
	}
}

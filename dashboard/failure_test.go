package dashboard

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// TestFrenchFailure: a failed call reaches the officer in French, with the
// call and status for support, never Go's English error text.
func TestFrenchFailure(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("resubmit: %w", &chorus.Error{Op: "deposer/flux", Kind: chorus.Transient, Status: 429}),
			"Chorus Pro ne répond pas pour l'instant (deposer/flux, HTTP 429) : rien n'a été appliqué, réessayez dans quelques minutes"},
		{&chorus.Error{Op: "deposer/flux", Kind: chorus.Uncertain, Status: 500},
			"Chorus Pro n'a pas confirmé l'appel (deposer/flux, HTTP 500) : il a pu être appliqué ; le suivi le vérifiera, ne recommencez pas tout de suite"},
		{&chorus.Error{Op: "recycler", Kind: chorus.Configuration, Status: 403},
			"Chorus Pro refuse l'accès (recycler, HTTP 403) : la configuration du raccordement est à vérifier par un opérateur"},
		{&chorus.Error{Op: "completer", Kind: chorus.Permanent, Status: 200, CodeRetour: 20001, Libelle: "Facture introuvable"},
			"Chorus Pro refuse la demande (completer) : codeRetour 20001, « Facture introuvable »"},
		{errors.New("begin: conn closed"), "erreur interne (le détail est dans le journal du serveur) ; rien n'est perdu, réessayez plus tard"},
	} {
		if got := frenchFailure(tc.err); got != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}

package chorus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// answering is a Chorus Pro on 127.0.0.1 answering each path with a fixed
// JSON body (HTTP 200), and tokens.
func answering(t *testing.T, bodies map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == chorus.PathToken {
			_ = json.NewEncoder(w).Encode(chorus.TokenResponse{AccessToken: "tok", TokenType: "Bearer", ExpiresIn: 3600})
			return
		}
		body, ok := bodies[r.URL.Path]
		if !ok {
			t.Errorf("unexpected call %s", r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A search that finds nothing is "no result" whatever its code: the buyer
// is not on Chorus Pro, the invoice search is empty. A code other than
// 20000 is logged once per operation and code.
func TestNoResultWhateverTheCode(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		code    int
		libelle string
		list    string // how the list comes: absent, empty or null
		warned  bool
	}{
		{"20000 documented", 20000, "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat", "", false},
		{"20007 of the works search", 20007, "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat", `,"listeStructures":[],"listeFactures":[]`, true},
		{"an unknown code", 29999, "XXX_MSG_99.999 - Aucun élément", `,"listeStructures":null,"listeFactures":null`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(chorus.Retour{CodeRetour: tt.code, Libelle: tt.libelle})
			answer := strings.TrimSuffix(string(body), "}") + tt.list + "}"
			url := answering(t, map[string]string{
				chorus.PathRechercherStructure:          answer,
				chorus.PathRechercherFactureFournisseur: answer,
			})
			logs := &bytes.Buffer{}
			c := fakeClient(t, url, chorus.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			for range 2 {
				b, err := c.LookupBuyer(ctx, buyerNotOnChorus)
				if err != nil || b.OnChorus {
					t.Fatalf("look-up: %+v %v", b, err)
				}
				var re *chorus.ReferenceError
				if err := b.Check("", ""); !errors.As(err, &re) || re.Problem != chorus.BuyerNotOnChorus || !strings.Contains(err.Error(), "not on Chorus Pro") {
					t.Errorf("Check = %v, want not on Chorus Pro", err)
				}
				found, err := c.FindInvoices(ctx, chorus.SearchCriteria{Number: "CT2026-000001"})
				if err != nil || len(found) != 0 {
					t.Errorf("search: %v %v, want an empty result", found, err)
				}
			}
			for _, op := range []string{"structures/rechercher", "rechercher/fournisseur"} {
				n := 0
				for _, line := range strings.Split(logs.String(), "\n") {
					if strings.Contains(line, "level=WARN") && strings.Contains(line, "op="+op) && strings.Contains(line, tt.libelle) {
						n++
					}
				}
				if want := map[bool]int{true: 1, false: 0}[tt.warned]; n != want {
					t.Errorf("%s: %d warnings, want %d:\n%s", op, n, want, logs)
				}
			}
		})
	}
}

// A refusal that comes with results is not "no result", and a code with a
// list is read as the list it is.
func TestBusinessErrorWithResultsIsAnError(t *testing.T) {
	url := answering(t, map[string]string{
		chorus.PathRechercherFactureFournisseur: `{"codeRetour":20002,"libelle":"Paramètre invalide","listeFactures":[{"identifiantFactureCPP":1,"numeroFacture":"A"}]}`,
	})
	_, err := fakeClient(t, url).FindInvoices(context.Background(), chorus.SearchCriteria{Number: "A"})
	if code, _, ok := chorus.Business(err); !ok || code != 20002 || !chorus.IsPermanent(err) {
		t.Errorf("err = %v, want the business error 20002", err)
	}
}

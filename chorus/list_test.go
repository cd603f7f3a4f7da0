package chorus

import (
	"encoding/json"
	"strings"
	"testing"
)

// A list of one may come as a bare object (AIFE's own consulterCRDetaille
// sample, Pastell's listeStructures): every shape decodes to the same list,
// and a list is always written as an array.
func TestListShapes(t *testing.T) {
	type shape struct {
		name string
		json string
		n    int // elements decoded
		ok   bool
	}
	shapes := func(key, one string) []shape {
		return []shape{
			{"array of two", `{"codeRetour":0,"` + key + `":[` + one + `,` + one + `]}`, 2, true},
			{"array of one", `{"codeRetour":0,"` + key + `":[` + one + `]}`, 1, true},
			{"single object", `{"codeRetour":0,"` + key + `":` + one + `}`, 1, true},
			{"empty array", `{"codeRetour":0,"` + key + `":[]}`, 0, true},
			{"null", `{"codeRetour":0,"` + key + `":null}`, 0, true},
			{"absent", `{"codeRetour":20000,"libelle":"TRA_MSG_00.015"}`, 0, true},
			{"a string", `{"codeRetour":0,"` + key + `":"x"}`, 0, false},
		}
	}
	for _, tt := range []struct {
		field  string
		one    string
		decode func(data []byte) (int, string, error) // count and first element's key value
		want   string
	}{
		{"listeErreurDP", `{"numeroDP":"CT2026-000001","libelleErreurDP":"Vous avez déjà déposé une demande de paiement avec ce numéro de facture pour cette structure"}`,
			func(data []byte) (int, string, error) {
				var r ConsulterCRDetailleResponse
				err := json.Unmarshal(data, &r)
				if len(r.ListeErreurDP) == 0 {
					return 0, "", err
				}
				return len(r.ListeErreurDP), r.ListeErreurDP[0].NumeroDP, err
			}, "CT2026-000001"},
		{"listeStructures", `{"idStructureCPP":25100001,"identifiantStructure":"21299951000010"}`,
			func(data []byte) (int, string, error) {
				var r RechercherStructureResponse
				err := json.Unmarshal(data, &r)
				if len(r.ListeStructures) == 0 {
					return 0, "", err
				}
				return len(r.ListeStructures), r.ListeStructures[0].IdentifiantStructure, err
			}, "21299951000010"},
		{"listeFactures", `{"identifiantFactureCPP":42,"numeroFacture":"CT2026-000042","statut":"DEPOSEE"}`,
			func(data []byte) (int, string, error) {
				var r RechercherFactureParFournisseurResponse
				err := json.Unmarshal(data, &r)
				if len(r.ListeFactures) == 0 {
					return 0, "", err
				}
				return len(r.ListeFactures), r.ListeFactures[0].NumeroFacture, err
			}, "CT2026-000042"},
		{"histoStatut", `{"histoStatutId":7,"histoStatutCode":"SUSPENDUE","histoStatutDatePassage":"2026-01-20 10:00"}`,
			func(data []byte) (int, string, error) {
				// histoStatut sits inside historiquesDesStatuts.
				var r ConsulterHistoriqueResponse
				wrapped := strings.Replace(string(data), `"codeRetour":0,`, `"codeRetour":0,"historiquesDesStatuts":{`, 1)
				if wrapped != string(data) {
					wrapped = strings.TrimSuffix(wrapped, "}") + "}}"
				}
				err := json.Unmarshal([]byte(wrapped), &r)
				h := r.HistoriquesDesStatuts.HistoStatut
				if len(h) == 0 {
					return 0, "", err
				}
				return len(h), string(h[0].HistoStatutCode), err
			}, "SUSPENDUE"},
	} {
		for _, sh := range shapes(tt.field, tt.one) {
			t.Run(tt.field+"/"+sh.name, func(t *testing.T) {
				n, first, err := tt.decode([]byte(sh.json))
				if (err == nil) != sh.ok {
					t.Fatalf("error %v, want ok=%v", err, sh.ok)
				}
				if !sh.ok {
					return
				}
				if n != sh.n || (n > 0 && first != tt.want) {
					t.Errorf("%d elements, first %q; want %d and %q", n, first, sh.n, tt.want)
				}
			})
		}
	}
}

func TestListMarshalsAsArray(t *testing.T) {
	b, err := json.Marshal(ConsulterCRDetailleResponse{ListeErreurDP: []ErreurDP{{NumeroDP: "A"}}})
	if err != nil || !strings.Contains(string(b), `"listeErreurDP":[{"numeroDP":"A"`) {
		t.Errorf("written as %s (%v)", b, err)
	}
	b, _ = json.Marshal(RechercherStructureResponse{})
	if !strings.Contains(string(b), `"listeStructures":null`) {
		t.Errorf("an empty list is written as %s", b)
	}
}

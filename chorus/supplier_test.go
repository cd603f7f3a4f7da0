package chorus_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
)

// supplierClient runs a sandbox (mutated by mutate) on 127.0.0.1 and a
// client for it (mutated by cmut).
func supplierClient(t *testing.T, mutate func(*sandbox.Config), cmut func(*chorus.Config)) *chorus.Client {
	t.Helper()
	cfg := sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword}
	if mutate != nil {
		mutate(&cfg)
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return fakeSupplierClient(t, srv.URL, cmut)
}

func fakeSupplierClient(t *testing.T, url string, cmut func(*chorus.Config)) *chorus.Client {
	t.Helper()
	ccfg := chorus.Config{Env: chorus.Local, BaseURL: url, TokenURL: url + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 2}
	if cmut != nil {
		cmut(&ccfg)
	}
	c, err := chorus.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSupplierStructuresAndBankAccounts(t *testing.T) {
	ctx := context.Background()
	c := supplierClient(t, nil, nil)
	list, err := c.SupplierStructures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].IDStructureCPP != sandbox.DefaultSupplierID || list[0].Identifiant != sandbox.DefaultSupplierSIRET {
		t.Fatalf("structures = %+v, want the sandbox's supplier %d", list, sandbox.DefaultSupplierID)
	}
	id, err := c.SupplierID(ctx)
	if err != nil || id != sandbox.DefaultSupplierID {
		t.Fatalf("SupplierID = %d, %v; want %d (the only structure)", id, err, sandbox.DefaultSupplierID)
	}
	accounts, err := c.BankAccounts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || accounts[0].IDCoordonneeBancaire != sandbox.DefaultBankAccountID {
		t.Fatalf("bank accounts = %+v, want %d", accounts, sandbox.DefaultBankAccountID)
	}
	// Another structure's accounts are not the account's to see: none, no error.
	if other, err := c.BankAccounts(ctx, 1); err != nil || len(other) != 0 {
		t.Fatalf("another structure's accounts = %+v, %v; want none", other, err)
	}
	// A configured supplier id is taken as it is, without asking.
	c = supplierClient(t, nil, func(cc *chorus.Config) { cc.SupplierID = 42 })
	if id, err := c.SupplierID(ctx); err != nil || id != 42 {
		t.Fatalf("configured SupplierID = %d, %v; want 42", id, err)
	}
}

func TestPasswordExpiry(t *testing.T) {
	ctx := context.Background()
	// Midnight in Paris, 100 days on: the sandbox refuses the account
	// once its password has expired.
	day := time.Now().In(mustParis(t)).AddDate(0, 0, 100)
	expires := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, mustParis(t))
	c := supplierClient(t, func(sc *sandbox.Config) { sc.TechPasswordExpires = expires }, nil)
	got, err := c.PasswordExpiry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(expires) {
		t.Errorf("PasswordExpiry = %s, want %s", got, expires)
	}
	if d, want := got.In(mustParis(t)).Format(time.DateOnly), day.Format(time.DateOnly); d != want {
		t.Errorf("the day in Paris = %s, want %s", d, want)
	}

	// The sandbox's default says nothing of the expiry.
	c = supplierClient(t, nil, nil)
	if _, err := c.PasswordExpiry(ctx); !errors.Is(err, chorus.ErrPasswordExpiryUnknown) {
		t.Errorf("no date: err = %v, want ErrPasswordExpiryUnknown", err)
	}
}

// The spellings of dateExpirationMotPasseCompteTech the client reads, and
// one it refuses with the value quoted.
func TestPasswordExpirySpellings(t *testing.T) {
	tests := []struct {
		raw     string
		want    time.Time // zero: refused
		wantErr string
	}{
		{"2026-06-01T00:00:00.000+02:00", time.Date(2026, 5, 31, 22, 0, 0, 0, time.UTC), ""},
		{"2026-06-01T00:00:00Z", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), ""},
		{"2026-06-01T10:30:00", time.Date(2026, 6, 1, 8, 30, 0, 0, time.UTC), ""}, // Paris, summer time
		{"2026-06-01 10:30", time.Date(2026, 6, 1, 8, 30, 0, 0, time.UTC), ""},
		{"2026-01-15", time.Date(2026, 1, 14, 23, 0, 0, 0, time.UTC), ""}, // Paris, winter time
		{"15/01/2026", time.Date(2026, 1, 14, 23, 0, 0, 0, time.UTC), ""},
		{"demain", time.Time{}, `dateExpirationMotPasseCompteTech: "demain" is not a date`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			url := fakeChorus(t, map[string]string{
				chorus.PathConsulterStructure: `{"codeRetour":0,"libelle":"TRA_MSG_00.000","informationGenerales":{"idStructureCPP":7,"dateExpirationMotPasseCompteTech":"` + tt.raw + `"}}`,
			})
			c := fakeSupplierClient(t, url, func(cc *chorus.Config) { cc.SupplierID = 7 })
			got, err := c.PasswordExpiry(context.Background())
			if tt.wantErr != "" {
				if err == nil || !chorus.IsPermanent(err) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a permanent error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("PasswordExpiry = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// Probe reports the envelope and the shape of each list, including a
// one-element list sent as an object (fidelity B-3), which the typed
// decoding accepts (List) but the qualification wants to know of.
func TestProbeSeesListShapes(t *testing.T) {
	tests := []struct {
		name       string
		answer     string
		wantErr    bool
		wantCode   int
		wantLists  string
		wantListed int // structures decoded
	}{
		{"array", `{"codeRetour":0,"libelle":"TRA_MSG_00.000","listeStructures":[{"idStructureCPP":1},{"idStructureCPP":2}]}`,
			false, 0, "listeStructures: an array of 2", 2},
		{"object", `{"codeRetour":0,"libelle":"TRA_MSG_00.000","listeStructures":{"idStructureCPP":1}}`,
			false, 0, "listeStructures: a single object, not an array", 1},
		{"nothing found", `{"codeRetour":20000,"libelle":"TRA_MSG_00.015 - La recherche n'a retourné aucun résultat","listeStructures":[]}`,
			true, 20000, "listeStructures: an array of 0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := fakeChorus(t, map[string]string{chorus.PathStructuresActivesFournisseur: tt.answer})
			c := fakeSupplierClient(t, url, nil)
			var out chorus.StructuresActivesFournisseurResponse
			seen, err := c.Probe(context.Background(), "probe", chorus.PathStructuresActivesFournisseur, chorus.StructuresActivesFournisseurRequest{}, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if seen.Status != http.StatusOK || seen.CodeRetour != tt.wantCode {
				t.Errorf("seen = HTTP %d codeRetour %d, want 200 and %d", seen.Status, seen.CodeRetour, tt.wantCode)
			}
			if got := seen.ListsString(); got != tt.wantLists {
				t.Errorf("lists = %q, want %q", got, tt.wantLists)
			}
			if len(out.ListeStructures) != tt.wantListed {
				t.Errorf("decoded %d structures, want %d", len(out.ListeStructures), tt.wantListed)
			}
		})
	}
}

// A technical account refused by Chorus Pro: the probe sees the 401 and
// its reason, the token itself was fine.
func TestProbeRefusedAccount(t *testing.T) {
	c := supplierClient(t, nil, func(cc *chorus.Config) { cc.TechPassword = "wrong" })
	if err := c.CheckToken(context.Background()); err != nil {
		t.Fatalf("token: %v", err)
	}
	seen, err := c.Probe(context.Background(), "probe", chorus.PathStructuresActivesFournisseur, chorus.StructuresActivesFournisseurRequest{}, nil)
	if !chorus.IsAuth(err) || seen.Status != http.StatusUnauthorized {
		t.Fatalf("seen HTTP %d, err %v; want 401 and an Auth error", seen.Status, err)
	}
	if !strings.Contains(err.Error(), "login or password incorrects") {
		t.Errorf("err = %v, want the WWW-Authenticate reason", err)
	}
}

// fakeChorus serves a token and a fixed JSON answer per path.
func fakeChorus(t *testing.T, answers map[string]string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc(chorus.PathToken, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":3600,"scope":"openid"}`))
	})
	for path, body := range answers {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", chorus.ContentTypeJSON)
			w.Write([]byte(body))
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustParis(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

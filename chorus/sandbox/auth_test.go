package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

func TestTokenEndpoint(t *testing.T) {
	h := newHarness(t, nil)
	wrongSecret := goodForm()
	wrongSecret.Set("client_secret", "nope")
	unknownID := goodForm()
	unknownID.Set("client_id", "someone-else")
	noScope := goodForm()
	noScope.Del("scope")
	badScope := goodForm()
	badScope.Set("scope", "resource.READ")
	badGrant := goodForm()
	badGrant.Set("grant_type", "password")
	inBasic := url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}

	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		status     int
		errCode    string
	}{
		{"form credentials", goodForm(), "", "", http.StatusOK, ""},
		{"basic credentials", inBasic, DefaultClientID, DefaultClientSecret, http.StatusOK, ""},
		{"no scope accepted", noScope, "", "", http.StatusOK, ""},
		{"wrong secret", wrongSecret, "", "", http.StatusBadRequest, "invalid_client"},
		{"unknown client id", unknownID, "", "", http.StatusBadRequest, "invalid_client"},
		{"wrong basic secret", inBasic, DefaultClientID, "nope", http.StatusBadRequest, "invalid_client"},
		{"other scope", badScope, "", "", http.StatusBadRequest, "invalid_scope"},
		{"other grant", badGrant, "", "", http.StatusBadRequest, "unsupported_grant_type"},
	}
	bodies := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.tokenRequest(tc.form, tc.user, tc.pass)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.status, body)
			}
			if tc.status == http.StatusOK {
				var tr chorus.TokenResponse
				if err := json.Unmarshal(body, &tr); err != nil {
					t.Fatal(err)
				}
				if tr.AccessToken == "" || tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.Scope != "openid" {
					t.Errorf("token response %+v", tr)
				}
				return
			}
			var te chorus.TokenError
			if err := json.Unmarshal(body, &te); err != nil {
				t.Fatal(err)
			}
			if te.Error != tc.errCode {
				t.Errorf("error %q, want %q", te.Error, tc.errCode)
			}
			bodies[tc.name] = string(body)
		})
	}
	// chorus-pro.md §1.2 [FR1]: the same bytes for an unknown id and a wrong secret.
	if bodies["wrong secret"] != bodies["unknown client id"] {
		t.Errorf("invalid_client bodies differ:\n%s\n%s", bodies["wrong secret"], bodies["unknown client id"])
	}

	req, _ := http.NewRequest(http.MethodGet, h.http.URL+chorus.PathToken, nil)
	resp, err := h.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET token: %d", resp.StatusCode)
	}
}

func TestTokenExpiryAndLifetime(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.TokenLifetime = 10 * time.Minute })
	resp, body := h.tokenRequest(goodForm(), "", "")
	var tr chorus.TokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	if tr.ExpiresIn != 600 {
		t.Errorf("expires_in %d, want 600", tr.ExpiresIn)
	}
	h.token = tr.AccessToken
	ping := func() *http.Response {
		resp, _, err := h.do(chorus.PathStructuresActivesFournisseur, struct{}{})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if r := ping(); r.StatusCode != http.StatusOK {
		t.Fatalf("fresh token refused: %d", r.StatusCode)
	}
	// The business clock does not expire tokens.
	h.advance(24 * time.Hour)
	if r := ping(); r.StatusCode != http.StatusOK {
		t.Fatalf("token refused after a business-clock advance: %d", r.StatusCode)
	}
	h.clock.Add(10*time.Minute - time.Second)
	if r := ping(); r.StatusCode != http.StatusOK {
		t.Fatalf("token refused before expiry: %d", r.StatusCode)
	}
	h.clock.Add(time.Second)
	r := ping()
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", r.StatusCode)
	}
	if got := r.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error_description="access token expired"`) {
		t.Errorf("WWW-Authenticate %q", got)
	}
	// A new token works again.
	h.token = h.getToken()
	if r := ping(); r.StatusCode != http.StatusOK {
		t.Fatalf("new token refused: %d", r.StatusCode)
	}
}

func TestSubSecondTokenLifetime(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.TokenLifetime = 300 * time.Millisecond })
	resp, body := h.tokenRequest(goodForm(), "", "")
	var tr chorus.TokenResponse
	_ = json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK || tr.ExpiresIn != 1 {
		t.Fatalf("expires_in %d (status %d), want 1", tr.ExpiresIn, resp.StatusCode)
	}
}

func TestUnauthorized(t *testing.T) {
	expires := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	h := newHarness(t, func(c *Config) { c.TechPasswordExpires = expires })
	token := h.getToken()
	good := cproAccount(DefaultTechLogin, DefaultTechPassword)
	const incorrect = `Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"`
	tests := []struct {
		name           string
		token, account string
		advance        time.Duration
		wantStatus     int
		wantHeader     string
	}{
		{"valid", token, good, 0, http.StatusOK, ""},
		{"no token", "", good, 0, http.StatusUnauthorized, `Bearer realm="PISTE",error="invalid_request",error_description="missing bearer token"`},
		{"unknown token", "deadbeef", good, 0, http.StatusUnauthorized, `Bearer realm="PISTE",error="invalid_token",error_description="invalid access token"`},
		{"no cpro-account", token, "", 0, http.StatusUnauthorized, `Bearer realm="PISTE",error="Unauthorized",error_description="cpro-account header missing"`},
		{"wrong password", token, cproAccount(DefaultTechLogin, "wrong"), 0, http.StatusUnauthorized, incorrect},
		{"wrong login", token, cproAccount("TECH_1_other@cpro.fr", DefaultTechPassword), 0, http.StatusUnauthorized, incorrect},
		{"not base64", token, "login:password", 0, http.StatusUnauthorized, incorrect},
		{"SIRET instead of account", token, DefaultSupplierSIRET, 0, http.StatusUnauthorized, incorrect},
		// chorus-pro.md §0-8: an expired password gives the same 401.
		{"expired password", token, good, 60 * 24 * time.Hour, http.StatusUnauthorized, incorrect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.advance(tc.advance)
			resp, body, err := h.doWith(h.http.Client(), chorus.PathStructuresActivesFournisseur, struct{}{}, tc.token, tc.account)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.wantStatus, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.wantHeader {
				t.Errorf("WWW-Authenticate\n got %s\nwant %s", got, tc.wantHeader)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	h := newHarness(t, nil)
	h.token = h.getToken()
	account := cproAccount(DefaultTechLogin, DefaultTechPassword)
	send := func(method, path, contentType, body string) int {
		req, _ := http.NewRequest(method, h.http.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer "+h.token)
		req.Header.Set(chorus.HeaderCproAccount, account)
		resp, err := h.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name                      string
		method, path, ctype, body string
		want                      int
	}{
		{"ok", "POST", chorus.PathStructuresActivesFournisseur, "application/json;charset=utf-8", "{}", 200},
		{"plain json content type", "POST", chorus.PathStructuresActivesFournisseur, "application/json", "{}", 200},
		{"empty body", "POST", chorus.PathStructuresActivesFournisseur, "application/json", "", 200},
		{"form content type", "POST", chorus.PathStructuresActivesFournisseur, "application/x-www-form-urlencoded", "{}", 415},
		{"malformed JSON", "POST", chorus.PathConsulterStructure, "application/json", "{not json", 400},
		{"wrong JSON type", "POST", chorus.PathConsulterStructure, "application/json", `{"idStructureCPP":"x"}`, 400},
		{"unknown route", "POST", "/cpro/factures/v1/consulter/cr", "application/json", "{}", 404},
		{"GET on a POST route", "GET", chorus.PathDeposerFlux, "", "", 405},
		{"health check", "GET", chorus.PathHealthCheck, "", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := send(tc.method, tc.path, tc.ctype, tc.body); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
}

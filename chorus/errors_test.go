package chorus_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// fakePlatform is a Chorus Pro on 127.0.0.1 that hands out tokens and
// answers every API call with the same status and body.
type fakePlatform struct {
	mu     sync.Mutex
	calls  int
	tokens int
}

func (f *fakePlatform) serve(t *testing.T, status int, body string, header http.Header) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Path == chorus.PathToken {
			f.tokens++
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(chorus.TokenResponse{AccessToken: "tok", TokenType: "Bearer", ExpiresIn: 3600})
			return
		}
		f.calls++
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fakeClient(t *testing.T, url string, opts ...chorus.Option) *chorus.Client {
	t.Helper()
	c, err := chorus.New(chorus.Config{
		Env: chorus.Local, BaseURL: url, TokenURL: url + chorus.PathToken,
		ClientID: "id", ClientSecret: "secret", TechLogin: "login", TechPassword: "password",
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 3,
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Each HTTP status ends in the kind the caller acts on: a refused route is
// a configuration fault (no invoice is to blame), a refused body is
// permanent, a lost answer to a deposit is uncertain.
func TestHTTPStatusKinds(t *testing.T) {
	ctx := context.Background()
	withCode := `{"codeRetour":20002,"libelle":"GCU_MSG_01.012 - Paramètre invalide"}`
	for _, tt := range []struct {
		name    string
		status  int
		body    string
		header  http.Header
		deposit bool // the unsafe call rather than a read
		kind    chorus.Kind
		calls   int // API calls made (attempts)
		code    int
		libelle string
		label   string
	}{
		{"400 with a codeRetour body", 400, withCode, nil, false, chorus.Permanent, 1, 20002, "GCU_MSG_01.012 - Paramètre invalide", "permanent"},
		{"400 on a deposit", 400, withCode, nil, true, chorus.Permanent, 1, 20002, "GCU_MSG_01.012 - Paramètre invalide", "permanent"},
		{"401 twice", 401, "", http.Header{"Www-Authenticate": {`Bearer realm="PISTE",error="Unauthorized"`}}, false, chorus.Auth, 2, 0, "", "authentication"},
		{"403 not subscribed", 403, `{"error":"Accès refusé"}`, nil, false, chorus.Configuration, 1, 0, "", "configuration"},
		{"403 on a deposit", 403, "", nil, true, chorus.Configuration, 1, 0, "", "configuration"},
		{"404 API non trouvée", 404, `{"error":"API non trouvée"}`, nil, false, chorus.Configuration, 1, 0, "", "configuration"},
		{"405", 405, "", nil, true, chorus.Configuration, 1, 0, "", "configuration"},
		{"413 too large", 413, `{"codeRetour":20001,"libelle":"GDP_MSG_11.022"}`, nil, true, chorus.Permanent, 1, 20001, "GDP_MSG_11.022", "permanent"},
		{"429 read", 429, "", http.Header{"Retry-After": {"0"}}, false, chorus.Transient, 3, 0, "", "transient"},
		{"429 deposit", 429, "", http.Header{"Retry-After": {"0"}}, true, chorus.Transient, 3, 0, "", "transient"},
		{"500 read", 500, "", nil, false, chorus.Transient, 3, 0, "", "transient"},
		{"500 deposit", 500, "", nil, true, chorus.Uncertain, 1, 0, "", "uncertain"},
		{"503 read", 503, "", nil, false, chorus.Transient, 3, 0, "", "transient"},
		{"503 deposit", 503, "", nil, true, chorus.Transient, 3, 0, "", "transient"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePlatform{}
			srv := f.serve(t, tt.status, tt.body, tt.header)
			var labels []string
			c := fakeClient(t, srv.URL, chorus.WithObserver(chorus.LabelObserver(func(op string, outcome string, _ int, _ time.Duration) {
				labels = append(labels, outcome)
			})))
			var err error
			if tt.deposit {
				_, err = c.Deposit(ctx, chorus.Deposit{Filename: "F1.xml", Content: []byte("<x/>"), Syntax: chorus.SyntaxeCII16B})
			} else {
				_, err = c.LookupBuyer(ctx, buyerFree)
			}
			if got := chorus.KindOf(err); got != tt.kind {
				t.Fatalf("kind %s, want %s (%v)", got, tt.kind, err)
			}
			if chorus.IsConfig(err) != (tt.kind == chorus.Configuration) {
				t.Errorf("IsConfig = %v", chorus.IsConfig(err))
			}
			var e *chorus.Error
			if !errors.As(err, &e) || e.Status != tt.status || e.CodeRetour != tt.code || e.Libelle != tt.libelle {
				t.Errorf("error %+v, want HTTP %d codeRetour %d %q", e, tt.status, tt.code, tt.libelle)
			}
			f.mu.Lock()
			calls := f.calls
			f.mu.Unlock()
			if calls != tt.calls {
				t.Errorf("%d calls, want %d", calls, tt.calls)
			}
			if n := len(labels); n == 0 || labels[n-1] != tt.label {
				t.Errorf("observed %v, want the last %q", labels, tt.label)
			}
		})
	}
}

package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.BooksURL() != store.DefaultURL || c.RedisURL != DefaultRedisURL || c.Chorus.Env != "" ||
		c.DashboardAddr != DefaultDashboardAddr || c.MetricsAddr != "" || c.BenchPostgresURL != DefaultBenchPostgres ||
		c.SIRETScheme != document.SchemeSIRET0009 || !c.TechPasswordExpires.IsZero() || c.ReminderSteps.String() != "15,45" {
		t.Errorf("defaults: %+v", c)
	}
}

// CHORUS_ENV has no default (fidelity C-6): the configuration loads
// without it, for the commands that never talk to Chorus Pro, but no
// Chorus Pro configuration comes out of it, and the error names the
// variable and its values. Set, it gives the platform's.
func TestChorusEnvRequired(t *testing.T) {
	for _, tt := range []struct {
		env      map[string]string
		wantEnv  chorus.Env
		wantBase string
	}{
		{map[string]string{}, "", ""},
		{map[string]string{EnvChorusEnv: "  "}, "", ""},
		{map[string]string{EnvChorusEnv: "local"}, chorus.Local, "http://" + chorus.LocalAddr},
		{map[string]string{EnvChorusEnv: "qualification", "CHORUS_CLIENT_ID": "a", "CHORUS_CLIENT_SECRET": "b",
			"CHORUS_TECH_LOGIN": "c", "CHORUS_TECH_PASSWORD": "d"}, chorus.Qualification, "https://sandbox-api.piste.gouv.fr"},
	} {
		c, err := LoadConfig(func(k string) string { return tt.env[k] })
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		got, err := c.ChorusConfig()
		if tt.wantEnv == "" {
			if !errors.Is(err, ErrNoChorusEnv) {
				t.Fatalf("%v: ChorusConfig err = %v, want ErrNoChorusEnv", tt.env, err)
			}
			for _, word := range []string{"CHORUS_ENV", "production", "qualification", "local"} {
				if !strings.Contains(err.Error(), word) {
					t.Errorf("the error %q does not name %s", err, word)
				}
			}
			continue
		}
		if err != nil || got.Env != tt.wantEnv || got.BaseURL != tt.wantBase {
			t.Errorf("%v: ChorusConfig = %s, %v; want %s at %s", tt.env, got, err, tt.wantEnv, tt.wantBase)
		}
	}
}

// A stack (work, serve, run…) is refused without CHORUS_ENV before it
// opens anything: no books are created for a worker that cannot start.
func TestNewStackRequiresChorusEnv(t *testing.T) {
	db := filepath.Join(t.TempDir(), "books.db")
	c, err := LoadConfig(func(k string) string { return map[string]string{EnvDatabaseURL: "sqlite://" + db}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewStack(context.Background(), c, StackOptions{}); !errors.Is(err, ErrNoChorusEnv) {
		t.Fatalf("NewStack err = %v, want ErrNoChorusEnv", err)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the books were touched (%v): the stack must be refused before it opens them", err)
	}
	// A stack given its Chorus Pro explicitly (the demo, the lab) needs no
	// CHORUS_ENV.
	s, err := NewStack(context.Background(), c, StackOptions{RedisURL: "redis://127.0.0.1:1/0",
		Chorus: &chorus.Config{Env: chorus.Local, BaseURL: "http://127.0.0.1:1", TokenURL: "http://127.0.0.1:1" + chorus.PathToken,
			ClientID: "a", ClientSecret: "b", TechLogin: "c", TechPassword: "d"}})
	if err != nil {
		t.Fatalf("NewStack with its own Chorus Pro: %v", err)
	}
	s.Close()
}

// CHORUS_SIRET_SCHEME reaches the issuer, hence every rendering.
func TestSIRETSchemeSetting(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  document.SIRETScheme
	}{{"", document.SchemeSIRET0009}, {"0009", document.SchemeSIRET0009}, {"0002", document.SchemeSIRENE0002}, {"1", document.SchemeChorus1}} {
		c, err := LoadConfig(func(k string) string { return map[string]string{EnvSIRETScheme: tt.value}[k] })
		if err != nil {
			t.Fatalf("%q: %v", tt.value, err)
		}
		is, err := c.LoadIssuer()
		if err != nil {
			t.Fatal(err)
		}
		if c.SIRETScheme != tt.want || is.SIRETScheme != tt.want {
			t.Errorf("%s=%q: config %q, issuer %q; want %q", EnvSIRETScheme, tt.value, c.SIRETScheme, is.SIRETScheme, tt.want)
		}
	}
}

func TestTechPasswordExpiresSetting(t *testing.T) {
	c, err := LoadConfig(func(k string) string { return map[string]string{EnvTechPasswordExpires: "2027-03-31"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	if want := time.Date(2027, 3, 31, 0, 0, 0, 0, paris); !c.TechPasswordExpires.Equal(want) {
		t.Errorf("TechPasswordExpires = %s, want %s", c.TechPasswordExpires, want)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "url")
	if err := os.WriteFile(f, []byte("redis://127.0.0.1:6379/3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		EnvDatabaseURL: "sqlite://x.db", EnvRedisURL + "_FILE": f, EnvConcurrency: "4",
		EnvKickEvery: "2s", EnvTrackIntervals: "1s, 2s", EnvMetricsAddr: "9464", EnvInsecureCookies: "1",
		EnvTestPostgres: "postgres://t", EnvReminderSteps: "10, 30,60", EnvTrustedProxies: "10.0.0.0/8, 192.0.2.7,::ffff:198.51.100.1, 2001:db8::/32",
	}
	c, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite://x.db" || c.RedisURL != "redis://127.0.0.1:6379/3" || c.MetricsAddr != "127.0.0.1:9464" ||
		!c.InsecureCookies || c.BenchPostgresURL != "postgres://t" || c.ReminderSteps.String() != "10,30,60" {
		t.Errorf("config: %+v", c)
	}
	if fmt.Sprint(c.TrustedProxies) != "[10.0.0.0/8 192.0.2.7/32 198.51.100.1/32 2001:db8::/32]" {
		t.Errorf("trusted proxies: %v", c.TrustedProxies)
	}
	w := worker.DefaultConfig()
	c.Tune(&w)
	if w.Concurrency != 4 || w.KickEvery != 2*time.Second || !reflect.DeepEqual(w.TrackIntervals, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("tuned: %+v", w)
	}
}

// Every mistake names its variable.
func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{EnvConcurrency, "0"},
		{EnvKickEvery, "soon"},
		{EnvStaleAfter, "-1s"},
		{EnvTrackIntervals, "1s,x"},
		{EnvInsecureCookies, "perhaps"},
		{EnvMetricsAddr, "a:b:c"},
		{EnvTrustedProxies, "10.0.0.0/8, proxy.local"},
		{EnvRedisURL, "http://x"},
		{"CHORUS_ENV", "mars"},
		{EnvSIRETScheme, "0088"},
		{EnvTechPasswordExpires, "31/03/2027"},
		{EnvReminderSteps, "45,15"},
		{EnvReminderSteps, "quinze"},
		{EnvDatabaseURL + "_FILE", "/nonexistent"},
	} {
		_, err := LoadConfig(func(k string) string {
			if k == tc.name {
				return tc.value
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(tc.name, "_FILE")) {
			t.Errorf("%s=%s: %v", tc.name, tc.value, err)
		}
	}
	_, err := LoadConfig(func(k string) string { return map[string]string{EnvDatabaseURL: "a", EnvDatabaseURL + "_FILE": "b"}[k] })
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("both: %v", err)
	}
}

// The help's list of variables names every variable the product reads.
func TestVariablesListsEverySetting(t *testing.T) {
	var listed strings.Builder
	for _, v := range Variables() {
		listed.WriteString(v[0] + "\n")
	}
	for _, name := range []string{
		EnvDatabaseURL, EnvRedisURL, EnvConcurrency, EnvKickEvery, EnvStaleAfter, EnvPollInterval, EnvTrackIntervals,
		EnvIssuer, EnvDeliberation, EnvLegalRates, EnvECBRates, EnvDashboardAddr, EnvInsecureCookies, EnvTrustedProxies, EnvMetricsAddr,
		EnvBenchPostgres, EnvTestPostgres,
		"CHORUS_ENV", "CHORUS_CLIENT_ID", "CHORUS_CLIENT_SECRET", "CHORUS_TECH_LOGIN", "CHORUS_TECH_PASSWORD",
		"CHORUS_SUPPLIER_ID", "CHORUS_BANK_ACCOUNT_ID", "CHORUS_BASE_URL", "CHORUS_TOKEN_URL", "CHORUS_RATE",
		EnvSIRETScheme, EnvTechPasswordExpires, EnvReminderSteps,
	} {
		if !strings.Contains(listed.String(), name) {
			t.Errorf("%s is not in the help's variables", name)
		}
	}
}

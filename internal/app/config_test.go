package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.BooksURL() != store.DefaultURL || c.RedisURL != DefaultRedisURL || c.Chorus.Env != chorus.Local ||
		c.DashboardAddr != DefaultDashboardAddr || c.MetricsAddr != "" || c.BenchPostgresURL != DefaultBenchPostgres {
		t.Errorf("defaults: %+v", c)
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
		EnvTestPostgres: "postgres://t",
	}
	c, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite://x.db" || c.RedisURL != "redis://127.0.0.1:6379/3" || c.MetricsAddr != "127.0.0.1:9464" ||
		!c.InsecureCookies || c.BenchPostgresURL != "postgres://t" {
		t.Errorf("config: %+v", c)
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
		{EnvRedisURL, "http://x"},
		{"CHORUS_ENV", "mars"},
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
		EnvIssuer, EnvDeliberation, EnvLegalRates, EnvECBRates, EnvDashboardAddr, EnvInsecureCookies, EnvMetricsAddr,
		EnvBenchPostgres, EnvTestPostgres,
		"CHORUS_ENV", "CHORUS_CLIENT_ID", "CHORUS_CLIENT_SECRET", "CHORUS_TECH_LOGIN", "CHORUS_TECH_PASSWORD",
		"CHORUS_SUPPLIER_ID", "CHORUS_BANK_ACCOUNT_ID", "CHORUS_BASE_URL", "CHORUS_TOKEN_URL", "CHORUS_RATE",
	} {
		if !strings.Contains(listed.String(), name) {
			t.Errorf("%s is not in the help's variables", name)
		}
	}
}

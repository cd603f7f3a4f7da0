package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigFromEnvDefaults(t *testing.T) {
	cfg, err := ConfigFromEnv(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Config()
	if c.ClientID != DefaultClientID || c.ClientSecret != DefaultClientSecret || c.TechLogin != DefaultTechLogin ||
		c.TechPassword != DefaultTechPassword || c.Supplier.SIRET != DefaultSupplierSIRET || c.Supplier.ID != DefaultSupplierID ||
		c.Supplier.BankAccounts[0].ID != DefaultBankAccountID || c.TokenLifetime != DefaultTokenLifetime ||
		c.FlowProcessingDelay != DefaultFlowProcessingDelay || c.FlowIntegrationDelay != DefaultFlowIntegrationDelay ||
		c.ClockSpeed != 1 || c.Admin || c.Seed != DefaultSeed || c.Directory == nil {
		t.Errorf("defaults: %+v", c)
	}
	if _, ok := c.Directory.Lookup(siretCrozon); !ok {
		t.Error("the default directory lacks the sample's on_chorus establishments")
	}
}

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	buyersFile := filepath.Join(dir, "buyers.yaml")
	if err := os.WriteFile(buyersFile, []byte("buyers:\n  - {siret: \"11111111111111\", name: Test}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	estFile := filepath.Join(dir, "est.csv")
	if err := os.WriteFile(estFile, []byte("siret;name;on_chorus\n22222222222222;A;oui\n33333333333333;B;non\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		EnvClientID: "id", EnvClientSecret + "_FILE": secretFile, EnvTechLogin: "TECH_1_x@cpro.fr", EnvTechPassword: "pw",
		EnvSupplierSIRET: "12345678200051", EnvSupplierID: "42", EnvBankAccountID: "7",
		EnvTokenLifetime: "90s", EnvFlowProcessingDelay: "0", EnvFlowIntegrationDelay: "1d",
		EnvClockSpeed: "3600", EnvAdmin: "true", EnvSeed: "9", EnvTechPasswordExpires: "2027-01-31",
		EnvFaultErrorRate: "0.2", EnvFaultRateLimitRate: "0.1", EnvFaultRetryAfter: "2s", EnvFaultLatency: "10ms",
		EnvFaultLatencyJitter: "5ms", EnvFaultInvalidClientRate: "0.1", EnvFaultLostResponseRate: "0.05",
		EnvFaultPaths: "/cpro/factures/, /cpro/transverses/",
		EnvBuyers:     buyersFile, EnvEstablishments: estFile,
	}
	cfg, err := ConfigFromEnv(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Config()
	want := Faults{ErrorRate: 0.2, RateLimitRate: 0.1, RetryAfter: Duration(2 * time.Second), Latency: Duration(10 * time.Millisecond),
		LatencyJitter: Duration(5 * time.Millisecond), InvalidClientRate: 0.1, LostResponseRate: 0.05,
		Paths: []string{"/cpro/factures/", "/cpro/transverses/"}}
	if c.ClientID != "id" || c.ClientSecret != "from-file" || c.TechLogin != "TECH_1_x@cpro.fr" || c.TechPassword != "pw" ||
		c.Supplier.SIRET != "12345678200051" || c.Supplier.ID != 42 || c.Supplier.BankAccounts[0].ID != 7 ||
		c.TokenLifetime != 90*time.Second || c.FlowProcessingDelay != 0 || c.FlowIntegrationDelay != day ||
		c.ClockSpeed != 3600 || !c.Admin || c.Seed != 9 || !c.TechPasswordExpires.Equal(time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)) ||
		c.Faults.ErrorRate != want.ErrorRate || c.Faults.RetryAfter != want.RetryAfter || c.Faults.Latency != want.Latency ||
		c.Faults.LatencyJitter != want.LatencyJitter || c.Faults.InvalidClientRate != want.InvalidClientRate ||
		c.Faults.LostResponseRate != want.LostResponseRate || strings.Join(c.Faults.Paths, "|") != strings.Join(want.Paths, "|") {
		t.Errorf("config: %+v", c)
	}
	for siret, want := range map[string]bool{"11111111111111": true, "22222222222222": true, "33333333333333": false, siretCrozon: false} {
		if _, ok := c.Directory.Lookup(siret); ok != want {
			t.Errorf("%s on Chorus Pro: %v, want %v", siret, ok, want)
		}
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		env  map[string]string
		want string // the variable named in the error
	}{
		{map[string]string{EnvClientSecret: "a", EnvClientSecret + "_FILE": "b"}, EnvClientSecret},
		{map[string]string{EnvTechPassword + "_FILE": missing}, EnvTechPassword + "_FILE"},
		{map[string]string{EnvSupplierSIRET: "123"}, EnvSupplierSIRET},
		{map[string]string{EnvSupplierID: "-1"}, EnvSupplierID},
		{map[string]string{EnvBankAccountID: "x"}, EnvBankAccountID},
		{map[string]string{EnvTokenLifetime: "soon"}, EnvTokenLifetime},
		{map[string]string{EnvClockSpeed: "0"}, EnvClockSpeed},
		{map[string]string{EnvAdmin: "yes please"}, EnvAdmin},
		{map[string]string{EnvSeed: "-3"}, EnvSeed},
		{map[string]string{EnvTechPasswordExpires: "tomorrow"}, EnvTechPasswordExpires},
		{map[string]string{EnvFaultErrorRate: "1.5"}, EnvFaultErrorRate},
		{map[string]string{EnvFaultLatency: "fast"}, EnvFaultLatency},
		{map[string]string{EnvFaultErrorRate: "0.7", EnvFaultRateLimitRate: "0.7"}, "CHORUS_SANDBOX_FAULT_"},
		{map[string]string{EnvBuyers: missing}, EnvBuyers},
		{map[string]string{EnvEstablishments: missing}, EnvEstablishments},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			_, err := ConfigFromEnv(envOf(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
	// A secret never appears in an error message.
	_, err := ConfigFromEnv(envOf(map[string]string{EnvClientSecret: "s3cr3t-value", EnvClientSecret + "_FILE": "x"}))
	if err == nil || strings.Contains(err.Error(), "s3cr3t-value") {
		t.Errorf("error %v", err)
	}
}

func TestLoadDirectory(t *testing.T) {
	tests := []struct {
		name, yaml, csv string
		wantErr         string
	}{
		{"minimal", "buyers: []\n", "", ""},
		{"empty file", "", "", ""},
		{"unknown field", "buyers:\n  - {siret: \"11111111111111\", name: A, typo: 1}\n", "", "typo"},
		{"bad siret", "buyers:\n  - {siret: \"123\", name: A}\n", "", "14 digits"},
		{"duplicate siret", "buyers:\n  - {siret: \"11111111111111\", name: A}\n  - {siret: \"11111111111111\", name: B}\n", "", "twice"},
		{"no name", "buyers:\n  - {siret: \"11111111111111\"}\n", "", "name is required"},
		{"duplicate id", "buyers:\n  - {siret: \"11111111111111\", name: A, idStructureCPP: 5}\n  - {siret: \"22222222222222\", name: B, idStructureCPP: 5}\n", "", "already used"},
		{"duplicate service", "buyers:\n  - siret: \"11111111111111\"\n    name: A\n    services: [{codeService: X}, {codeService: X}]\n", "", "twice"},
		{"rejection without reason", "buyers:\n  - siret: \"11111111111111\"\n    name: A\n    lifecycle: [{status: REJETEE, after: 1d}]\n", "", "comment"},
		{"bad duration", "buyers:\n  - siret: \"11111111111111\"\n    name: A\n    lifecycle: [{status: MISE_A_DISPOSITION, after: 10}]\n", "", "invalid duration"},
		{"steps after a terminal status", "default:\n  lifecycle: [{status: MISE_EN_PAIEMENT, after: 1d}, {status: MANDATEE, after: 1d}]\n", "", "terminal"},
		{"csv without siret column", "", "name;on_chorus\nA;oui\n", "no siret column"},
		{"csv bad on_chorus", "", "siret;on_chorus\n11111111111111;peut-être\n", "on_chorus"},
		{"csv bad siret", "", "siret\n1234\n", "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var est []EstablishmentsSource
			if tc.csv != "" {
				est = append(est, EstablishmentsSource{Name: "est.csv", Data: []byte(tc.csv)})
			}
			_, err := LoadDirectory("buyers.yaml", []byte(tc.yaml), est...)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestDefaultDirectory(t *testing.T) {
	d, err := DefaultDirectory()
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	ids := map[int64]bool{DefaultSupplierID: true}
	for _, b := range d.Buyers() {
		if ids[b.ID] {
			t.Errorf("id %d used twice", b.ID)
		}
		ids[b.ID] = true
		if b.ID < firstDefaultBuyerID {
			listed++
			// Listed buyers have FACTURES_PUBLIQUES and a script.
			hasFP := false
			for _, s := range b.Services {
				hasFP = hasFP || s.Code == chorus.CodeServiceFacturesPubliques
			}
			if !hasFP || len(b.Behaviour.Lifecycles) == 0 {
				t.Errorf("%s: services %v, behaviour %+v", b.SIRET, b.Services, b.Behaviour)
			}
		}
	}
	if listed < 10 {
		t.Errorf("%d listed buyers, want about 10 or more", listed)
	}
	// Every sample establishment with on_chorus=oui is on Chorus Pro, none of
	// the others.
	est, err := embeddedEstablishments()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readEstablishments(est[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, ok := d.Lookup(r.siret); ok != r.onChorus {
			t.Errorf("%s (%s): on Chorus Pro %v, on_chorus %v", r.siret, r.name, ok, r.onChorus)
		}
	}
	// An inactive service somewhere.
	b, _ := d.Lookup(siretDupuyDeLome)
	inactive := false
	for _, s := range b.Services {
		inactive = inactive || !s.Active
	}
	if !inactive {
		t.Error("no inactive service for the lycée")
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"10d", 10 * day, true},
		{"1d12h", 36 * time.Hour, true},
		{"0", 0, true},
		{"", 0, false},
		{"10", 0, false},
		{"d", 0, false},
		{"-1d", 0, false},
		{"1.5d", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v", tc.in, got, err)
		}
	}
}

package chorus

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/internal/secret"
)

// Env names a Chorus Pro platform.
type Env string

// Platforms. Production and qualification are the PISTE hosts
// (chorus-pro.md §1.1); local is chorusbill's own sandbox.
const (
	Production    Env = "production"
	Qualification Env = "qualification"
	Local         Env = "local"
)

// Defaults of the local sandbox (chorus/sandbox uses the same values), so
// that CHORUS_ENV=local and the demo work with no other setting. They are
// not secrets: the sandbox is a test double on 127.0.0.1.
const (
	LocalAddr          = "127.0.0.1:8790"
	LocalClientID      = "chorusbill-local"
	LocalClientSecret  = "local-piste-secret"
	LocalTechLogin     = "TECH_1_chorusbill@cpro.fr"
	LocalTechPassword  = "local-tech-password"
	refreshMarginPISTE = 240 * time.Second // OCA refreshes 240 s early (chorus-pro.md §1.2)
)

// Config is how to reach Chorus Pro and as whom.
type Config struct {
	Env      Env
	BaseURL  string // API host, e.g. https://api.piste.gouv.fr
	TokenURL string // PISTE token endpoint
	// ClientID and ClientSecret are the PISTE application's.
	ClientID     string
	ClientSecret string
	// TechLogin and TechPassword are the Chorus Pro technical account's.
	TechLogin    string
	TechPassword string
	// SupplierID is the supplier structure's idStructureCPP and
	// BankAccountID its bank account id; found with SupplierStructures and
	// BankAccounts when unknown.
	SupplierID    int64
	BankAccountID int64
	// CallTimeout bounds one HTTP exchange.
	CallTimeout time.Duration
	// MaxAttempts bounds the attempts of a call that may be retried.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the jittered exponential backoff.
	MinBackoff, MaxBackoff time.Duration
	// RefreshMargin is how long before expiry a token is renewed.
	RefreshMargin time.Duration
	// RatePerSecond limits the calls (0: no limit); the workers sharing a
	// Redis share it. ConfigFromEnv sets DefaultRatePerSecond outside the
	// local sandbox unless CHORUS_RATE says otherwise.
	RatePerSecond float64
	// PageSize is the number of results asked per page of a search
	// (DefaultPageSize when 0); Chorus Pro answers 10 when not told
	// (chorus-pro.md §2), and every page is read whatever the size.
	PageSize int
}

// DefaultPageSize is the page size of searches when Config.PageSize is 0.
// The Swagger sets no maximum on nbResultatsParPage; OCA asks 10,000
// services at once and Pastell 20, so 100 is well within what the
// platform serves while cutting the calls of a bulk search tenfold.
const DefaultPageSize = 100

// Preset returns the URLs of a platform.
func Preset(env Env) (base, token string, err error) {
	switch env {
	case Production:
		return "https://api.piste.gouv.fr", "https://oauth.piste.gouv.fr/api/oauth/token", nil
	case Qualification:
		return "https://sandbox-api.piste.gouv.fr", "https://sandbox-oauth.piste.gouv.fr/api/oauth/token", nil
	case Local:
		return "http://" + LocalAddr, "http://" + LocalAddr + PathToken, nil
	}
	return "", "", fmt.Errorf("CHORUS_ENV %q: want production, qualification or local", env)
}

// ConfigFromEnv reads the configuration from CHORUS_* variables. Each
// secret may instead come from a file named by VAR_FILE. CHORUS_BASE_URL
// and CHORUS_TOKEN_URL override the preset of CHORUS_ENV; with
// CHORUS_ENV=local the sandbox's credentials are the defaults.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Env: Env(strings.TrimSpace(getenv("CHORUS_ENV")))}
	if c.Env == "" {
		c.Env = Local
	}
	var err error
	if c.BaseURL, c.TokenURL, err = Preset(c.Env); err != nil {
		return c, err
	}
	if v := getenv("CHORUS_BASE_URL"); v != "" {
		c.BaseURL = strings.TrimRight(v, "/")
	}
	if v := getenv("CHORUS_TOKEN_URL"); v != "" {
		c.TokenURL = v
	}
	for _, u := range []struct{ name, v string }{{"CHORUS_BASE_URL", c.BaseURL}, {"CHORUS_TOKEN_URL", c.TokenURL}} {
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return c, fmt.Errorf("%s %q is not an http(s) URL", u.name, u.v)
		}
	}
	secrets := []struct {
		name string
		dst  *string
		def  string
	}{
		{"CHORUS_CLIENT_ID", &c.ClientID, LocalClientID},
		{"CHORUS_CLIENT_SECRET", &c.ClientSecret, LocalClientSecret},
		{"CHORUS_TECH_LOGIN", &c.TechLogin, LocalTechLogin},
		{"CHORUS_TECH_PASSWORD", &c.TechPassword, LocalTechPassword},
	}
	for _, s := range secrets {
		v, err := secret.Read(getenv, s.name)
		if err != nil {
			return c, err
		}
		if v == "" && c.Env == Local {
			v = s.def
		}
		if v == "" {
			return c, fmt.Errorf("%s (or %s_FILE) is required for CHORUS_ENV=%s", s.name, s.name, c.Env)
		}
		*s.dst = v
	}
	ints := []struct {
		name string
		dst  *int64
	}{{"CHORUS_SUPPLIER_ID", &c.SupplierID}, {"CHORUS_BANK_ACCOUNT_ID", &c.BankAccountID}}
	for _, i := range ints {
		if v := getenv(i.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return c, fmt.Errorf("%s %q is not a positive number", i.name, v)
			}
			*i.dst = n
		}
	}
	if v := getenv("CHORUS_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 {
			return c, fmt.Errorf("CHORUS_RATE %q is not a number of calls per second", v)
		}
		c.RatePerSecond = r
	} else if c.Env != Local {
		c.RatePerSecond = DefaultRatePerSecond
	}
	if v := getenv("CHORUS_CALL_TIMEOUT"); v != "" {
		// Mostly for the chaos run, whose fault proxy holds calls past it.
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("CHORUS_CALL_TIMEOUT %q is not a positive duration (e.g. 60s)", v)
		}
		c.CallTimeout = d
	}
	return c.withDefaults(), nil
}

// DefaultRatePerSecond is the calls per second to Chorus Pro, shared by
// every worker, unless CHORUS_RATE says otherwise. No Chorus Pro quota is
// documented; PISTE throttles other APIs at 20 calls a second (Légifrance,
// chorus-pro.md §2.12): half of it leaves room for the other users of the
// same PISTE application. assumption.
const DefaultRatePerSecond = 10

func (c Config) withDefaults() Config {
	if c.CallTimeout == 0 {
		c.CallTimeout = 60 * time.Second
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 6
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 200 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.RefreshMargin == 0 {
		c.RefreshMargin = refreshMarginPISTE
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	return c
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("chorus{env=%s base=%s token=%s client_id=%s tech_login=%s secrets=redacted}",
		c.Env, c.BaseURL, c.TokenURL, c.ClientID, c.TechLogin)
}

// LogValue keeps secrets out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("env", string(c.Env)), slog.String("base", c.BaseURL),
		slog.String("client_id", c.ClientID), slog.String("tech_login", c.TechLogin))
}

// GoString keeps secrets out of %#v.
func (c Config) GoString() string { return c.String() }

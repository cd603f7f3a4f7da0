package sandbox

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/internal/secret"
)

// Defaults of the sandbox's own credentials and identity. The demo and
// CHORUS_ENV=local use them; ConfigFromEnv overrides each from the
// environment. None of them is a real credential.
const (
	// DefaultAddr is where `chorusbill sandbox` listens unless told
	// otherwise (loopback only).
	DefaultAddr = chorus.LocalAddr
	// DefaultClientID and DefaultClientSecret are the PISTE application
	// credentials the sandbox accepts.
	DefaultClientID     = chorus.LocalClientID
	DefaultClientSecret = chorus.LocalClientSecret
	// DefaultTechLogin and DefaultTechPassword are the Chorus Pro technical
	// account (cpro-account header). The login has the TECH_1_…@cpro.fr
	// form of real technical accounts (chorus-pro.md §1.3).
	DefaultTechLogin    = chorus.LocalTechLogin
	DefaultTechPassword = chorus.LocalTechPassword
	// DefaultSupplierSIRET is the supplier structure's SIRET: the seller of
	// fixtures/issuer.yaml (Mégalis Bretagne).
	DefaultSupplierSIRET = "25351449100047"
	// DefaultSupplierName is the supplier structure's designation.
	DefaultSupplierName = "Syndicat mixte Mégalis Bretagne"
	// DefaultSupplierID is the supplier's idStructureCPP (the example value
	// of chorus-pro.md §2.5).
	DefaultSupplierID int64 = 26300989
	// DefaultBankAccountID is the supplier's only valid bank account id
	// (the example value of chorus-pro.md §2.5).
	DefaultBankAccountID int64 = 144050
	// DefaultTokenLifetime is PISTE's token lifetime (chorus-pro.md §1.2).
	DefaultTokenLifetime = 3600 * time.Second
	// DefaultFlowProcessingDelay is how long a flow stays
	// IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP before
	// IN_EN_COURS_TRAITEMENT_CPP. assumption: real delays are not documented.
	DefaultFlowProcessingDelay = 30 * time.Second
	// DefaultFlowIntegrationDelay is how long after the deposit a flow
	// reaches its final state (IN_INTEGRE or IN_REJETE). assumption.
	DefaultFlowIntegrationDelay = 2 * time.Minute
	// DefaultSeed seeds the fault-injection generator.
	DefaultSeed uint64 = 1
)

// Environment variables read by ConfigFromEnv. Each secret may also be given
// as a file with the variable name suffixed by _FILE (e.g.
// CHORUS_SANDBOX_CLIENT_SECRET_FILE); the file's content, trimmed of
// surrounding white space, is the value.
const (
	EnvClientID      = "CHORUS_SANDBOX_CLIENT_ID"
	EnvClientSecret  = "CHORUS_SANDBOX_CLIENT_SECRET"
	EnvTechLogin     = "CHORUS_SANDBOX_TECH_LOGIN"
	EnvTechPassword  = "CHORUS_SANDBOX_TECH_PASSWORD"
	EnvSupplierSIRET = "CHORUS_SANDBOX_SUPPLIER_SIRET"
	EnvSupplierID    = "CHORUS_SANDBOX_SUPPLIER_ID"
	EnvBankAccountID = "CHORUS_SANDBOX_BANK_ACCOUNT_ID"
	EnvTokenLifetime = "CHORUS_SANDBOX_TOKEN_LIFETIME"
	// EnvTechPasswordExpires is the RFC 3339 instant (or YYYY-MM-DD) after
	// which the technical account's password is refused (401), as after
	// Chorus Pro's 424-day expiry.
	EnvTechPasswordExpires = "CHORUS_SANDBOX_TECH_PASSWORD_EXPIRES"
	// EnvBuyers is a buyer directory YAML file replacing the embedded
	// fixtures/chorus-buyers.yaml.
	EnvBuyers = "CHORUS_SANDBOX_BUYERS"
	// EnvEstablishments is a comma-separated list of establishments CSV
	// files (the import format of fixtures/README.md) replacing the embedded
	// sample; their on_chorus=oui rows that the buyer directory does not
	// list become buyers with the directory's default behaviour. "none"
	// loads none.
	EnvEstablishments = "CHORUS_SANDBOX_ESTABLISHMENTS"
	// EnvFlowProcessingDelay and EnvFlowIntegrationDelay set
	// Config.FlowProcessingDelay and FlowIntegrationDelay (e.g. 30s, 2m;
	// "0" means immediate). EnvTokenLifetime sets Config.TokenLifetime.
	EnvFlowProcessingDelay  = "CHORUS_SANDBOX_FLOW_PROCESSING_DELAY"
	EnvFlowIntegrationDelay = "CHORUS_SANDBOX_FLOW_INTEGRATION_DELAY"
	// EnvClockSpeed makes the business clock run faster than the wall
	// clock (e.g. 3600: one hour per second), for the demo.
	EnvClockSpeed = "CHORUS_SANDBOX_CLOCK_SPEED"
	// EnvAdmin enables the /_sandbox/ admin endpoints (true/false).
	EnvAdmin = "CHORUS_SANDBOX_ADMIN"
	EnvSeed  = "CHORUS_SANDBOX_SEED"
	// Fault injection at start; see Faults.
	EnvFaultErrorRate         = "CHORUS_SANDBOX_FAULT_ERROR_RATE"
	EnvFaultRateLimitRate     = "CHORUS_SANDBOX_FAULT_RATE_LIMIT_RATE"
	EnvFaultRetryAfter        = "CHORUS_SANDBOX_FAULT_RETRY_AFTER"
	EnvFaultLatency           = "CHORUS_SANDBOX_FAULT_LATENCY"
	EnvFaultLatencyJitter     = "CHORUS_SANDBOX_FAULT_LATENCY_JITTER"
	EnvFaultInvalidClientRate = "CHORUS_SANDBOX_FAULT_INVALID_CLIENT_RATE"
	EnvFaultLostResponseRate  = "CHORUS_SANDBOX_FAULT_LOST_RESPONSE_RATE"
	// EnvFaultPaths restricts the /cpro faults to these comma-separated
	// path prefixes (e.g. /cpro/factures/v1/deposer/flux).
	EnvFaultPaths = "CHORUS_SANDBOX_FAULT_PATHS"
	// EnvQuirks is a comma-separated list of the quirks to play (the
	// Quirk* names, e.g. "history-newest-first,single-objects"); see
	// Quirks. Their parameters have their own variables below, each
	// refused unless its quirk is named.
	EnvQuirks = "CHORUS_SANDBOX_QUIRKS"
	// EnvSingleObjectsAll (true/false) sets Quirks.SingleObjectsAll
	// (single-objects).
	EnvSingleObjectsAll = "CHORUS_SANDBOX_SINGLE_OBJECTS_ALL"
	// EnvDuplicateSync (true/false) sets Quirks.DuplicateSync
	// (duplicate-by-code).
	EnvDuplicateSync = "CHORUS_SANDBOX_DUPLICATE_SYNC"
	// EnvForbiddenRoutes is a comma-separated list of /cpro path prefixes
	// for Quirks.ForbiddenRoutes (forbidden-routes; default
	// /cpro/factures/).
	EnvForbiddenRoutes = "CHORUS_SANDBOX_FORBIDDEN_ROUTES"
	// EnvSearchLag is Quirks.SearchLag (search-lag; e.g. 5m; default 15m).
	EnvSearchLag = "CHORUS_SANDBOX_SEARCH_LAG"
	// EnvLostInvoiceRate, EnvFlowARelancerRate and
	// EnvFlowErreurInterneRate are the shares (in [0, 1]; default 0.1) of
	// lost-invoice, flow-a-relancer and flow-erreur-interne.
	EnvLostInvoiceRate       = "CHORUS_SANDBOX_LOST_INVOICE_RATE"
	EnvFlowARelancerRate     = "CHORUS_SANDBOX_FLOW_A_RELANCER_RATE"
	EnvFlowErreurInterneRate = "CHORUS_SANDBOX_FLOW_ERREUR_INTERNE_RATE"
	// EnvCodeRetourAppliedRate and EnvDeposit4xxRate are the shares (in
	// [0, 1]; default 0.1) of coderetour-applied and deposit-4xx.
	EnvCodeRetourAppliedRate = "CHORUS_SANDBOX_CODERETOUR_APPLIED_RATE"
	EnvDeposit4xxRate        = "CHORUS_SANDBOX_DEPOSIT_4XX_RATE"
)

// Config configures a Server. The zero value of each field means its
// default; New validates the result.
type Config struct {
	// ClientID and ClientSecret are the PISTE credentials accepted by the
	// token endpoint.
	ClientID, ClientSecret string
	// TechLogin and TechPassword are the technical account expected,
	// base64-encoded as "login:password", in the cpro-account header.
	TechLogin, TechPassword string
	// TechPasswordExpires, when not zero, is the business-clock instant
	// after which the technical account is refused (401 "login or password
	// incorrects", chorus-pro.md §0-8). It is also reported as
	// dateExpirationMotPasseCompteTech on the supplier structure.
	TechPasswordExpires time.Time
	// Supplier is the supplier structure the technical account acts for.
	Supplier Supplier
	// TokenLifetime is the lifetime of issued tokens (default 3600 s);
	// make it short to exercise refresh. It is measured on the wall clock
	// (Now), not on the business clock, because the client measures it on
	// its own clock.
	TokenLifetime time.Duration
	// Directory is the buyer directory; nil loads DefaultDirectory (the
	// embedded fixtures/chorus-buyers.yaml and sample establishments).
	Directory *Directory
	// FlowProcessingDelay and FlowIntegrationDelay time a flow's states on
	// the business clock: IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP
	// until FlowProcessingDelay, IN_EN_COURS_TRAITEMENT_CPP until
	// FlowIntegrationDelay, then IN_INTEGRE or IN_REJETE. Zero means the
	// default; a negative value means zero (immediate).
	FlowProcessingDelay, FlowIntegrationDelay time.Duration
	// Now is the wall clock (default time.Now). Tests inject a fake one.
	Now func() time.Time
	// ClockSpeed multiplies the passing of wall time on the business clock
	// (default 1). The business clock, which drives flows and invoice
	// lifecycles, is Start + (Now() - wall start) × ClockSpeed + advances.
	ClockSpeed float64
	// Start is the business clock's reading when the sandbox starts (zero:
	// the wall clock's): the demo starts two months back, so that its
	// buyers have paid by today.
	Start time.Time
	// Admin enables the /_sandbox/ endpoints.
	Admin bool
	// Seed seeds the fault-injection generator, so that a run of requests
	// in the same order meets the same faults. Zero is a seed like any
	// other (ConfigFromEnv uses DefaultSeed).
	Seed uint64
	// Faults are the faults injected from the start.
	Faults Faults
	// Quirks are the real platform's behaviours played from the start
	// (none by default: the happy platform).
	Quirks Quirks
}

// Supplier is the supplier structure of the technical account.
type Supplier struct {
	SIRET string
	Name  string
	// ID is its idStructureCPP (fournisseur.idFournisseur).
	ID int64
	// BankAccounts are its valid bank accounts.
	BankAccounts []BankAccount
}

// BankAccount is a bank account of the supplier structure.
type BankAccount struct {
	ID   int64
	Name string
}

// Faults configures fault injection. Rates are probabilities in [0, 1]
// drawn from the seeded generator. On a /cpro call, one draw u decides:
// u < RateLimitRate → 429 with Retry-After; u < RateLimitRate + ErrorRate →
// 500 or 503 (half each); the call is then not applied. After a call that
// was applied, a second draw decides whether the response is lost
// (LostResponseRate): the TCP connection is closed without an answer.
type Faults struct {
	// ErrorRate is the share of /cpro calls answered 500 or 503.
	ErrorRate float64 `json:"errorRate"`
	// RateLimitRate is the share of /cpro calls answered 429.
	RateLimitRate float64 `json:"rateLimitRate"`
	// RetryAfter is the Retry-After of a 429, in whole seconds (rounded
	// up); zero sends "Retry-After: 0" (retry at once), which keeps tests
	// fast. assumption: PISTE's real value is not documented.
	RetryAfter Duration `json:"retryAfter"`
	// Latency delays every answer (token endpoint included), plus a
	// uniform random part up to LatencyJitter.
	Latency       Duration `json:"latency"`
	LatencyJitter Duration `json:"latencyJitter"`
	// InvalidClientRate is the share of token requests refused with
	// invalid_client although the credentials are right, as PISTE does
	// (chorus-pro.md §1.2 [FR2]).
	InvalidClientRate float64 `json:"invalidClientRate"`
	// LostResponseRate is the share of applied /cpro calls whose response
	// is lost.
	LostResponseRate float64 `json:"lostResponseRate"`
	// Paths, when not empty, restricts the /cpro faults (errors, 429, lost
	// responses) to calls whose path starts with one of these prefixes.
	Paths []string `json:"paths,omitempty"`
}

// Validate reports a rate outside [0, 1], a negative duration, or
// RateLimitRate + ErrorRate above 1.
func (f Faults) Validate() error {
	rates := []struct {
		name string
		v    float64
	}{
		{"errorRate", f.ErrorRate}, {"rateLimitRate", f.RateLimitRate},
		{"invalidClientRate", f.InvalidClientRate}, {"lostResponseRate", f.LostResponseRate},
	}
	for _, r := range rates {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return fmt.Errorf("faults: %s %v is not a probability in [0, 1]", r.name, r.v)
		}
	}
	if f.ErrorRate+f.RateLimitRate > 1 {
		return fmt.Errorf("faults: errorRate + rateLimitRate = %v exceeds 1", f.ErrorRate+f.RateLimitRate)
	}
	if f.RetryAfter < 0 || f.Latency < 0 || f.LatencyJitter < 0 {
		return errors.New("faults: durations must not be negative")
	}
	return nil
}

// withDefaults fills the zero fields of c with the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = DefaultClientSecret
	}
	if c.TechLogin == "" {
		c.TechLogin = DefaultTechLogin
	}
	if c.TechPassword == "" {
		c.TechPassword = DefaultTechPassword
	}
	if c.Supplier.SIRET == "" {
		c.Supplier.SIRET = DefaultSupplierSIRET
	}
	if c.Supplier.Name == "" {
		c.Supplier.Name = DefaultSupplierName
	}
	if c.Supplier.ID == 0 {
		c.Supplier.ID = DefaultSupplierID
	}
	if len(c.Supplier.BankAccounts) == 0 {
		c.Supplier.BankAccounts = []BankAccount{{ID: DefaultBankAccountID, Name: "Compte principal"}}
	}
	if c.TokenLifetime == 0 {
		c.TokenLifetime = DefaultTokenLifetime
	}
	if c.TokenLifetime < 0 {
		return c, errors.New("sandbox: negative token lifetime")
	}
	switch {
	case c.FlowProcessingDelay == 0:
		c.FlowProcessingDelay = DefaultFlowProcessingDelay
	case c.FlowProcessingDelay < 0:
		c.FlowProcessingDelay = 0
	}
	switch {
	case c.FlowIntegrationDelay == 0:
		c.FlowIntegrationDelay = DefaultFlowIntegrationDelay
	case c.FlowIntegrationDelay < 0:
		c.FlowIntegrationDelay = 0
	}
	if c.FlowProcessingDelay > c.FlowIntegrationDelay {
		c.FlowProcessingDelay = c.FlowIntegrationDelay
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ClockSpeed == 0 {
		c.ClockSpeed = 1
	}
	if c.ClockSpeed < 0 || math.IsNaN(c.ClockSpeed) || math.IsInf(c.ClockSpeed, 0) {
		return c, fmt.Errorf("sandbox: clock speed %v must be positive", c.ClockSpeed)
	}
	if strings.Contains(c.TechLogin, ":") {
		return c, errors.New("sandbox: the technical login must not contain ':'")
	}
	if err := c.Faults.Validate(); err != nil {
		return c, fmt.Errorf("sandbox: %w", err)
	}
	if err := c.Quirks.Validate(); err != nil {
		return c, fmt.Errorf("sandbox: %w", err)
	}
	c.Quirks = c.Quirks.clone()
	if c.Directory == nil {
		d, err := DefaultDirectory()
		if err != nil {
			return c, err
		}
		c.Directory = d
	}
	return c, nil
}

// ConfigFromEnv reads a Config from environment variables (see the Env*
// constants; unset variables keep their defaults). getenv is os.Getenv in
// production and a map lookup in tests. Files named by *_FILE variables and
// by EnvBuyers/EnvEstablishments are read from disk. The error names the
// variable at fault.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	var err error
	readSecret := func(name string, dst *string) {
		if err != nil {
			return
		}
		*dst, err = secret.Read(getenv, name)
	}
	readSecret(EnvClientID, &c.ClientID)
	readSecret(EnvClientSecret, &c.ClientSecret)
	readSecret(EnvTechLogin, &c.TechLogin)
	readSecret(EnvTechPassword, &c.TechPassword)
	if err != nil {
		return c, err
	}
	c.Supplier.SIRET = getenv(EnvSupplierSIRET)
	if c.Supplier.SIRET != "" && !isSIRETShape(c.Supplier.SIRET) {
		return c, fmt.Errorf("%s: %q is not 14 digits", EnvSupplierSIRET, c.Supplier.SIRET)
	}
	if v := getenv(EnvSupplierID); v != "" {
		if c.Supplier.ID, err = strconv.ParseInt(v, 10, 64); err != nil || c.Supplier.ID <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive integer", EnvSupplierID, v)
		}
	}
	if v := getenv(EnvBankAccountID); v != "" {
		id, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || id <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive integer", EnvBankAccountID, v)
		}
		c.Supplier.BankAccounts = []BankAccount{{ID: id, Name: "Compte principal"}}
	}
	if v := getenv(EnvTechPasswordExpires); v != "" {
		t, perr := time.Parse(time.RFC3339, v)
		if perr != nil {
			t, perr = time.Parse(time.DateOnly, v)
		}
		if perr != nil {
			return c, fmt.Errorf("%s: %q is neither RFC 3339 nor YYYY-MM-DD", EnvTechPasswordExpires, v)
		}
		c.TechPasswordExpires = t
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{EnvTokenLifetime, &c.TokenLifetime},
		{EnvFlowProcessingDelay, &c.FlowProcessingDelay},
		{EnvFlowIntegrationDelay, &c.FlowIntegrationDelay},
	}
	for _, d := range durations {
		if v := getenv(d.name); v != "" {
			dur, perr := ParseDuration(v)
			if perr != nil {
				return c, fmt.Errorf("%s: %w", d.name, perr)
			}
			if dur == 0 {
				dur = -1 // explicit zero: immediate
			}
			*d.dst = dur
		}
	}
	if v := getenv(EnvClockSpeed); v != "" {
		if c.ClockSpeed, err = strconv.ParseFloat(v, 64); err != nil || c.ClockSpeed <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive number", EnvClockSpeed, v)
		}
	}
	if v := getenv(EnvAdmin); v != "" {
		if c.Admin, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("%s: %q is not a boolean", EnvAdmin, v)
		}
	}
	c.Seed = DefaultSeed
	if v := getenv(EnvSeed); v != "" {
		if c.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return c, fmt.Errorf("%s: %q is not an unsigned integer", EnvSeed, v)
		}
	}
	if c.Faults, err = faultsFromEnv(getenv); err != nil {
		return c, err
	}
	if c.Quirks, err = quirksFromEnv(getenv); err != nil {
		return c, err
	}
	if c.Directory, err = directoryFromEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

func faultsFromEnv(getenv func(string) string) (Faults, error) {
	var f Faults
	rates := []struct {
		name string
		dst  *float64
	}{
		{EnvFaultErrorRate, &f.ErrorRate},
		{EnvFaultRateLimitRate, &f.RateLimitRate},
		{EnvFaultInvalidClientRate, &f.InvalidClientRate},
		{EnvFaultLostResponseRate, &f.LostResponseRate},
	}
	for _, r := range rates {
		if v := getenv(r.name); v != "" {
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || p < 0 || p > 1 {
				return f, fmt.Errorf("%s: %q is not a probability in [0, 1]", r.name, v)
			}
			*r.dst = p
		}
	}
	durations := []struct {
		name string
		dst  *Duration
	}{
		{EnvFaultRetryAfter, &f.RetryAfter},
		{EnvFaultLatency, &f.Latency},
		{EnvFaultLatencyJitter, &f.LatencyJitter},
	}
	for _, d := range durations {
		if v := getenv(d.name); v != "" {
			dur, err := ParseDuration(v)
			if err != nil {
				return f, fmt.Errorf("%s: %w", d.name, err)
			}
			*d.dst = Duration(dur)
		}
	}
	if v := getenv(EnvFaultPaths); v != "" {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				f.Paths = append(f.Paths, p)
			}
		}
	}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("CHORUS_SANDBOX_FAULT_*: %w", err)
	}
	return f, nil
}

func directoryFromEnv(getenv func(string) string) (*Directory, error) {
	buyersPath, estPaths := getenv(EnvBuyers), getenv(EnvEstablishments)
	if buyersPath == "" && estPaths == "" {
		return nil, nil // the default directory, loaded by New
	}
	var buyers []byte
	var err error
	if buyersPath != "" {
		if buyers, err = os.ReadFile(buyersPath); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvBuyers, err)
		}
	} else if buyers, err = embeddedBuyers(); err != nil {
		return nil, err
	}
	var sources []EstablishmentsSource
	switch estPaths {
	case "":
		if sources, err = embeddedEstablishments(); err != nil {
			return nil, err
		}
	case "none":
	default:
		for p := range strings.SplitSeq(estPaths, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			data, rerr := os.ReadFile(p)
			if rerr != nil {
				return nil, fmt.Errorf("%s: %w", EnvEstablishments, rerr)
			}
			sources = append(sources, EstablishmentsSource{Name: p, Data: data})
		}
	}
	name := buyersPath
	if name == "" {
		name = "fixtures/chorus-buyers.yaml"
	}
	d, err := LoadDirectory(name, buyers, sources...)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Duration is a time.Duration that reads and writes as a string such as
// "1.5s", "10m", "2h30m" or "10d" (days of 24 h); JSON numbers are read as
// seconds.
type Duration time.Duration

// ParseDuration parses a duration like time.ParseDuration, also accepting a
// leading whole number of days ("10d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		days, s = n, s[i+1:]
		if s == "" {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (e.g. 90s, 10m, 2h, 10d)", s)
	}
	return time.Duration(days)*24*time.Hour + d, nil
}

// String formats d like time.Duration.String.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration accepted by ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalJSON reads a duration string, or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if len(s) > 0 && s[0] == '"' {
		uq, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("invalid duration %s", s)
		}
		return d.UnmarshalText([]byte(uq))
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || secs < 0 || secs > 1e9 {
		return fmt.Errorf("invalid duration %s (a string such as \"90s\" or a number of seconds)", s)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

func isSIRETShape(s string) bool {
	if len(s) != 14 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

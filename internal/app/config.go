// Package app reads chorusbill's configuration once, from the environment,
// into one Config, and builds from it what the commands share: the books,
// the rate tables, the tariff catalog, the issuer, the Chorus Pro client,
// the queue and the pipeline over them (Stack), and the in-process Redis of
// the embedded mode. The commands of cmd/chorusbill and the harnesses of
// internal/lab use it; nothing here parses flags or prints.
package app

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/internal/secret"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
)

// The environment variables of chorusbill (the Chorus Pro client's own,
// CHORUS_*, are read by chorus.ConfigFromEnv, and the sandbox's,
// CHORUS_SANDBOX_*, by sandbox.ConfigFromEnv for `chorusbill sandbox`).
const (
	// EnvDatabaseURL names the books: postgres://… or sqlite://PATH; also
	// from a file named by EnvDatabaseURL_FILE (a URL may carry a password).
	EnvDatabaseURL = "CHORUSBILL_DATABASE_URL"
	// EnvRedisURL names the queue's Redis; also from …_FILE.
	EnvRedisURL = "CHORUSBILL_REDIS_URL"
	// EnvConcurrency is the number of tasks a worker runs at once.
	EnvConcurrency = "CHORUSBILL_CONCURRENCY"
	// EnvKickEvery, EnvStaleAfter, EnvPollInterval and EnvShutdownTimeout
	// are Go durations tuning the worker; EnvTrackIntervals is a
	// comma-separated list.
	EnvKickEvery       = "CHORUSBILL_KICK_EVERY"
	EnvStaleAfter      = "CHORUSBILL_STALE_AFTER"
	EnvPollInterval    = "CHORUSBILL_POLL_INTERVAL"
	EnvShutdownTimeout = "CHORUSBILL_SHUTDOWN_TIMEOUT"
	EnvTrackIntervals  = "CHORUSBILL_TRACK_INTERVALS"
	// EnvSweepEvery, EnvSweepSoon, EnvSearchLagWait, EnvVerifyFor,
	// EnvNotFoundAfter and EnvDirectoryTTL are Go durations tuning how the
	// worker follows invoices on Chorus Pro (worker.Config says what each
	// does).
	EnvSweepEvery    = "CHORUSBILL_SWEEP_EVERY"
	EnvSweepSoon     = "CHORUSBILL_SWEEP_SOON"
	EnvSweepOverlap  = "CHORUSBILL_SWEEP_OVERLAP"
	EnvSearchLagWait = "CHORUSBILL_SEARCH_LAG_WAIT"
	EnvVerifyFor     = "CHORUSBILL_VERIFY_FOR"
	EnvVerifyEvery   = "CHORUSBILL_VERIFY_EVERY"
	EnvNotFoundAfter = "CHORUSBILL_NOT_FOUND_AFTER"
	EnvDirectoryTTL  = "CHORUSBILL_DIRECTORY_TTL"
	EnvDepositClaim  = "CHORUSBILL_DEPOSIT_CLAIM"
	// EnvDepositFormat is what is deposited on Chorus Pro: cii (the
	// default, IN_DP_E1_CII_16B) or facturx (IN_DP_E2_CII_FACTURX, a PDF
	// buyers read on Chorus Pro, the same CII embedded).
	EnvDepositFormat = "CHORUS_DEPOSIT_FORMAT"
	// EnvIssuer, EnvDeliberation, EnvLegalRates and EnvECBRates name files
	// that replace the embedded tables without a rebuild.
	EnvIssuer       = "CHORUSBILL_ISSUER"
	EnvDeliberation = "CHORUSBILL_DELIBERATION"
	EnvLegalRates   = "CHORUSBILL_LEGAL_RATES"
	EnvECBRates     = "CHORUSBILL_ECB_RATES"
	// EnvDashboardAddr is where `chorusbill serve` listens.
	EnvDashboardAddr = "CHORUSBILL_DASHBOARD_ADDR"
	// EnvInsecureCookies (a boolean) drops the cookies' Secure flag.
	EnvInsecureCookies = "CHORUSBILL_INSECURE_COOKIES"
	// EnvReminderSteps are the days after the due date on which the
	// dashboard lists reminder letters to send ("15,45").
	EnvReminderSteps = "CHORUSBILL_REMINDER_STEPS"
	// EnvTrustedProxies lists the reverse proxies (addresses or CIDR
	// ranges, comma-separated) whose X-Forwarded-For gives the dashboard
	// its clients' addresses.
	EnvTrustedProxies = "CHORUSBILL_TRUSTED_PROXIES"
	// EnvMetricsAddr is where serve, demo and work serve /metrics to
	// Prometheus, without authentication; unset, they do not.
	EnvMetricsAddr = "CHORUSBILL_METRICS_ADDR"
	// EnvBenchPostgres names the PostgreSQL server the bench makes its
	// schemas in; EnvTestPostgres is read next.
	EnvBenchPostgres = "CHORUSBILL_BENCH_POSTGRES_URL"
	EnvTestPostgres  = "CHORUSBILL_TEST_POSTGRES_URL"
	// EnvChorusEnv names the Chorus Pro platform (chorus.ConfigFromEnv
	// reads it with the other CHORUS_* variables). It has no default: see
	// ErrNoChorusEnv.
	EnvChorusEnv = "CHORUS_ENV"
	// EnvSIRETScheme is the schemeID of the parties' SIRET in the CII
	// (document.SIRETScheme): 0009 (default), 0002 or 1.
	EnvSIRETScheme = "CHORUS_SIRET_SCHEME"
	// EnvTechPasswordExpires is the day (YYYY-MM-DD) the Chorus Pro
	// technical account's password expires; when set it wins over the date
	// Chorus Pro gives (dateExpirationMotPasseCompteTech).
	EnvTechPasswordExpires = "CHORUS_TECH_PASSWORD_EXPIRES"
)

// ErrNoChorusEnv is why a command that talks to Chorus Pro refuses to start
// when CHORUS_ENV is not set. It used to default to local, and a production
// worker started without it then talked to the sandbox's address, 127.0.0.1,
// with the sandbox's credentials (fidelity C-6): the platform is now always
// said. Only `chorusbill demo`, which runs its own sandbox, sets local itself.
var ErrNoChorusEnv = errors.New(EnvChorusEnv + " is not set: say which Chorus Pro to talk to, " + EnvChorusEnv +
	"=production, qualification or local (the sandbox on 127.0.0.1, `chorusbill sandbox`)")

// Defaults of the settings that have one.
const (
	DefaultRedisURL      = "redis://127.0.0.1:6379/0"
	DefaultDashboardAddr = "127.0.0.1:8080"
	DefaultBenchPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

// Config is every setting of chorusbill, read once from the environment by
// LoadConfig. Paths left empty mean the embedded fixtures.
type Config struct {
	// DatabaseURL is the books as set ("" when unset: BooksURL gives the
	// default).
	DatabaseURL string
	// RedisURL is the queue's Redis, DefaultRedisURL when unset.
	RedisURL string
	// Chorus is how to reach Chorus Pro (CHORUS_*); its zero value (Env
	// "") when CHORUS_ENV is not set, which ChorusConfig refuses.
	Chorus chorus.Config
	// SIRETScheme is the schemeID of the parties' SIRET in the CII
	// (CHORUS_SIRET_SCHEME), given to the issuer by LoadIssuer.
	SIRETScheme document.SIRETScheme
	// TechPasswordExpires is the configured expiry of the technical
	// account's password (CHORUS_TECH_PASSWORD_EXPIRES, midnight in Paris of
	// that day; zero when unset): it wins over Chorus Pro's date.
	TechPasswordExpires time.Time
	// Issuer, Deliberation, LegalRates and ECBRates are files replacing
	// the embedded ones ("" for the embedded one).
	Issuer, Deliberation, LegalRates, ECBRates string
	// Concurrency is the worker's tasks at once (0: the worker's default).
	Concurrency int
	// KickEvery, StaleAfter, PollInterval and ShutdownTimeout tune the
	// worker (0: its defaults); TrackIntervals too (nil: its default).
	KickEvery, StaleAfter, PollInterval, ShutdownTimeout time.Duration
	TrackIntervals                                       []time.Duration
	// SweepEvery … DirectoryTTL tune the following of invoices on Chorus
	// Pro (0: the worker's defaults).
	SweepEvery, SweepSoon, SweepOverlap, SearchLagWait, VerifyFor, VerifyEvery, NotFoundAfter, DirectoryTTL, DepositClaim time.Duration
	// DepositSyntax is the syntax deposited ("" for the worker's default,
	// CII D16B).
	DepositSyntax chorus.SyntaxeFlux
	// DashboardAddr is where the dashboard listens.
	DashboardAddr string
	// InsecureCookies drops the Secure flag of the dashboard's cookies.
	InsecureCookies bool
	// ReminderSteps are the reminder steps (invoice.DefaultReminderSteps
	// when unset).
	ReminderSteps invoice.ReminderSteps
	// TrustedProxies are the reverse proxies in front of the dashboard
	// (nil: none, X-Forwarded-For is ignored).
	TrustedProxies []netip.Prefix
	// MetricsAddr is where to serve /metrics for Prometheus, the host
	// filled in ("" for nowhere).
	MetricsAddr string
	// BenchPostgresURL is the PostgreSQL server of the bench's schemas.
	BenchPostgresURL string
	// ClockSkew shifts the pipeline's clock (EnvClockSkew: tests and the
	// chaos run only; see Clock).
	ClockSkew time.Duration
}

// LoadConfig reads the configuration from getenv (os.Getenv, or a map in
// tests) and validates it: an error names the variable at fault. Secrets
// (the database and Redis URLs, Chorus Pro's credentials) may come from the
// file named by VAR_FILE instead.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{Issuer: getenv(EnvIssuer), Deliberation: getenv(EnvDeliberation),
		LegalRates: getenv(EnvLegalRates), ECBRates: getenv(EnvECBRates)}
	var err error
	if c.DatabaseURL, err = secret.Read(getenv, EnvDatabaseURL); err != nil {
		return c, err
	}
	if c.RedisURL, err = secret.Read(getenv, EnvRedisURL); err != nil {
		return c, err
	}
	if c.RedisURL == "" {
		c.RedisURL = DefaultRedisURL
	}
	if _, err := asynq.ParseRedisURI(c.RedisURL); err != nil {
		return c, fmt.Errorf("%s: %w", EnvRedisURL, err)
	}
	// An unset CHORUS_ENV is not an error here: the commands that never
	// talk to Chorus Pro (quote, import, invoices…) run without it, and
	// those that do are refused by ChorusConfig.
	if strings.TrimSpace(getenv(EnvChorusEnv)) != "" {
		if c.Chorus, err = chorus.ConfigFromEnv(getenv); err != nil {
			return c, err
		}
	}
	if c.SIRETScheme, err = document.ParseSIRETScheme(getenv(EnvSIRETScheme)); err != nil {
		return c, fmt.Errorf("%s: %w", EnvSIRETScheme, err)
	}
	if v := getenv(EnvTechPasswordExpires); v != "" {
		day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), paris)
		if err != nil {
			return c, fmt.Errorf("%s %q is not a date (YYYY-MM-DD)", EnvTechPasswordExpires, v)
		}
		c.TechPasswordExpires = day
	}
	if c.ClockSkew, err = clockSkew(getenv); err != nil {
		return c, err
	}
	if v := getenv(EnvConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("%s %q is not a positive number", EnvConcurrency, v)
		}
		c.Concurrency = n
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{EnvKickEvery, &c.KickEvery},
		{EnvStaleAfter, &c.StaleAfter},
		{EnvPollInterval, &c.PollInterval},
		{EnvShutdownTimeout, &c.ShutdownTimeout},
		{EnvSweepEvery, &c.SweepEvery},
		{EnvSweepSoon, &c.SweepSoon},
		{EnvSweepOverlap, &c.SweepOverlap},
		{EnvSearchLagWait, &c.SearchLagWait},
		{EnvVerifyFor, &c.VerifyFor},
		{EnvVerifyEvery, &c.VerifyEvery},
		{EnvNotFoundAfter, &c.NotFoundAfter},
		{EnvDirectoryTTL, &c.DirectoryTTL},
		{EnvDepositClaim, &c.DepositClaim},
	} {
		if v := getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				return c, fmt.Errorf("%s %q is not a positive duration (e.g. 5m)", d.name, v)
			}
			*d.dst = x
		}
	}
	if v := getenv(EnvTrackIntervals); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			x, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || x <= 0 {
				return c, fmt.Errorf("%s: %q is not a positive duration", EnvTrackIntervals, part)
			}
			c.TrackIntervals = append(c.TrackIntervals, x)
		}
	}
	switch v := getenv(EnvDepositFormat); v {
	case "", "cii":
	case "facturx":
		c.DepositSyntax = chorus.SyntaxeFacturX
	default:
		return c, fmt.Errorf("%s %q: want cii (the default) or facturx", EnvDepositFormat, v)
	}
	if c.DashboardAddr = getenv(EnvDashboardAddr); c.DashboardAddr == "" {
		c.DashboardAddr = DefaultDashboardAddr
	}
	if v := getenv(EnvInsecureCookies); v != "" {
		if c.InsecureCookies, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("%s %q is not a boolean (1, true, 0, false)", EnvInsecureCookies, v)
		}
	}
	steps := getenv(EnvReminderSteps)
	if steps == "" {
		steps = invoice.DefaultReminderSteps
	}
	if c.ReminderSteps, err = invoice.ParseReminderSteps(steps); err != nil {
		return c, fmt.Errorf("%s : %w", EnvReminderSteps, err)
	}
	if c.TrustedProxies, err = trustedProxies(getenv(EnvTrustedProxies)); err != nil {
		return c, err
	}
	if c.MetricsAddr, err = metricsListenAddr(getenv(EnvMetricsAddr)); err != nil {
		return c, err
	}
	if c.BenchPostgresURL = getenv(EnvBenchPostgres); c.BenchPostgresURL == "" {
		c.BenchPostgresURL = getenv(EnvTestPostgres)
	}
	if c.BenchPostgresURL == "" {
		c.BenchPostgresURL = DefaultBenchPostgres
	}
	return c, nil
}

// ChorusConfig is how to reach Chorus Pro, for the commands that build a
// client: ErrNoChorusEnv when CHORUS_ENV was not set.
func (c Config) ChorusConfig() (chorus.Config, error) {
	if c.Chorus.Env == "" {
		return chorus.Config{}, ErrNoChorusEnv
	}
	return c.Chorus, nil
}

// paris is the zone of the civil days configured (a password expires on a
// day in France).
var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()

// BooksURL is the database of the books: DatabaseURL, by default the
// embedded SQLite file.
func (c Config) BooksURL() string {
	if c.DatabaseURL == "" {
		return store.DefaultURL
	}
	return c.DatabaseURL
}

// BooksPlace names where the books are without their URL's password: the
// file of SQLite books, the host and database of PostgreSQL ones.
func (c Config) BooksPlace() string {
	raw := c.BooksURL()
	if strings.HasPrefix(raw, "sqlite://") {
		return raw
	}
	if u, err := url.Parse(raw); err == nil {
		return u.Scheme + "://" + u.Host + u.Path
	}
	return "the database"
}

// Variables describes every variable the product reads, with its default,
// for the commands' help (the sandbox's own CHORUS_SANDBOX_* are in
// `chorusbill sandbox -h`).
func Variables() [][2]string {
	w := worker.DefaultConfig()
	track := make([]string, len(w.TrackIntervals))
	for i, d := range w.TrackIntervals {
		track[i] = d.String()
	}
	return [][2]string{
		{EnvDatabaseURL, "the books: postgres://… or sqlite://PATH (default " + store.DefaultURL + "); also " + EnvDatabaseURL + "_FILE"},
		{EnvRedisURL, "the queue's Redis (default " + DefaultRedisURL + "); also " + EnvRedisURL + "_FILE"},
		{EnvConcurrency, fmt.Sprintf("tasks a worker runs at once (default %d)", w.Concurrency)},
		{EnvKickEvery, fmt.Sprintf("period of the scheduler's kick (default %s)", w.KickEvery)},
		{EnvStaleAfter, fmt.Sprintf("an invoice not moving for that long has its task enqueued again (default %s)", w.StaleAfter)},
		{EnvPollInterval, "how often a worker looks for due tasks (default asynq's: 5s scheduled, 1s idle)"},
		{EnvShutdownTimeout, fmt.Sprintf("how long a stopping worker lets its tasks finish before handing them back to the queue (default %s; keep it below the grace period of whatever stops it, e.g. compose's stop_grace_period)", w.ShutdownTimeout)},
		{EnvTrackIntervals, "delays between the flow reports read for a deposited invoice no sweep found integrated, the last repeating (default " + strings.Join(track, ",") + ")"},
		{EnvSweepEvery, fmt.Sprintf("period of the bulk tracking of invoices on Chorus Pro (default %s)", w.SweepEvery)},
		{EnvSweepSoon, fmt.Sprintf("delay of the bulk tracking after deposits (default %s)", w.SweepSoon)},
		{EnvSweepOverlap, fmt.Sprintf("what each bulk tracking reads again before the latest change seen, for changes Chorus Pro lists late (default %s)", w.SweepOverlap)},
		{EnvSearchLagWait, fmt.Sprintf("how long a deposit whose answer was lost is searched for before it is made again (default %s)", w.SearchLagWait)},
		{EnvVerifyFor, fmt.Sprintf("how long a deposit refused in its answer is searched for before it is concluded rejected (default %s)", w.VerifyFor)},
		{EnvVerifyEvery, fmt.Sprintf("spacing of those searches (default %s)", w.VerifyEvery)},
		{EnvNotFoundAfter, fmt.Sprintf("how long an invoice Chorus Pro should hold may stay unfound before it goes to « à vérifier sur Chorus Pro » (default %s)", w.NotFoundAfter)},
		{EnvDirectoryTTL, fmt.Sprintf("how long buyers' directory entries are kept in the books (default %s)", w.DirectoryTTL)},
		{EnvDepositClaim, fmt.Sprintf("how long a deposit holds its invoice against any other delivery, the call cut short before (default %s)", w.DepositClaim)},
		{EnvDepositFormat, "cii (default: IN_DP_E1_CII_16B) or facturx (IN_DP_E2_CII_FACTURX: a PDF buyers read on Chorus Pro)"},
		{EnvIssuer, "issuer file (seller identity, bank account, convention), instead of the embedded demo one"},
		{EnvDeliberation, "deliberation file (YAML) or directory of them, instead of the embedded 2025-2029 one"},
		{EnvLegalRates, "legal interest rate table (CSV), instead of the embedded one"},
		{EnvECBRates, "ECB rate table (CSV) for the procurement regime, instead of the embedded one"},
		{EnvDashboardAddr, "where `chorusbill serve` listens (default " + DefaultDashboardAddr + ")"},
		{EnvReminderSteps, "days after the due date of each reminder letter (relance) the dashboard lists, increasing (default " + invoice.DefaultReminderSteps + ")"},
		{EnvInsecureCookies, "true to drop the cookies' Secure flag, for plain HTTP on localhost only (default false)"},
		{EnvTrustedProxies, "the reverse proxies in front of the dashboard, addresses or CIDR ranges, comma-separated: only from them is X-Forwarded-For believed for the client's address, which failed logins delay (default: none, the header is ignored)"},
		{EnvMetricsAddr, "serve Prometheus /metrics there, with the probes /healthz and /readyz, without authentication (a bare :PORT is 127.0.0.1; default: not served)"},
		{EnvChorusEnv, "production, qualification or local (the sandbox on 127.0.0.1): required by every command that talks to Chorus Pro (work, serve, run, resubmit, corrections, chorus check); the demo sets local itself"},
		{"CHORUS_CLIENT_ID, CHORUS_CLIENT_SECRET", "the PISTE application's OAuth2 credentials (also …_FILE; local: the sandbox's)"},
		{"CHORUS_TECH_LOGIN, CHORUS_TECH_PASSWORD", "the Chorus Pro technical account (also …_FILE; local: the sandbox's)"},
		{"CHORUS_SUPPLIER_ID, CHORUS_BANK_ACCOUNT_ID", "the supplier structure's id and its bank account's id on Chorus Pro"},
		{"CHORUS_BASE_URL, CHORUS_TOKEN_URL", "override the preset URLs of the environment"},
		{"CHORUS_RATE", fmt.Sprintf("Chorus Pro calls per second, shared by the workers of one Redis (default %d outside local; 0: no limit)", chorus.DefaultRatePerSecond)},
		{"CHORUS_CALL_TIMEOUT", "bound of one call to Chorus Pro's /cpro API, a Go duration (default 60s)"},
		{EnvSIRETScheme, "schemeID of the parties' SIRET in the CII's legal organisations: 0009 (default), 0002 or 1 (README: Configuration)"},
		{EnvTechPasswordExpires, "day (YYYY-MM-DD) the technical account's password expires, instead of the date Chorus Pro gives; the dashboard warns 30 days before"},
		{EnvClockSkew, "shift the worker's clock by this Go duration (e.g. 90s, -90s): for tests and the chaos run, never in production (default 0)"},
		{EnvBenchPostgres + ", " + EnvTestPostgres, "PostgreSQL server the bench and the tests make their databases in (default " + DefaultBenchPostgres + ")"},
	}
}

// trustedProxies reads a comma-separated list of addresses and CIDR
// ranges (nil when empty).
func trustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is neither an address nor a CIDR range (10.0.0.2, 10.0.0.0/8, 2001:db8::/32)", EnvTrustedProxies, f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// metricsListenAddr is where to serve /metrics for Prometheus: the address
// of CHORUSBILL_METRICS_ADDR, on the loopback interface unless it names a
// host ("" when unset).
func metricsListenAddr(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if _, err := strconv.Atoi(v); err == nil {
		v = ":" + v
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("%s %q is not HOST:PORT or :PORT: %w", EnvMetricsAddr, v, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

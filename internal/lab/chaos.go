package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/pgserver"
	"github.com/chorusbill/chorusbill/internal/redisserver"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/redis/go-redis/v9"
)

// ChaosAbout describes the chaos run, for its help.
const ChaosAbout = `Bills a generated year on real Redis + PostgreSQL + the sandbox with several
worker processes while every fault family of issue 17 is injected, then
checks the books against the input files and the sandbox.

Fault phase: a random worker is killed (SIGKILL) and restarted every
--kill-every (worker-kill); two workers run with their clock 90 s ahead and
behind (clock-skew); the run's own Redis is killed and started again, empty
(redis-restart, --restart-redis); the run's own PostgreSQL is stopped for
--outage and started again (postgres-outage, --restart-postgres); the
sandbox answers deposits 400 and codeRetour ≠ 0, lets its search lag, loses
answers, and a fault proxy in front of it fails the token endpoint and holds
calls past the workers' timeout (deposit-4xx, deposit-coderetour,
search-lag, lost-response, token-failure, timeout); a bank statement paying
postal invoices is imported twice, and an overpayment once
(duplicate-payment); 1 % more establishments are imported and the run asked
again (import-during-run). Then a settle phase of at most --settle. Servers
are restarted or stopped only when the run started them itself: its Redis
unless --redis names one, its PostgreSQL with --private-postgres (the
default when CHORUSBILL_DATABASE_URL is unset).

It prints each fault as "fault: NAME ×N" (×0 when it never happened) and
each check, and exits non-zero when a check fails or a fault family meant
to be injected never happened.`

// ChaosOptions are the chaos run's settings (the flags of
// `chorusbill-lab chaos`).
type ChaosOptions struct {
	// Establishments is how many to generate, Workers how many worker
	// processes bill them.
	Establishments, Workers int
	// KillEvery is how often a random worker is killed.
	KillEvery time.Duration
	// RestartPostgres stops Postgres for Outage (0: 20 s, 10 s under
	// 1,000 establishments) then starts it again; without Postgres the run
	// refuses (ErrRestartNotOwn).
	RestartPostgres bool
	Outage          time.Duration
	// Postgres is the run's own PostgreSQL server, which conf.DatabaseURL
	// names, when the lab started one (pgserver.Start); nil when the books
	// are on a server that others may share.
	Postgres *pgserver.Server
	// RestartRedis kills Redis once and starts it again, empty; without
	// Redis the run refuses (ErrRestartNotOwnRedis).
	RestartRedis bool
	// Redis is the run's own redis-server (redisserver.Start); RedisURL
	// names the Redis of the run otherwise, one the operator gave, whose
	// DB is only flushed.
	Redis    *redisserver.Server
	RedisURL string
	// Settle bounds the settle phase (0: 3 min, 2 min under 5,000
	// establishments): the run is judged stuck beyond it.
	Settle time.Duration
	// Timeout bounds the whole run.
	Timeout time.Duration
	// Chorusbill is the chorusbill binary the workers run as.
	Chorusbill string
	// Plant, when set, takes the place of the final checks: it is given
	// where the run left its books and the checks to run, so that a test
	// plants a bug and sees the checks fail.
	Plant func(ctx context.Context, site PlantSite, check func() error) error
}

// PlantSite is where a test plants a bug after a chaos run, before its
// checks: the books (by URL) and the sandbox that played Chorus Pro.
type PlantSite struct {
	DatabaseURL string
	Sandbox     *sandbox.Server
	// ChorusURL is the sandbox's base URL.
	ChorusURL string
}

// ErrRestartNotOwn is Chaos's refusal to restart a PostgreSQL server it did
// not start itself: other programs may be using it.
var ErrRestartNotOwn = errors.New("the chaos run restarts only a PostgreSQL server it started itself (--private-postgres), never one that other programs may share")

// ErrRestartNotOwnRedis is Chaos's refusal to restart a Redis it did not
// start itself (--redis): other programs may be using it.
var ErrRestartNotOwnRedis = errors.New("the chaos run restarts only a Redis it started itself (no --redis), never one that other programs may share")

// chaosYear is the contribution year the chaos run bills.
const chaosYear = 2025

// Chaos bills a generated year on conf's PostgreSQL (DatabaseURL) while
// the faults of issue 17 are injected (faultPlan), then checks the books
// (Checks); it writes its progress, the faults and the checks to stdout,
// and fails when a check does or a fault family never happened.
func Chaos(ctx context.Context, conf app.Config, o ChaosOptions, stdout, stderr io.Writer) (err error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "chaos: "+format+"\n", a...) }
	if o.RestartPostgres && o.Postgres == nil {
		return ErrRestartNotOwn
	}
	if o.RestartRedis && o.Redis == nil {
		return ErrRestartNotOwnRedis
	}
	n, year := o.Establishments, chaosYear
	plan := planFor(n, o.KillEvery, o.Outage)
	settleFor := o.Settle
	if settleFor == 0 {
		settleFor = 3 * time.Minute
		if n < 5000 {
			settleFor = 2 * time.Minute
		}
	}
	tally := NewFaultTally()
	if !o.RestartRedis {
		tally.Skip(FaultRedisRestart, "--restart-redis not given (or --redis names a Redis the run does not own)")
	}
	if !o.RestartPostgres {
		tally.Skip(FaultPostgresOutage, "--restart-postgres not given (the books are on a server the run does not own)")
	}
	dbURL := conf.DatabaseURL
	if !strings.HasPrefix(dbURL, "postgres") {
		return fmt.Errorf("%s must name a PostgreSQL database (the chaos run is on PostgreSQL)", app.EnvDatabaseURL)
	}
	redisURL := o.RedisURL
	if o.Redis != nil {
		redisURL = o.Redis.URL()
	}
	ropt, err := redis.ParseURL(redisURL)
	if err != nil {
		return fmt.Errorf("--redis: %w", err)
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	if err := claimRedis(ctx, rdb, redisURL); err != nil {
		return err
	}
	if err := flushOwn(ctx, rdb); err != nil {
		return fmt.Errorf("redis: %w", err)
	}

	// The inputs, as files in the run's directory (kept when the run
	// fails, for its workers' log).
	dir, err := os.MkdirTemp("", "chorusbill-chaos")
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			os.RemoveAll(dir)
		} else {
			say("the run's files and workers.log are kept in %s", dir)
		}
	}()
	added := max(3, int(math.Ceil(float64(n)*plan.NewShare)))
	inputs, err := writeChaosInputs(dir, n, added)
	if err != nil {
		return err
	}
	books, err := conf.OpenBooks(ctx)
	if err != nil {
		return err
	}
	defer books.Close()
	cat, err := conf.Catalog("")
	if err != nil {
		return err
	}
	if err := inputs.importInputs(ctx, books, cat, 0); err != nil {
		return err
	}
	say("%d establishments imported (%s), %d more to import during the run", n, dir, added)

	// The sandbox, misbehaving, and the fault proxy in front of it.
	sb, base, closeSandbox, err := startChaosSandbox(inputs.All)
	if err != nil {
		return err
	}
	defer closeSandbox()
	target, err := url.Parse(base)
	if err != nil {
		return err
	}
	proxy := newFaultProxy(target, tally, plan.CallTimeout)
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	psrv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go psrv.Serve(pln)
	defer psrv.Close()
	proxied := "http://" + pln.Addr().String()

	// The workers: `chorusbill work`, as separate processes, through the
	// proxy; the first ones with their clock off.
	common := append(os.Environ(), app.EnvDatabaseURL+"="+dbURL, app.EnvRedisURL+"="+redisURL,
		"CHORUS_ENV=local", "CHORUS_BASE_URL="+proxied, "CHORUS_TOKEN_URL="+proxied+chorus.PathToken,
		"CHORUS_CALL_TIMEOUT="+plan.CallTimeout.String(),
		"CHORUSBILL_KICK_EVERY=2s", "CHORUSBILL_STALE_AFTER=10s", "CHORUSBILL_POLL_INTERVAL=100ms",
		"CHORUSBILL_TRACK_INTERVALS=300ms,1s,2s", "CHORUSBILL_SWEEP_EVERY=2s", "CHORUSBILL_SWEEP_SOON=300ms",
		"CHORUSBILL_SWEEP_OVERLAP=5s", "CHORUSBILL_SEARCH_LAG_WAIT=3s", "CHORUSBILL_VERIFY_FOR=6s", "CHORUSBILL_VERIFY_EVERY=500ms",
		"CHORUSBILL_DEPOSIT_CLAIM=15s",
		"CHORUSBILL_NOT_FOUND_AFTER=20s")
	workerEnv := func(i int) []string {
		env := append([]string(nil), common...)
		if i < len(plan.Skews) {
			env = append(env, app.EnvClockSkew+"="+plan.Skews[i].String())
		}
		return env
	}
	logf, err := os.Create(filepath.Join(dir, "workers.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	pool := newWorkerPool(o.Chorusbill, o.Workers, workerEnv, logf)
	defer pool.stopAll()
	if err := sb.SetQuirks(plan.Quirks); err != nil {
		return err
	}
	proxy.FailTokens(true)
	proxy.Hold(plan.Holds)
	for i := range o.Workers {
		if err := pool.start(i); err != nil {
			return err
		}
	}
	tally.Set(FaultClockSkew, min(o.Workers, len(plan.Skews)))

	// The run, twice asked, by a stack that talks to the sandbox directly
	// (it only enqueues).
	s, err := app.NewStack(ctx, conf, app.StackOptions{RedisURL: redisURL, Chorus: &chorus.Config{Env: chorus.Local, BaseURL: base,
		TokenURL: base + chorus.PathToken, ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword},
		Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		return err
	}
	defer s.Close()
	for i := 0; i < 2; i++ {
		// Asked twice, dated today (a run is never dated in the past).
		if err := s.Pipeline.EnqueueRun(ctx, year, invoice.KindContribution, time.Now()); err != nil {
			return err
		}
	}
	began := time.Now()
	r := &chaosRun{ctx: ctx, o: o, plan: plan, tally: tally, sb: sb, proxy: proxy, pool: pool, books: books, say: say,
		rng: rand.New(rand.NewPCG(1, 2)), began: began, total: n, newCount: added, lastKill: began}
	r.enqueueAgain = func() error { return s.Pipeline.EnqueueRun(ctx, year, invoice.KindContribution, time.Now()) }
	r.importMore = func() error { return inputs.importInputs(ctx, books, cat, 1) }
	r.pay = func(lastChance bool) (chaosPayments, error) {
		return enterPayments(ctx, books, dir, year, plan.Payments, lastChance)
	}
	if err := r.faultPhase(); err != nil {
		return err
	}
	settled, waited, err := r.settle(settleFor)
	if err != nil {
		return err
	}
	pool.stopAll()
	r.countSandbox()
	say("workers stopped after %s; the faults:", time.Since(began).Round(time.Second))
	tally.WriteSummary(stdout)
	if p := r.payments; p.Overpaid != nil {
		say("the overpayment was refused: %v", p.Overpaid)
	} else if len(p.Entered) > 0 {
		say("the overpayment of %s was ACCEPTED by the import", p.Entered[len(p.Entered)-1].Number)
	}
	say("checking the books")
	in := ChecksInput{DatabaseURL: dbURL, Sandbox: sb,
		EstablishmentFiles: r.files(inputs.Establishments[:]),
		UsageFiles:         r.files(inputs.Usage[:]), Year: year, Payments: r.payments.Entered, Settled: settled, Waited: waited}
	if o.Plant != nil {
		return o.Plant(ctx, PlantSite{DatabaseURL: dbURL, Sandbox: sb, ChorusURL: base}, func() error { return Checks(ctx, stdout, in) })
	}
	checks := Checks(ctx, stdout, in)
	if missing := tally.Missing(); len(missing) > 0 {
		return errors.Join(checks, fmt.Errorf("fault families never injected: %s", strings.Join(missing, ", ")))
	}
	return checks
}

// startChaosSandbox serves a sandbox whose buyers are the generated
// establishments on Chorus Pro, with the faults it plays itself (5xx,
// 429, lost answers, latency) and tokens that expire every 30 s, so that
// the workers ask for new ones during the run. It returns the sandbox,
// its base URL and how to stop it.
func startChaosSandbox(establishments []byte) (*sandbox.Server, string, func(), error) {
	buyers, err := fixtures.FS().Open(fixtures.ChorusBuyers)
	if err != nil {
		return nil, "", nil, err
	}
	defer buyers.Close()
	var yaml bytes.Buffer
	if _, err := yaml.ReadFrom(buyers); err != nil {
		return nil, "", nil, err
	}
	dirBuyers, err := sandbox.LoadDirectory(fixtures.ChorusBuyers, yaml.Bytes(), sandbox.EstablishmentsSource{Name: "generated.csv", Data: establishments})
	if err != nil {
		return nil, "", nil, err
	}
	sb, err := sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, Admin: true, Directory: dirBuyers,
		ClockSpeed: 3600, FlowProcessingDelay: time.Minute, FlowIntegrationDelay: 2 * time.Minute, Seed: 11,
		TokenLifetime: 30 * time.Second,
		Faults: sandbox.Faults{ErrorRate: 0.10, RateLimitRate: 0.05, LostResponseRate: 0.02,
			Latency: sandbox.Duration(2 * time.Millisecond), LatencyJitter: sandbox.Duration(20 * time.Millisecond)}})
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return sb, "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func chaosProgress(ctx context.Context, books *store.Store) (map[string]int, int, int, error) {
	run, err := books.RunFor(ctx, chaosYear, invoice.KindContribution)
	if err != nil {
		return nil, 0, 0, err
	}
	sum, err := books.Summary(ctx, run.ID)
	if err != nil {
		return nil, 0, 0, err
	}
	return sum.States, sum.Items, sum.Working(), nil
}

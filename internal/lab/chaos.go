package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/internal/pgserver"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/redis/go-redis/v9"
)

// ChaosAbout describes the chaos run, for its help.
const ChaosAbout = `Bills a generated year on real Redis + PostgreSQL + the sandbox with several
worker processes while things go wrong: a random worker is killed (SIGKILL)
and restarted every few seconds, Redis is flushed once, PostgreSQL is
restarted once (--restart-postgres: only the run's own server, started by
--private-postgres, the default when CHORUSBILL_DATABASE_URL is unset; never
one that other programs may share), and the sandbox answers with 5xx, 429,
lost responses and slow answers. Then it checks, and prints, that every due
establishment has exactly one contribution invoice; numbers are 1..N per
series; the sandbox integrated exactly one deposit per number; totals equal
the tariff's; no invoice is left in a working state; the audit trail has a
row for every state. Exits non-zero on any violation.`

// ChaosOptions are the chaos run's settings (the flags of
// `chorusbill-lab chaos`).
type ChaosOptions struct {
	// Establishments is how many to generate, Workers how many worker
	// processes bill them.
	Establishments, Workers int
	// KillEvery is how often a random worker is killed.
	KillEvery time.Duration
	// RestartPostgres restarts Postgres once; without Postgres the run
	// refuses (ErrRestartNotOwn).
	RestartPostgres bool
	// Postgres is the run's own PostgreSQL server, which conf.DatabaseURL
	// names, when the lab started one (pgserver.Start); nil when the books
	// are on a server that others may share.
	Postgres *pgserver.Server
	// RedisURL is the run's Redis; its DB is flushed.
	RedisURL string
	// Timeout bounds the whole run.
	Timeout time.Duration
	// Chorusbill is the chorusbill binary the workers run as.
	Chorusbill string
}

// ErrRestartNotOwn is Chaos's refusal to restart a PostgreSQL server it did
// not start itself: other programs may be using it.
var ErrRestartNotOwn = errors.New("the chaos run restarts only a PostgreSQL server it started itself (--private-postgres), never one that other programs may share")

// Chaos bills a generated year on conf's PostgreSQL (DatabaseURL) while
// things go wrong, then checks the books (Checks); it writes its progress
// and the checks to stdout, and fails when a check does.
func Chaos(ctx context.Context, conf app.Config, o ChaosOptions, stdout, stderr io.Writer) error {
	n, workers, killEvery, restartPostgres, redisURL, timeout := o.Establishments, o.Workers, o.KillEvery, o.RestartPostgres, o.RedisURL, o.Timeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "chaos: "+format+"\n", a...) }
	if restartPostgres && o.Postgres == nil {
		return ErrRestartNotOwn
	}
	dbURL := conf.DatabaseURL
	if !strings.HasPrefix(dbURL, "postgres") {
		return fmt.Errorf("%s must name a PostgreSQL database (the chaos run is on PostgreSQL)", app.EnvDatabaseURL)
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

	// Data: a generated year, imported.
	dir, err := os.MkdirTemp("", "chorusbill-chaos")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var est, usage bytes.Buffer
	if err := fixtures.Generate(n, 7, &est, &usage); err != nil {
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
	if _, err := books.ImportEstablishments(ctx, "generated.csv", bytes.NewReader(est.Bytes()), cat, "chaos"); err != nil {
		return err
	}
	say("%d establishments imported", n)

	// The sandbox, misbehaving.
	buyers, err := fixtures.FS().Open(fixtures.ChorusBuyers)
	if err != nil {
		return err
	}
	var yaml bytes.Buffer
	if _, err := yaml.ReadFrom(buyers); err != nil {
		return err
	}
	dirBuyers, err := sandbox.LoadDirectory(fixtures.ChorusBuyers, yaml.Bytes(), sandbox.EstablishmentsSource{Name: "generated.csv", Data: est.Bytes()})
	if err != nil {
		return err
	}
	sb, err := sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, Admin: true, Directory: dirBuyers,
		ClockSpeed: 3600, FlowProcessingDelay: time.Minute, FlowIntegrationDelay: 2 * time.Minute, Seed: 11,
		Faults: sandbox.Faults{ErrorRate: 0.10, RateLimitRate: 0.05, LostResponseRate: 0.02,
			Latency: sandbox.Duration(2 * time.Millisecond), LatencyJitter: sandbox.Duration(20 * time.Millisecond)}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	// The workers: `chorusbill work`, as separate processes.
	env := append(os.Environ(), app.EnvDatabaseURL+"="+dbURL, app.EnvRedisURL+"="+redisURL,
		"CHORUS_ENV=local", "CHORUS_BASE_URL="+base, "CHORUS_TOKEN_URL="+base+chorus.PathToken,
		"CHORUSBILL_KICK_EVERY=2s", "CHORUSBILL_STALE_AFTER=10s", "CHORUSBILL_POLL_INTERVAL=100ms",
		"CHORUSBILL_TRACK_INTERVALS=300ms,1s,2s", "CHORUSBILL_SWEEP_EVERY=2s", "CHORUSBILL_SWEEP_SOON=300ms",
		"CHORUSBILL_SWEEP_OVERLAP=5s", "CHORUSBILL_SEARCH_LAG_WAIT=3s", "CHORUSBILL_VERIFY_FOR=6s", "CHORUSBILL_VERIFY_EVERY=500ms",
		"CHORUSBILL_NOT_FOUND_AFTER=20s")
	logf, err := os.Create(filepath.Join(dir, "workers.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	var mu sync.Mutex
	procs := make([]*exec.Cmd, workers)
	exited := make([]chan struct{}, workers)
	start := func(i int) error {
		cmd := exec.Command(o.Chorusbill, "work", "--no-auto-runs")
		cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
		if err := cmd.Start(); err != nil {
			return err
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		mu.Lock()
		procs[i], exited[i] = cmd, done
		mu.Unlock()
		return nil
	}
	// stopAll stops the workers and waits for them: the checks read books
	// that nothing moves any more (payments keep arriving at the sandbox).
	stopAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for i, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited[i]:
			case <-time.After(2 * time.Minute):
				p.Process.Kill()
				<-exited[i]
			}
		}
	}
	for i := range procs {
		if err := start(i); err != nil {
			return err
		}
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
		}
	}()

	// The run, twice asked.
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
		if err := s.Pipeline.EnqueueRun(ctx, 2025, invoice.KindContribution, time.Now()); err != nil {
			return err
		}
	}
	began := time.Now()
	kills, flushed, restarted := 0, false, !restartPostgres
	rng := rand.New(rand.NewPCG(1, 2))
	settled := false
	for !settled {
		if err := sleepCtx(ctx, killEvery); err != nil {
			return fmt.Errorf("did not settle in %s: %w", timeout, err)
		}
		sum, done, working, err := chaosProgress(ctx, books)
		if err != nil {
			say("progress unavailable (%v)", err) // PostgreSQL may be restarting
			continue
		}
		elapsed := time.Since(began)
		switch {
		case working > 0 || done < n:
			i := rng.IntN(workers)
			mu.Lock()
			procs[i].Process.Signal(syscall.SIGKILL)
			mu.Unlock()
			kills++
			if err := start(i); err != nil {
				return err
			}
			if !flushed && done > n/3 {
				flushOwn(ctx, rdb) // the queue lost: the books must rebuild it
				flushed = true
				say("Redis flushed at %d/%d", done, n)
			}
			if !restarted && done > n/2 {
				if err := o.Postgres.Restart(ctx); err != nil {
					return fmt.Errorf("restart the run's PostgreSQL: %w", err)
				}
				restarted = true
				say("PostgreSQL restarted (the run's own server, %s) at %d/%d", o.Postgres.Addr(), done, n)
			}
		default:
			settled = true
		}
		say("%5.0fs  %d/%d establishments, %d invoices working, %d kills  (%v)", elapsed.Seconds(), done, n, working, kills, sum)
	}
	stopAll()
	say("workers stopped; checking the books")
	return Checks(ctx, stdout, ChecksInput{Books: books, DatabaseURL: dbURL, Sandbox: sb, Catalog: cat, Establishments: n, Year: 2025,
		Settled: settled, Waited: time.Since(began)})
}

func chaosProgress(ctx context.Context, books *store.Store) (map[string]int, int, int, error) {
	run, err := books.RunFor(ctx, 2025, invoice.KindContribution)
	if err != nil {
		return nil, 0, 0, err
	}
	sum, err := books.Summary(ctx, run.ID)
	if err != nil {
		return nil, 0, 0, err
	}
	return sum.States, sum.Items, sum.Working(), nil
}

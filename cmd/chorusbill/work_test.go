package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// A worker process killed with SIGKILL in the middle of a run, then a new
// one started: every invoice ends delivered exactly once (the sandbox's
// list of integrated deposits is the witness), numbers stay gap-free, and
// every establishment has its outcome. Real PostgreSQL, real Redis, real
// processes.
func TestWorkerKilledMidRun(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "chorusbill")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sb, err := sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, Admin: true,
		ClockSpeed: 3600, FlowProcessingDelay: time.Minute, FlowIntegrationDelay: 2 * time.Minute,
		Faults: sandbox.Faults{LostResponseRate: 0.05, ErrorRate: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	redisURL := "redis://" + redistest.Start(t) + "/0" // its own server: the machine's Redis is shared
	environ := map[string]string{
		envDatabaseURL: storetest.PostgresURL(t), envRedisURL: redisURL,
		"CHORUS_ENV": "local", "CHORUS_BASE_URL": srv.URL, "CHORUS_TOKEN_URL": srv.URL + chorus.PathToken,
		"CHORUSBILL_KICK_EVERY": "1s", "CHORUSBILL_STALE_AFTER": "3s", "CHORUSBILL_POLL_INTERVAL": "50ms",
		"CHORUSBILL_TRACK_INTERVALS": "100ms,200ms,400ms", envConcurrency: "4",
		"CHORUSBILL_SWEEP_EVERY": "500ms", "CHORUSBILL_SWEEP_SOON": "200ms",
		"CHORUSBILL_SEARCH_LAG_WAIT": "1s", "CHORUSBILL_VERIFY_FOR": "2s", "CHORUSBILL_VERIFY_EVERY": "200ms",
	}
	for _, args := range [][]string{
		{"import", "establishments", "../../fixtures/sample/establishments.csv"},
		{"import", "references", "../../fixtures/sample/references.csv"},
		{"run", "--year", "2025", "--kind", "contribution"},
	} {
		if code, _, errOut := runCLI(t, environ, args...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	var env []string
	for k, v := range environ {
		env = append(env, k+"="+v)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "work", "--no-auto-runs")
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	ctx := context.Background()
	books, err := store.OpenAndMigrate(ctx, environ[envDatabaseURL])
	if err != nil {
		t.Fatal(err)
	}
	defer books.Close()
	items := func() int {
		r, err := books.RunFor(ctx, 2025, invoice.KindContribution)
		if err != nil {
			return 0
		}
		sum, _ := books.Summary(ctx, r.ID)
		return sum.Items
	}

	a := start()
	deadline := time.Now().Add(60 * time.Second)
	for items() < 8 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	killedAt := items()
	b := start()
	defer func() { b.Process.Signal(syscall.SIGTERM); b.Wait() }()

	n, _ := books.CountEstablishments(ctx)
	deadline = time.Now().Add(120 * time.Second)
	for {
		stuck, _ := books.InvoicesInStates(ctx, invoice.WorkingStates()...)
		if items() == n && len(stuck) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled: %d/%d items, %d invoices in working states", items(), n, len(stuck))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("killed after %d of %d establishments", killedAt, n)
	list, err := books.ListInvoices(ctx, store.InvoiceFilter{Year: 2025})
	if err != nil {
		t.Fatal(err)
	}
	integrated := map[string]int{}
	for _, d := range sb.Deposits() {
		if d.EtatFinal == chorus.EtatFluxIntegre {
			integrated[d.NumeroFacture]++
		}
	}
	for i, inv := range list {
		if inv.Seq != int64(i+1) {
			t.Errorf("numbering: %s at position %d", inv.Number, i+1)
		}
		want := 0
		if inv.Channel == "chorus" {
			want = 1
		}
		if integrated[inv.Number] != want && inv.State != invoice.StateRejected {
			t.Errorf("%s (%s via %q) integrated %d times", inv.Number, inv.State, inv.Channel, integrated[inv.Number])
		}
	}
	if series := fmt.Sprintf("CT%d-", time.Now().Year()); !strings.HasPrefix(list[0].Number, series) { // numbers follow the issue year
		t.Errorf("series: %s", list[0].Number)
	}
}

func TestWorkUsage(t *testing.T) {
	for _, args := range [][]string{
		{"work", "--concurrency", "0"},
		{"work", "--track-intervals", "1h,soon"},
	} {
		if code, _, _ := runCLI(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// A worker with CHORUSBILL_METRICS_ADDR serves /metrics and the probes its
// container's healthcheck asks through `chorusbill health`: /readyz answers
// 200 while the books and Redis answer, 503 naming Redis once Redis is gone.
func TestWorkerProbes(t *testing.T) {
	mr := miniredis.RunT(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	environ := map[string]string{
		envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "books.db"), envRedisURL: "redis://" + mr.Addr() + "/0",
		envMetricsAddr: addr, "CHORUS_ENV": "local",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		var out, errb strings.Builder
		done <- run(ctx, []string{"work", "--no-auto-runs"}, &out, &errb, func(k string) string { return environ[k] })
	}()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, _ := runCLI(t, nil, "health", "--timeout", "1s", base+"/readyz")
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker's /readyz never answered 200")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		if code, _, errOut := runCLI(t, nil, "health", base+path); code != 0 {
			t.Errorf("%s: exit %d: %s", path, code, errOut)
		}
	}
	// Deliveries paused (as the worker records it): /readyz says so, and
	// the healthcheck still passes, since restarting fixes nothing.
	if code, body := readyz(t, base); code != 200 || !strings.Contains(body, "deliveries: ok\n") {
		t.Errorf("readyz before the pause: %d %q", code, body)
	}
	books, err := store.OpenAndMigrate(ctx, environ[envDatabaseURL])
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)
	if err := books.PauseDeliveries(ctx, "Chorus Pro refuse les identifiants (token)", since); err != nil {
		t.Fatal(err)
	}
	books.Close()
	if code, body := readyz(t, base); code != 200 || !strings.Contains(body, "deliveries: paused since 2026-03-02T08:15:00Z: Chorus Pro refuse les identifiants (token)\n") {
		t.Errorf("readyz while paused: %d %q", code, body)
	}
	if code, _, errOut := runCLI(t, nil, "health", base+"/readyz"); code != 0 {
		t.Errorf("healthcheck while paused: exit %d: %s", code, errOut)
	}
	mr.Close()
	code, _, errOut := runCLI(t, nil, "health", base+"/readyz")
	if code != 1 || !strings.Contains(errOut, "503 Service Unavailable") || !strings.Contains(errOut, "redis: unreachable") {
		t.Errorf("readyz with Redis gone: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "health", base+"/healthz"); code != 0 {
		t.Errorf("healthz with Redis gone (the process is alive): exit %d: %s", code, errOut)
	}
	// Redis back (on the same port): ready again, and the worker stops
	// promptly instead of retrying a Redis that is gone.
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, nil, "health", base+"/readyz"); code != 0 {
		t.Errorf("readyz with Redis back: exit %d: %s", code, errOut)
	}
}

// readyz asks a /readyz and returns its status and body.
func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/internal/redistest"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// syncBuffer is a bytes.Buffer safe for a goroutine writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With Chorus Pro unreachable, `run --wait` says why the run is not moving:
// the step that fails and its last error, not only a count that stays put.
func TestRunWaitSaysWhyItIsStuck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more: connection refused
	environ := map[string]string{
		envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "books.db"),
		envRedisURL:    "redis://" + redistest.Start(t) + "/0",
		"CHORUS_ENV":   "local", "CHORUS_BASE_URL": dead, "CHORUS_TOKEN_URL": dead + chorus.PathToken,
		"CHORUSBILL_KICK_EVERY": "1s", "CHORUSBILL_POLL_INTERVAL": "50ms", "CHORUSBILL_SHUTDOWN_TIMEOUT": "1s",
	}
	for _, args := range [][]string{
		{"import", "establishments", "../../fixtures/sample/establishments.csv"},
		{"import", "references", "../../fixtures/sample/references.csv"},
	} {
		if code, _, errOut := runCLI(t, environ, args...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var workOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"work", "--no-auto-runs"}, &workOut, &workOut, func(k string) string { return environ[k] })
	}()
	defer func() {
		cancel()
		<-done
	}()
	code, out, errOut := runCLI(t, environ, "run", "--year", "2025", "--kind", "contribution", "--wait", "--timeout", "20s")
	if code == 0 {
		t.Fatalf("the run settled with Chorus Pro unreachable:\n%s", out)
	}
	for _, want := range []string{"⚠ émission des factures : en échec depuis", "dernière erreur à", "chorus pro token", "connection refused", "1 étape(s) en échec"} {
		if !strings.Contains(out, want) {
			t.Errorf("run --wait does not say %q:\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
	if t.Failed() {
		t.Logf("worker:\n%s", workOut.String())
	}
}

// With Redis down, `work` says so once and waits; when Redis answers it
// starts, and says so; Redis lost again under a running worker is said
// once more, and its return too: a handful of lines, not one per poll.
func TestWorkSaysOnceThatRedisIsDown(t *testing.T) {
	rs := redistest.StartServer(t)
	rs.Stop()
	environ := map[string]string{
		envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "books.db"),
		envRedisURL:    "redis://" + rs.Addr + "/0",
		"CHORUS_ENV":   "local", "CHORUSBILL_POLL_INTERVAL": "50ms", "CHORUSBILL_SHUTDOWN_TIMEOUT": "1s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"work", "--no-auto-runs"}, &out, &out, func(k string) string { return environ[k] })
	}()
	waitFor := func(what string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				cancel()
				<-done
				t.Fatalf("the worker never said %q:\n%s", what, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	redisLines := func() int {
		n := 0
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, "level=") && (strings.Contains(l, "Redis ") || strings.Contains(l, "refused")) {
				n++
			}
		}
		return n
	}
	waitFor("Redis unreachable: the worker waits for it", 10*time.Second)
	time.Sleep(3 * time.Second) // many polls, had the worker started
	if n := redisLines(); n != 1 {
		t.Errorf("while waiting for Redis, %d lines about it (want 1):\n%s", n, out.String())
	}
	rs.Restart()
	waitFor("Redis answers: the worker starts", 40*time.Second)
	rs.Stop()
	waitFor("Redis unreachable: tasks wait", 20*time.Second)
	time.Sleep(3 * time.Second)
	if n := redisLines(); n != 3 {
		t.Errorf("after Redis went away under the worker, %d lines about it (want 3):\n%s", n, out.String())
	}
	rs.Restart()
	waitFor("Redis answers again", 40*time.Second)
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("work ended with %d:\n%s", code, out.String())
	}
}

// `run` says what asking again will bill, refuses a past issue date, and
// schedules a later one; --wait waits for this request, not the last one.
func TestRunAskedAgain(t *testing.T) {
	environ := map[string]string{
		envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "books.db"),
		envRedisURL:    "redis://" + redistest.Start(t) + "/0",
		"CHORUS_ENV":   "local", "CHORUSBILL_POLL_INTERVAL": "50ms", "CHORUSBILL_SHUTDOWN_TIMEOUT": "1s",
	}
	if code, _, errOut := runCLI(t, environ, "import", "establishments", "../../fixtures/sample/establishments.csv"); code != 0 {
		t.Fatal(errOut)
	}
	yesterday := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	code, _, errOut := runCLI(t, environ, "run", "--year", "2025", "--issue-date", yesterday)
	if code != 1 || !strings.Contains(errOut, "issue date "+yesterday+" is in the past") {
		t.Errorf("a past issue date: exit %d, %q", code, errOut)
	}
	books, err := store.Open(context.Background(), environ[envDatabaseURL])
	if err != nil {
		t.Fatal(err)
	}
	defer books.Close()
	run, _, err := books.StartRun(context.Background(), 2025, invoice.KindContribution, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	est, err := books.EstablishmentBySIRET(context.Background(), "21299951000010")
	if err != nil {
		t.Fatal(err)
	}
	if err := books.RecordRunItem(context.Background(), run.ID, est.ID, store.RunItemFailed, nil, "no headcount"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, environ, "run", "--year", "2025")
	if code != 0 || !strings.Contains(out, "the contribution run 2025 exists: 39 establishment(s) not billed yet (added since), 1 failed before (tried again)") {
		t.Errorf("asking again: exit %d, %q %q", code, out, errOut)
	}
	later := time.Now().AddDate(0, 0, 10)
	code, out, errOut = runCLI(t, environ, "run", "--year", "2025", "--issue-date", later.Format(time.DateOnly), "--wait")
	if code != 0 || !strings.Contains(out, "scheduled for "+later.Format("02/01/2006")) || !strings.Contains(out, "not waiting") {
		t.Errorf("a later issue date: exit %d, %q %q", code, out, errOut)
	}
}

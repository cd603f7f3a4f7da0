package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/internal/redistest"
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
	code, out, errOut := runCLI(t, environ, "run", "--year", "2025", "--kind", "contribution", "--issue-date", "2025-01-20", "--wait", "--timeout", "20s")
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

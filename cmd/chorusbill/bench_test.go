package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The bench, small: 200 establishments through the whole pipeline on real
// Redis (a DB of its own) and PostgreSQL, beside 2,000 no-op tasks. It must
// bill every establishment, write its profiles and end with the ratio line.
func TestBenchSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Redis and PostgreSQL")
	}
	dir := t.TempDir()
	environ := map[string]string{envTestPostgres: os.Getenv(envTestPostgres)}
	code, out, errOut := runCLI(t, environ, "bench", "--establishments", "200", "--noop", "2000",
		"--redis", "redis://127.0.0.1:6379/14", "--workers", "2", "--concurrency", "4", "--profile", dir, "--timeout", "2m")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^pipeline/ceiling ratio: \d+\.\d+$`).MatchString(last) {
		t.Errorf("last line %q", last)
	}
	for _, want := range []string{
		"asynq no-op, drain (2 server(s)) = ceiling",
		"pipeline: issue → CII → deposit → integrated",
		"2 pipeline(s), each its own asynq.Server (concurrency 4",
		"in this one process",
		"failed 0",
		"(0 failed)",
		"several asynq tasks",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`outcomes: issued [1-9]\d*,`).MatchString(out) {
		t.Errorf("no invoice issued:\n%s", out)
	}
	for _, f := range []string{"cpu-200.pprof", "heap-200.pprof", "heap-start-200.pprof"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v", f, err)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--establishments", "0"},
		{"bench", "--establishments", "ten"},
		{"bench", "--workers", "0"},
		{"bench", "extra"},
	} {
		if code, _, _ := runCLI(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

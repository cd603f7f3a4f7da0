package main

import (
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/internal/app"
)

// --restart-postgres on the books' server named by CHORUSBILL_DATABASE_URL
// is refused before anything runs: that server may be the machine's,
// which other programs share. (Nothing listens on the addresses given.)
func TestChaosRefusesRestartOfAServerNotItsOwn(t *testing.T) {
	for _, url := range []string{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "sqlite:///tmp/x.db"} {
		code, out, errOut := runLab(t, map[string]string{app.EnvDatabaseURL: url},
			"chaos", "--restart-postgres", "--redis", "redis://127.0.0.1:1/0", "--chorusbill", "/nonexistent")
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (usage)\nstdout:\n%s\nstderr:\n%s", url, code, out, errOut)
		}
		if !strings.Contains(errOut, "--restart-postgres restarts only a PostgreSQL server the run started itself") {
			t.Errorf("%s: stderr does not say why:\n%s", url, errOut)
		}
		if strings.Contains(out, "PostgreSQL: the run's own server") {
			t.Errorf("%s: a server was started:\n%s", url, out)
		}
	}
}

// Without --restart-postgres, a CHORUSBILL_DATABASE_URL that is not
// PostgreSQL is a usage mistake that says how to get a server of the run's
// own.
func TestChaosNeedsPostgres(t *testing.T) {
	code, _, errOut := runLab(t, map[string]string{app.EnvDatabaseURL: "sqlite:///tmp/x.db"},
		"chaos", "--redis", "redis://127.0.0.1:1/0", "--chorusbill", "/nonexistent")
	if code != 2 || !strings.Contains(errOut, "--private-postgres") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}

// The help says which PostgreSQL the run restarts.
func TestChaosHelp(t *testing.T) {
	code, out, _ := runLab(t, nil, "chaos", "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"-private-postgres", "-restart-postgres", "only the run's own server"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pg_ctlcluster") {
		t.Errorf("the help still names pg_ctlcluster:\n%s", out)
	}
}

// --restart-redis with --redis is refused before anything runs: that Redis
// is the operator's, which other programs may share.
func TestChaosRefusesRestartOfARedisNotItsOwn(t *testing.T) {
	code, out, errOut := runLab(t, nil, "chaos", "--restart-redis", "--redis", "redis://127.0.0.1:1/0", "--chorusbill", "/nonexistent")
	if code != 2 || !strings.Contains(errOut, "--restart-redis restarts only a Redis the run started itself") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "the run's own") {
		t.Errorf("a server was started:\n%s", out)
	}
}

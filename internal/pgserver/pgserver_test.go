package pgserver

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
)

// start starts a server for the test, skipping it when the machine has no
// PostgreSQL binaries, except on CI (CI=true), which must have them.
func start(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), o)
	if errors.Is(err, ErrNoBinaries) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: CI must have them (scripts/services installs postgresql)", err)
		}
		t.Skipf("%v (scripts/services installs them)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s
}

// A server of its own: its database made, written to, restarted (the open
// connections cut), read back on a new connection, stopped and its
// directory gone — and never on the machine's port.
func TestStartRestartStop(t *testing.T) {
	ctx := context.Background()
	s := start(t, Options{Database: "pgserver_test"})
	if strings.HasSuffix(s.Addr(), ":5432") {
		t.Fatalf("listens on the machine's port: %s", s.Addr())
	}
	if !strings.HasPrefix(s.URL(), "postgres://postgres@"+s.Addr()+"/pgserver_test?") {
		t.Fatalf("URL %s", s.URL())
	}
	db := open(t, s.URL())
	var name string
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil || name != "pgserver_test" {
		t.Fatalf("current_database() = %q, %v", name, err)
	}
	var started string
	if err := db.QueryRowContext(ctx, `SELECT pg_postmaster_start_time()::text`).Scan(&started); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (v int); INSERT INTO t VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	db = open(t, s.URL())
	var v int
	var restarted string
	if err := db.QueryRowContext(ctx, `SELECT v, pg_postmaster_start_time()::text FROM t`).Scan(&v, &restarted); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	if v != 42 {
		t.Errorf("after the restart t holds %d", v)
	}
	if restarted == started {
		t.Errorf("postmaster start time unchanged by Restart: %s", started)
	}
	db.Close()

	dir := s.Dir()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left after Stop: %v", dir, err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := s.Restart(ctx); err == nil {
		t.Error("Restart after Stop did not fail")
	}
	db = open(t, s.URL())
	if err := db.PingContext(ctx); err == nil {
		t.Error("the server still answers after Stop")
	}
}

// Without a database to make, URL names the server's postgres database.
func TestURLWithoutDatabase(t *testing.T) {
	s := start(t, Options{})
	db := open(t, s.URL())
	var name string
	if err := db.QueryRow(`SELECT current_database()`).Scan(&name); err != nil || name != "postgres" {
		t.Fatalf("current_database() = %q, %v", name, err)
	}
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// An outage: Halt cuts the server off (nothing answers on its address),
// Resume brings it back on the same address with what was committed.
func TestHaltResume(t *testing.T) {
	ctx := context.Background()
	s := start(t, Options{Database: "pgserver_test"})
	db := open(t, s.URL())
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (v int); INSERT INTO t VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if err := s.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	if err := open(t, s.URL()+"&connect_timeout=2").PingContext(ctx); err == nil {
		t.Fatal("the server answers while halted")
	}
	if err := s.Restart(ctx); err == nil {
		t.Error("Restart of a halted server did not fail")
	}
	if err := s.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("resumed on %s, was %s", s.Addr(), addr)
	}
	var v int
	if err := open(t, s.URL()).QueryRowContext(ctx, `SELECT v FROM t`).Scan(&v); err != nil || v != 7 {
		t.Fatalf("after the outage: %d, %v", v, err)
	}
	if err := s.Resume(ctx); err == nil {
		t.Error("Resume of a running server did not fail")
	}
}

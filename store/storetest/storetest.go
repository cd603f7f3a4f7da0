// Package storetest gives other packages' tests an empty, migrated store on
// each engine: PostgreSQL on 127.0.0.1:5432 (a schema of its own, dropped
// when the test ends) and SQLite in the test's temp dir. PostgreSQL being
// unreachable fails the test: `make test` starts it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/chorusbill/chorusbill/store"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// DefaultPostgres is the server the tests use unless
// CHORUSBILL_TEST_POSTGRES_URL says otherwise.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Engine is one database engine a test can run on.
type Engine struct {
	Name string
	Open func(t testing.TB) *store.Store
}

// Engines lists PostgreSQL and SQLite.
func Engines() []Engine {
	return []Engine{{"postgres", Postgres}, {"sqlite", SQLite}}
}

// ForEach runs fn as a subtest on each engine with an empty store.
func ForEach(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.Open(t)) })
	}
}

// PostgresURL makes a fresh schema for the test and returns a URL whose
// search_path points at it; the schema is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("CHORUSBILL_TEST_POSTGRES_URL")
	if admin == "" {
		admin = DefaultPostgres
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL is not reachable at %s (run `make services`, or set CHORUSBILL_TEST_POSTGRES_URL): %v", admin, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "cbt_" + hex.EncodeToString(b)
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	})
	u, _ := url.Parse(admin)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens an empty, migrated store in a fresh PostgreSQL schema.
func Postgres(t testing.TB) *store.Store { return open(t, PostgresURL(t)) }

// SQLite opens an empty, migrated store in a file of the test's temp dir.
func SQLite(t testing.TB) *store.Store {
	return open(t, "sqlite://"+filepath.Join(t.TempDir(), "books.db"))
}

func open(t testing.TB, u string) *store.Store {
	t.Helper()
	s, err := store.OpenAndMigrate(context.Background(), u)
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

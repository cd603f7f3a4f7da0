package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// The store suite runs every test against both engines: PostgreSQL on
// 127.0.0.1:5432 (a database made for this test run, one schema per test)
// and SQLite in a temp dir. PostgreSQL being down is a failure, not a skip:
// `make test` starts it. CHORUSBILL_TEST_POSTGRES_URL points elsewhere.

const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	pgRunURL  string // the database made for this run
	schemaSeq atomic.Int64
)

func TestMain(m *testing.M) {
	code, err := runWithPostgres(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "store tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithPostgres(m *testing.M) (int, error) {
	admin := os.Getenv("CHORUSBILL_TEST_POSTGRES_URL")
	if admin == "" {
		admin = defaultTestPostgres
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return 0, fmt.Errorf("PostgreSQL is not reachable at %s (run `make services`, or set CHORUSBILL_TEST_POSTGRES_URL): %w", admin, err)
	}
	name := fmt.Sprintf("chorusbill_test_%d_%d", time.Now().Unix(), os.Getpid())
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return 0, fmt.Errorf("create test database: %w", err)
	}
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	pgRunURL = u.String()
	code := m.Run()
	dropCtx, cancelDrop := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelDrop()
	if _, err := db.ExecContext(dropCtx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "store tests: drop test database:", err)
	}
	return code, nil
}

// engine is one database a test runs on.
type engine struct {
	name string
	open func(t testing.TB) *Store
}

func engines() []engine {
	return []engine{
		{"postgres", openPostgres},
		{"sqlite", openSQLite},
	}
}

// forEachEngine runs a test once per engine, each on an empty, migrated store.
func forEachEngine(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) { fn(t, e.open(t)) })
	}
}

func openPostgres(t testing.TB) *Store {
	t.Helper()
	schema := fmt.Sprintf("t%d_%s", schemaSeq.Add(1), strings.ToLower(strings.NewReplacer("/", "_", " ", "_", "-", "_").Replace(t.Name())))
	if len(schema) > 60 {
		schema = schema[:60]
	}
	db, err := sql.Open("pgx", pgRunURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, _ := url.Parse(pgRunURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return openURL(t, u.String())
}

func openSQLite(t testing.TB) *Store {
	t.Helper()
	return openURL(t, "sqlite://"+filepath.Join(t.TempDir(), "books.db"))
}

func openURL(t testing.TB, u string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := OpenAndMigrate(ctx, u)
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

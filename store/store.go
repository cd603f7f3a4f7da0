// Package store keeps chorusbill's books in SQL — PostgreSQL in production,
// SQLite embedded — through sqlx: establishments, buyer references, usage,
// invoices with gap-free numbers, documents, payments, billing runs and an
// append-only audit trail. It is the source of truth; the queue only carries
// work.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is a handle on the books. It is safe for concurrent use.
type Store struct {
	db      *sqlx.DB
	dialect Dialect
	now     func() time.Time
	created bool
	// identity caches Identity.
	identity struct {
		mu   sync.Mutex
		uuid string
	}
}

// Option changes how a store is opened.
type Option func(*Store)

// WithClock sets the clock used for timestamps (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open connects to the database named by a URL (postgres://… or
// sqlite://PATH, the file created on first use) without migrating it.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open(t.driver, t.dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", t.dialect, err)
	}
	if t.dialect == SQLite {
		// One writer at a time is SQLite's rule; a small pool of readers is
		// plenty for one machine.
		db.SetMaxOpenConns(4)
	} else {
		db.SetMaxOpenConns(16)
	}
	db.SetMaxIdleConns(16) // keep them: database/sql keeps 2 by default, and PostgreSQL forks a backend per new one
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", t.dialect, redactURL(err, rawURL))
	}
	s := &Store{db: db, dialect: t.dialect, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// OpenAndMigrate opens the database and applies pending migrations: what
// every command that uses the books does on start.
func OpenAndMigrate(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	s, err := Open(ctx, rawURL, opts...)
	if err != nil {
		return nil, err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	steps, err := migrations(s.dialect)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.created = applied == len(steps)
	return s, nil
}

// Created reports whether OpenAndMigrate found no books there and made them
// anew (every migration applied): a mistyped path or database name gives
// empty books, and the commands say so.
func (s *Store) Created() bool { return s.created }

// Close releases the connections.
func (s *Store) Close() error { return s.db.Close() }

// Dialect tells which engine the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks the database answers (readiness probes).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// rebind turns ? placeholders into the engine's.
func (s *Store) rebind(q string) string {
	if s.dialect == Postgres {
		return sqlx.Rebind(sqlx.DOLLAR, q)
	}
	return q
}

func (s *Store) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a unique-key conflict, on either engine.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// redactURL keeps a password in a database URL out of error messages.
func redactURL(err error, rawURL string) error {
	if i := strings.Index(rawURL, "://"); i >= 0 {
		if at := strings.LastIndex(rawURL, "@"); at > i {
			if colon := strings.Index(rawURL[i+3:at], ":"); colon >= 0 {
				secret := rawURL[i+3+colon+1 : at]
				if secret != "" && strings.Contains(err.Error(), secret) {
					return errors.New(strings.ReplaceAll(err.Error(), secret, "***"))
				}
			}
		}
	}
	return err
}

// The batch forms of the run's reads and writes (EstablishmentsByIDs,
// FinaliseMany, ApplyEach, PutDocuments…) sit next to their one-row forms. A
// yearly run bills tens of thousands of establishments; one statement and
// one commit per batch of them, rather than per invoice, is what keeps
// PostgreSQL from being the pipeline's bound (issue 8's profile: ≈40
// statements and 7 commits per invoice before). Each keeps the guarantees of
// its one-row form.

// in expands "IN (?)" over ids and rebinds for the engine.
func (s *Store) in(q string, args ...any) (string, []any, error) {
	q, args, err := sqlx.In(q, args...)
	if err != nil {
		return "", nil, err
	}
	return s.rebind(q), args, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered step of the schema. A step is one file shared by
// both engines (0001_books.sql) or one file per engine
// (0002_immutable.postgres.sql and 0002_immutable.sqlite.sql).
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the steps for an engine in order. It is a small runner
// rather than a migration library because one schema text serves both
// engines through a few tokens; the runner records each applied version in
// schema_migrations within the step's own transaction.
func migrations(d Dialect) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]migration{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		if engine := path.Ext(base); engine != "" {
			if Dialect(engine[1:]) != d {
				continue
			}
			base = strings.TrimSuffix(base, engine)
		}
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and an underscore", name)
		}
		if prev, dup := byVersion[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev.name, name, v)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		byVersion[v] = migration{version: v, name: path.Base(name), sql: d.tokens().Replace(string(body))}
	}
	var out []migration
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	// Numbers may leave a gap: changes made side by side reserve theirs,
	// and one may land before another. Each version is recorded on its
	// own, so a step landing later is applied then, after the higher ones.
	if len(out) > 0 && out[0].version < 1 {
		return nil, fmt.Errorf("migration %s: versions start at 1", out[0].name)
	}
	return out, nil
}

// Migrate applies the migrations not yet applied, each in its own
// transaction. On PostgreSQL an advisory lock keeps two processes starting
// together from migrating at once; SQLite's write lock does the same there.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	steps, err := migrations(s.dialect)
	if err != nil {
		return 0, err
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7245001)`); err != nil {
			return 0, fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7245001)`) //nolint:errcheck // released with the session anyway
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at `+s.dialect.tokens().Replace("{{TIMESTAMP}}")+` NOT NULL)`); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	for _, m := range steps {
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		var done int
		if err := tx.GetContext(ctx, &done, s.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if done > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, time.Now().UTC()); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		applied++
	}
	return applied, nil
}

package store

import (
	"context"
	"regexp"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Books get a UUID of their own when made; it stays what it is through
// migrations and reads, and the table holds that one row only.
func TestIdentity(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s, other := e.open(t), e.open(t)
			id, err := s.Identity(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !uuidV4.MatchString(id) {
				t.Errorf("identity %q is not a version 4 UUID", id)
			}
			otherID, err := other.Identity(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if otherID == id {
				t.Errorf("two books share the identity %s", id)
			}
			if n, err := s.Migrate(ctx); err != nil || n != 0 {
				t.Fatalf("migrate again: %d applied, %v", n, err)
			}
			s.identity.uuid = "" // read it from the database again
			if again, err := s.Identity(ctx); err != nil || again != id {
				t.Errorf("identity read again: %q, %v; want %q", again, err, id)
			}
			if _, err := s.db.ExecContext(ctx, `INSERT INTO books_identity (uuid) VALUES ('x')`); err == nil {
				t.Error("a second identity row was accepted")
			}
			if _, err := s.db.ExecContext(ctx, `INSERT INTO books_identity (one, uuid) VALUES (2, 'x')`); err == nil {
				t.Error("an identity row other than the one was accepted")
			}
		})
	}
}

// Many SQLite books: the UUIDs spelt from randomblob are well formed and
// distinct (the version and variant nibbles most of all).
func TestIdentitySQLiteSpelling(t *testing.T) {
	ctx := context.Background()
	seen := map[string]bool{}
	for range 20 {
		s := openSQLite(t)
		id, err := s.Identity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !uuidV4.MatchString(id) || seen[id] {
			t.Fatalf("identity %q: malformed or seen before", id)
		}
		seen[id] = true
	}
}

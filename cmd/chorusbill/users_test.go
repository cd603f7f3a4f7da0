package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"
	"github.com/chorusbill/chorusbill/store"
)

func TestUsersCommand(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "books.db")
	getenv := func(k string) string {
		if k == envDatabaseURL {
			return db
		}
		return ""
	}
	runIt := func(stdin string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		c := &cli{stdout: &out, stderr: &errb, getenv: getenv}
		err := runUsersWith(context.Background(), c, args, strings.NewReader(stdin))
		return out.String() + errb.String(), err
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		ok          bool
		want        string
	}{
		{"no subcommand", "", nil, false, ""},
		{"short password", "short\n", []string{"add", "alice", "--role", "operator"}, false, ""},
		{"bad role", "a long enough password\n", []string{"add", "alice", "--role", "admin"}, false, ""},
		{"bad name", "a long enough password\n", []string{"add", "Alice Smith"}, false, ""},
		{"add", "a long enough password\n", []string{"add", "alice", "--role", "operator"}, true, "user alice created (operator)"},
		{"add twice", "a long enough password\n", []string{"add", "alice"}, false, ""},
		{"add viewer", "another long password\n", []string{"add", "bob"}, true, "(viewer)"},
		{"passwd", "a brand new password\n", []string{"passwd", "alice"}, true, "password of alice changed"},
		{"passwd unknown", "a brand new password\n", []string{"passwd", "zoe"}, false, ""},
		{"disable", "", []string{"disable", "bob"}, true, "user bob disabled"},
		{"list", "", []string{"list"}, true, "bob    viewer    disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runIt(tc.stdin, tc.args...)
			if (err == nil) != tc.ok || !strings.Contains(out, tc.want) {
				t.Fatalf("err %v, output %q", err, out)
			}
		})
	}
	books, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer books.Close()
	u, err := books.UserByName(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := argon2id.ComparePasswordAndHash("a brand new password", u.PasswordHash); !ok || err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("stored hash %q does not verify the new password", u.PasswordHash)
	}
	if strings.Contains(u.PasswordHash, "brand new") {
		t.Fatal("the password is stored in clear")
	}
}

package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned by Start when no PostgreSQL server binaries
// (initdb and pg_ctl) are found: callers decide whether to go on without a
// server of their own (scripts/services installs them from Debian).
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb and pg_ctl) on the PATH or in " + debianRoot + "/*/bin")

// debianRoot holds Debian's versioned installs, whose bin directories are
// not on the PATH (Debian puts only wrappers such as pg_ctlcluster there).
const debianRoot = "/usr/lib/postgresql"

// binaries are the programs a Server runs.
type binaries struct{ initdb, pgctl string }

// findBinaries looks for initdb and pg_ctl on the PATH, then in the highest
// version under Debian's /usr/lib/postgresql.
func findBinaries() (binaries, error) { return findBinariesIn(exec.LookPath, debianRoot) }

func findBinariesIn(lookPath func(string) (string, error), root string) (binaries, error) {
	initdb, err1 := lookPath("initdb")
	pgctl, err2 := lookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		return binaries{initdb, pgctl}, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return binaries{}, fmt.Errorf("look for PostgreSQL in %s: %w", root, err)
	}
	var versions []string
	for _, e := range entries {
		if e.IsDir() && versionKey(e.Name()) != nil {
			versions = append(versions, e.Name())
		}
	}
	// Highest first, by number: 10 is above 9.6.
	slices.SortFunc(versions, func(a, b string) int { return slices.Compare(versionKey(b), versionKey(a)) })
	for _, v := range versions {
		bin := filepath.Join(root, v, "bin")
		b := binaries{filepath.Join(bin, "initdb"), filepath.Join(bin, "pg_ctl")}
		if isExecutable(b.initdb) && isExecutable(b.pgctl) {
			return b, nil
		}
	}
	return binaries{}, ErrNoBinaries
}

// versionKey reads a directory name such as "15" or "9.6" as numbers, nil
// when it is not a version.
func versionKey(name string) []int {
	var key []int
	for part := range strings.SplitSeq(name, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil
		}
		key = append(key, n)
	}
	return key
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

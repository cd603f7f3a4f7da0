package pgserver

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Off the PATH, the highest version under the Debian root that has both
// programs wins, by number (10 above 9.6); on the PATH, the PATH's.
func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"9.6/bin/initdb", "9.6/bin/pg_ctl", "10/bin/initdb", "10/bin/pg_ctl", "16/bin/initdb", "notes/bin/initdb", "notes/bin/pg_ctl"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }
	b, err := findBinariesIn(notOnPath, root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "10/bin/pg_ctl"); b.pgctl != want || b.initdb != filepath.Join(root, "10/bin/initdb") {
		t.Errorf("found %+v, want version 10's", b)
	}

	onPath := func(name string) (string, error) { return "/opt/pg/bin/" + name, nil }
	if b, err := findBinariesIn(onPath, root); err != nil || b.initdb != "/opt/pg/bin/initdb" || b.pgctl != "/opt/pg/bin/pg_ctl" {
		t.Errorf("with both on the PATH: %+v, %v", b, err)
	}

	if _, err := findBinariesIn(notOnPath, filepath.Join(root, "none")); !errors.Is(err, ErrNoBinaries) {
		t.Errorf("with none: %v, want ErrNoBinaries", err)
	}
}

package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(good, []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"unset", nil, "", ""},
		{"value", map[string]string{"X": "v"}, "v", ""},
		{"file, trimmed", map[string]string{"X_FILE": good}, "s3cret", ""},
		{"both", map[string]string{"X": "v", "X_FILE": good}, "", "set X or X_FILE, not both"},
		{"missing file", map[string]string{"X_FILE": filepath.Join(dir, "nope")}, "", "X_FILE: open"},
		{"empty file", map[string]string{"X_FILE": empty}, "", "X_FILE: " + empty + " is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(func(k string) string { return tc.env[k] }, "X")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

package lab

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/fixtures"
)

// The first file is what Generate(n) gives; the second holds only new
// SIRETs; each usage row goes with its establishment's file.
func TestWriteChaosInputs(t *testing.T) {
	dir := t.TempDir()
	in, err := writeChaosInputs(dir, 200, 5)
	if err != nil {
		t.Fatal(err)
	}
	var est, usage bytes.Buffer
	if err := fixtures.Generate(200, 7, &est, &usage); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if read(in.Establishments[0]) != est.String() {
		t.Error("the first establishments file differs from Generate(n)")
	}
	first := map[string]bool{}
	for _, r := range mustRows(t, read(in.Establishments[0])) {
		first[siretOf(r)] = true
	}
	second := map[string]bool{}
	for _, r := range mustRows(t, read(in.Establishments[1])) {
		if first[siretOf(r)] {
			t.Errorf("%s is in both files", siretOf(r))
		}
		second[siretOf(r)] = true
	}
	if len(first) != 200 || len(second) != 5 {
		t.Errorf("%d and %d establishments, want 200 and 5", len(first), len(second))
	}
	for i, want := range []map[string]bool{first, second} {
		text := read(in.Usage[i])
		if !strings.HasPrefix(text, fixtures.UsageHeader+"\n") {
			t.Errorf("usage %d has no header", i+1)
		}
		for _, r := range mustRows(t, text) {
			if !want[siretOf(r)] {
				t.Errorf("usage %d: %s is not an establishment of its file", i+1, siretOf(r))
			}
		}
	}
}

func mustRows(t *testing.T, text string) []string {
	t.Helper()
	rows, err := csvRows([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

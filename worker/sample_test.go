package worker

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/store"
)

// Columns of the sample's establishments file that tests change.
const (
	colTermination   = 9
	colHeadcount2026 = 13
)

// sampleRows is the sample's establishments file, one row per line, the
// header first.
func sampleRows(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile("../fixtures/sample/establishments.csv")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}

// withFields is rows with the row of siret changed: each column of set
// takes its value.
func withFields(rows []string, siret string, set map[int]string) []string {
	out := make([]string, len(rows))
	for i, l := range rows {
		out[i] = l
		if strings.HasPrefix(l, siret+";") {
			f := strings.Split(l, ";")
			for col, v := range set {
				f[col] = v
			}
			out[i] = strings.Join(f, ";")
		}
	}
	return out
}

// importRows imports rows as an establishments file.
func importRows(t testing.TB, books *store.Store, rows []string) {
	t.Helper()
	if _, err := books.ImportEstablishments(context.Background(), "establishments.csv", strings.NewReader(strings.Join(rows, "\n")+"\n"), catalog(t), "test"); err != nil {
		t.Fatal(err)
	}
}

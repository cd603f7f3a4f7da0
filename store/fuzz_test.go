package store

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzCSV: the spreadsheet reader and the establishments parser never
// panic, and every problem they report names the file and a line.
func FuzzCSV(f *testing.F) {
	for _, name := range []string{"../fixtures/sample/establishments.csv", "../fixtures/bad/establishments-invalid-siret.csv",
		"../fixtures/bad/establishments-impossible-date.csv", "../fixtures/sample/usage-2025.csv"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\ufeffsiret,name,offer,existing,headcount_2025\n\"a\"b\n"))
	f.Add([]byte{})
	cat := testCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		csv, err := openCSV("fuzz.csv", bytes.NewReader(data), establishmentRequired(), establishmentOptional())
		if err != nil {
			checkImportError(t, err)
			return
		}
		err = csv.each(func(line int, get func(string) string) {
			parseEstablishment(csv, line, get, []int{2025}, cat)
		})
		if err != nil {
			return // a read error of the underlying reader
		}
		checkImportError(t, csv.done())
	})
}

func checkImportError(t *testing.T, err error) {
	if err == nil {
		return
	}
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T is not an *ImportError: %v", err, err)
	}
	for _, re := range ie.Errors {
		if re.File != "fuzz.csv" || re.Line < 1 {
			t.Fatalf("problem without file and line: %+v", re)
		}
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// A field longer than an invoice can carry (document.Limits) is refused at
// import, naming file, line, field, the limit and the length; the whole
// file is refused and the books are unchanged. At the limit it is taken,
// counted in characters, not bytes.
func TestImportRefusesFieldsOverTheDocumentsLimits(t *testing.T) {
	ctx := context.Background()
	const estHeader = "siret;name;offer;existing;address_line1;address_line2;postcode;city;headcount_2025\n"
	// est is a valid row but for the field set.
	est := func(siret, name, line1, line2, city string) string {
		return fmt.Sprintf("%s;%s;bouquet;oui;%s;%s;35000;%s;10\n", siret, name, line1, line2, city)
	}
	good := est("21299951000010", "Commune de Brest", "2 rue Frézier", "", "Brest")
	long := strings.Repeat
	cases := []struct {
		name, kind, file string
		// field and problem expected on line 3 (line 2 is a good row);
		// field empty when the file must be accepted.
		field, problem string
	}{
		{"buyer name of 100 characters", "establishments",
			estHeader + good + est("19290263300010", long("M", 100), "", "", "Quimper"),
			"name", "100 characters, over the limit of 99 (party name, BR-FR-CPRO-43, BR-FR-CPRO-44)"},
		{"buyer name of 99 characters", "establishments",
			estHeader + good + est("19290263300010", long("M", 99), "", "", "Quimper"), "", ""},
		{"buyer name of 99 two-byte characters", "establishments",
			estHeader + good + est("19290263300010", long("é", 99), "", "", "Quimper"), "", ""},
		{"address line 1 of 401 characters", "establishments",
			estHeader + good + est("19290263300010", "Mairie", long("r", 401), "", "Quimper"),
			"address_line1", "401 characters, over the limit of 400"},
		{"address line 2 of 401 characters", "establishments",
			estHeader + good + est("19290263300010", "Mairie", "", long("r", 401), "Quimper"),
			"address_line2", "401 characters, over the limit of 400"},
		{"city of 401 characters", "establishments",
			estHeader + good + est("19290263300010", "Mairie", "", "", long("Q", 401)),
			"city", "401 characters, over the limit of 400"},
		{"code service of 101 characters", "references",
			"siret;year;code_service;engagement\n21299951000010;2025;SERVICE;\n19290263300010;2025;" + long("S", 101) + ";\n",
			"code_service", "101 characters, over the limit of 100"},
		{"engagement of 51 characters", "references",
			"siret;year;code_service;engagement\n21299951000010;2025;SERVICE;\n19290263300010;2025;;" + long("E", 51) + "\n",
			"engagement", "51 characters, over the limit of 50 (engagement number, BR-FR-CPRO-15)"},
		{"engagement of 50 characters", "references",
			"siret;year;code_service;engagement\n21299951000010;2025;SERVICE;\n19290263300010;2025;;" + long("E", 50) + "\n", "", ""},
	}
	forEachEngine(t, func(t *testing.T, s *Store) {
		// The two establishments the references name, once.
		base := estHeader + est("21299951000010", "Commune de Brest", "", "", "Brest") + est("19290263300010", "Mairie", "", "", "Quimper")
		if _, err := s.ImportEstablishments(ctx, "base.csv", strings.NewReader(base), testCatalog(t), "test"); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := snapshot(t, s)
				file := strings.ReplaceAll(c.name, " ", "-") + ".csv"
				var err error
				if c.kind == "establishments" {
					_, err = s.ImportEstablishments(ctx, file, strings.NewReader(c.file), testCatalog(t), "test")
				} else {
					_, err = s.ImportReferences(ctx, file, strings.NewReader(c.file), "test")
				}
				if c.field == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				var ie *ImportError
				if !errors.As(err, &ie) || len(ie.Errors) != 1 {
					t.Fatalf("err = %v, want an *ImportError with one problem", err)
				}
				got := ie.Errors[0]
				if got.File != file || got.Line != 3 || got.Field != c.field || !strings.Contains(got.Problem, c.problem) {
					t.Errorf("problem %s:%d %s: %s\nwant      %s:3 %s: …%s…", got.File, got.Line, got.Field, got.Problem, file, c.field, c.problem)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%s:3: %s: %s", file, c.field, c.problem)) {
					t.Errorf("message %q does not name file:line: field: the lengths", err)
				}
				if after := snapshot(t, s); !reflect.DeepEqual(before, after) {
					t.Error("the books changed after a refused file")
				}
			})
		}
	})
}

// SetReferences, the dashboard's way in, holds the same limits.
func TestSetReferencesLimits(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	in := "siret;name;offer;existing;city;headcount_2025\n21299951000010;Commune de Brest;bouquet;oui;Brest;10\n"
	if _, err := s.ImportEstablishments(ctx, "e.csv", strings.NewReader(in), testCatalog(t), "test"); err != nil {
		t.Fatal(err)
	}
	e, err := s.EstablishmentBySIRET(ctx, "21299951000010")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		code, eng, want string
	}{
		{strings.Repeat("S", 101), "", "code service: 101 characters, over the limit of 100"},
		{"", strings.Repeat("E", 51), "engagement number: 51 characters, over the limit of 50"},
		{strings.Repeat("S", 100), strings.Repeat("E", 50), ""},
	} {
		err := s.SetReferences(ctx, e.ID, 2025, c.code, c.eng, "test")
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetReferences(%d, %d characters) = %v, want %q", len(c.code), len(c.eng), err, c.want)
		}
	}
}

package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The payment_term_days column of an establishments file: empty is the
// deliberation's term; otherwise a whole number of days the law allows the
// establishment under its late-payment regime, refused with the file, line
// and field otherwise.
func TestImportPaymentTerm(t *testing.T) {
	ctx := context.Background()
	const header = "siret;name;offer;existing;late_payment_regime;payment_term_days;headcount_2026\n"
	hospital := func(regime, term string) string {
		return "26223144200035;Centre hospitalier de Paimpol;bouquet;oui;" + regime + ";" + term + ";652\n"
	}
	commune := func(regime, term string) string {
		return "21299951000010;Commune de Plougastel-Daoulas;bouquet;oui;" + regime + ";" + term + ";103\n"
	}
	tests := []struct {
		name string
		rows string
		want map[string]int // SIRET → term stored; 0: none (the deliberation's)
		err  string         // the whole message when refused
	}{
		{name: "empty is the deliberation's", rows: commune("legal", "") + hospital("procurement", ""),
			want: map[string]int{"21299951000010": 0, "26223144200035": 0}},
		{name: "no column at all", rows: "",
			want: map[string]int{"21299951000010": 0}},
		{name: "30 days under either regime", rows: commune("legal", "30") + hospital("procurement", "30"),
			want: map[string]int{"21299951000010": 30, "26223144200035": 30}},
		{name: "50 days for a public health establishment", rows: hospital("procurement", "50"),
			want: map[string]int{"26223144200035": 50}},
		{name: "60 days, the legal maximum", rows: hospital("procurement", "60"),
			want: map[string]int{"26223144200035": 60}},
		{name: "a shorter term under procurement", rows: hospital("procurement", "20"),
			want: map[string]int{"26223144200035": 20}},
		{name: "spaces around the figure", rows: hospital("procurement", " 50 "),
			want: map[string]int{"26223144200035": 50}},
		{name: "beyond the legal maximum", rows: commune("legal", "") + hospital("procurement", "61"),
			err: "terms.csv:3: payment_term_days: 61 days is beyond the legal maximum of 60 days (CCP R2192-10 and R2192-11: 30 days for public buyers, 50 for public health establishments, 60 for public enterprises)"},
		{name: "50 days under the legal regime", rows: hospital("legal", "50"),
			err: "terms.csv:2: payment_term_days: 50 days needs the procurement late-payment regime: under the legal regime the term is the convention's 30 days; other terms (50 days for a public health establishment, CCP R2192-11) are those of public procurement"},
		{name: "the default regime is the legal one", rows: hospital("", "45"),
			err: "terms.csv:2: payment_term_days: 45 days needs the procurement late-payment regime: under the legal regime the term is the convention's 30 days; other terms (50 days for a public health establishment, CCP R2192-11) are those of public procurement"},
		{name: "zero", rows: hospital("procurement", "0"),
			err: "terms.csv:2: payment_term_days: 0 days: a payment term is at least 1 day"},
		{name: "negative", rows: hospital("procurement", "-30"),
			err: "terms.csv:2: payment_term_days: -30 days: a payment term is at least 1 day"},
		{name: "not a number", rows: hospital("procurement", "50 jours"),
			err: `terms.csv:2: payment_term_days: "50 jours" is not a whole number of days`},
		{name: "not whole", rows: hospital("procurement", "45,5"),
			err: `terms.csv:2: payment_term_days: "45,5" is not a whole number of days`},
	}
	forEachEngine(t, func(t *testing.T, s *Store) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				file := header + tc.rows
				if tc.rows == "" {
					file = "siret;name;offer;existing;headcount_2026\n21299951000010;Commune de Plougastel-Daoulas;bouquet;oui;103\n"
				}
				before := snapshotTerms(t, s)
				_, err := s.ImportEstablishments(ctx, "terms.csv", strings.NewReader(file), testCatalog(t), "test")
				if tc.err != "" {
					var ie *ImportError
					if !errors.As(err, &ie) || len(ie.Errors) != 1 || ie.Errors[0].Error() != tc.err {
						t.Fatalf("err = %v\nwant %s", err, tc.err)
					}
					if after := snapshotTerms(t, s); after != before {
						t.Errorf("books changed by a refused file: %s, then %s", before, after)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				for siret, want := range tc.want {
					e, err := s.EstablishmentBySIRET(ctx, siret)
					if err != nil {
						t.Fatal(err)
					}
					te, err := e.Tariff(2026)
					if err != nil {
						t.Fatal(err)
					}
					got := 0
					if e.PaymentTermDays != nil {
						got = *e.PaymentTermDays
					}
					if got != want || te.PaymentTermDays != want {
						t.Errorf("%s: term %d stored, %d for the tariff; want %d", siret, got, te.PaymentTermDays, want)
					}
				}
			})
		}
	})
}

// A changed term is a changed establishment; the same file again changes
// nothing; an emptied cell goes back to the deliberation's term.
func TestImportPaymentTermChanges(t *testing.T) {
	ctx := context.Background()
	file := func(term string) string {
		return "siret;name;offer;existing;late_payment_regime;payment_term_days;headcount_2026\n" +
			"26223144200035;Centre hospitalier de Paimpol;bouquet;oui;procurement;" + term + ";652\n"
	}
	forEachEngine(t, func(t *testing.T, s *Store) {
		for i, step := range []struct {
			term                      string
			added, changed, unchanged int
			stored                    string
		}{
			{"50", 1, 0, 0, "50"},
			{"50", 0, 0, 1, "50"},
			{"", 0, 1, 0, ""},
			{"", 0, 0, 1, ""},
			{"30", 0, 1, 0, "30"},
		} {
			res, err := s.ImportEstablishments(ctx, "terms.csv", strings.NewReader(file(step.term)), testCatalog(t), "test")
			if err != nil {
				t.Fatal(err)
			}
			if res.Added != step.added || res.Changed != step.changed || res.Unchanged != step.unchanged {
				t.Errorf("step %d (%q): added %d, changed %d, unchanged %d", i, step.term, res.Added, res.Changed, res.Unchanged)
			}
			if got := snapshotTerms(t, s); got != "26223144200035="+step.stored {
				t.Errorf("step %d: %s", i, got)
			}
		}
	})
}

// snapshotTerms lists the stored payment terms ("" for none).
func snapshotTerms(t *testing.T, s *Store) string {
	t.Helper()
	var rows []string
	if err := s.db.Select(&rows, `SELECT siret || '=' || COALESCE(CAST(payment_term_days AS TEXT), '') FROM establishments ORDER BY siret`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, ",")
}

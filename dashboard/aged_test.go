package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// agedRow is a buyer's row of the aged balance page as rendered.
func agedRow(siret, name string, cells ...string) string {
	var b strings.Builder
	b.WriteString(`<th scope="row"><a href="/etablissements/` + siret + `">` + name + `</a><br><small class="muted">` + siret + "</small></th>\n  ")
	for _, c := range cells {
		if c == "0,00" {
			b.WriteString(`<td class="num zero">0,00&nbsp;€</td>`)
		} else {
			b.WriteString(`<td class="num">` + c + "&nbsp;€</td>")
		}
	}
	return strings.ReplaceAll(b.String(), "&nbsp;", "\u00a0")
}

// TestAgedBalancePage: the page lists each buyer with something to
// collect, linked to its establishment, with its amounts in their columns
// (the sample: one invoice not due per buyer, one 122 days late, two
// rejected); the totals row is the overview's « reste à encaisser » and,
// late, its « dont échu, impayé »; a column's link sorts by it and the
// export keeps that order.
func TestAgedBalancePage(t *testing.T) {
	e := newEnv(t)
	m, err := e.books.Money(context.Background(), today)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query     string
		first     string // the first buyer listed
		export    string
		wantParts []string
	}{
		{"", "Collège Jean Moulin", "/balance-agee.csv", []string{
			`<h1>Balance âgée <small class="muted">6 acheteur(s) au 02/03/2026</small></h1>`,
			`<a href="/balance-agee" class="on">Balance âgée</a>`,
			agedRow("19290263300010", "Collège Jean Moulin", "1\u00a0234,56", "0,00", "0,00", "0,00", "0,00", "0,00", "1\u00a0234,56"),
			agedRow("19359964400021", "Collège Surcouf", "0,00", "0,00", "0,00", "0,00", "1\u00a0481,47", "0,00", "1\u00a0481,47"),
			agedRow("19298598400025", "Collège Paul Sérusier", "0,00", "0,00", "0,00", "0,00", "0,00", "2\u00a0415,00", "2\u00a0415,00"),
			`<th scope="row">Total (6 acheteur(s))</th>` + "\n  " +
				`<td class="num">5 650,56 €</td><td class="num">0,00 €</td><td class="num">0,00 €</td><td class="num">0,00 €</td>` +
				`<td class="num">` + euros(m.Overdue) + `</td><td class="num">3 519,00 €</td><td class="num">` + euros(m.Outstanding) + `</td>`,
			`<span>1–6 sur 6</span>`,
			`<a href="?tri=over90">Plus de 90 jours</a>`,
		}},
		{"?tri=-total", "Lycée Dupuy de Lôme", "/balance-agee.csv?tri=-total", []string{`<a href="?tri=total">Total ▼</a>`}},
		{"?tri=-over90", "Collège Surcouf", "/balance-agee.csv?tri=-over90", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			w := e.do("GET", "/balance-agee"+tc.query, e.viewer, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d\n%s", w.Code, w.Body.String())
			}
			body := strings.ReplaceAll(w.Body.String(), "\u00a0", " ")
			for _, p := range tc.wantParts {
				if !strings.Contains(body, strings.ReplaceAll(p, "\u00a0", " ")) {
					t.Errorf("page lacks %s", p)
				}
			}
			_, rows, _ := strings.Cut(body, "<tbody>")
			_, first, _ := strings.Cut(rows, `<th scope="row">`)
			if first, _, _ = strings.Cut(first, "</th>"); !strings.Contains(first, ">"+tc.first+"</a>") {
				t.Errorf("first buyer: %s, want %s", first, tc.first)
			}
			if !strings.Contains(body, `<a class="button" href="`+tc.export+`" download>Exporter (CSV)</a>`) {
				t.Errorf("no export link to %s", tc.export)
			}
		})
	}
	if m.Outstanding.StringFixed(2) != "10651.03" || m.Overdue.StringFixed(2) != "1481.47" {
		t.Errorf("the sample's overview: outstanding %s, overdue %s", m.Outstanding, m.Overdue)
	}
}

// TestAgedBalanceCSV: every buyer, the buckets as columns and a TOTAL row,
// as a French spreadsheet reads it, byte for byte.
func TestAgedBalanceCSV(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "/balance-agee.csv?tri=-over90", e.viewer, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d\n%s", w.Code, w.Body.String())
	}
	if ct, cd := w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		cd != `attachment; filename="balance-agee-2026-03-02.csv"` {
		t.Errorf("headers %q, %q", ct, cd)
	}
	want := "\ufeffSIRET;Acheteur;Non échu;1 à 30 jours;31 à 60 jours;61 à 90 jours;Plus de 90 jours;Rejetées;Total\r\n" +
		"19359964400021;Collège Surcouf;0,00;0,00;0,00;0,00;1481,47;0,00;1481,47\r\n" +
		"19290263300010;Collège Jean Moulin;1234,56;0,00;0,00;0,00;0,00;0,00;1234,56\r\n" +
		"19298598400025;Collège Paul Sérusier;0,00;0,00;0,00;0,00;0,00;2415,00;2415,00\r\n" +
		"19353941800015;Lycée Bertrand d'Argentré;0,00;0,00;0,00;0,00;0,00;1104,00;1104,00\r\n" +
		"19560820300012;Lycée Dupuy de Lôme;4140,00;0,00;0,00;0,00;0,00;0,00;4140,00\r\n" +
		"19354340200039;Lycée Théodore Monod;276,00;0,00;0,00;0,00;0,00;0,00;276,00\r\n" +
		"TOTAL;6 acheteur(s);5650,56;0,00;0,00;0,00;1481,47;3519,00;10651,03\r\n"
	if got := w.Body.String(); got != want {
		t.Errorf("CSV:\n%q\nwant\n%q", got, want)
	}
}

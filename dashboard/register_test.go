package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// frNBSP is the no-break space of French amounts ("1 234,56 €").
const frNBSP = "\u00a0"

var reRowNumber = regexp.MustCompile(`<td><a href="/factures/([A-Z]{2}\d{4}-\d{6})">`)

// rowNumbers are the invoice numbers of a list page's rows, in order.
func rowNumbers(body string) []string {
	var out []string
	for _, m := range reRowNumber.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestRegisterFilters checks each filter of /factures: the rows, and the
// count and totals of the selection.
func TestRegisterFilters(t *testing.T) {
	e := newEnv(t)
	all := []string{e.overdue, e.awaiting, e.rejected, e.platformRejected, e.postal, e.suspended}
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"none", "", all},
		{"year", "annee=2025", all},
		{"other year", "annee=2026", nil},
		{"kind", "type=contribution", all},
		{"other kind", "type=credit_note", nil},
		{"state", "etat=rejected", []string{e.rejected, e.platformRejected}},
		{"postal", "canal=postal", []string{e.postal}},
		{"chorus", "canal=chorus", []string{e.rejected}},
		{"name without accents", "q=college", []string{e.overdue, e.awaiting, e.rejected}},
		{"siret", "q=" + e.ests[3].SIRET, []string{e.postal}},
		{"min, French", "min=1+234,56", []string{e.overdue, e.awaiting, e.rejected, e.suspended}},
		{"max, point", "max=1104.00", []string{e.platformRejected, e.postal}},
		{"min and max with €", "min=276,01&max=" + url.QueryEscape("1 481,47 €"), []string{e.overdue, e.awaiting, e.platformRejected}},
		{"issued from", "du=2026-01-01", []string{e.awaiting, e.rejected, e.platformRejected, e.postal, e.suspended}},
		{"issued to, French date", "au=31/12/2025", []string{e.overdue}},
		{"overdue today", "retard=1", []string{e.overdue}},
		{"combined", "etat=rejected&q=serusier", []string{e.rejected}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("GET", "/factures?"+tc.query, e.viewer, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("%d\n%s", w.Code, w.Body.String())
			}
			got := rowNumbers(w.Body.String())
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("rows %v, want %v", got, want)
			}
		})
	}
	// The heading counts and sums the whole selection: TTC and what is due.
	body := e.do("GET", "/factures", e.viewer, nil).Body.String()
	if want := "6 factures · 10" + frNBSP + "651,03" + frNBSP + "€ TTC · reste dû 10" + frNBSP + "651,03" + frNBSP + "€"; !strings.Contains(body, want) {
		t.Errorf("heading lacks %q", want)
	}
	body = e.do("GET", "/factures?etat=rejected", e.viewer, nil).Body.String()
	if want := "2 factures · 3" + frNBSP + "519,00" + frNBSP + "€ TTC"; !strings.Contains(body, want) {
		t.Errorf("heading of the rejected lacks %q", want)
	}
	for _, want := range []string{`<a href="/factures" class="on">Registre</a>`, `<option value="rejected" selected>Rejetée</option>`,
		`href="/factures.csv?etat=rejected" download>Exporter (CSV)</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestRegisterSort sorts by each column header, both ways, and the
// headers' links keep the filter.
func TestRegisterSort(t *testing.T) {
	e := newEnv(t)
	byAmount := []string{e.postal, e.platformRejected, e.awaiting, e.overdue, e.rejected, e.suspended}
	reversed := slices.Clone(byAmount)
	slices.Reverse(reversed)
	for _, tc := range []struct {
		sort string
		want []string
	}{
		{"amount", byAmount},
		{"-amount", reversed},
		{"number", []string{e.overdue, e.awaiting, e.rejected, e.platformRejected, e.postal, e.suspended}},
		{"date", []string{e.overdue, e.awaiting, e.rejected, e.platformRejected, e.postal, e.suspended}},
		{"-due", []string{e.suspended, e.postal, e.platformRejected, e.rejected, e.awaiting, e.overdue}},
		// Collège Jean Moulin, Paul Sérusier, Surcouf; Lycée Bertrand…, Dupuy…, Théodore….
		{"name", []string{e.awaiting, e.rejected, e.overdue, e.platformRejected, e.suspended, e.postal}},
	} {
		body := e.do("GET", "/factures?tri="+tc.sort, e.viewer, nil).Body.String()
		if got := rowNumbers(body); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("sorted by %s: %v, want %v", tc.sort, got, tc.want)
		}
	}
	body := e.do("GET", "/factures?etat=rejected&tri=amount&page=1", e.viewer, nil).Body.String()
	for _, want := range []string{`href="?etat=rejected&amp;tri=-amount">Montant TTC ▲</a>`, `href="?etat=rejected&amp;tri=name">Établissement</a>`,
		`href="/factures.csv?etat=rejected&amp;tri=amount"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestRegisterRefusesBadFilters: a filter value that cannot be read is
// said, naming the field, and nothing is listed nor exported.
func TestRegisterRefusesBadFilters(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ query, want string }{
		{"min=abc", "Montant TTC minimum : « abc » n&#39;est pas un montant en euros"},
		{"max=12,345", "Montant TTC maximum : « 12,345 » n&#39;est pas un montant en euros"},
		{"min=1e3", "Montant TTC minimum : « 1e3 »"},
		{"min=100&max=50", "Montant TTC : le minimum dépasse le maximum."},
		{"du=2026-13-45", "Émise à partir du : « 2026-13-45 » n&#39;est pas une date"},
		{"au=31/02/2026", "Émise jusqu&#39;au : « 31/02/2026 » n&#39;est pas une date"},
		{"du=2026-03-01&au=2026-02-01", "Dates d&#39;émission : le début est après la fin."},
		{"etat=inconnu", "État : « inconnu » n&#39;est pas un état de facture."},
		{"type=facture", "Type : « facture » n&#39;est pas un type de facture."},
		{"canal=fax", "Canal : « fax » n&#39;est ni Chorus Pro ni le courrier."},
		{"annee=20x5", "Exercice : « 20x5 » n&#39;est pas une année"},
		{"tri=prix", "Tri : « prix » n&#39;est pas une colonne du registre."},
	} {
		w := e.do("GET", "/factures?"+tc.query, e.viewer, nil)
		body := w.Body.String()
		if w.Code != http.StatusBadRequest || !strings.Contains(body, tc.want) || len(rowNumbers(body)) != 0 {
			t.Errorf("%s: %d, %d rows, want 400 saying %q\n%s", tc.query, w.Code, len(rowNumbers(body)), tc.want, body)
		}
		w = e.do("GET", "/factures.csv?"+tc.query, e.viewer, nil)
		if w.Code != http.StatusBadRequest || strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s.csv: %d %s", tc.query, w.Code, w.Header().Get("Content-Type"))
		}
	}
}

const invoiceCSVHeader = "\ufeffNuméro;Type;État;Statut Chorus Pro;Canal;SIRET;Établissement;Exercice;Émise le;Échéance;HT;TVA;TTC;Avoirs;Payé;Reste dû;Payée le\r\n"

// TestRegisterCSV exports the register's selection, every row, in French.
func TestRegisterCSV(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "/factures.csv?q=surcouf", e.viewer, nil)
	want := invoiceCSVHeader + e.overdue + ";Contribution;Mise à disposition;Mise à disposition;;" + e.ests[4].SIRET + ";" + e.ests[4].Name +
		";2025;01/10/2025;31/10/2025;1234,56;246,91;1481,47;0,00;0,00;1481,47;\r\n"
	if w.Code != http.StatusOK || w.Body.String() != want {
		t.Fatalf("%d\n%q\nwant\n%q", w.Code, w.Body.String(), want)
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="factures-2026-03-02.csv"` || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("headers %q %q", cd, w.Header().Get("Content-Type"))
	}
	// The same filter as the page, whatever the page size.
	w = e.do("GET", "/factures.csv?etat=rejected&tri=-amount&page=2&par=50", e.viewer, nil)
	lines := strings.Split(strings.TrimSuffix(w.Body.String(), "\r\n"), "\r\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], e.rejected+";Contribution;Rejetée;Rejetée par l'acheteur;Chorus Pro;") ||
		!strings.HasPrefix(lines[2], e.platformRejected+";Contribution;Rejetée;Flux rejeté par la plateforme;;") {
		t.Errorf("rejected export:\n%s", w.Body.String())
	}
	// A payment shows in payé and reste dû, and payée le is the
	// invoice's day of payment as the books hold it.
	ov := e.invoice(e.overdue)
	if _, err := e.books.RecordPayment(context.Background(), store.Payment{InvoiceID: ov.ID, Amount: ov.TotalTTC.Sub(decimal.RequireFromString("0.47")),
		PaidOn: time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), Reference: "VIR-42"}, today, "test"); err != nil {
		t.Fatal(err)
	}
	w = e.do("GET", "/factures.csv?q=surcouf", e.viewer, nil)
	if want := ";1234,56;246,91;1481,47;0,00;1481,00;0,47;" + csvCell(e.invoice(e.overdue).PaidOn) + "\r\n"; !strings.HasSuffix(w.Body.String(), want) {
		t.Errorf("paid invoice's row: %q, want the end %q", w.Body.String(), want)
	}
}

// TestWorkListCSV exports each work list, its search kept, and each page
// links to its export.
func TestWorkListCSV(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/a-completer", []string{e.awaiting}},
		{"/rejets", []string{e.rejected, e.platformRejected}},
		{"/rejets?q=serusier", []string{e.rejected}},
		{"/suspendues", []string{e.suspended}},
		{"/a-verifier", nil},
		{"/retards", []string{e.overdue}},
		{"/retards?annee=2024", nil},
	} {
		path, query, _ := strings.Cut(tc.path, "?")
		csvPath := path + ".csv"
		if query != "" {
			csvPath += "?" + query
		}
		page := e.do("GET", tc.path, e.viewer, nil).Body.String()
		if link := `href="` + strings.ReplaceAll(csvPath, "&", "&amp;") + `" download>Exporter (CSV)</a>`; !strings.Contains(page, link) {
			t.Errorf("%s lacks %s", tc.path, link)
		}
		w := e.do("GET", csvPath, e.viewer, nil)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.HasPrefix(body, invoiceCSVHeader) ||
			w.Header().Get("Content-Disposition") != `attachment; filename="`+strings.TrimPrefix(path, "/")+`-2026-03-02.csv"` {
			t.Errorf("%s: %d %q", csvPath, w.Code, w.Header().Get("Content-Disposition"))
			continue
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(body, invoiceCSVHeader), "\r\n"), "\r\n") {
			if l != "" {
				got = append(got, strings.Split(l, ";")[0])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", csvPath, got, tc.want)
		}
	}
	for _, p := range []string{"/factures", "/factures.csv", "/rejets.csv", "/courrier.csv"} {
		if w := e.do("GET", p, nil, nil); w.Code != http.StatusSeeOther || strings.Contains(w.Body.String(), e.rejected) {
			t.Errorf("anonymous %s: %d", p, w.Code)
		}
	}
}

// seedBook adds n invoices to the books (one 2024 contribution for each
// of n generated establishments), in batches as a billing run does, and
// returns their total TTC.
func seedBook(t *testing.T, e *env, n int) decimal.Decimal {
	t.Helper()
	ctx := context.Background()
	var ests, usage bytes.Buffer
	if err := fixtures.Generate(n, 16, &ests, &usage); err != nil {
		t.Fatal(err)
	}
	if _, err := e.books.ImportEstablishments(ctx, "generated.csv", &ests, e.srv.cfg.Catalog, "test"); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	have := map[int64]bool{}
	for _, est := range e.ests {
		have[est.ID] = true
	}
	if err := e.books.ForEachEstablishment(ctx, 2025, func(est store.Establishment) error {
		if !have[est.ID] {
			ids = append(ids, est.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != n {
		t.Fatalf("%d establishments generated, want %d", len(ids), n)
	}
	vat := invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)}
	issue := time.Date(2024, 11, 4, 0, 0, 0, 0, time.UTC)
	total := decimal.Zero
	for start := 0; start < n; start += 500 {
		var drafts []store.Draft
		for i := start; i < min(start+500, n); i++ {
			amount := decimal.New(int64(10000+i*37%90000), -2) // 100,00 to 999,99
			line, err := invoice.NewLine("bouquet", "Contribution 2024", decimal.NewFromInt(1), invoice.UnitOne, amount, decimal.NewFromInt(1), vat)
			if err != nil {
				t.Fatal(err)
			}
			drafts = append(drafts, store.Draft{Kind: invoice.KindContribution, Year: 2024, EstablishmentID: ids[i], IssueDate: issue,
				DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{line}, Actor: "test"})
		}
		invs, _, err := e.books.FinaliseMany(ctx, drafts)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			total = total.Add(inv.TotalTTC)
		}
	}
	return total
}

// TestRegisterAtScale: with 10,000 invoices in the books, the register
// shows a page of 50 rows with the true count and totals in a small page,
// and the export holds every one of them.
func TestRegisterAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 invoices")
	}
	e := newEnv(t)
	const book = 10000
	total := seedBook(t, e, book-6).Add(decimal.RequireFromString("10651.03")) // the env's own 6
	w := e.do("GET", "/factures", e.viewer, nil)
	body := w.Body.String()
	if w.Code != http.StatusOK || len(rowNumbers(body)) != 50 {
		t.Fatalf("%d, %d rows", w.Code, len(rowNumbers(body)))
	}
	if want := fmt.Sprintf("%d factures · %s TTC · reste dû %s", book, euros(total), euros(total)); !strings.Contains(body, want) {
		t.Errorf("heading lacks %q", want)
	}
	if !strings.Contains(body, "1–50 sur 10000") || !strings.Contains(body, "Page 1 / 200") {
		t.Error("the pager does not say the true count")
	}
	if len(body) >= 200<<10 {
		t.Errorf("page of %d bytes", len(body))
	}
	// The last page, with its filter kept in the links.
	body = e.do("GET", "/factures?annee=2024&tri=-amount&page=50&par=200", e.viewer, nil).Body.String()
	if n := len(rowNumbers(body)); n != 194 || !strings.Contains(body, "9801–9994 sur 9994") ||
		!strings.Contains(body, `href="?annee=2024&amp;page=49&amp;par=200&amp;tri=-amount" rel="prev"`) {
		t.Errorf("last page of 2024: %d rows\n%s", n, body[strings.Index(body, `<nav class="pager"`):])
	}

	w = e.do("GET", "/factures.csv", e.viewer, nil)
	lines := strings.Split(strings.TrimSuffix(w.Body.String(), "\r\n"), "\r\n")
	if len(lines) != book+1 || lines[0]+"\r\n" != invoiceCSVHeader {
		t.Fatalf("%d lines, want %d", len(lines), book+1)
	}
	reRow := regexp.MustCompile(`^[A-Z]{2}\d{4}-\d{6};Contribution;[^;]+;[^;]*;[^;]*;\d{14};[^;]+;202[45];\d\d/\d\d/\d{4};\d\d/\d\d/\d{4};\d+,\d\d;\d+,\d\d;\d+,\d\d;0,00;0,00;\d+,\d\d;$`)
	sum := decimal.Zero
	for _, l := range lines[1:] {
		if !reRow.MatchString(l) {
			t.Fatalf("row not in French form: %q", l)
		}
		cells := strings.Split(l, ";")
		sum = sum.Add(decimal.RequireFromString(strings.Replace(cells[12], ",", ".", 1)))
	}
	if !sum.Equal(total) {
		t.Errorf("the export's TTC sum to %s, want %s", sum, total)
	}
}

// TestSearchIsPagedWithTrueCounts: a search says how many establishments
// and invoices it finds, shows the first page of each, and pages through
// either list alone.
func TestSearchIsPagedWithTrueCounts(t *testing.T) {
	e := newEnv(t)
	body := e.do("GET", "/recherche?q=serusier", e.viewer, nil).Body.String()
	if !strings.Contains(body, "Établissements <small class=\"muted\">1 résultat</small>") || !strings.Contains(body, "Factures <small class=\"muted\">1 résultat</small>") ||
		!strings.Contains(body, e.rejected) || strings.Contains(body, "page par page") {
		t.Errorf("search without accents:\n%s", body)
	}
	// 120 invoices of establishments whose SIRETs start with 29000, which
	// the sample's Commune de Bannalec (21298612900055) holds too.
	seedBook(t, e, 120)
	reEst := regexp.MustCompile(`<td><a href="/etablissements/\d{14}">`)
	body = e.do("GET", "/recherche?q=29000", e.viewer, nil).Body.String()
	for _, want := range []string{"Établissements <small class=\"muted\">121 résultats</small>", "Factures <small class=\"muted\">120 résultats</small>",
		`<a href="/recherche?q=29000&amp;voir=etablissements">Voir les 121 établissements, page par page</a>`,
		`<a href="/recherche?q=29000&amp;voir=factures">Voir les 120 factures, page par page</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("results lack %q", want)
		}
	}
	if n, m := len(reEst.FindAllString(body, -1)), len(rowNumbers(body)); n != 50 || m != 50 {
		t.Errorf("first pages: %d establishments, %d invoices", n, m)
	}
	for _, tc := range []struct {
		show       string
		est, invs  int
		shown      string
		prev       string
		otherTitle string
	}{
		{"etablissements", 21, 0, "101–121 sur 121", `href="?page=2&amp;q=29000&amp;voir=etablissements" rel="prev"`, "Factures <small"},
		{"factures", 0, 20, "101–120 sur 120", `href="?page=2&amp;q=29000&amp;voir=factures" rel="prev"`, "Établissements <small"},
	} {
		body := e.do("GET", "/recherche?q=29000&voir="+tc.show+"&page=3", e.viewer, nil).Body.String()
		if n, m := len(reEst.FindAllString(body, -1)), len(rowNumbers(body)); n != tc.est || m != tc.invs {
			t.Errorf("%s page 3: %d establishments, %d invoices", tc.show, n, m)
		}
		if !strings.Contains(body, tc.shown) || !strings.Contains(body, tc.prev) || strings.Contains(body, tc.otherTitle) {
			t.Errorf("%s page 3: pager or other list wrong\n%s", tc.show, body)
		}
	}
}

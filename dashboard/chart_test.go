package dashboard

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// svgDoc is what the tests read of the chart's SVG.
type svgDoc struct {
	XMLName    xml.Name  `xml:"svg"`
	Role       string    `xml:"role,attr"`
	LabelledBy string    `xml:"aria-labelledby,attr"`
	Title      svgText   `xml:"title"`
	Desc       svgText   `xml:"desc"`
	Rects      []svgRect `xml:"rect"`
	Texts      []svgText `xml:"text"`
}

type svgText struct {
	ID    string `xml:"id,attr"`
	Class string `xml:"class,attr"`
	Fill  string `xml:"fill,attr"`
	Text  string `xml:",chardata"`
}

type svgRect struct {
	Class  string  `xml:"class,attr"`
	Y      float64 `xml:"y,attr"`
	Height float64 `xml:"height,attr"`
	Fill   string  `xml:"fill,attr"`
	Title  string  `xml:"title"`
}

// TestMonthlyChart draws a known year — invoiced 1 000 € more each month
// from April 2025 to March 2026 (12 000 € the last), collected half of it
// — and reads the SVG back as XML: bars proportional to the amounts on a
// 0–15 000 € axis, French month labels with the year where it changes,
// euro ticks, the accessible name and description, no style attribute
// or script, the same output twice.
func TestMonthlyChart(t *testing.T) {
	var months []store.MonthTotals
	for i := range 12 {
		inv := decimal.NewFromInt(int64(1000 * (i + 1)))
		months = append(months, store.MonthTotals{Month: time.Date(2025, time.April+time.Month(i), 1, 0, 0, 0, 0, time.UTC),
			Invoiced: inv, Collected: inv.Div(decimal.NewFromInt(2))})
	}
	months[3].Invoiced, months[3].Collected = decimal.Zero, decimal.Zero // a month with nothing
	c := newMonthlyChart(months)
	if again := newMonthlyChart(months); again.SVG != c.SVG {
		t.Error("two drawings of the same numbers differ")
	}
	svg := string(c.SVG)
	var doc svgDoc
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, svg)
	}
	if doc.Role != "img" || doc.LabelledBy != "graphique-mois-titre graphique-mois-desc" || doc.Title.ID != "graphique-mois-titre" ||
		doc.Desc.ID != "graphique-mois-desc" || doc.Title.Text != "Facturé et encaissé par mois" {
		t.Errorf("accessible name: role %q, labelled by %q, title %+v, desc %+v", doc.Role, doc.LabelledBy, doc.Title, doc.Desc)
	}
	if want := "Barres par mois, de avril 2025 à mars 2026 : facturé TTC net des avoirs (74\u00a0000,00\u00a0€ en tout) et encaissé (37\u00a0000,00\u00a0€ en tout)."; !strings.HasPrefix(doc.Desc.Text, want) {
		t.Errorf("desc %q, want %q…", doc.Desc.Text, want)
	}
	if strings.Contains(svg, "style=") || strings.Contains(svg, "<script") || regexp.MustCompile(` on[a-z]+=`).MatchString(svg) {
		t.Error("the SVG has a style attribute, a script or a handler: the CSP forbids them")
	}

	// Bars: height = 196 × amount / 15 000 (the plot's height, the axis'
	// top), to the tenth of a unit, all standing on the same baseline.
	const plot, top = 196.0, 15000.0
	var bars []svgRect
	for _, r := range doc.Rects {
		if r.Class == "bar-invoiced" || r.Class == "bar-collected" {
			bars = append(bars, r)
		}
	}
	if len(bars) != 24 {
		t.Fatalf("%d bars, want 24", len(bars))
	}
	for i, r := range bars {
		m := months[i/2]
		amount, colour, what := m.Invoiced, colourInvoiced, "facturé"
		if i%2 == 1 {
			amount, colour, what = m.Collected, colourCollected, "encaissé"
		}
		want := plot * amount.InexactFloat64() / top
		if d := r.Height - want; d > 0.051 || d < -0.051 || r.Fill != colour {
			t.Errorf("bar %d (%s %s): height %.1f fill %s, want %.2f %s", i, what, amount, r.Height, r.Fill, want, colour)
		}
		if base := r.Y + r.Height; base < 235.95 || base > 236.05 {
			t.Errorf("bar %d stands on %.1f, want 236", i, base)
		}
		if !strings.HasSuffix(r.Title, what+" : "+euros(amount)) {
			t.Errorf("bar %d's title %q", i, r.Title)
		}
	}
	if bars[22].Height != 156.8 || bars[23].Height != 78.4 {
		t.Errorf("March 2026: bars %.1f and %.1f, want 156.8 and 78.4", bars[22].Height, bars[23].Height)
	}

	var monthsShown, years, ticks []string
	for _, x := range doc.Texts {
		switch x.Class {
		case "chart-month":
			monthsShown = append(monthsShown, x.Text)
		case "chart-year":
			years = append(years, x.Text)
		case "chart-tick":
			ticks = append(ticks, x.Text)
		}
		if x.Fill != colourText {
			t.Errorf("text %q in %s", x.Text, x.Fill)
		}
	}
	for _, check := range []struct {
		what      string
		got, want []string
	}{
		{"months", monthsShown, strings.Fields("avr. mai juin juil. août sept. oct. nov. déc. janv. févr. mars")},
		{"years", years, []string{"2025", "2026"}},
		{"ticks", ticks, []string{"0\u00a0€", "5\u00a0000\u00a0€", "10\u00a0000\u00a0€", "15\u00a0000\u00a0€"}},
	} {
		if strings.Join(check.got, "|") != strings.Join(check.want, "|") {
			t.Errorf("%s %q, want %q", check.what, check.got, check.want)
		}
	}
	if len(c.Rows) != 12 || c.Rows[0].Label != "avril 2025" || c.Rows[9].Label != "janvier 2026" || !c.Rows[11].Invoiced.Equal(decimal.NewFromInt(12000)) {
		t.Errorf("table rows %+v", c.Rows)
	}
}

// TestChartStep: the y axis' step is 1, 2 or 5 times a power of ten,
// reaching the highest amount in four steps at most.
func TestChartStep(t *testing.T) {
	for _, tc := range []struct{ highest, step string }{
		{"0", "1"}, {"3.99", "1"}, {"4.01", "2"}, {"12000", "5000"}, {"8000", "2000"}, {"8000.01", "5000"}, {"999999.99", "500000"},
	} {
		if got := chartStep(decimal.RequireFromString(tc.highest)); got.String() != tc.step {
			t.Errorf("step for %s: %s, want %s", tc.highest, got, tc.step)
		}
	}
	if got := wholeEuros(decimal.NewFromInt(1234567)); got != "1\u00a0234\u00a0567\u00a0€" {
		t.Errorf("wholeEuros: %q", got)
	}
}

// TestOverviewChart: the overview shows the chart of the books' last
// twelve months and its table — the sample's invoices of February 2026
// and October 2025 — with no inline style anywhere on the page.
func TestOverviewChart(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "/", e.viewer, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 720 280" role="img" aria-labelledby="graphique-mois-titre graphique-mois-desc">`,
		`<summary>Données du graphique</summary>`,
		`<tr><th scope="row">avril 2025</th><td class="num">0,00 €</td><td class="num">0,00 €</td></tr>`,
		`<tr><th scope="row">octobre 2025</th><td class="num">1 481,47 €</td><td class="num">0,00 €</td></tr>`,
		`<tr><th scope="row">février 2026</th><td class="num">9 169,56 €</td><td class="num">0,00 €</td></tr>`,
		`<tr><th scope="row">mars 2026</th><td class="num">0,00 €</td><td class="num">0,00 €</td></tr>`,
	} {
		if !strings.Contains(strings.ReplaceAll(body, "\u00a0", " "), want) {
			t.Errorf("overview lacks %s", want)
		}
	}
	if strings.Contains(body, "style=") {
		t.Error("inline style on the overview: the CSP blocks it")
	}
	start := strings.Index(body, "<svg")
	end := strings.Index(body, "</svg>")
	var doc svgDoc
	if start < 0 || end < start || xml.Unmarshal([]byte(body[start:end+len("</svg>")]), &doc) != nil {
		t.Fatal("the overview's SVG does not parse")
	}
	if n := strconv.Itoa(len(doc.Rects)); n != "26" { // 24 bars and the legend's 2
		t.Errorf("%s rects", n)
	}
}

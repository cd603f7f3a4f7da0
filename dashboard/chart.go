package dashboard

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// The overview's chart of what was invoiced and collected month by month:
// an SVG written here, inline in the page (no script, no style attribute:
// the CSP allows neither; colours are presentation attributes, sizes
// classes of style.css), with the same numbers as a table for those who
// cannot see it. Its output depends on the numbers only.

// Geometry of the chart, in SVG user units.
const (
	chartWidth  = 720
	chartHeight = 280
	chartLeft   = 80 // the y axis' labels
	chartRight  = 8
	chartTop    = 40 // the legend
	chartBottom = 44 // the months and years
	plotHeight  = chartHeight - chartTop - chartBottom
	plotWidth   = chartWidth - chartLeft - chartRight
	// barWidth is each bar's; the two bars of a month touch.
	barWidth = 18
)

// Colours of the bars (on white: 8.6:1 and 5.4:1, above the 3:1 graphics
// need) and of the text (5.8:1, above 4.5:1), as style.css has them.
const (
	colourInvoiced  = "#1f4e8c"
	colourCollected = "#1e7b45"
	colourText      = "#5d6777"
	colourGrid      = "#d9dee6"
)

var (
	monthAbbr = [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	monthName = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// monthlyChart is the chart and its numbers.
type monthlyChart struct {
	SVG  template.HTML
	Rows []chartRow
}

// chartRow is a month of the chart's table.
type chartRow struct {
	Label               string // « mars 2026 »
	Invoiced, Collected decimal.Decimal
}

// newMonthlyChart draws the months, oldest first: two bars a month,
// invoiced then collected, heights proportional to the amounts on a y
// axis of round euros.
func newMonthlyChart(months []store.MonthTotals) monthlyChart {
	c := monthlyChart{}
	highest := decimal.Zero
	for _, m := range months {
		c.Rows = append(c.Rows, chartRow{Label: monthLabel(m), Invoiced: m.Invoiced, Collected: m.Collected})
		highest = decimal.Max(highest, m.Invoiced, m.Collected)
	}
	step := chartStep(highest)
	top := step.Mul(highest.Div(step).Ceil())
	if !top.IsPositive() {
		top = step
	}
	// y is the height on the plot of an amount.
	y := func(d decimal.Decimal) decimal.Decimal {
		return decimal.NewFromInt(plotHeight).Mul(d).Div(top).Round(1)
	}
	base := decimal.NewFromInt(chartTop + plotHeight)

	var b strings.Builder
	esc := template.HTMLEscapeString
	first, last := "", ""
	if len(c.Rows) > 0 {
		first, last = c.Rows[0].Label, c.Rows[len(c.Rows)-1].Label
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="graphique-mois-titre graphique-mois-desc">`,
		chartWidth, chartHeight)
	b.WriteString(`<title id="graphique-mois-titre">Facturé et encaissé par mois</title>`)
	total := func(pick func(chartRow) decimal.Decimal) string {
		sum := decimal.Zero
		for _, r := range c.Rows {
			sum = sum.Add(pick(r))
		}
		return euros(sum)
	}
	fmt.Fprintf(&b, `<desc id="graphique-mois-desc">Barres par mois, de %s à %s : facturé TTC net des avoirs (%s en tout) et encaissé (%s en tout). Les montants de chaque mois sont dans le tableau « Données du graphique ».</desc>`,
		esc(first), esc(last), esc(total(func(r chartRow) decimal.Decimal { return r.Invoiced })), esc(total(func(r chartRow) decimal.Decimal { return r.Collected })))

	// The y axis: a line and a label per step.
	for v := decimal.Zero; v.LessThanOrEqual(top); v = v.Add(step) {
		at := base.Sub(y(v)).StringFixed(1)
		fmt.Fprintf(&b, `<line class="chart-grid" x1="%d" x2="%d" y1="%s" y2="%s" stroke="%s"/>`, chartLeft, chartWidth-chartRight, at, at, colourGrid)
		fmt.Fprintf(&b, `<text class="chart-tick" x="%d" y="%s" text-anchor="end" dominant-baseline="middle" fill="%s">%s</text>`,
			chartLeft-6, at, colourText, esc(wholeEuros(v)))
	}
	// The legend.
	for i, l := range []struct{ label, colour string }{{"Facturé TTC", colourInvoiced}, {"Encaissé", colourCollected}} {
		x := chartLeft + i*140
		fmt.Fprintf(&b, `<rect x="%d" y="10" width="14" height="14" fill="%s"/><text class="chart-legend" x="%d" y="21" fill="%s">%s</text>`,
			x, l.colour, x+20, colourText, esc(l.label))
	}
	// The bars, a month at a time.
	if n := len(months); n > 0 {
		slot := decimal.NewFromInt(plotWidth).Div(decimal.NewFromInt(int64(n)))
		for i, m := range months {
			left := decimal.NewFromInt(chartLeft).Add(slot.Mul(decimal.NewFromInt(int64(i))))
			mid := left.Add(slot.Div(decimal.NewFromInt(2)))
			label := c.Rows[i].Label
			for j, bar := range []struct {
				class, colour, what string
				amount              decimal.Decimal
			}{{"bar-invoiced", colourInvoiced, "facturé", m.Invoiced}, {"bar-collected", colourCollected, "encaissé", m.Collected}} {
				h := y(bar.amount)
				x := mid.Sub(decimal.NewFromInt(barWidth)).Add(decimal.NewFromInt(int64(j * barWidth)))
				fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%d" height="%s" fill="%s"><title>%s</title></rect>`,
					bar.class, x.StringFixed(1), base.Sub(h).StringFixed(1), barWidth, h.StringFixed(1), bar.colour,
					esc(label+" · "+bar.what+" : "+euros(bar.amount)))
			}
			fmt.Fprintf(&b, `<text class="chart-month" x="%s" y="%d" text-anchor="middle" fill="%s">%s</text>`,
				mid.StringFixed(1), chartTop+plotHeight+16, colourText, esc(monthAbbr[m.Month.Month()-1]))
			// The year under the first month and wherever it changes.
			if i == 0 || m.Month.Month() == 1 {
				fmt.Fprintf(&b, `<text class="chart-year" x="%s" y="%d" text-anchor="middle" fill="%s">%d</text>`,
					mid.StringFixed(1), chartTop+plotHeight+34, colourText, m.Month.Year())
			}
		}
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%s" y2="%s" stroke="%s"/>`, chartLeft, chartWidth-chartRight, base.StringFixed(1), base.StringFixed(1), colourText)
	b.WriteString(`</svg>`)
	// Every text above is escaped, every number formatted here.
	c.SVG = template.HTML(b.String())
	return c
}

// monthLabel is « mars 2026 ».
func monthLabel(m store.MonthTotals) string {
	return fmt.Sprintf("%s %d", monthName[m.Month.Month()-1], m.Month.Year())
}

// chartStep is the y axis' step: 1, 2 or 5 times a power of ten euros,
// the smallest that reaches highest in at most four steps (1 € at least).
func chartStep(highest decimal.Decimal) decimal.Decimal {
	quarter := highest.Div(decimal.NewFromInt(4))
	for power := decimal.NewFromInt(1); ; power = power.Mul(decimal.NewFromInt(10)) {
		for _, k := range []int64{1, 2, 5} {
			if step := power.Mul(decimal.NewFromInt(k)); step.GreaterThanOrEqual(quarter) {
				return step
			}
		}
	}
}

// wholeEuros is an amount of whole euros the French way: « 12 000 € ».
func wholeEuros(d decimal.Decimal) string {
	return strings.TrimSuffix(invoice.FormatFrench(d.Round(0)), ",00") + "\u00a0€"
}

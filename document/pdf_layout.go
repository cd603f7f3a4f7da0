package document

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/go-pdf/fpdf"
	"github.com/shopspring/decimal"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// Page geometry, in millimetres from the top-left corner of an A4 sheet.
const (
	pageW = 210.0
	pageH = 297.0

	marginL  = 15.0
	marginR  = 15.0
	contentW = pageW - marginL - marginR

	// contentTop is where the body of a continuation page starts, under
	// its short running header.
	contentTop = 24.0
	// contentBottom is the lowest point any body text may reach: below it
	// sits the footer (legal mentions and page number), which every page has.
	contentBottom = 272.0
	footerRule    = 276.0
)

// The buyer's address must show through the window of the envelope.
//
// French windowed envelopes for an A4 sheet folded in three are DL
// (110 × 220 mm) with the standard window of 45 × 100 mm placed 20 mm
// from the right edge and 15 mm from the bottom (NF / La Poste format).
// Folded in three, the top panel of the sheet (0–99 mm) faces the window.
// In envelope coordinates the window spans x 100–200 mm and y 50–95 mm
// from the top; the 99 mm panel can slide 11 mm up or down and 5 mm
// sideways in a 110 × 220 envelope, so the zone that is always visible is
// about x 100–190 mm, y 50–84 mm of the sheet. That is the usual French
// letter template's "zone adresse" (left edge 100–110 mm, top 45–50 mm,
// about 85 mm wide).
//
// We print the address at x = 110 mm, from y = 50 mm down to at most
// y = 80 mm, 80 mm wide (to x = 190 mm): 4 mm clear of the visible zone at
// the bottom and 10 mm at the left, whatever the sheet's play.
//
// Conversely, depending on that play the window may show anything in
// x 95–205 mm, y 39–95 mm: nothing but the address is printed there, as
// La Poste's reading machines expect (the title block ends above 39 mm,
// the references column left of 95 mm, the lines table below 95 mm).
const (
	addrX    = 110.0
	addrY    = 50.0
	addrW    = 80.0
	addrMaxY = 80.0

	windowLeft   = 95.0
	windowTop    = 39.0
	windowBottom = 95.0
)

// Palette: a dark blue for headings and the table header, greys for rules
// and secondary text. Plain DeviceRGB: the Factur-X output intent (sRGB)
// gives these colours their meaning in PDF/A.
type rgb struct{ r, g, b int }

var (
	colText   = rgb{0x1a, 0x1a, 0x1a}
	colMuted  = rgb{0x5a, 0x5a, 0x5a}
	colAccent = rgb{0x1f, 0x3a, 0x5f}
	colRule   = rgb{0xb0, 0xb6, 0xbe}
	colShade  = rgb{0xee, 0xf1, 0xf5}
	colWhite  = rgb{0xff, 0xff, 0xff}
)

// Font family and styles; all three Go fonts are embedded (subset) as
// TrueType CID fonts, so no standard-14 font is ever referenced.
const fontFamily = "go"

const (
	styleRegular = ""
	styleBold    = "B"
	styleItalic  = "I"
)

// fontFiles are the TrueType programs of each style.
var fontFiles = map[string][]byte{styleRegular: goregular.TTF, styleBold: gobold.TTF, styleItalic: goitalic.TTF}

// glyphCoverage is the set of runes (of the Basic Multilingual Plane) that
// all three fonts can draw. A character outside it would be drawn with the
// .notdef glyph, an empty box that PDF/A forbids, so printable() replaces
// it first.
var glyphCoverage = sync.OnceValue(func() []bool {
	covered := make([]bool, 0x10000)
	for i := range covered {
		covered[i] = true
	}
	var buf sfnt.Buffer
	for _, ttf := range fontFiles {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			panic("invoice: embedded Go font: " + err.Error())
		}
		for r := range covered {
			if covered[r] {
				g, err := f.GlyphIndex(&buf, rune(r))
				covered[r] = err == nil && g != 0
			}
		}
	}
	return covered
})

// glyphSubstitutes are stand-ins for common characters the Go fonts lack.
var glyphSubstitutes = map[rune]string{
	'\u202f': "\u00a0", // narrow no-break space (French typography)
	'\u2009': " ",      // thin space
	'\u2007': "\u00a0", // figure space
	'\u2011': "-",      // non-breaking hyphen
	'\u2212': "-",      // minus sign
	'\t':     " ",
}

// printable returns s with every character the fonts cannot draw replaced
// by a stand-in, or by "?" (control characters are dropped).
func printable(s string) string {
	covered := glyphCoverage()
	ok := true
	for _, r := range s {
		if r != '\n' && (r >= 0x10000 || !covered[r]) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r < 0x10000 && covered[r]:
			b.WriteRune(r)
		case glyphSubstitutes[r] != "":
			b.WriteString(printable(glyphSubstitutes[r]))
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// ptToMM converts a font size in points to millimetres.
const ptToMM = 25.4 / 72

// canvas wraps fpdf with the few drawing primitives the invoice needs.
// Every text is placed with Text at a computed baseline rather than with
// fpdf's flowing cells, so the layout code alone decides where breaks go
// and nothing is ever placed past contentBottom.
type canvas struct {
	pdf   *fpdf.Fpdf
	style string
	size  float64
}

// pdfMeta is what the document information dictionary says.
type pdfMeta struct {
	title, author, subject string
	date                   time.Time
}

// pdfDate is the date written into the PDF metadata: the calendar day of t
// at midnight UTC, so the same invoice always yields the same bytes.
func pdfDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// pdfProducer names the software in the PDF metadata.
const pdfProducer = "chorusbill"

func newCanvas(m pdfMeta) *canvas {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	pdf.SetCompression(true)
	// Sorted catalog maps and fixed dates make the output byte-for-byte
	// reproducible.
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(pdfDate(m.date))
	pdf.SetModificationDate(pdfDate(m.date))
	pdf.SetTitle(m.title, true)
	pdf.SetAuthor(m.author, true)
	pdf.SetSubject(m.subject, true)
	pdf.SetCreator(pdfProducer, true)
	pdf.SetProducer(pdfProducer, true)
	pdf.SetLang("fr-FR")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(marginL, contentTop, marginR)
	pdf.SetCellMargin(0)
	pdf.SetLineCapStyle("butt")
	for _, style := range []string{styleRegular, styleBold, styleItalic} {
		pdf.AddUTF8FontFromBytes(fontFamily, style, fontFiles[style])
	}
	return &canvas{pdf: pdf}
}

// font selects a style and size (in points).
func (c *canvas) font(style string, size float64) {
	c.style, c.size = style, size
	c.pdf.SetFont(fontFamily, style, size)
}

// forceState re-emits font and colours into the current page. fpdf only
// writes a state change when it differs from its last one, which is wrong
// after SetPage moved back to an earlier page whose stream ended in
// another state.
func (c *canvas) forceState(style string, size float64) {
	c.pdf.SetFont(fontFamily, style, size+1)
	c.font(style, size)
	c.fill(colWhite)
	c.draw(colRule)
	c.pdf.SetLineWidth(0.2)
}

func (c *canvas) textColor(col rgb) { c.pdf.SetTextColor(col.r, col.g, col.b) }
func (c *canvas) fill(col rgb)      { c.pdf.SetFillColor(col.r, col.g, col.b) }
func (c *canvas) draw(col rgb)      { c.pdf.SetDrawColor(col.r, col.g, col.b) }

// lineH is the line pitch of the current font.
func (c *canvas) lineH() float64 { return c.size * ptToMM * 1.3 }

// width is the width of s in the current font.
func (c *canvas) width(s string) float64 { return c.pdf.GetStringWidth(printable(s)) }

// Text alignments.
const (
	alignLeft = iota
	alignRight
	alignCenter
)

// text draws one line whose box starts at top; x is the left edge, or the
// right edge for alignRight, or the centre for alignCenter.
func (c *canvas) text(x, top float64, s string, align int) {
	s = printable(s)
	if s == "" {
		return
	}
	switch align {
	case alignRight:
		x -= c.width(s)
	case alignCenter:
		x -= c.width(s) / 2
	}
	// Baseline: the Go fonts' ascent is about 0.93 em; centring the cap
	// height in the line box puts it near 0.75 of the pitch.
	c.pdf.Text(x, top+c.lineH()*0.74, s)
}

// lines draws wrapped lines from top and returns the height used.
func (c *canvas) lines(x, top float64, ls []string, align int) float64 {
	for i, l := range ls {
		c.text(x, top+float64(i)*c.lineH(), l, align)
	}
	return float64(len(ls)) * c.lineH()
}

// paragraph wraps s to w and draws it; it returns the height used.
func (c *canvas) paragraph(x, top, w float64, s string, align int) float64 {
	return c.lines(x, top, c.wrap(s, w), align)
}

// wrap breaks s into lines no wider than w in the current font. It breaks
// at ordinary spaces and newlines only: the non-breaking spaces of French
// amounts ("1 234,56 €") keep an amount on one line. A word wider than w
// is cut between characters rather than overflowing.
func (c *canvas) wrap(s string, w float64) []string {
	s = printable(s)
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Split(para, " ") {
			cand := word
			if line != "" {
				cand = line + " " + word
			}
			if c.width(cand) <= w {
				line = cand
				continue
			}
			if line != "" {
				out = append(out, line)
			}
			for c.width(word) > w && utf8.RuneCountInString(word) > 1 {
				n := c.fit(word, w)
				out = append(out, word[:n])
				word = word[n:]
			}
			line = word
		}
		out = append(out, line)
	}
	return out
}

// fit returns the byte length of the longest prefix of s (at least one
// rune) that fits in w.
func (c *canvas) fit(s string, w float64) int {
	end := 0
	for i, r := range s {
		next := i + utf8.RuneLen(r)
		if end > 0 && c.width(s[:next]) > w {
			break
		}
		end = next
	}
	return end
}

// rule draws a horizontal line.
func (c *canvas) rule(x1, x2, y float64, col rgb, w float64) {
	c.draw(col)
	c.pdf.SetLineWidth(w)
	c.pdf.Line(x1, y, x2, y)
}

// box fills a rectangle.
func (c *canvas) box(x, y, w, h float64, col rgb) {
	c.fill(col)
	c.pdf.Rect(x, y, w, h, "F")
}

// French formatting.

// frDate formats a date as dd/mm/yyyy.
func frDate(t time.Time) string { return t.Format("02/01/2006") }

// frAmount formats an amount in euros: "1 234,56 €", with non-breaking
// spaces so that it never wraps.
func frAmount(d decimal.Decimal, currency string) string {
	sym := "€"
	if currency != "" && currency != "EUR" {
		sym = currency
	}
	return invoice.FormatFrench(d) + "\u00a0" + sym
}

// frNumber formats a quantity exactly as stored, the French way
// (invoice.FormatQuantity): no rounding, decimal comma, thousands grouped
// ("1 250", "236,5").
func frNumber(d decimal.Decimal) string { return invoice.FormatQuantity(d) }

// frPercent formats a VAT rate: "20 %", "5,5 %".
func frPercent(d decimal.Decimal) string { return frNumber(d) + "\u00a0%" }

// vatLabel is the short VAT column text of a rate.
func vatLabel(v invoice.VATRate) string {
	switch v.Category {
	case invoice.VATStandard:
		return frPercent(v.Percent)
	case invoice.VATOutOfScope:
		return "Non soumis"
	case invoice.VATExempt:
		return "Exonéré"
	}
	return string(v.Category)
}

// frQuantity is a line's quantity column: "9 mois / 12" for nine months of
// an annual price (base quantity 12), "4" for four blocks.
func frQuantity(l invoice.Line) string {
	s := frNumber(l.Quantity)
	if u := invoice.UnitName(l.Unit, l.Quantity); u != "" {
		s += " " + u
	}
	if !l.BaseQuantity.IsZero() && !l.BaseQuantity.Equal(decimal.NewFromInt(1)) {
		s += " / " + frNumber(l.BaseQuantity)
	}
	return s
}

// frIBAN groups an IBAN by four characters, as it is printed on a RIB.
func frIBAN(iban string) string {
	iban = strings.ReplaceAll(iban, " ", "")
	var b strings.Builder
	for i, r := range iban {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// postalCity is the last line of a French postal address: upper case
// without accents (NF Z10-011, what La Poste's sorting machines read).
func postalCity(a Address) string {
	return strings.TrimSpace(a.Postcode + " " + strings.ToUpper(stripAccents(a.City)))
}

var accentFolder = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ÿ", "y",
	"À", "A", "Â", "A", "Ä", "A", "Ç", "C", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"Î", "I", "Ï", "I", "Ô", "O", "Ö", "O", "Ù", "U", "Û", "U", "Ü", "U", "Ÿ", "Y",
	"œ", "oe", "Œ", "OE", "æ", "ae", "Æ", "AE",
)

func stripAccents(s string) string { return accentFolder.Replace(s) }

// addressLines are the lines of an address under the name, with the
// country spelled out when it is not France.
func addressLines(a Address, postal bool) []string {
	var out []string
	for _, l := range []string{a.Line1, a.Line2} {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	if postal {
		out = append(out, postalCity(a))
	} else {
		out = append(out, strings.TrimSpace(a.Postcode+" "+a.City))
	}
	if cc := a.CountryCode(); cc != "FR" {
		if name, ok := countryNames[cc]; ok && postal {
			cc = name
		}
		out = append(out, cc)
	}
	return out
}

// countryNames are the French names of the countries chorusbill's buyers
// are likely to be in; La Poste wants the destination country spelled out
// in capitals on the last line. Other countries show their ISO code.
var countryNames = map[string]string{
	"BE": "BELGIQUE", "LU": "LUXEMBOURG", "CH": "SUISSE", "MC": "MONACO", "DE": "ALLEMAGNE",
	"ES": "ESPAGNE", "IT": "ITALIE", "GB": "ROYAUME-UNI", "IE": "IRLANDE", "NL": "PAYS-BAS", "PT": "PORTUGAL",
}

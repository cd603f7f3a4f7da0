package document

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// The PDF tests read the rendered files back with poppler-utils
// (pdftotext, pdffonts, pdfinfo, pdftoppm, pdfdetach): an independent
// reader, not the library that wrote them. Install with
// `apt-get install poppler-utils`; a missing tool fails the test.

func popplerTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (apt-get install poppler-utils): %v", name, err)
	}
	return p
}

// writeTemp writes b to a file in a fresh temporary directory.
func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t testing.TB, tool string, args ...string) string {
	t.Helper()
	out, err := exec.Command(popplerTool(t, tool), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pdfText extracts the text of a PDF with pdftotext, whitespace (including
// the non-breaking spaces of French amounts) collapsed to single spaces so
// that wrapped text reads as one string.
func extractText(t testing.TB, pdf []byte, args ...string) string {
	t.Helper()
	p := writeTemp(t, "doc.pdf", pdf)
	return normalizeSpace(run(t, "pdftotext", append(append(args, "-enc", "UTF-8"), p, "-")...))
}

func normalizeSpace(s string) string {
	s = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// pageCount is the number of pages pdfinfo reports.
func pageCount(t testing.TB, pdf []byte) int {
	t.Helper()
	out := run(t, "pdfinfo", writeTemp(t, "doc.pdf", pdf))
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo: no page count in\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// frd is a French amount as pdftotext reads it.
func frd(d decimal.Decimal) string { return normalizeSpace(frAmount(d, "EUR")) }

// mandatoryMentions lists what the PDF of d must say, derived from the
// document itself.
func mandatoryMentions(d Document) []string {
	s, b := d.Seller, d.Buyer
	want := []string{
		d.Title(), d.Number, frDate(d.IssueDate), frDate(d.DueDate),
		s.Name, s.Address.Line1, s.Address.Line2, s.Address.Postcode, s.Address.City,
		s.SIRET, s.SIREN(), s.VATNumber, s.Email, s.Phone,
		b.Name, b.Address.Line1, b.Address.Line2, b.Address.Postcode, strings.ToUpper(b.Address.City),
		b.SIRET, b.SIREN(),
		d.Contract,
		"Total HT " + frd(d.Totals.HT), "Total TVA " + frd(d.Totals.VAT), "Total TTC " + frd(d.Totals.TTC),
		frd(d.DueAmount()),
		d.PaymentTerms, d.LatePaymentClause, d.RecoveryClause, d.DiscountClause,
		"IBAN " + frIBAN(d.Bank.IBAN), "BIC " + d.Bank.BIC, d.Bank.Holder,
		"Page 1/",
	}
	if d.BuyerReference != "" {
		want = append(want, "Code service "+d.BuyerReference)
	}
	if d.PurchaseOrder != "" {
		want = append(want, "N° d'engagement "+d.PurchaseOrder)
	}
	if !d.PeriodStart.IsZero() {
		want = append(want, "du "+frDate(d.PeriodStart)+" au "+frDate(d.PeriodEnd))
	}
	for _, l := range d.Lines {
		want = append(want, l.Label, normalizeSpace(frQuantity(l)), frd(l.UnitPrice), frd(l.Amount))
	}
	for _, br := range d.Totals.Breakdown {
		want = append(want, frd(br.Base), frd(br.Amount))
		if br.VAT.Category != invoice.VATStandard {
			want = append(want, br.VAT.Mention)
		}
	}
	want = append(want, d.Notes...)
	if d.Preceding != nil {
		want = append(want, "Avoir sur la facture "+d.Preceding.Number+" du "+frDate(d.Preceding.IssueDate))
	}
	for _, a := range d.Attachments {
		want = append(want, a.Filename)
	}
	var out []string
	for _, w := range want {
		if w != "" {
			out = append(out, normalizeSpace(w))
		}
	}
	return out
}

func TestRenderPDFIsDeterministic(t *testing.T) {
	for _, nd := range sampleDocuments(t) {
		t.Run(nd.name, func(t *testing.T) {
			a, err := RenderPDF(nd.doc)
			if err != nil {
				t.Fatal(err)
			}
			b, err := RenderPDF(nd.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatal("two renderings of the same document differ")
			}
			if !bytes.HasPrefix(a, []byte("%PDF-")) {
				t.Fatalf("not a PDF: %q", a[:16])
			}
			// The metadata dates are the issue date, never the clock.
			if want := "D:" + nd.doc.IssueDate.Format("20060102") + "000000"; !bytes.Contains(a, []byte(want)) {
				t.Errorf("no %s in the PDF metadata", want)
			}
		})
	}
}

func TestRenderPDFMandatoryMentions(t *testing.T) {
	// Exact figures of the representative set, checked by hand against the
	// Document (2 012,50 × 9/12 = 1 509,375 → 1 509,38; VAT 301,88).
	extra := map[string][]string{
		"contribution-prorated-with-references": {
			"Facture", "N° CT2025-000001", "9 mois / 12", "2 012,50 €", "pour 12 mois",
			"1 509,38 €", "301,88 €", "1 811,26 €", "Net à payer 1 811,26 €",
			"Code service SERV-FIN-01", "N° d'engagement EJ-2025-004512",
			"du 01/04/2025 au 31/12/2025", "Date d'échéance : 14/02/2025", "Page 1/1",
		},
		"contribution-full-year": {"12 mois / 12", "5 175,00 €", "1 035,00 €", "6 210,00 €", "Page 1/1"},
		"overage-with-statement": {"OV2026-000001", "165,00 €", "33,00 €", "198,00 €", "Relevé des consommations 2025", "Page 1/2", "Page 2/2", "figure en page 2"},
		"interest-outside-vat":   {"Non soumis", "35,06 €", "0,00 €", "TVA non applicable — indemnité hors du champ d'application de la TVA"},
		"credit-note":            {"Avoir", "AV2026-000001", "Facture d'origine CT2026-000002 du 15/01/2026", "Montant de l'avoir 3 105,00 €", "2 587,50 €", "517,50 €"},
	}
	// Present only where the document carries them.
	only := map[string]func(Document) bool{
		"SERV-FIN-01":    func(d Document) bool { return d.BuyerReference == "SERV-FIN-01" },
		"EJ-2025-004512": func(d Document) bool { return d.PurchaseOrder == "EJ-2025-004512" },
		"Relevé des consommations": func(d Document) bool {
			return len(d.Statement) > 0
		},
		"Facture d'origine": func(d Document) bool { return d.Preceding != nil },
		"Non soumis":        func(d Document) bool { return d.Kind == invoice.KindInterest },
	}
	for _, nd := range sampleDocuments(t) {
		t.Run(nd.name, func(t *testing.T) {
			pdf, err := RenderPDF(nd.doc)
			if err != nil {
				t.Fatal(err)
			}
			// Reading order keeps wrapped paragraphs together; the physical
			// layout keeps a label and its value (or a table row) together.
			text := extractText(t, pdf)
			layout := extractText(t, pdf, "-layout")
			for _, w := range append(mandatoryMentions(nd.doc), extra[nd.name]...) {
				if w = normalizeSpace(w); !strings.Contains(text, w) && !strings.Contains(layout, w) {
					t.Errorf("missing %q", w)
				}
			}
			for s, present := range only {
				if got, want := strings.Contains(text, s), present(nd.doc); got != want {
					t.Errorf("%q present = %v, want %v", s, got, want)
				}
			}
			if t.Failed() {
				t.Logf("text: %s\nlayout: %s", text, layout)
			}
		})
	}
}

func TestRenderPDFStatementPage(t *testing.T) {
	d := sampleDocuments(t)[2].doc
	pdf, err := RenderPDF(d)
	if err != nil {
		t.Fatal(err)
	}
	if n := pageCount(t, pdf); n != 2 {
		t.Fatalf("%d pages, want the invoice and its statement", n)
	}
	page2 := extractText(t, pdf, "-f", "2", "-l", "2")
	rows := extractText(t, pdf, "-f", "2", "-l", "2", "-layout")
	want := []string{
		"Relevé des consommations 2025", "Justificatif de la facture OV2026-000001 du 10/02/2026",
		"du 01/01/2025 au 31/12/2025", "Volume inclus", "Consommé", "Dépassement", "Taille du bloc", "Blocs facturés",
		// Every quantity exactly as stored: 236.5 observed, 36.5 over, 4 blocks.
		"Espace collaboratif : Go 200 236,5 36,5 10 4 15,00 € 60,00 €",
		"Signature en ligne : SMS SMS 200 1 250 1 050 1 1 050 0,10 € 105,00 €",
		"Parapheur électronique : circuit 10 9 0 1 0 60,00 € 0,00 €",
		"Total des dépassements HT 165,00 €", "Page 2/2",
	}
	for _, w := range want {
		if w = normalizeSpace(w); !strings.Contains(page2, w) && !strings.Contains(rows, w) {
			t.Errorf("statement page lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("page 2: %s\nlayout: %s", page2, rows)
	}
}

func TestRenderPDFEmbedsEveryFont(t *testing.T) {
	for _, nd := range sampleDocuments(t) {
		t.Run(nd.name, func(t *testing.T) {
			pdf, err := RenderPDF(nd.doc)
			if err != nil {
				t.Fatal(err)
			}
			checkFontsEmbedded(t, pdf)
		})
	}
}

// checkFontsEmbedded runs pdffonts: every font must be embedded, and no
// standard-14 font (Helvetica, Times, Courier…) may appear.
func checkFontsEmbedded(t *testing.T, pdf []byte) {
	t.Helper()
	out := run(t, "pdffonts", writeTemp(t, "doc.pdf", pdf))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdffonts lists no font:\n%s", out)
	}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		// name type… encoding emb sub uni object ID: emb is 5th from the end.
		if len(f) < 6 || f[len(f)-5] != "yes" {
			t.Errorf("font not embedded: %s", l)
		}
		for _, std := range []string{"Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats", "Arial"} {
			if strings.Contains(l, std) {
				t.Errorf("standard font used: %s", l)
			}
		}
	}
}

// longDocument is a 40-line invoice with long labels and a 30-service
// statement, to exercise wrapping and pagination.
func longDocument(t testing.TB) Document {
	d := sampleDocuments(t)[2].doc
	d.Lines = nil
	d.Statement = nil
	for i := 1; i <= 40; i++ {
		label := fmt.Sprintf("Ligne %02d début — dépassement du service numéro %d sur la période, avec un libellé volontairement long pour forcer le retour à la ligne dans la colonne désignation sans rien couper fin%02d", i, i, i)
		if i%7 == 0 {
			label += " — Référence interne très longue: ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		}
		l := mustLine(t, fmt.Sprintf("svc-%02d", i), label, strconv.Itoa(i*3), invoice.UnitOne, "12.34", "1", standardVAT())
		d.Lines = append(d.Lines, l)
		d.Statement = append(d.Statement, invoice.StatementRow{
			Code: l.Code, Label: fmt.Sprintf("Service %02d : consommation annuelle du service, libellé long pour tester le retour à la ligne finS%02d", i, i), Unit: "u",
			Usage:     invoice.Usage{Observed: decimal.NewFromInt(int64(i*3 + 100)), Allowance: decimal.NewFromInt(100), Excess: decimal.NewFromInt(int64(i * 3)), BlockSize: decimal.NewFromInt(1), Blocks: int64(i * 3)},
			UnitPrice: l.UnitPrice, Amount: l.Amount,
		})
	}
	d.Notes = []string{strings.Repeat("Note longue pour vérifier que les observations passent à la page suivante sans être coupées. ", 12)}
	return withTotals(d)
}

func TestRenderPDFPaginatesLongDocument(t *testing.T) {
	d := longDocument(t)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	pdf, err := RenderPDF(d)
	if err != nil {
		t.Fatal(err)
	}
	n := pageCount(t, pdf)
	if n < 4 {
		t.Fatalf("%d pages for 40 lines and a 40-row statement", n)
	}
	text := extractText(t, pdf)
	// Wrapped text reads with a space where a line broke (even inside an
	// over-long word cut in two); without spaces every character must be
	// there, in order.
	flat := strings.Join(strings.Fields(text), "")
	has := func(s string) bool {
		return strings.Contains(flat, strings.Join(strings.Fields(normalizeSpace(s)), ""))
	}
	for _, l := range d.Lines {
		if !has(l.Label) {
			t.Errorf("label cut or garbled: %q", l.Label)
		}
	}
	for _, r := range d.Statement {
		if !has(r.Label) {
			t.Errorf("statement label cut: %q", r.Label)
		}
	}
	for _, note := range d.Notes {
		if !has(note) {
			t.Error("note cut")
		}
	}
	for i := 1; i <= n; i++ {
		page := extractText(t, pdf, "-f", strconv.Itoa(i), "-l", strconv.Itoa(i))
		if want := fmt.Sprintf("Page %d/%d", i, n); !strings.Contains(page, want) {
			t.Errorf("page %d lacks %q", i, want)
		}
	}
	// A table continued on a page repeats its header above its rows.
	ws, _ := words(t, pdf)
	headerY := map[string]map[int]float64{}
	firstRowY := map[string]map[int]float64{}
	for _, table := range []string{"lines", "statement"} {
		headerY[table], firstRowY[table] = map[int]float64{}, map[int]float64{}
	}
	for _, w := range ws {
		switch {
		case w.text == "Désignation":
			headerY["lines"][w.page] = w.yMin
		case w.text == "Consommé":
			headerY["statement"][w.page] = w.yMin
		case w.text == "Ligne":
			if y, ok := firstRowY["lines"][w.page]; !ok || w.yMin < y {
				firstRowY["lines"][w.page] = w.yMin
			}
		case regexp.MustCompile(`^fin(S)?\d\d$`).MatchString(w.text) && strings.HasPrefix(w.text, "finS"):
			if y, ok := firstRowY["statement"][w.page]; !ok || w.yMin < y {
				firstRowY["statement"][w.page] = w.yMin
			}
		}
	}
	for table, rows := range firstRowY {
		if len(rows) < 2 {
			t.Errorf("the %s table fits on %d page(s); the test wants it to continue", table, len(rows))
		}
		for p, y := range rows {
			if hy, ok := headerY[table][p]; !ok || hy > y {
				t.Errorf("page %d continues the %s table without its header above the rows", p, table)
			}
		}
	}
	for _, s := range []string{"Total TTC " + frd(d.Totals.TTC), "Relevé des consommations 2025"} {
		if !strings.Contains(text, s) {
			t.Errorf("missing %q", s)
		}
	}
	checkLayout(t, pdf)
}

func TestRenderPDFLayout(t *testing.T) {
	docs := sampleDocuments(t)
	// A long buyer name and a foreign address still fit the window; a
	// partly paid invoice shows what was paid.
	d := docs[0].doc
	d.Buyer.Name = "Communauté d'agglomération du Pays de Saint-Brieuc Armor Agglomération, direction des finances et de la commande publique"
	d.Buyer.Address = Address{Line1: "Service facturier — 5 rue du Palais de Justice", Line2: "CS 54403", Postcode: "1000", City: "Bruxelles", Country: "BE"}
	d.PaidAmount = decimal.RequireFromString("500.00")
	docs = append(docs, namedDocument{"long-buyer-partly-paid", d})
	for _, nd := range docs {
		t.Run(nd.name, func(t *testing.T) {
			pdf, err := RenderPDF(nd.doc)
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, pdf)
			checkAddressWindow(t, pdf, nd.doc)
			if !nd.doc.PaidAmount.IsZero() {
				text := extractText(t, pdf, "-layout")
				for _, w := range []string{"Déjà réglé " + frd(nd.doc.PaidAmount.Neg()), "Net à payer " + frd(nd.doc.DueAmount()), "1 311,26 €"} {
					if !strings.Contains(text, w) {
						t.Errorf("missing %q", w)
					}
				}
			}
		})
	}
}

// word is one word of pdftotext -bbox output, in millimetres.
type word struct {
	page                   int
	text                   string
	xMin, yMin, xMax, yMax float64
}

var (
	bboxPage = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

// words lists every word of the PDF with its box, as poppler lays it out.
func words(t testing.TB, pdf []byte) (ws []word, pages int) {
	t.Helper()
	out := run(t, "pdftotext", "-bbox", "-enc", "UTF-8", writeTemp(t, "doc.pdf", pdf), "-")
	const mm = 72 / 25.4
	for _, chunk := range strings.Split(out, "<page ")[1:] {
		pages++
		m := bboxPage.FindStringSubmatch("<page " + chunk)
		if m == nil || math.Abs(atof(m[1])-595.28) > 0.1 || math.Abs(atof(m[2])-841.89) > 0.1 {
			t.Errorf("page %d is not A4: %v", pages, m)
		}
		for _, m := range bboxWord.FindAllStringSubmatch(chunk, -1) {
			ws = append(ws, word{pages, html.UnescapeString(m[5]), atof(m[1]) / mm, atof(m[2]) / mm, atof(m[3]) / mm, atof(m[4]) / mm})
		}
	}
	return ws, pages
}

func atof(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }

// checkLayout proves nothing is cut off or drawn over: every word lies
// within the printable area of the page (5 mm from every edge, what office
// printers can reach), body text stays above the footer, and no two words
// overlap.
func checkLayout(t *testing.T, pdf []byte) {
	t.Helper()
	ws, _ := words(t, pdf)
	if len(ws) == 0 {
		t.Fatal("no text")
	}
	byPage := map[int][]word{}
	for _, w := range ws {
		if w.xMin < 5 || w.yMin < 5 || w.xMax > pageW-5 || w.yMax > pageH-5 {
			t.Errorf("page %d: %q at (%.1f,%.1f)-(%.1f,%.1f) mm is outside the printable area", w.page, w.text, w.xMin, w.yMin, w.xMax, w.yMax)
		}
		byPage[w.page] = append(byPage[w.page], w)
	}
	for p, pw := range byPage {
		for i, a := range pw {
			// The footer starts under its rule; body text ends above it.
			if a.yMin < footerRule && a.yMax > footerRule+0.5 {
				t.Errorf("page %d: %q crosses the footer rule", p, a.text)
			}
			for _, b := range pw[i+1:] {
				ix := math.Min(a.xMax, b.xMax) - math.Max(a.xMin, b.xMin)
				iy := math.Min(a.yMax, b.yMax) - math.Max(a.yMin, b.yMin)
				// Line boxes of consecutive lines may touch; more than a
				// quarter of the smaller box means text drawn on text.
				if ix > 0.2 && iy > 0.25*math.Min(a.yMax-a.yMin, b.yMax-b.yMin) {
					t.Errorf("page %d: %q and %q overlap", p, a.text, b.text)
				}
			}
		}
	}
}

// checkAddressWindow proves the buyer's address sits in the envelope window
// zone chosen in pdf_layout.go, and nothing else is printed in the window.
func checkAddressWindow(t *testing.T, pdf []byte, d Document) {
	t.Helper()
	ws, _ := words(t, pdf)
	var inZone []string
	for _, w := range ws {
		if w.page != 1 {
			continue
		}
		// What the window can show through a DL envelope, given the play
		// of the folded sheet.
		visible := w.xMax > windowLeft && w.xMin < pageW-5 && w.yMax > windowTop && w.yMin < windowBottom
		if !visible {
			continue
		}
		if w.xMin < addrX-0.5 || w.xMax > addrX+addrW || w.yMin < addrY-1 || w.yMax > addrMaxY {
			t.Errorf("%q at (%.1f,%.1f)-(%.1f,%.1f) mm is in the envelope window but outside the address block", w.text, w.xMin, w.yMin, w.xMax, w.yMax)
		}
		inZone = append(inZone, w.text)
	}
	got := normalizeSpace(strings.Join(inZone, " "))
	want := normalizeSpace(d.Buyer.Name + " " + strings.Join(addressLines(d.Buyer.Address, true), " "))
	if got != want {
		t.Errorf("window shows %q, want %q", got, want)
	}
}

func TestRenderPDFRejectsInvalidDocument(t *testing.T) {
	d := sampleDocuments(t)[0].doc
	d.Buyer.SIRET = ""
	if _, err := RenderPDF(d); err == nil {
		t.Fatal("a document without buyer SIRET was rendered")
	}
}

func TestFrenchFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{frNumber(decimal.RequireFromString("236.5")), "236,5"},
		{frNumber(decimal.RequireFromString("1250")), "1\u00a0250"},
		{frNumber(decimal.RequireFromString("-1234567.125")), "-1\u00a0234\u00a0567,125"},
		{frAmount(decimal.RequireFromString("1811.26"), ""), "1\u00a0811,26\u00a0€"},
		{frPercent(decimal.RequireFromString("5.5")), "5,5\u00a0%"},
		{frDate(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)), "01/04/2025"},
		{frIBAN("FR7630001000640000035200079"), "FR76 3000 1000 6400 0003 5200 079"},
		{postalCity(Address{Postcode: "35510", City: "Cesson-Sévigné"}), "35510 CESSON-SEVIGNE"},
		{frQuantity(invoice.Line{Quantity: decimal.NewFromInt(9), Unit: invoice.UnitMonth, BaseQuantity: decimal.NewFromInt(12)}), "9 mois / 12"},
		{frQuantity(invoice.Line{Quantity: decimal.NewFromInt(1050), Unit: invoice.UnitOne, BaseQuantity: decimal.NewFromInt(1)}), "1\u00a0050"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestRenderPictures renders every page of every sample as a PNG with
// pdftoppm, proving a rasteriser reads each page, and checks each picture
// is an A4 page with ink on it. Set CHORUSBILL_PDF_PNG_DIR to keep the
// pictures (and the PDFs) for a look.
func TestRenderPictures(t *testing.T) {
	dir := os.Getenv("CHORUSBILL_PDF_PNG_DIR")
	keep := dir != ""
	if !keep {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	docs := sampleDocuments(t)
	docs = append(docs, namedDocument{"long-document", longDocument(t)})
	for _, nd := range docs {
		t.Run(nd.name, func(t *testing.T) {
			pdf, err := RenderPDF(nd.doc)
			if err != nil {
				t.Fatal(err)
			}
			pages := pageCount(t, pdf)
			prefix := filepath.Join(dir, nd.name)
			if keep {
				if err := os.WriteFile(prefix+".pdf", pdf, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run(t, "pdftoppm", "-r", "60", "-png", writeTemp(t, "doc.pdf", pdf), prefix)
			pngs, _ := filepath.Glob(prefix + "-*.png")
			if len(pngs) != pages {
				t.Fatalf("%d pictures for %d pages", len(pngs), pages)
			}
			for _, p := range pngs {
				img := decodePNG(t, p)
				b := img.Bounds()
				// A4 at 60 dpi is 496 × 702 pixels.
				if math.Abs(float64(b.Dx())-496) > 2 || math.Abs(float64(b.Dy())-702) > 2 {
					t.Errorf("%s: %v is not an A4 page at 60 dpi", p, b)
				}
				if ink := inkRatio(img); ink < 0.005 {
					t.Errorf("%s: blank page (%.4f ink)", p, ink)
				}
			}
		})
	}
}

func decodePNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// inkRatio is the share of pixels that are not near-white.
func inkRatio(img image.Image) float64 {
	b := img.Bounds()
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r+g+bl < 3*0xe000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(b.Dx()*b.Dy())
}

func BenchmarkRenderPDF(b *testing.B) {
	d := sampleDocuments(b)[2].doc
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderPDF(d); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPrintableReplacesMissingGlyphs(t *testing.T) {
	for in, want := range map[string]string{
		"Mégalis — 1 811,26 € · n° 3, « œuvre », déjà": "Mégalis — 1 811,26 € · n° 3, « œuvre », déjà",
		"1\u202f234,56\u00a0€":                         "1\u00a0234,56\u00a0€",
		"a 漢 b 😀 \x01c":                                "a ? b ? c",
		"ligne 1\nligne 2":                             "ligne 1\nligne 2",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	// A label with characters the fonts lack still renders, readable.
	d := sampleDocuments(t)[0].doc
	d.Lines[0].Label = "Contribution 漢 2025 😀 — fin"
	pdf, err := RenderPDF(d)
	if err != nil {
		t.Fatal(err)
	}
	if text := extractText(t, pdf); !strings.Contains(text, "Contribution ? 2025 ? — fin") {
		t.Errorf("substituted label not found in %s", text)
	}
}

// The worker renders invoices in parallel: renderings must not share
// state.
func TestRenderConcurrently(t *testing.T) {
	docs := sampleDocuments(t)
	want := make([][]byte, len(docs))
	for i, nd := range docs {
		var err error
		if want[i], err = RenderFacturX(nd.doc, []byte("<x/>")); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 4*len(docs))
	for range 4 {
		for i, nd := range docs {
			go func() {
				got, err := RenderFacturX(nd.doc, []byte("<x/>"))
				if err == nil && !bytes.Equal(got, want[i]) {
					err = fmt.Errorf("%s: concurrent rendering differs", nd.name)
				}
				errs <- err
			}()
		}
	}
	for range 4 * len(docs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

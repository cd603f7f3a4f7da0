package document

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// ---------------------------------------------------------------- golden files

func xmlGoldenPath(name, syntax string) string {
	return filepath.Join("testdata", "golden", name+"."+syntax+".xml")
}

// checkXMLGolden compares got with the golden file byte for byte, or rewrites it
// with -update.
func checkXMLGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./invoice/ -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the rendering at line %d:\n got: %s\nwant: %s\n(run with -update if the change is intended)", path, i+1, g, w)
			}
		}
		t.Fatalf("%s differs from the rendering", path)
	}
}

// ---------------------------------------------------------------- validator

// einvoiceVerdict is what the validator said about one file.
type einvoiceVerdict struct {
	result   string              // VALID, INVALID or ERROR
	xsd      string              // "valid", "INVALID", ...
	fatal    map[string][]string // layer ("EN 16931", "FR") -> failed rule ids
	warnings map[string][]string
}

// parseEinvoiceValidate reads the validator's report: a "== file" section per file
// with its XSD verdict, one block per schematron layer listing FATAL and
// WARNING findings, and a final "RESULT: verdict file" line.
func parseEinvoiceValidate(out string) map[string]*einvoiceVerdict {
	files := map[string]*einvoiceVerdict{}
	var cur *einvoiceVerdict
	layer := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "== "):
			name := strings.TrimPrefix(line, "== ")
			if i := strings.Index(name, "  ["); i >= 0 {
				name = name[:i]
			}
			cur = &einvoiceVerdict{fatal: map[string][]string{}, warnings: map[string][]string{}}
			files[name] = cur
			layer = ""
		case cur == nil:
		case strings.HasPrefix(trimmed, "XSD: "):
			cur.xsd = strings.Fields(strings.TrimPrefix(trimmed, "XSD: "))[0]
		case strings.HasPrefix(trimmed, "EN 16931 schematron"):
			layer = "EN 16931"
		case strings.HasPrefix(trimmed, "FR CTC schematron"):
			layer = "FR"
		case strings.HasPrefix(trimmed, "FATAL "):
			cur.fatal[layer] = append(cur.fatal[layer], strings.Fields(trimmed)[1])
		case strings.HasPrefix(trimmed, "WARNING "):
			cur.warnings[layer] = append(cur.warnings[layer], strings.Fields(trimmed)[1])
		case strings.HasPrefix(line, "RESULT: "):
			// RESULT: VERDICT  path  (summary)
			verdict, rest, _ := strings.Cut(strings.TrimPrefix(line, "RESULT: "), "  ")
			if i := strings.LastIndex(rest, "  ("); i >= 0 {
				rest = rest[:i]
			}
			if v := files[rest]; v != nil {
				v.result = verdict
			}
		}
	}
	return files
}

// frenchRuleConflicts are the French reform rules (FNFE-MPE BR-FR, the
// validator's --fr layer) that a chorusbill invoice fails on purpose or for
// want of data, per syntax, with the reason. Any other fatal finding, and
// any EN 16931 or XSD error at all, fails the test.
var frenchRuleConflicts = map[string]map[string]string{
	"cii": {
		"BR-FR-08_BT-23": "BT-23 is Chorus Pro's billing framework A1, not a reform code B1…M9 (see xmlBillingFramework)",
		"BR-FR-10_BT-30": "BT-30 is the 14-digit SIRET that Chorus Pro reads in CII, not the 9-digit SIREN (see schemeSIRET)",
	},
	"ubl": {
		"BR-FR-08_BT-23": "ProfileID is Chorus Pro's billing framework A1, not a reform code B1…M9 (see xmlBillingFramework)",
	},
}

// runEinvoiceValidate runs the validator once, with the French rules, over every
// file and checks each is XSD-valid, EN 16931-valid, and fails no French
// rule but the known conflicts of its syntax.
func runEinvoiceValidate(t *testing.T, syntax string, files []string) {
	t.Helper()
	runEinvoiceValidateAllowing(t, syntax, files, nil)
}

// runEinvoiceValidateAllowing is runEinvoiceValidate tolerating also the
// findings of extra (layer "EN 16931" or "FR" → rule id → why), each of
// which must then be found on every file: a setting that costs a rule
// (e.g. a SIRET scheme, see SIRETScheme) is checked to cost that rule only.
func runEinvoiceValidateAllowing(t *testing.T, syntax string, files []string, extra map[string]map[string]string) {
	t.Helper()
	validator := einvoiceValidatePath(t)
	cmd := exec.Command(validator, append([]string{"--fr"}, files...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v\n%s", validator, err, out.String())
	}
	switch code {
	case 0, 1:
	case 2:
		t.Fatalf("%s could not validate (exit 2: environment error; run shared/tools/einvoice-setup):\n%s", validator, out.String())
	default:
		t.Fatalf("%s exited %d:\n%s", validator, code, out.String())
	}
	t.Logf("validator: %d %s files in %s", len(files), syntax, time.Since(start).Round(time.Millisecond))

	report := parseEinvoiceValidate(out.String())
	allowed := frenchRuleConflicts[syntax]
	var problems []string
	tolerated := map[string]int{}
	warnings := map[string]int{}
	for _, f := range files {
		r := report[f]
		name := filepath.Base(f)
		if r == nil || r.result == "" {
			problems = append(problems, name+": no verdict in the validator's output")
			continue
		}
		if r.result == "ERROR" {
			problems = append(problems, name+": validator ERROR")
		}
		if r.xsd != "valid" {
			problems = append(problems, name+": XSD "+r.xsd)
		}
		found := map[string]bool{}
		for _, id := range r.fatal["EN 16931"] {
			if _, ok := extra["EN 16931"][id]; ok {
				if !found[id] { // counted once per file, not per party
					tolerated[id]++
				}
				found[id] = true
				continue
			}
			problems = append(problems, name+": EN 16931 "+id)
		}
		for _, id := range r.fatal["FR"] {
			if _, ok := allowed[id]; ok {
				tolerated[id]++
				continue
			}
			if _, ok := extra["FR"][id]; ok {
				if !found[id] {
					tolerated[id]++
				}
				found[id] = true
				continue
			}
			problems = append(problems, name+": French rule "+id)
		}
		for _, layer := range slices.Sorted(maps.Keys(extra)) {
			for _, id := range slices.Sorted(maps.Keys(extra[layer])) {
				if !found[id] {
					problems = append(problems, name+": expected "+layer+" "+id+" ("+extra[layer][id]+") was not reported")
				}
			}
		}
		for layer, ids := range r.warnings {
			for _, id := range ids {
				warnings[layer+" "+id]++
			}
		}
	}
	if code == 0 && len(tolerated) > 0 {
		problems = append(problems, "validator exit 0 but conflicts were parsed: the output format changed?")
	}
	if len(problems) > 0 {
		t.Errorf("validator (exit %d) found:\n  %s\n\nvalidator output:\n%s", code, strings.Join(problems, "\n  "), out.String())
		return
	}
	for _, id := range slices.Sorted(maps.Keys(tolerated)) {
		why := allowed[id]
		for _, layer := range extra {
			if w, ok := layer[id]; ok {
				why = w
			}
		}
		t.Logf("known rule conflict %s on %d/%d files: %s", id, tolerated[id], len(files), why)
	}
	for _, w := range slices.Sorted(maps.Keys(warnings)) {
		t.Logf("warning %s on %d/%d files", w, warnings[w], len(files))
	}
}

// xmlRenderSamples renders every sample document into dir and returns the files.
func xmlRenderSamples(t *testing.T, syntax string, render func(Document) ([]byte, error), dir string) []string {
	t.Helper()
	var files []string
	for _, s := range sampleDocuments(t) {
		b, err := render(s.doc)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		f := filepath.Join(dir, s.name+"."+syntax+".xml")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// ---------------------------------------------------------------- read back

// xmlFacts is what a rendering says, read back from the XML, in the same
// terms for CII and UBL; nil pointers are absent elements.
type xmlFacts struct {
	root          string
	typeCode      string
	framework     string // BT-23
	specification string // BT-24
	number        string
	issueDate     string // YYYY-MM-DD
	dueDate       *string
	currency      string
	buyerRef      *string // BT-10
	purchaseOrder *string // BT-13
	contract      *string // BT-12
	precedingNum  *string // BT-25
	precedingDate *string // BT-26
	periodStart   *string
	periodEnd     *string
	notes         []string // BT-22, with the UBL "#CODE#" prefix kept
	penaltyNote   *string  // the note with subject code PMD
	sellerSIRET   string   // where Chorus Pro reads it
	buyerSIRET    string
	sellerAddress string // BT-34 electronic address, "scheme:value"
	buyerAddress  string
	sellerVAT     *string // BT-31
	paymentMeans  *string // BT-81
	iban, bic     *string
	paymentTerms  *string
	lines         []lineFacts
	breakdown     []taxFacts
	ht, taxBasis  string
	vat, ttc      string
	paid, due     string
	attachments   []attachmentFacts
}

type lineFacts struct {
	id, name, code           string
	quantity, unit           string
	price, baseQty, baseUnit string
	amount, category         string
	rate                     *string
}

type taxFacts struct {
	base, amount, category string
	rate, reason, code     *string
}

type attachmentFacts struct {
	id, qualifier, mime, filename string
	content                       []byte
}

func xmlFind(e *etree.Element, path string) string {
	if f := e.FindElement(path); f != nil {
		return f.Text()
	}
	return ""
}

func xmlFindOpt(e *etree.Element, path string) *string {
	if f := e.FindElement(path); f != nil {
		s := f.Text()
		return &s
	}
	return nil
}

func xmlFindAttr(e *etree.Element, path, name string) string {
	if f := e.FindElement(path); f != nil {
		return f.SelectAttrValue(name, "")
	}
	return ""
}

func xmlPtr(s string) *string { return &s }

func xmlShow(p *string) string {
	if p == nil {
		return "<absent>"
	}
	return fmt.Sprintf("%q", *p)
}

func xmlISODate(t time.Time) string { return t.Format(time.DateOnly) }

// checkXMLFacts compares what the XML says with the document it was rendered from.
func checkXMLFacts(t *testing.T, d Document, f xmlFacts) {
	t.Helper()
	eq := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	opt := func(what string, got *string, want string) {
		t.Helper()
		if want == "" {
			if got != nil {
				t.Errorf("%s = %s, want absent", what, xmlShow(got))
			}
			return
		}
		if got == nil || *got != want {
			t.Errorf("%s = %s, want %q", what, xmlShow(got), want)
		}
	}
	eq("BT-1 number", f.number, d.Number)
	eq("BT-3 type code", f.typeCode, d.Kind.TypeCode())
	eq("BT-23 billing framework", f.framework, "A1")
	eq("BT-24 specification", f.specification, "urn:cen.eu:en16931:2017")
	eq("BT-2 issue date", f.issueDate, xmlISODate(d.IssueDate))
	eq("BT-5 currency", f.currency, "EUR")
	opt("BT-10 buyer reference", f.buyerRef, d.BuyerReference)
	opt("BT-13 purchase order", f.purchaseOrder, d.PurchaseOrder)
	opt("BT-12 contract", f.contract, d.Contract)
	if d.Preceding != nil {
		opt("BT-25 preceding invoice", f.precedingNum, d.Preceding.Number)
		opt("BT-26 preceding invoice date", f.precedingDate, xmlISODate(d.Preceding.IssueDate))
	} else {
		opt("BT-25 preceding invoice", f.precedingNum, "")
	}
	period := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return xmlISODate(t)
	}
	opt("BT-73 period start", f.periodStart, period(d.PeriodStart))
	opt("BT-74 period end", f.periodEnd, period(d.PeriodEnd))
	opt("BT-22 PMD note", f.penaltyNote, d.LatePaymentClause)
	for _, n := range d.Notes {
		if !slices.Contains(f.notes, n) {
			t.Errorf("note %q missing from %q", n, f.notes)
		}
	}
	eq("seller SIRET", f.sellerSIRET, d.Seller.SIRET)
	eq("buyer SIRET", f.buyerSIRET, d.Buyer.SIRET)
	eq("BT-34 seller electronic address", f.sellerAddress, "0009:"+d.Seller.SIRET)
	eq("BT-49 buyer electronic address", f.buyerAddress, "0009:"+d.Buyer.SIRET)
	outOfScope := false
	for _, b := range d.Totals.Breakdown {
		outOfScope = outOfScope || b.VAT.Category == invoice.VATOutOfScope
	}
	if outOfScope {
		opt("BT-31 seller VAT (BR-O-02)", f.sellerVAT, "")
	} else {
		opt("BT-31 seller VAT", f.sellerVAT, d.Seller.VATNumber)
	}
	opt("BT-20 payment terms", f.paymentTerms, d.PaymentTerms)
	if d.Kind == invoice.KindCreditNote {
		opt("BT-81 payment means (none on a credit note)", f.paymentMeans, "")
	} else {
		opt("BT-9 due date", f.dueDate, xmlISODate(d.DueDate))
		opt("BT-81 payment means", f.paymentMeans, "30")
		opt("BT-84 IBAN", f.iban, d.Bank.IBAN)
		opt("BT-86 BIC", f.bic, d.Bank.BIC)
	}

	if len(f.lines) != len(d.Lines) {
		t.Fatalf("%d lines, want %d", len(f.lines), len(d.Lines))
	}
	for i, l := range d.Lines {
		g, p := f.lines[i], fmt.Sprintf("line %d ", i+1)
		eq(p+"BT-126 id", g.id, fmt.Sprint(i+1))
		eq(p+"BT-153 name", g.name, l.Label)
		eq(p+"BT-155 seller item id", g.code, l.Code)
		xmlEqDecimal(t, p+"BT-129 quantity", g.quantity, l.Quantity)
		eq(p+"BT-130 unit", g.unit, l.Unit)
		xmlEqDecimal(t, p+"BT-146 net price", g.price, l.UnitPrice)
		xmlEqDecimal(t, p+"BT-149 base quantity", g.baseQty, l.BaseQuantity)
		eq(p+"BT-150 base unit", g.baseUnit, l.Unit)
		eq(p+"BT-131 amount", g.amount, invoice.Format(l.Amount))
		eq(p+"BT-151 VAT category", g.category, string(l.VAT.Category))
		if l.VAT.Category == invoice.VATOutOfScope {
			opt(p+"BT-152 VAT rate (none for O)", g.rate, "")
		} else if g.rate == nil {
			t.Errorf("%sBT-152 VAT rate absent", p)
		} else {
			xmlEqDecimal(t, p+"BT-152 VAT rate", *g.rate, l.VAT.Percent)
		}
	}

	if len(f.breakdown) != len(d.Totals.Breakdown) {
		t.Fatalf("%d VAT breakdowns, want %d", len(f.breakdown), len(d.Totals.Breakdown))
	}
	for i, b := range d.Totals.Breakdown {
		g, p := f.breakdown[i], fmt.Sprintf("VAT breakdown %d ", i+1)
		eq(p+"BT-116 base", g.base, invoice.Format(b.Base))
		eq(p+"BT-117 amount", g.amount, invoice.Format(b.Amount))
		eq(p+"BT-118 category", g.category, string(b.VAT.Category))
		switch b.VAT.Category {
		case invoice.VATOutOfScope:
			opt(p+"BT-119 rate", g.rate, "")
			opt(p+"BT-120 exemption reason", g.reason, b.VAT.Mention)
			opt(p+"BT-121 exemption reason code", g.code, "VATEX-EU-O")
		case invoice.VATStandard:
			if g.rate == nil {
				t.Errorf("%sBT-119 rate absent", p)
			} else {
				xmlEqDecimal(t, p+"BT-119 rate", *g.rate, b.VAT.Percent)
			}
			opt(p+"BT-120 exemption reason", g.reason, "")
			opt(p+"BT-121 exemption reason code", g.code, "")
		}
	}

	eq("BT-106 sum of lines", f.ht, invoice.Format(d.Totals.HT))
	eq("BT-109 total without VAT", f.taxBasis, invoice.Format(d.Totals.HT))
	eq("BT-110 VAT total", f.vat, invoice.Format(d.Totals.VAT))
	eq("BT-112 total with VAT", f.ttc, invoice.Format(d.Totals.TTC))
	eq("BT-113 paid", f.paid, invoice.Format(d.PaidAmount))
	eq("BT-115 due", f.due, invoice.Format(d.DueAmount()))

	if len(f.attachments) != len(d.Attachments) {
		t.Fatalf("%d attachments, want %d", len(f.attachments), len(d.Attachments))
	}
	for i, a := range d.Attachments {
		g, p := f.attachments[i], fmt.Sprintf("attachment %d ", i+1)
		eq(p+"BT-122 id", g.id, a.ID)
		eq(p+"BT-123 qualifier", g.qualifier, "DOCUMENT_ANNEXE")
		eq(p+"BT-125-1 MIME type", g.mime, a.MimeType)
		eq(p+"BT-125-2 file name", g.filename, a.Filename)
		if !bytes.Equal(g.content, a.Content) {
			t.Errorf("%scontent decodes to %q, want %q", p, g.content, a.Content)
		}
	}
}

// xmlEqDecimal checks a decimal string states exactly the document's value.
func xmlEqDecimal(t *testing.T, what, got string, want decimal.Decimal) {
	t.Helper()
	g, err := decimal.NewFromString(got)
	if err != nil || !g.Equal(want) {
		t.Errorf("%s = %q, want %s", what, got, want)
	}
}

func xmlDecodeBase64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("attachment is not base64: %v", err)
	}
	return b
}

func xmlParse(t *testing.T, b []byte) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("rendering is not well-formed XML: %v", err)
	}
	return doc.Root()
}

// ---------------------------------------------------------------- shared tests

var xmlRenderers = []struct {
	syntax string
	render func(Document) ([]byte, error)
}{{"cii", RenderCII}, {"ubl", RenderUBL}}

func TestRenderXMLIsDeterministic(t *testing.T) {
	first, second := sampleDocuments(t), sampleDocuments(t)
	for _, r := range xmlRenderers {
		for i, s := range first {
			a, err := r.render(s.doc)
			if err != nil {
				t.Fatalf("%s %s: %v", r.syntax, s.name, err)
			}
			b, err := r.render(second[i].doc)
			if err != nil {
				t.Fatalf("%s %s: %v", r.syntax, s.name, err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s %s: two renderings of the same document differ", r.syntax, s.name)
			}
			if !bytes.HasPrefix(a, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n")) || !bytes.HasSuffix(a, []byte(">\n")) {
				t.Errorf("%s %s: no XML declaration or no final newline", r.syntax, s.name)
			}
		}
	}
}

func TestRenderXMLRejects(t *testing.T) {
	base := sampleDocuments(t)[0].doc
	interest := sampleDocuments(t)[3].doc
	cases := []struct {
		name   string
		change func(d *Document)
		want   string
	}{
		{"invalid document", func(d *Document) { d.Number = "" }, "lacks: number"},
		{"totals not those of the lines", func(d *Document) { d.Totals.TTC = d.Totals.TTC.Add(decimal.NewFromInt(1)) }, "are not those of its lines"},
		{"VAT breakdown not that of the lines", func(d *Document) {
			d.Totals.Breakdown = slices.Clone(d.Totals.Breakdown)
			d.Totals.Breakdown[0].Base = d.Totals.Breakdown[0].Base.Add(decimal.NewFromInt(1))
		}, "BG-23"},
		{"no IBAN on an invoice", func(d *Document) { d.Bank.IBAN = "" }, "IBAN"},
		{"foreign currency", func(d *Document) { d.Currency = "USD" }, "EUR invoices only"},
		{"SIRET not 14 digits", func(d *Document) { d.Buyer.SIRET = "2135023880001" }, "buyer SIRET"},
		{"engagement over 50 characters", func(d *Document) { d.PurchaseOrder = strings.Repeat("E", 51) }, "BR-FR-CPRO-15"},
		{"no unit", func(d *Document) { d.Lines[0].Unit = "" }, "BT-130"},
		{"quantity over 4 decimals", func(d *Document) {
			d.Lines[0].Quantity = decimal.RequireFromString("0.12345")
			d.Lines[0].Amount = invoice.Round(d.Lines[0].Quantity.Mul(d.Lines[0].UnitPrice).Div(d.Lines[0].BaseQuantity))
			d.Totals = invoice.ComputeTotals(d.Lines)
		}, "BR-FR-DEC-02"},
		{"no seller VAT number with VAT", func(d *Document) { d.Seller.VATNumber = "" }, "BR-S-02"},
		{"O mixed with S", func(d *Document) {
			d.Lines = append(d.Lines, interest.Lines...)
			d.Totals = invoice.ComputeTotals(d.Lines)
		}, "BR-O-11"},
		{"credit note with negative amounts", func(d *Document) {
			d.Kind, d.Preceding = invoice.KindCreditNote, &PrecedingInvoice{Number: "CT2025-000001", IssueDate: d.IssueDate}
			for i := range d.Lines {
				d.Lines[i] = d.Lines[i].Negate()
			}
			d.Totals = invoice.ComputeTotals(d.Lines)
		}, "positive amounts"},
		{"number with a space", func(d *Document) { d.Number = "CT 2025-1" }, "BR-FR-02"},
		{"attachment of a type EN 16931 refuses", func(d *Document) {
			d.Attachments = []Attachment{{ID: "A", Filename: "a.txt", MimeType: "text/plain", Content: []byte("x")}}
		}, "BR-CL-24"},
		{"attachment without identifier", func(d *Document) {
			d.Attachments = []Attachment{{Filename: "a.csv", MimeType: "text/csv", Content: []byte("x")}}
		}, "BT-122"},
		{"attachment name over 50 characters", func(d *Document) {
			d.Attachments = []Attachment{{ID: "A", Filename: strings.Repeat("a", 47) + ".csv", MimeType: "text/csv", Content: []byte("x")}}
		}, "BR-FR-CPRO-41"},
	}
	for _, c := range cases {
		d := base
		d.Lines = slices.Clone(base.Lines)
		c.change(&d)
		for _, r := range xmlRenderers {
			_, err := r.render(d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s, %s: error %v, want one mentioning %q", c.name, r.syntax, err, c.want)
			}
		}
	}
}

func TestXMLPrice(t *testing.T) {
	for in, want := range map[string]string{"2012.5": "2012.50", "0.1": "0.10", "15": "15.00", "0.0125": "0.0125", "12.345678": "12.345678"} {
		if got := xmlPrice(decimal.RequireFromString(in)); got != want {
			t.Errorf("xmlPrice(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestParseEinvoiceValidate(t *testing.T) {
	out := `== /tmp/a.xml  [CII D16B (CrossIndustryInvoice)]
  XSD: valid
  EN 16931 schematron: 1 fatal, 1 warning(s)  [87 rules fired]
    FATAL   BR-09          [BR-09]-The Seller postal address (BG-5) shall contain a Seller country code (BT-40).
            at /CrossIndustryInvoice[1]
    WARNING BR-CL-23       unit code
            at /CrossIndustryInvoice[1]
  FR CTC schematron (BR-FR): 1 fatal, 0 warning(s)  [59 rules fired]
    FATAL   BR-FR-08_BT-23 BR-FR-08/BT-23 : La valeur du mode de facturation
            at /CrossIndustryInvoice[1]/ExchangedDocumentContext[1]
RESULT: INVALID  /tmp/a.xml  (xsd=ok en16931:fatal=1,warnings=1 fr-ctc:fatal=1,warnings=0)
== /tmp/b.xml  [UBL 2.1 Invoice]
  XSD: INVALID
    /tmp/b.xml:3: element X: Schemas validity error
RESULT: INVALID  /tmp/b.xml  (xsd=FAIL en16931:fatal=0,warnings=0)
-- 2 file(s): 0 valid, 2 invalid, 0 error(s); 3.08s total, 1.54s/file
`
	got := parseEinvoiceValidate(out)
	a, b := got["/tmp/a.xml"], got["/tmp/b.xml"]
	if a == nil || b == nil {
		t.Fatalf("files not found in %v", got)
	}
	if a.result != "INVALID" || a.xsd != "valid" ||
		!slices.Equal(a.fatal["EN 16931"], []string{"BR-09"}) || !slices.Equal(a.warnings["EN 16931"], []string{"BR-CL-23"}) ||
		!slices.Equal(a.fatal["FR"], []string{"BR-FR-08_BT-23"}) {
		t.Errorf("a.xml parsed as %+v", *a)
	}
	if b.result != "INVALID" || b.xsd != "INVALID" {
		t.Errorf("b.xml parsed as %+v", *b)
	}
}

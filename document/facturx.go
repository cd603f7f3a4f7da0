package document

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Factur-X 1.0 identifiers (FNFE-MPE / FeRD specification).
const (
	// FacturXFilename is the name the CII XML must have inside the PDF.
	FacturXFilename = "factur-x.xml"
	// facturXNamespace is the XMP namespace of the Factur-X properties;
	// mixed case and trailing '#' as the specification writes it.
	facturXNamespace = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
	// FacturXConformance is the profile chorusbill produces: EN 16931 (the
	// French public sector's "comfort" profile; MINIMUM and BASIC WL are not
	// invoices).
	FacturXConformance = "EN 16931"
	facturXVersion     = "1.0"

	// facturXRelationship is the embedded XML's /AFRelationship. The
	// Factur-X specification requires /Data for MINIMUM and BASIC WL and
	// accepts /Data, /Alternative or /Source for BASIC, EN 16931 and
	// EXTENDED; ZUGFeRD 2.1 and some third-party checklists recommend
	// /Alternative. We use /Data, the one value valid for every profile and
	// the default of the reference implementation by the specification's
	// co-authors (akretion/factur-x, which forces it for MINIMUM and BASIC WL
	// and otherwise defaults to it). Switch to "Alternative" here if a
	// receiving platform ever asks for it.
	facturXRelationship = "Data"
)

// RenderFacturX renders d as a Factur-X invoice: the PDF of RenderPDF made
// PDF/A-3b, with cii (the EN 16931 CII XML of the same document, as
// RenderCII produces it) embedded as factur-x.xml.
//
// What PDF/A-3 and Factur-X 1.0 need and this adds to the fpdf output:
// XMP metadata (pdfaid part 3 / B, the Factur-X extension schema and fx
// properties, and the Info dictionary's values), an sRGB output intent,
// the embedded file (MIME subtype, /Params /ModDate) with its file
// specification (/F, /UF, /Desc, /AFRelationship) listed in the
// EmbeddedFiles name tree and the catalog's /AF, and a trailer /ID. The
// file is serialised here rather than by pdfcpu's writer, which stamps the
// current time into the Info dictionary and the ID: invoice archives must
// be reproducible, so every date comes from the issue date and the ID
// from the invoice number.
func RenderFacturX(d Document, cii []byte) ([]byte, error) {
	if err := wellFormedXML(cii); err != nil {
		return nil, fmt.Errorf("factur-x %s: CII: %w", d.Number, err)
	}
	base, err := RenderPDF(d)
	if err != nil {
		return nil, err
	}
	ctx, err := api.ReadContext(bytes.NewReader(base), pdfcpuConfig())
	if err != nil {
		return nil, fmt.Errorf("factur-x %s: read PDF: %w", d.Number, err)
	}
	if err := addFacturX(ctx.XRefTable, d, cii); err != nil {
		return nil, fmt.Errorf("factur-x %s: %w", d.Number, err)
	}
	out, err := serializePDF(ctx.XRefTable, documentID(d.Number))
	if err != nil {
		return nil, fmt.Errorf("factur-x %s: write PDF: %w", d.Number, err)
	}
	return out, nil
}

// pdfcpuConfig is pdfcpu's default configuration built in memory:
// model.NewDefaultConfiguration would create a configuration directory in
// the user's home, which a server has no business doing.
func pdfcpuConfig() *model.Configuration {
	return &model.Configuration{
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceSkip,
		Eol:                       types.EolLF,
		Limits:                    model.DefaultResourceLimits(),
	}
}

// wellFormedXML reports whether b is one well-formed XML document.
func wellFormedXML(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty XML")
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.StartElement); ok {
			root = true
		}
	}
	if !root {
		return errors.New("no root element")
	}
	return nil
}

// documentID is the trailer /ID of an invoice's Factur-X file: a hash of
// its number, so that the same invoice always has the same ID and two
// invoices never share one.
func documentID(number string) []byte {
	h := sha256.Sum256([]byte("chorusbill factur-x " + number))
	return h[:16]
}

// addFacturX adds to the document everything PDF/A-3b and Factur-X need.
func addFacturX(x *model.XRefTable, d Document, cii []byte) error {
	cat, err := x.Catalog()
	if err != nil {
		return err
	}
	meta := documentMeta(d)
	date := pdfDate(d.IssueDate)
	newRef := func(o types.Object) (types.IndirectRef, error) {
		r, err := x.IndRefForNewObject(o)
		if err != nil {
			return types.IndirectRef{}, err
		}
		return *r, nil
	}

	// Info dictionary, mirrored by the XMP below (PDF/A requires both to
	// say the same).
	info := types.Dict{
		"Title":        pdfText(meta.title),
		"Author":       pdfText(meta.author),
		"Subject":      pdfText(meta.subject),
		"Creator":      pdfText(pdfProducer),
		"Producer":     pdfText(pdfProducer),
		"CreationDate": types.StringLiteral(pdfDateString(date)),
		"ModDate":      types.StringLiteral(pdfDateString(date)),
	}
	infoRef, err := newRef(info)
	if err != nil {
		return err
	}
	x.Info = &infoRef

	// XMP metadata: PDF/A forbids filtering it, so it is stored as is.
	xmp := buildXMP(meta, date)
	md := types.StreamDict{Dict: types.Dict{
		"Type":    types.Name("Metadata"),
		"Subtype": types.Name("XML"),
		"Length":  types.Integer(len(xmp)),
	}, Content: xmp, Raw: xmp}
	mdRef, err := newRef(md)
	if err != nil {
		return err
	}
	cat["Metadata"] = mdRef

	// Output intent: the sRGB profile the DeviceRGB colours refer to.
	icc, err := x.NewStreamDictForBuf(SRGBProfile())
	if err != nil {
		return err
	}
	icc.InsertInt("N", 3)
	if err := icc.Encode(); err != nil {
		return err
	}
	iccRef, err := newRef(*icc)
	if err != nil {
		return err
	}
	oiRef, err := newRef(types.Dict{
		"Type":                      types.Name("OutputIntent"),
		"S":                         types.Name("GTS_PDFA1"),
		"OutputCondition":           pdfText("sRGB"),
		"OutputConditionIdentifier": pdfText("sRGB IEC61966-2.1"),
		"RegistryName":              pdfText("http://www.color.org"),
		"Info":                      pdfText(srgbProfileDescription),
		"DestOutputProfile":         iccRef,
	})
	if err != nil {
		return err
	}
	cat["OutputIntents"] = types.Array{oiRef}

	// The CII XML as an associated file.
	ef, err := x.NewStreamDictForBuf(cii)
	if err != nil {
		return err
	}
	ef.InsertName("Type", "EmbeddedFile")
	ef.InsertName("Subtype", "text/xml")
	ef.Insert("Params", types.Dict{
		"Size":         types.Integer(len(cii)),
		"CreationDate": types.StringLiteral(pdfDateString(date)),
		"ModDate":      types.StringLiteral(pdfDateString(date)),
	})
	if err := ef.Encode(); err != nil {
		return err
	}
	efRef, err := newRef(*ef)
	if err != nil {
		return err
	}
	fsRef, err := newRef(types.Dict{
		"Type":           types.Name("Filespec"),
		"F":              pdfText(FacturXFilename),
		"UF":             pdfText(FacturXFilename),
		"Desc":           pdfText("Factur-X " + FacturXConformance + " invoice " + d.Number + " (UN/CEFACT CII)"),
		"AFRelationship": types.Name(facturXRelationship),
		"EF":             types.Dict{"F": efRef, "UF": efRef},
	})
	if err != nil {
		return err
	}
	cat["AF"] = types.Array{fsRef}
	// fpdf writes an empty EmbeddedFiles tree; replace the whole /Names.
	cat["Names"] = types.Dict{"EmbeddedFiles": types.Dict{
		"Names": types.Array{pdfText(FacturXFilename), fsRef},
	}}
	// Readers open the attachments panel, where the XML is.
	cat["PageMode"] = types.Name("UseAttachments")
	tagFontSubsets(x)
	return nil
}

// tagFontSubsets renames the fonts fpdf embeds ("utf8go", "utf8goB"…) as
// the subsets they are: ISO 32000 §9.6.4 wants a subset's BaseFont and
// FontName to start with a six-letter tag and "+". The tag is derived from
// the name, so the output stays reproducible.
func tagFontSubsets(x *model.XRefTable) {
	rename := func(old string) types.Name {
		base := strings.TrimPrefix(old, "utf8")
		switch base {
		case fontFamily + styleRegular:
			base = "Go-Regular"
		case fontFamily + styleBold:
			base = "Go-Bold"
		case fontFamily + styleItalic:
			base = "Go-Italic"
		}
		h := sha256.Sum256([]byte(old))
		tag := make([]byte, 6)
		for i := range tag {
			tag[i] = 'A' + h[i]%26
		}
		return types.Name(string(tag) + "+" + base)
	}
	for _, e := range x.Table {
		d, ok := e.Object.(types.Dict)
		if e.Free || !ok {
			continue
		}
		switch t := d.Type(); {
		case t != nil && *t == "Font":
			st := d.Subtype()
			if n, ok := d["BaseFont"].(types.Name); ok && st != nil && (*st == "Type0" || *st == "CIDFontType2") && strings.HasPrefix(string(n), "utf8") {
				d["BaseFont"] = rename(string(n))
			}
		case t != nil && *t == "FontDescriptor":
			if n, ok := d["FontName"].(types.Name); ok && strings.HasPrefix(string(n), "utf8") {
				d["FontName"] = rename(string(n))
			}
		}
	}
}

// pdfText is a PDF text string: a literal when s is printable ASCII,
// otherwise UTF-16BE with a byte order mark, as PDF requires for text
// outside PDFDocEncoding's common range.
func pdfText(s string) types.Object {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return types.StringLiteral(escapePDFString(s))
	}
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return types.HexLiteral(strings.ToUpper(hex.EncodeToString(b)))
}

var pdfStringEscaper = strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)

func escapePDFString(s string) string { return pdfStringEscaper.Replace(s) }

// pdfDateString is a PDF date in UTC: D:20250115000000+00'00'.
func pdfDateString(t time.Time) string {
	return "D:" + t.UTC().Format("20060102150405") + "+00'00'"
}

// xmpDateString is the same instant in XMP (ISO 8601) form.
func xmpDateString(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05") + "+00:00"
}

// buildXMP returns the XMP packet of a Factur-X invoice: PDF/A
// identification, Dublin Core and XMP basic properties equal to the Info
// dictionary, the Factur-X properties and the PDF/A extension schema that
// declares them (PDF/A admits no undeclared XMP property).
func buildXMP(m pdfMeta, date time.Time) []byte {
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b strings.Builder
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + esc(m.title) + `</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>` + esc(m.author) + `</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">` + esc(m.subject) + `</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>` + esc(pdfProducer) + `</pdf:Producer>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>` + esc(pdfProducer) + `</xmp:CreatorTool>
   <xmp:CreateDate>` + xmpDateString(date) + `</xmp:CreateDate>
   <xmp:ModifyDate>` + xmpDateString(date) + `</xmp:ModifyDate>
   <xmp:MetadataDate>` + xmpDateString(date) + `</xmp:MetadataDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="` + facturXNamespace + `">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>` + FacturXFilename + `</fx:DocumentFileName>
   <fx:Version>` + facturXVersion + `</fx:Version>
   <fx:ConformanceLevel>` + FacturXConformance + `</fx:ConformanceLevel>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>` + facturXNamespace + `</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>fx</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
`)
	for _, p := range [][2]string{
		{"DocumentFileName", "Name of the embedded XML invoice file"},
		{"DocumentType", "INVOICE"},
		{"Version", "Version of the Factur-X XML schema"},
		{"ConformanceLevel", "Conformance level of the embedded Factur-X data"},
	} {
		b.WriteString(`        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>` + p[0] + `</pdfaProperty:name>
         <pdfaProperty:valueType>Text</pdfaProperty:valueType>
         <pdfaProperty:category>external</pdfaProperty:category>
         <pdfaProperty:description>` + p[1] + `</pdfaProperty:description>
        </rdf:li>
`)
	}
	b.WriteString(`       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
	return []byte(b.String())
}

// serializePDF writes the document held by x as a classic PDF 1.7 file:
// header with the binary comment line PDF/A asks for, the objects
// reachable from the catalog and the Info dictionary renumbered in the
// order first met (objects fpdf wrote but nothing uses any more, such as
// its Info dictionary, are dropped), a cross-reference table and a trailer
// with the given /ID. Keys and objects are written in a fixed order, so
// the output depends on the document only.
func serializePDF(x *model.XRefTable, id []byte) ([]byte, error) {
	if x.Root == nil || x.Info == nil {
		return nil, errors.New("missing catalog or info dictionary")
	}
	var order []int
	renum := map[int]int{}
	var walk func(o types.Object) error
	walk = func(o types.Object) error {
		switch o := o.(type) {
		case types.IndirectRef:
			n := o.ObjectNumber.Value()
			if _, ok := renum[n]; ok {
				return nil
			}
			e, ok := x.Find(n)
			if !ok || e == nil || e.Free || e.Object == nil {
				return fmt.Errorf("dangling reference %d", n)
			}
			order = append(order, n)
			renum[n] = len(order)
			return walk(e.Object)
		case types.Dict:
			for _, k := range sortedKeys(o) {
				if err := walk(o[k]); err != nil {
					return err
				}
			}
		case types.StreamDict:
			return walk(o.Dict)
		case types.Array:
			for _, v := range o {
				if err := walk(v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(*x.Root); err != nil {
		return nil, err
	}
	if err := walk(*x.Info); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(order)+1)
	for i, n := range order {
		e, _ := x.Find(n)
		offsets[i+1] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n", i+1)
		switch o := e.Object.(type) {
		case types.StreamDict:
			if o.Raw == nil && o.Content != nil {
				if err := o.Encode(); err != nil {
					return nil, err
				}
			}
			dict := types.Dict{}
			for k, v := range o.Dict {
				dict[k] = v
			}
			// The stream is written as read or encoded: its length is
			// that of the bytes, whatever the source said.
			dict["Length"] = types.Integer(len(o.Raw))
			writeObject(&buf, dict, renum)
			buf.WriteString("\nstream\n")
			buf.Write(o.Raw)
			buf.WriteString("\nendstream")
		default:
			writeObject(&buf, o, renum)
		}
		buf.WriteString("\nendobj\n")
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f\r\n", len(order)+1)
	for _, off := range offsets[1:] {
		fmt.Fprintf(&buf, "%010d 00000 n\r\n", off)
	}
	idHex := strings.ToUpper(hex.EncodeToString(id))
	fmt.Fprintf(&buf, "trailer\n<</ID [<%s> <%s>] /Info %d 0 R /Root %d 0 R /Size %d>>\nstartxref\n%d\n%%%%EOF\n",
		idHex, idHex, renum[x.Info.ObjectNumber.Value()], renum[x.Root.ObjectNumber.Value()], len(order)+1, xref)
	return buf.Bytes(), nil
}

func sortedKeys(d types.Dict) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeObject writes a direct object in PDF syntax, with references
// renumbered.
func writeObject(w *bytes.Buffer, o types.Object, renum map[int]int) {
	switch o := o.(type) {
	case nil:
		w.WriteString("null")
	case types.Dict:
		w.WriteString("<<")
		for i, k := range sortedKeys(o) {
			if i > 0 {
				w.WriteByte(' ')
			}
			writeName(w, k)
			w.WriteByte(' ')
			writeObject(w, o[k], renum)
		}
		w.WriteString(">>")
	case types.Array:
		w.WriteByte('[')
		for i, v := range o {
			if i > 0 {
				w.WriteByte(' ')
			}
			writeObject(w, v, renum)
		}
		w.WriteByte(']')
	case types.IndirectRef:
		fmt.Fprintf(w, "%d 0 R", renum[o.ObjectNumber.Value()])
	case types.Name:
		writeName(w, string(o))
	case types.StringLiteral:
		// pdfcpu keeps literals as they were written (escaped), and ours
		// are escaped by pdfText.
		w.WriteString("(" + string(o) + ")")
	case types.HexLiteral:
		w.WriteString("<" + string(o) + ">")
	case types.Integer:
		w.WriteString(strconv.Itoa(int(o)))
	case types.Float:
		w.WriteString(strconv.FormatFloat(float64(o), 'f', -1, 64))
	case types.Boolean:
		w.WriteString(strconv.FormatBool(bool(o)))
	default:
		w.WriteString(o.PDFString())
	}
}

// writeName writes a PDF name, escaping delimiters and non-regular
// characters as #XX (so text/xml is /text#2Fxml).
func writeName(w *bytes.Buffer, s string) {
	w.WriteByte('/')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || strings.IndexByte("()<>[]{}/%#", c) >= 0 {
			fmt.Fprintf(w, "#%02X", c)
			continue
		}
		w.WriteByte(c)
	}
}

package document

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func TestRenderFacturX(t *testing.T) {
	var extracted []string
	keepDir := t.TempDir() // outlives the subtests, for the validator
	ids := map[string]string{}
	for _, nd := range sampleDocuments(t) {
		t.Run(nd.name, func(t *testing.T) {
			d := nd.doc
			cii, err := RenderCII(d)
			if err != nil {
				t.Fatalf("RenderCII: %v", err)
			}
			fx, err := RenderFacturX(d, cii)
			if err != nil {
				t.Fatal(err)
			}
			again, err := RenderFacturX(d, cii)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fx, again) {
				t.Fatal("two renderings of the same Factur-X differ")
			}
			// PDF/A: a 1.x header followed by a comment of four bytes > 127.
			if !bytes.HasPrefix(fx, []byte("%PDF-1.7\n%")) || fx[10] < 128 || fx[11] < 128 || fx[12] < 128 || fx[13] < 128 {
				t.Errorf("header %q is not a PDF/A header", fx[:16])
			}

			ctx, err := api.ReadContext(bytes.NewReader(fx), pdfcpuConfig())
			if err != nil {
				t.Fatalf("pdfcpu cannot read the Factur-X: %v", err)
			}
			if err := api.ValidateContext(ctx); err != nil {
				t.Fatalf("pdfcpu validation: %v", err)
			}
			checkFacturXStructure(t, ctx, d, cii)
			ids[d.Number] = hex.EncodeToString(documentID(d.Number))

			// pdfcpu's own attachment reader finds the same bytes.
			aa, err := api.ExtractAttachmentsRaw(bytes.NewReader(fx), "", []string{FacturXFilename}, pdfcpuConfig())
			if err != nil || len(aa) != 1 {
				t.Fatalf("pdfcpu attachments: %v, %d found", err, len(aa))
			}
			got, _ := io.ReadAll(aa[0])
			if !bytes.Equal(got, cii) {
				t.Error("pdfcpu extracts an attachment that differs from the CII")
			}
			if aa[0].ModTime == nil || !aa[0].ModTime.Equal(pdfDate(d.IssueDate)) {
				t.Errorf("attachment ModTime %v, want the issue date", aa[0].ModTime)
			}

			// poppler's pdfdetach, an independent reader, too.
			dir := t.TempDir()
			run(t, "pdfdetach", "-saveall", "-o", dir, writeTemp(t, "fx.pdf", fx))
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || entries[0].Name() != FacturXFilename {
				t.Fatalf("pdfdetach saved %v, want only %s", entries, FacturXFilename)
			}
			saved, err := os.ReadFile(filepath.Join(dir, FacturXFilename))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(saved, cii) {
				t.Fatal("pdfdetach extracts a factur-x.xml that differs from the CII")
			}
			keep := filepath.Join(keepDir, nd.name+".xml")
			if err := os.WriteFile(keep, saved, 0o644); err != nil {
				t.Fatal(err)
			}
			extracted = append(extracted, keep)

			// Still the human-readable invoice: same text, fonts embedded.
			pdf, err := RenderPDF(d)
			if err != nil {
				t.Fatal(err)
			}
			if extractText(t, fx) != extractText(t, pdf) {
				t.Error("the Factur-X does not read like the PDF")
			}
			checkFontsEmbedded(t, fx)
			// …and named as the subsets they are (ABCDEF+Go-Regular).
			fonts := run(t, "pdffonts", writeTemp(t, "fx.pdf", fx))
			for _, l := range strings.Split(strings.TrimSpace(fonts), "\n")[2:] {
				if f := strings.Fields(l); len(f) < 6 || f[len(f)-4] != "yes" || !regexp.MustCompile(`^[A-Z]{6}\+Go-`).MatchString(f[0]) {
					t.Errorf("font not tagged as a subset: %s", l)
				}
			}
			info := run(t, "pdfinfo", writeTemp(t, "fx.pdf", fx))
			for _, w := range []string{"Encrypted:       no", "Metadata Stream: yes", "PDF version:     1.7", "Title:           " + d.Title() + " " + d.Number} {
				if !strings.Contains(info, w) {
					t.Errorf("pdfinfo lacks %q:\n%s", w, info)
				}
			}
		})
	}
	if len(ids) != len(sampleDocuments(t)) {
		t.Error("two invoices share a document ID")
	}

	// The extracted XML must be a valid EN 16931 invoice.
	if len(extracted) == 0 {
		t.Fatal("nothing extracted")
	}
	cmd := exec.Command(einvoiceValidatePath(t), extracted...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("einvoice-validate rejects the embedded XML: %v\n%s", err, out)
	}
	t.Logf("einvoice-validate: %s", lastLine(string(out)))
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}

// checkFacturXStructure checks, object by object, what PDF/A-3b and
// Factur-X 1.0 require of the file.
func checkFacturXStructure(t *testing.T, ctx *model.Context, d Document, cii []byte) {
	t.Helper()
	x := ctx.XRefTable
	cat, err := x.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Encrypt != nil {
		t.Error("the file is encrypted")
	}
	date := pdfDate(d.IssueDate)

	// Trailer ID, from the invoice number.
	wantID := strings.ToUpper(hex.EncodeToString(documentID(d.Number)))
	if len(x.ID) != 2 {
		t.Fatalf("trailer ID %v", x.ID)
	}
	for _, o := range x.ID {
		if h, ok := o.(types.HexLiteral); !ok || strings.ToUpper(string(h)) != wantID {
			t.Errorf("trailer ID %v, want <%s>", o, wantID)
		}
	}

	// /AF → file specification → embedded file.
	af, err := x.DereferenceArray(cat["AF"])
	if err != nil || len(af) != 1 {
		t.Fatalf("catalog /AF: %v %v", af, err)
	}
	fsRef, ok := af[0].(types.IndirectRef)
	if !ok {
		t.Fatalf("/AF entry %v is not a reference", af[0])
	}
	fs, err := x.DereferenceDict(fsRef)
	if err != nil {
		t.Fatal(err)
	}
	text := func(o types.Object) string {
		s, err := x.DereferenceText(o)
		if err != nil {
			t.Errorf("text %v: %v", o, err)
		}
		return s
	}
	if fs.Type() == nil || *fs.Type() != "Filespec" {
		t.Errorf("file spec type %v", fs.Type())
	}
	if text(fs["F"]) != FacturXFilename || text(fs["UF"]) != FacturXFilename {
		t.Errorf("file spec /F %v /UF %v", fs["F"], fs["UF"])
	}
	if text(fs["Desc"]) == "" {
		t.Error("file spec without /Desc")
	}
	if rel, ok := fs["AFRelationship"].(types.Name); !ok || rel != "Data" {
		t.Errorf("/AFRelationship %v, want /Data", fs["AFRelationship"])
	}
	efd, err := x.DereferenceDict(fs["EF"])
	if err != nil {
		t.Fatal(err)
	}
	sd, _, err := x.DereferenceStreamDict(efd["F"])
	if err != nil || sd == nil {
		t.Fatalf("embedded file stream: %v", err)
	}
	if sub, ok := sd.Dict["Subtype"].(types.Name); !ok || sub != "text/xml" {
		t.Errorf("embedded file /Subtype %v, want /text#2Fxml", sd.Dict["Subtype"])
	}
	params, err := x.DereferenceDict(sd.Dict["Params"])
	if err != nil || params == nil {
		t.Fatalf("embedded file /Params: %v", err)
	}
	if mod, ok := types.DateTime(text(params["ModDate"]), false); !ok || !mod.Equal(date) {
		t.Errorf("/Params /ModDate %v, want %v", params["ModDate"], date)
	}
	if size := params.IntEntry("Size"); size == nil || *size != len(cii) {
		t.Errorf("/Params /Size %v, want %d", params["Size"], len(cii))
	}
	if err := sd.Decode(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd.Content, cii) {
		t.Error("embedded file differs from the CII")
	}

	// The same file spec is in the EmbeddedFiles name tree.
	names, err := x.DereferenceDict(cat["Names"])
	if err != nil {
		t.Fatal(err)
	}
	ef, err := x.DereferenceDict(names["EmbeddedFiles"])
	if err != nil {
		t.Fatal(err)
	}
	leaf := ef.ArrayEntry("Names")
	if len(leaf) != 2 || text(leaf[0]) != FacturXFilename || leaf[1] != fsRef {
		t.Errorf("EmbeddedFiles name tree %v, want [(factur-x.xml) %v]", leaf, fsRef)
	}

	// Output intent with the embedded sRGB profile.
	ois, err := x.DereferenceArray(cat["OutputIntents"])
	if err != nil || len(ois) != 1 {
		t.Fatalf("/OutputIntents %v %v", ois, err)
	}
	oi, err := x.DereferenceDict(ois[0])
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := oi["S"].(types.Name); !ok || s != "GTS_PDFA1" {
		t.Errorf("output intent /S %v", oi["S"])
	}
	if text(oi["OutputConditionIdentifier"]) == "" {
		t.Error("output intent without OutputConditionIdentifier")
	}
	prof, _, err := x.DereferenceStreamDict(oi["DestOutputProfile"])
	if err != nil || prof == nil {
		t.Fatalf("DestOutputProfile: %v", err)
	}
	if n := prof.Dict.IntEntry("N"); n == nil || *n != 3 {
		t.Errorf("ICC /N %v, want 3", prof.Dict["N"])
	}
	if err := prof.Decode(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(prof.Content, SRGBProfile()) {
		t.Error("embedded ICC profile differs")
	}

	// XMP metadata: unfiltered, well-formed, and saying what Info says.
	md, _, err := x.DereferenceStreamDict(cat["Metadata"])
	if err != nil || md == nil {
		t.Fatalf("catalog /Metadata: %v", err)
	}
	if _, ok := md.Dict["Filter"]; ok {
		t.Error("the XMP stream is filtered (PDF/A forbids it)")
	}
	if sub, ok := md.Dict["Subtype"].(types.Name); !ok || sub != "XML" {
		t.Errorf("metadata /Subtype %v", md.Dict["Subtype"])
	}
	if err := md.Decode(); err != nil {
		t.Fatal(err)
	}
	xmp := string(md.Content)
	if err := wellFormedXML([]byte(xmp[strings.Index(xmp, "<x:xmpmeta"):strings.LastIndex(xmp, "<?xpacket")])); err != nil {
		t.Errorf("XMP is not well-formed: %v", err)
	}
	info, err := x.DereferenceDict(*x.Info)
	if err != nil {
		t.Fatal(err)
	}
	xmlText := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	for _, w := range []string{
		"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
		`xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"`,
		"<fx:DocumentType>INVOICE</fx:DocumentType>", "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
		"<fx:Version>1.0</fx:Version>", "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
		"<pdfaExtension:schemas>", "<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>",
		"<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
		`<rdf:li xml:lang="x-default">` + xmlText(text(info["Title"])) + "</rdf:li>",
		"<rdf:li>" + xmlText(text(info["Author"])) + "</rdf:li>",
		`<rdf:li xml:lang="x-default">` + xmlText(text(info["Subject"])) + "</rdf:li>",
		"<pdf:Producer>" + xmlText(text(info["Producer"])) + "</pdf:Producer>",
		"<xmp:CreatorTool>" + xmlText(text(info["Creator"])) + "</xmp:CreatorTool>",
	} {
		if !strings.Contains(xmp, w) {
			t.Errorf("XMP lacks %s", w)
		}
	}
	for key, prop := range map[string]string{"CreationDate": "xmp:CreateDate", "ModDate": "xmp:ModifyDate"} {
		infoDate, ok := types.DateTime(text(info[key]), false)
		if !ok || !infoDate.Equal(date) {
			t.Errorf("Info /%s %v, want %v", key, info[key], date)
		}
		start := strings.Index(xmp, "<"+prop+">")
		end := strings.Index(xmp, "</"+prop+">")
		if start < 0 || end < start {
			t.Errorf("XMP lacks %s", prop)
			continue
		}
		xd, err := time.Parse(time.RFC3339, xmp[start+len(prop)+2:end])
		if err != nil || !xd.Equal(infoDate) {
			t.Errorf("XMP %s %q is not Info /%s %v", prop, xmp[start+len(prop)+2:end], key, infoDate)
		}
	}
	if text(info["Title"]) != d.Title()+" "+d.Number {
		t.Errorf("Info /Title %q", text(info["Title"]))
	}
}

func TestRenderFacturXRejectsBadXML(t *testing.T) {
	d := sampleDocuments(t)[0].doc
	for _, bad := range []string{"", "   ", "not xml", "<rsm:CrossIndustryInvoice>", "<a></b>"} {
		if _, err := RenderFacturX(d, []byte(bad)); err == nil {
			t.Errorf("RenderFacturX accepted %q", bad)
		}
	}
}

// TestSRGBProfile checks the ICC profile built in icc.go: header, tag
// table, the colorants against an independent Bradford adaptation of the
// IEC 61966-2-1 primaries, and the tone curve.
func TestSRGBProfile(t *testing.T) {
	p := SRGBProfile()
	be := binary.BigEndian
	if int(be.Uint32(p)) != len(p) || len(p)%4 != 0 {
		t.Fatalf("size field %d, length %d", be.Uint32(p), len(p))
	}
	if string(p[12:24]) != "mntrRGB XYZ " || string(p[36:40]) != "acsp" || be.Uint32(p[8:]) != 0x02100000 {
		t.Fatalf("header %q", p[:40])
	}
	if !bytes.Equal(p, buildSRGBProfile()) {
		t.Error("the profile is not reproducible")
	}
	s15f := func(b []byte) float64 { return float64(int32(be.Uint32(b))) / 65536 }
	if x, y, z := s15f(p[68:]), s15f(p[72:]), s15f(p[76:]); math.Abs(x-0.9642) > 1e-4 || y != 1 || math.Abs(z-0.8249) > 1e-4 {
		t.Errorf("illuminant %v %v %v", x, y, z)
	}
	tags := map[string][]byte{}
	n := int(be.Uint32(p[128:]))
	for i := range n {
		e := p[132+12*i:]
		off, size := int(be.Uint32(e[4:])), int(be.Uint32(e[8:]))
		if off%4 != 0 || off+size > len(p) {
			t.Fatalf("tag %q at %d+%d", e[:4], off, size)
		}
		tags[string(e[:4])] = p[off : off+size]
	}
	for _, sig := range []string{"desc", "cprt", "wtpt", "rXYZ", "gXYZ", "bXYZ", "rTRC", "gTRC", "bTRC"} {
		if tags[sig] == nil {
			t.Errorf("no %s tag", sig)
		}
	}
	if !strings.Contains(string(tags["desc"]), srgbProfileDescription) {
		t.Error("desc tag lacks the description")
	}

	// Independent derivation: sRGB primaries (x,y) and D65 white to XYZ,
	// then Bradford adaptation to D50.
	xyz := func(x, y float64) [3]float64 { return [3]float64{x / y, 1, (1 - x - y) / y} }
	prim := [3][3]float64{xyz(0.64, 0.33), xyz(0.30, 0.60), xyz(0.15, 0.06)}
	d65 := xyz(0.3127, 0.3290)
	d50 := [3]float64{0.96422, 1, 0.82521}
	// Scale the primaries so that they sum to the D65 white.
	m := [3][3]float64{}
	for i := range 3 {
		for j := range 3 {
			m[i][j] = prim[j][i]
		}
	}
	s := solve3(m, d65)
	bradford := [3][3]float64{{0.8951, 0.2664, -0.1614}, {-0.7502, 1.7135, 0.0367}, {0.0389, -0.0685, 1.0296}}
	src, dst := mul3(bradford, d65), mul3(bradford, d50)
	for k, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		c := [3]float64{prim[k][0] * s[k], prim[k][1] * s[k], prim[k][2] * s[k]}
		cone := mul3(bradford, c)
		for i := range 3 {
			cone[i] *= dst[i] / src[i]
		}
		want := solve3(bradford, cone)
		tag := tags[sig]
		for i := range 3 {
			if got := s15f(tag[8+4*i:]); math.Abs(got-want[i]) > 2e-4 {
				t.Errorf("%s[%d] = %.5f, Bradford gives %.5f", sig, i, got, want[i])
			}
		}
	}

	// Tone curve: 0 → 0, 1 → 1, monotonic, sRGB at mid-grey.
	trc := tags["rTRC"]
	if string(trc[:4]) != "curv" {
		t.Fatalf("TRC type %q", trc[:4])
	}
	count := int(be.Uint32(trc[8:]))
	prev := -1
	for i := range count {
		v := int(be.Uint16(trc[12+2*i:]))
		if v < prev {
			t.Fatalf("TRC decreases at %d", i)
		}
		prev = v
	}
	if be.Uint16(trc[12:]) != 0 || be.Uint16(trc[12+2*(count-1):]) != 65535 {
		t.Error("TRC does not span 0–1")
	}
	mid := float64(be.Uint16(trc[12+2*(count/2):])) / 65535
	if x := float64(count/2) / float64(count-1); math.Abs(mid-math.Pow((x+0.055)/1.055, 2.4)) > 1e-4 {
		t.Errorf("TRC mid value %.5f", mid)
	}
}

func mul3(m [3][3]float64, v [3]float64) [3]float64 {
	var r [3]float64
	for i := range 3 {
		r[i] = m[i][0]*v[0] + m[i][1]*v[1] + m[i][2]*v[2]
	}
	return r
}

// solve3 solves m·x = v by Cramer's rule.
func solve3(m [3][3]float64, v [3]float64) [3]float64 {
	det := func(a [3][3]float64) float64 {
		return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	}
	d := det(m)
	var x [3]float64
	for k := range 3 {
		a := m
		for i := range 3 {
			a[i][k] = v[i]
		}
		x[k] = det(a) / d
	}
	return x
}

func BenchmarkRenderFacturX(b *testing.B) {
	d := sampleDocuments(b)[2].doc
	cii, err := RenderCII(d)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderFacturX(d, cii); err != nil {
			b.Fatal(err)
		}
	}
}

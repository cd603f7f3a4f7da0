package document

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestRenderBatch(t *testing.T) {
	samples := sampleDocuments(t)
	long := longDocument(t)
	for _, c := range []struct {
		name string
		docs []Document
	}{
		{"samples", docsOf(samples)},
		// An odd-length document first, then even and odd ones in a row.
		{"mixed", []Document{samples[0].doc, samples[2].doc, long, samples[4].doc, samples[1].doc}},
		{"single", []Document{samples[3].doc}},
	} {
		t.Run(c.name, func(t *testing.T) {
			batch, err := RenderBatch(c.docs)
			if err != nil {
				t.Fatal(err)
			}
			again, err := RenderBatch(c.docs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(batch, again) {
				t.Error("two renderings of the same batch differ")
			}

			// Expected layout: each document's own page count, padded
			// to start on an odd page.
			var starts []int
			pages, blanks := 0, 0
			for _, d := range c.docs {
				single, err := RenderPDF(d)
				if err != nil {
					t.Fatal(err)
				}
				if pages%2 == 1 {
					pages++
					blanks++
				}
				starts = append(starts, pages+1)
				pages += pageCount(t, single)
			}
			if got := pageCount(t, batch); got != pages {
				t.Fatalf("%d pages, want %d (documents plus %d blank)", got, pages, blanks)
			}

			text := extractText(t, batch)
			if got := strings.Count(text, "Page laissée intentionnellement blanche"); got != blanks {
				t.Errorf("%d blank pages, want %d", got, blanks)
			}
			for i, d := range c.docs {
				if !strings.Contains(text, d.Number) {
					t.Errorf("invoice %s missing", d.Number)
				}
				if starts[i]%2 != 1 {
					t.Fatalf("test bug: start %d", starts[i])
				}
				// The document's first page is where the batch says.
				first := extractText(t, batch, "-f", strconv.Itoa(starts[i]), "-l", strconv.Itoa(starts[i]))
				if !strings.Contains(first, "N° "+d.Number) || !strings.Contains(first, "Page 1/") {
					t.Errorf("page %d is not the first page of %s: %.200s", starts[i], d.Number, first)
				}
				if !strings.Contains(first, fmt.Sprintf("%s n° %s", d.Title(), d.Number)) {
					t.Errorf("page %d lacks the footer of %s", starts[i], d.Number)
				}
			}
			checkFontsEmbedded(t, batch)
		})
	}
}

func docsOf(nds []namedDocument) []Document {
	var out []Document
	for _, nd := range nds {
		out = append(out, nd.doc)
	}
	return out
}

func TestRenderBatchRejects(t *testing.T) {
	if _, err := RenderBatch(nil); err == nil {
		t.Error("an empty batch was rendered")
	}
	d := sampleDocuments(t)[0].doc
	d.Number = ""
	if _, err := RenderBatch([]Document{sampleDocuments(t)[1].doc, d}); err == nil {
		t.Error("a batch with an invalid document was rendered")
	}
}

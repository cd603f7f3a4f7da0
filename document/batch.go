package document

import (
	"errors"
	"fmt"
	"strings"
)

// RenderBatch renders the postal invoices of a run as one PDF for the
// print shop, in the order given. Each document keeps its own "Page i/n"
// numbering, and each starts on an odd page: when the previous one ended
// on an odd page, a blank page (marked as intentionally blank) is inserted,
// so that with duplex printing every document starts on the front of a
// fresh sheet and its sheets can go into its envelope without another's.
func RenderBatch(docs []Document) ([]byte, error) {
	if len(docs) == 0 {
		return nil, errors.New("render batch: no document")
	}
	latest := docs[0].IssueDate
	numbers := make([]string, 0, len(docs))
	for _, d := range docs {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("render batch: %w", err)
		}
		if d.IssueDate.After(latest) {
			latest = d.IssueDate
		}
		numbers = append(numbers, d.Number)
	}
	c := newCanvas(pdfMeta{
		title:   fmt.Sprintf("Lot d'impression : %d document(s)", len(docs)),
		author:  docs[0].Seller.Name,
		subject: strings.Join(numbers, ", "),
		// The batch is dated by its latest invoice, never by the clock.
		date: latest,
	})
	for _, d := range docs {
		if c.pdf.PageCount()%2 == 1 {
			c.blankPage()
		}
		c.drawDocument(d)
	}
	return c.output()
}

// blankPage adds the back of a sheet, saying it is blank on purpose.
func (c *canvas) blankPage() {
	c.pdf.AddPage()
	c.font(styleItalic, 8)
	c.textColor(colMuted)
	c.text(pageW/2, pageH/2, "Page laissée intentionnellement blanche", alignCenter)
}

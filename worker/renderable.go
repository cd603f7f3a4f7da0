package worker

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/store"
)

// ErrUnrenderable marks an invoice whose document cannot be built or
// rendered from what the books hold (a field over its length limit, a
// missing address…): no retry fixes it, the books must be corrected, and it
// is found before a number is taken.
var ErrUnrenderable = errors.New("the invoice cannot be rendered, no number taken")

// provisionalCII is the CII of an invoice rendered before its number was
// taken, under a provisional number.
type provisionalCII struct {
	number string
	xml    []byte
	// renumberable says the provisional number is written once, as the
	// document's own identifier, and nothing else was derived from it (an
	// attachment names the invoice and carries it inside its encoded
	// content): the CII of the numbered invoice is then this one with the
	// number replaced, byte for byte.
	renumberable bool
}

// numbered is the CII of the invoice once numbered, when it can be had
// exactly from the provisional one; ok false means render it again.
func (c provisionalCII) numbered(number string) (xml []byte, ok bool) {
	if !c.renumberable {
		return nil, false
	}
	return bytes.Replace(c.xml, []byte(c.number), []byte(number), 1), true
}

// checkRenderable is the rule that nothing is numbered that cannot be
// rendered: before a number is taken, the invoice a draft makes is built
// under a provisional number of the longest length (store.Draft.Provisional)
// and rendered as the CII deposited on Chorus Pro, by the same builder and
// renderer as after numbering — not a second validator. orig is the invoice
// a credit note corrects, nil otherwise. The error wraps ErrUnrenderable.
//
// It also fixes the parties the invoice will state (d.Parties, when not set
// already: the issuer and the establishment as they are now), so that what
// is checked here is what finalisation freezes and every later rendering
// shows.
func checkRenderable(is document.Issuer, d *store.Draft, est store.Establishment, orig *store.Invoice) (provisionalCII, error) {
	if d.Parties == nil {
		d.Parties = partiesOf(is, est)
	}
	inv, err := d.Provisional()
	var (
		doc document.Document
		xml []byte
	)
	if err == nil {
		if doc, err = buildDocument(is, inv, est, orig); err == nil {
			xml, err = document.Render(doc, document.FormatCII)
		}
	}
	if err != nil {
		return provisionalCII{}, fmt.Errorf("%w: %s %d for %s: %w", ErrUnrenderable, d.Kind, d.Year, est.SIRET, err)
	}
	id := []byte("<ram:ID>" + inv.Number + "</ram:ID>")
	return provisionalCII{number: inv.Number, xml: xml,
		renumberable: len(doc.Attachments) == 0 && bytes.Count(xml, []byte(inv.Number)) == 1 && bytes.Count(xml, id) == 1}, nil
}

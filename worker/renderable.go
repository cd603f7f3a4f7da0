package worker

import (
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

// checkRenderable is the rule that nothing is numbered that cannot be
// rendered: before a number is taken, the invoice a draft makes is built
// under a provisional number of the longest length (store.Draft.Provisional)
// and rendered as the CII deposited on Chorus Pro, by the same builder and
// renderer as after numbering — not a second validator. orig is the invoice
// a credit note corrects, nil otherwise. The error wraps ErrUnrenderable.
func checkRenderable(is document.Issuer, d store.Draft, est store.Establishment, orig *store.Invoice) error {
	inv, err := d.Provisional()
	if err == nil {
		var doc document.Document
		if doc, err = buildDocument(is, inv, est, orig); err == nil {
			_, err = document.Render(doc, document.FormatCII)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s %d for %s: %w", ErrUnrenderable, d.Kind, d.Year, est.SIRET, err)
	}
	return nil
}

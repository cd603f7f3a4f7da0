package store

import (
	"encoding/json"
	"fmt"

	"github.com/chorusbill/chorusbill/document"
)

// Parties is what an invoice says of who issues it and who owes it, frozen
// when it is finalised and written by the same INSERT as its number and
// figures (column parties_json, immutable as they are): the seller's
// identity, address, VAT number, contact and bank account, the buyer's
// identity and postal address, and the convention's reference. Every later
// rendering reads them from here, so a re-import of the establishments or a
// change of the issuer's configuration never changes an issued invoice.
// The late-payment regime, code service and engagement are columns of the
// invoice already.
//
// It is kept as one JSON text rather than a score of columns: it is read
// and written whole, never queried field by field; the immutability trigger
// guards one column; a field added later (a second contact, a country) needs
// no migration; and a TEXT column gives back the bytes written (JSONB would
// not), which the byte-identical renderings rely on.
type Parties struct {
	// Version is the snapshot's layout, 1 for this one.
	Version    int                  `json:"version"`
	Seller     document.Party       `json:"seller"`
	Bank       document.BankAccount `json:"bank"`
	Buyer      document.Party       `json:"buyer"`
	Contract   string               `json:"contract,omitempty"`
	Convention document.Convention  `json:"convention"`
}

// PartiesVersion is the layout of the Parties written now.
const PartiesVersion = 1

// marshalParties is the column's value: NULL for a draft without parties
// (tests and tools that finalise without an issuer).
func marshalParties(p *Parties) (*string, error) {
	if p == nil {
		return nil, nil
	}
	q := *p
	if q.Version == 0 {
		q.Version = PartiesVersion
	}
	b, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("parties: %w", err)
	}
	s := string(b)
	return &s, nil
}

// unmarshalParties reads the column; NULL is an invoice finalised before
// the parties were frozen (nil, nil).
func unmarshalParties(s *string) (*Parties, error) {
	if s == nil {
		return nil, nil
	}
	var p Parties
	if err := json.Unmarshal([]byte(*s), &p); err != nil {
		return nil, fmt.Errorf("parties: %w", err)
	}
	if p.Version != PartiesVersion {
		return nil, fmt.Errorf("parties: unknown layout version %d", p.Version)
	}
	return &p, nil
}

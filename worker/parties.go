package worker

import (
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/store"
)

// partiesOf is what an invoice finalised now states of its seller, buyer
// and convention: the issuer's configuration and the establishment as the
// books hold them today. Finalisation freezes it with the invoice
// (store.Draft.Parties); nothing later reads the live values again, except
// for an invoice finalised before the parties were frozen.
func partiesOf(is document.Issuer, est store.Establishment) *store.Parties {
	return &store.Parties{
		Version: store.PartiesVersion,
		Seller:  is.Seller, Bank: is.Bank,
		Buyer: document.Party{Name: est.Name, SIRET: est.SIRET,
			Address: document.Address{Line1: est.AddressLine1, Line2: est.AddressLine2, Postcode: est.Postcode, City: est.City}},
		Contract: is.ContractReference(), Convention: is.Convention,
	}
}

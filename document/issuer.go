package document

import (
	"bytes"
	"fmt"

	"github.com/chorusbill/chorusbill/invoice"
	"go.yaml.in/yaml/v3"
)

// Issuer is who issues the invoices: the seller's identity and bank account,
// and the convention invoices bill under.
type Issuer struct {
	Seller Party       `yaml:"seller"`
	Bank   BankAccount `yaml:"bank"`
	// Convention is the convention's reference: its number is the contract
	// reference (BT-12) and its deliberation is stated on every document.
	Convention Convention `yaml:"convention"`
	// Contract is the contract reference (BT-12) of an issuer file that
	// names no convention (files written before convention existed).
	Contract string `yaml:"contract"`
	// SIRETScheme is how the CII identifies the parties' SIRET (see
	// SIRETScheme): a setting of the deployment (CHORUS_SIRET_SCHEME, read
	// by internal/app), not of the issuer file, copied into each Document.
	SIRETScheme SIRETScheme `yaml:"-"`
}

// ContractReference is the contract reference the invoices carry (BT-12):
// the convention's number, else the older contract field.
func (is Issuer) ContractReference() string {
	if is.Convention.Number != "" {
		return is.Convention.Number
	}
	return is.Contract
}

// ParseIssuer reads and checks an issuer file (fixtures/issuer.yaml is the
// embedded default): a SIRET and an IBAN with valid check digits, a full
// postal address, the convention's reference (number, deliberation and its
// date; an older file may name only a contract).
func ParseIssuer(name string, data []byte) (Issuer, error) {
	var is Issuer
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&is); err != nil {
		return is, fmt.Errorf("%s: %w", name, err)
	}
	siret, err := invoice.ValidateSIRET(is.Seller.SIRET)
	if err != nil {
		return is, fmt.Errorf("%s: seller.siret: %w", name, err)
	}
	is.Seller.SIRET = siret
	if is.Bank.IBAN, err = invoice.ValidateIBAN(is.Bank.IBAN); err != nil {
		return is, fmt.Errorf("%s: bank.iban: %w", name, err)
	}
	a := is.Seller.Address
	switch {
	case is.Seller.Name == "":
		return is, fmt.Errorf("%s: seller.name is required", name)
	case a.Line1 == "" || a.Postcode == "" || a.City == "":
		return is, fmt.Errorf("%s: seller.address needs line1, postcode and city", name)
	case is.Bank.BIC == "":
		return is, fmt.Errorf("%s: bank.bic is required", name)
	case is.Convention.IsZero() && is.Contract == "":
		return is, fmt.Errorf("%s: convention is required (number, deliberation, deliberation_date)", name)
	}
	if !is.Convention.IsZero() {
		if err := is.Convention.check(); err != nil {
			return is, fmt.Errorf("%s: %w", name, err)
		}
	}
	return is, nil
}

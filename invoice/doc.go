// Package invoice is the money model of an invoice: its lines, VAT and
// totals with their rounding, kinds and numbering series, lifecycle states,
// SIRET and IBAN checks, late-payment interest and the rate tables it reads,
// and the rows of an overage's usage statement as data. It is pure: no I/O
// beyond parsing the bytes it is handed. How an invoice is shown (CII, UBL,
// PDF, Factur-X, the statement's CSV) is package document's.
package invoice

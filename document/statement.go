package document

import (
	"bytes"
	"encoding/csv"
	"fmt"

	"github.com/chorusbill/chorusbill/invoice"
)

// StatementCSV renders the usage statement (justificatif) of an overage
// invoice as a CSV file for the buyer's spreadsheet: one row per service
// observed, with the allowance, the quantity observed over the year, the
// quantity beyond it, the block size, the blocks billed, the price and the
// amount — the same figures as the invoice's lines. Separator ';' and
// decimal comma, as French spreadsheets expect; UTF-8 with a BOM so that
// spreadsheet programs read the accents right.
func StatementCSV(d Document) ([]byte, error) {
	if len(d.Statement) == 0 {
		return nil, fmt.Errorf("invoice %s has no usage statement", d.Number)
	}
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.Comma = ';'
	comma := func(s string) string { return frenchDecimal(s) }
	rows := [][]string{{"facture", "service", "libelle", "unite", "inclus", "consomme", "au_dela", "taille_bloc", "blocs_factures", "prix_unitaire_ht", "montant_ht"}}
	for _, r := range d.Statement {
		rows = append(rows, []string{d.Number, r.Code, r.Label, r.Unit,
			comma(r.Usage.Allowance.String()), comma(r.Usage.Observed.String()), comma(r.Usage.Excess.String()),
			comma(r.Usage.BlockSize.String()), fmt.Sprint(r.Usage.Blocks), comma(invoice.Format(r.UnitPrice)), comma(invoice.Format(r.Amount))})
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("statement of %s: %w", d.Number, err)
	}
	return b.Bytes(), nil
}

// StatementAttachment is the statement as an attachment of the invoice XML
// (BG-24), named after the invoice.
func StatementAttachment(d Document) (Attachment, error) {
	content, err := StatementCSV(d)
	if err != nil {
		return Attachment{}, err
	}
	return Attachment{
		ID:          "RELEVE-" + d.Number,
		Description: "Relevé des consommations (justificatif du dépassement des périmètres d'usage)",
		Filename:    "releve-" + d.Number + ".csv",
		MimeType:    "text/csv",
		Content:     content,
	}, nil
}

// frenchDecimal swaps the decimal point for a comma.
func frenchDecimal(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '.' {
			out[i] = ','
		}
	}
	return string(out)
}

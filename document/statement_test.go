package document

import (
	"testing"

	"github.com/chorusbill/chorusbill/invoice"
)

func TestStatementCSV(t *testing.T) {
	var overage Document
	for _, nd := range sampleDocuments(t) {
		if nd.doc.Kind == invoice.KindOverage {
			overage = nd.doc
		}
	}
	got, err := StatementCSV(overage)
	if err != nil {
		t.Fatal(err)
	}
	want := "\ufefffacture;service;libelle;unite;inclus;consomme;au_dela;taille_bloc;blocs_factures;prix_unitaire_ht;montant_ht\n" +
		"OV2026-000001;parapheur-circuits;Parapheur électronique : circuits de signature;circuit;10;9;0;1;0;60,00;0,00\n" +
		"OV2026-000001;partage-storage;Espace collaboratif : stockage;Go;200;236,5;36,5;10;4;15,00;60,00\n" +
		"OV2026-000001;signature-sms;Signature en ligne : SMS;SMS;200;1250;1050;1;1050;0,10;105,00\n"
	if string(got) != want {
		t.Errorf("statement =\n%s\nwant\n%s", got, want)
	}
	a, err := StatementAttachment(overage)
	if err != nil || a.Filename != "releve-OV2026-000001.csv" || a.MimeType != "text/csv" || string(a.Content) != want {
		t.Errorf("attachment = %+v, %v", a, err)
	}
	if _, err := StatementCSV(Document{Number: "CT2025-000001"}); err == nil {
		t.Error("statement of a contribution accepted")
	}
}

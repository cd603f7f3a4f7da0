package document

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
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

// The statement of usage at the largest quantity a service may have
// (tariff.MaxQuantity): every block count and amount exactly as computed,
// none wrapped round to a negative figure, in the CSV and on the PDF page.
func TestStatementAtLargestQuantity(t *testing.T) {
	data, err := os.ReadFile("../fixtures/deliberations/2025-2029.yaml")
	if err != nil {
		t.Fatal(err)
	}
	delib, err := tariff.ParseDeliberation("2025-2029.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	most := decimal.NewFromInt(tariff.MaxQuantity)
	q, err := delib.Overage(tariff.Establishment{Offer: tariff.OfferBouquet, Headcount: 30, Existing: true}, 2025,
		map[string]decimal.Decimal{"signature-sms": most, "partage-storage": most, "opendata-docs": most})
	if err != nil {
		t.Fatal(err)
	}
	d := base(invoice.KindOverage, "OV2026-000009", sampleBuyer("Centre hospitalier de l'Exemple", "26350012600010"))
	d.IssueDate, d.DueDate = date(2026, time.February, 10), date(2026, time.March, 12)
	d.PeriodStart, d.PeriodEnd = q.From, q.To
	d.Lines, d.Statement = q.Lines, q.Statement
	d = withTotals(d)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := StatementCSV(d)
	if err != nil {
		t.Fatal(err)
	}
	want := "\ufefffacture;service;libelle;unite;inclus;consomme;au_dela;taille_bloc;blocs_factures;prix_unitaire_ht;montant_ht\n" +
		"OV2026-000009;partage-storage;Espace collaboratif : stockage;Go;100;1000000000000;999999999900;10;99999999990;15,00;1499999999850,00\n" +
		"OV2026-000009;signature-sms;Signature en ligne : SMS;SMS;200;1000000000000;999999999800;1;999999999800;0,10;99999999980,00\n" +
		"OV2026-000009;opendata-docs;Publication open data : documents;document;2500;1000000000000;999999997500;1000;999999998;25,00;24999999950,00\n"
	if string(got) != want {
		t.Errorf("statement =\n%s\nwant\n%s", got, want)
	}
	if ht := d.Totals.HT.StringFixed(2); ht != "1624999999780.00" {
		t.Errorf("total HT %s", ht)
	}
	// On the PDF the widest figures wrap inside their narrow columns; the
	// total, on a line of its own, shows whole, and no figure is negative.
	pdf, err := RenderPDF(d)
	if err != nil {
		t.Fatal(err)
	}
	page2 := extractText(t, pdf, "-f", "2", "-l", "2")
	if w := "Total des dépassements HT 1 624 999 999 780,00 €"; !strings.Contains(page2, w) {
		t.Errorf("statement page lacks %q:\n%s", w, page2)
	}
	if m := regexp.MustCompile(`(?:^|\s)-\s*\d`).FindString(page2); m != "" {
		t.Errorf("statement page shows a negative figure %q:\n%s", m, page2)
	}
}

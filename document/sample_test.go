package document

import (
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// The representative set every rendering is tested on: all kinds, with and
// without buyer references, a credit note, a prorated first year, a zero-VAT
// line, an overage with its statement attached.

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func sampleSeller() Party {
	return Party{
		Name: "Syndicat mixte Mégalis Bretagne", SIRET: "25351449100047", VATNumber: "FR47253514491",
		Address: Address{Line1: "ZAC des Champs Blancs", Line2: "15 rue Claude Chappe", Postcode: "35510", City: "Cesson-Sévigné"},
		Email:   "facturation@megalis.bretagne.bzh", Phone: "02 99 12 50 50",
	}
}

func sampleBuyer(name, siret string) Party {
	return Party{Name: name, SIRET: siret, Address: Address{Line1: "Place de la Mairie", Line2: "BP 12", Postcode: "35700", City: "Rennes"}}
}

func mustLine(t testing.TB, code, label, qty, unit, price, base string, vat invoice.VATRate) invoice.Line {
	t.Helper()
	l, err := invoice.NewLine(code, label, decimal.RequireFromString(qty), unit, decimal.RequireFromString(price), decimal.RequireFromString(base), vat)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type namedDocument struct {
	name string
	doc  Document
}

func standardVAT() invoice.VATRate {
	return invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)}
}

func outOfScopeVAT() invoice.VATRate {
	return invoice.VATRate{Category: invoice.VATOutOfScope, Percent: decimal.Zero,
		Mention: "TVA non applicable — indemnité hors du champ d'application de la TVA"}
}

func withTotals(d Document) Document {
	d.Totals = invoice.ComputeTotals(d.Lines)
	d.PaidAmount = decimal.Zero
	return d
}

func base(kind invoice.Kind, number string, buyer Party) Document {
	issue := date(2025, time.January, 15)
	return Document{
		Kind: kind, Number: number, IssueDate: issue, DueDate: issue.AddDate(0, 0, 30),
		Seller: sampleSeller(), Buyer: buyer, Contract: "MEGALIS-CONV-2025-2029",
		Bank:              BankAccount{IBAN: "FR7630001000640000035200079", BIC: "BDFEFRPPCCT", Holder: "Mégalis Bretagne"},
		PaymentTerms:      "Paiement à 30 jours par virement, à réception de la facture.",
		LatePaymentClause: LatePaymentClause(invoice.RegimeLegal),
		RecoveryClause:    RecoveryClause(invoice.RegimeLegal),
		DiscountClause:    DiscountClause(),
	}
}

func sampleDocuments(t testing.TB) []namedDocument {
	t.Helper()
	var out []namedDocument

	// A prorated first year (9 months), with both buyer references.
	d := base(invoice.KindContribution, "CT2025-000001", sampleBuyer("Commune de Rennes-Exemple", "21350238800019"))
	d.BuyerReference, d.PurchaseOrder = "SERV-FIN-01", "EJ-2025-004512"
	d.PeriodStart, d.PeriodEnd = date(2025, time.April, 1), date(2025, time.December, 31)
	d.Lines = []invoice.Line{mustLine(t, "contribution-bouquet", "Contribution 2025 — Bouquet de services (20 à 49 agents), avril à décembre 2025 (9 mois sur 12)", "9", invoice.UnitMonth, "2012.50", "12", standardVAT())}
	out = append(out, namedDocument{"contribution-prorated-with-references", withTotals(d)})

	// A whole year, no references.
	d = base(invoice.KindContribution, "CT2025-000002", sampleBuyer("Collège Anne de Bretagne", "21290019500018"))
	d.PeriodStart, d.PeriodEnd = date(2025, time.January, 1), date(2025, time.December, 31)
	d.Lines = []invoice.Line{mustLine(t, "contribution-bouquet", "Contribution 2025 — Bouquet de services (plus de 100 agents), année 2025 (12 mois)", "12", invoice.UnitMonth, "5175.00", "12", standardVAT())}
	out = append(out, namedDocument{"contribution-full-year", withTotals(d)})

	// Overage of 2024 billed in 2025, with its statement.
	d = base(invoice.KindOverage, "OV2026-000001", sampleBuyer("Centre hospitalier de l'Exemple", "26350012600010"))
	d.IssueDate, d.DueDate = date(2026, time.February, 10), date(2026, time.March, 12)
	d.BuyerReference = "DAF-MARCHES"
	d.PeriodStart, d.PeriodEnd = date(2025, time.January, 1), date(2025, time.December, 31)
	storage := mustLine(t, "partage-storage", "Dépassement 2025 — Espace collaboratif : stockage : 236.5 Go consommés pour 200 Go inclus, 4 blocs de 10 Go entamés", "4", invoice.UnitOne, "15.00", "1", standardVAT())
	storage.Usage = &invoice.Usage{Observed: decimal.RequireFromString("236.5"), Allowance: decimal.NewFromInt(200), Excess: decimal.RequireFromString("36.5"), BlockSize: decimal.NewFromInt(10), Blocks: 4}
	sms := mustLine(t, "signature-sms", "Dépassement 2025 — Signature en ligne : SMS : 1250 SMS consommés pour 200 SMS inclus, 1050 SMS au-delà", "1050", invoice.UnitOne, "0.10", "1", standardVAT())
	sms.Usage = &invoice.Usage{Observed: decimal.NewFromInt(1250), Allowance: decimal.NewFromInt(200), Excess: decimal.NewFromInt(1050), BlockSize: decimal.NewFromInt(1), Blocks: 1050}
	d.Lines = []invoice.Line{storage, sms}
	d.Statement = []invoice.StatementRow{
		{Code: "parapheur-circuits", Label: "Parapheur électronique : circuits de signature", Unit: "circuit", Usage: invoice.Usage{Observed: decimal.NewFromInt(9), Allowance: decimal.NewFromInt(10), Excess: decimal.Zero, BlockSize: decimal.NewFromInt(1)}, UnitPrice: decimal.RequireFromString("60.00"), Amount: decimal.Zero},
		{Code: "partage-storage", Label: "Espace collaboratif : stockage", Unit: "Go", Usage: *storage.Usage, UnitPrice: decimal.RequireFromString("15.00"), Amount: storage.Amount},
		{Code: "signature-sms", Label: "Signature en ligne : SMS", Unit: "SMS", Usage: *sms.Usage, UnitPrice: decimal.RequireFromString("0.10"), Amount: sms.Amount},
	}
	d.Attachments = []Attachment{{ID: "RELEVE-OV2026-000001", Description: "Relevé des consommations 2025", Filename: "releve-OV2026-000001.csv", MimeType: "text/csv",
		Content: []byte("service;unite;inclus;consomme;au_dela;bloc;blocs;prix;montant\npartage-storage;Go;200;236.5;36.5;10;4;15.00;60.00\n")}}
	out = append(out, namedDocument{"overage-with-statement", withTotals(d)})

	// Late-payment interest: outside the scope of VAT (a zero-VAT line).
	d = base(invoice.KindInterest, "IN2025-000001", sampleBuyer("Commune de Rennes-Exemple", "21350238800019"))
	d.IssueDate, d.DueDate = date(2025, time.October, 15), date(2025, time.November, 14)
	d.BuyerReference = "SERV-FIN-01"
	d.PeriodStart, d.PeriodEnd = date(2025, time.March, 1), date(2025, time.September, 30)
	d.Notes = []string{"Intérêts de retard sur la facture CT2025-000001 du 15/01/2025, échue le 14/02/2025, payée le 30/09/2025."}
	d.Lines = []invoice.Line{mustLine(t, "interest-legal", "Intérêts au taux légal sur 1 811,26 € du 01/03/2025 au 30/09/2025 (214 jours)", "1", invoice.UnitOne, "35.06", "1", outOfScopeVAT())}
	out = append(out, namedDocument{"interest-outside-vat", withTotals(d)})

	// A credit note cancelling part of an invoice after a termination.
	d = base(invoice.KindCreditNote, "AV2026-000001", sampleBuyer("Collège Anne de Bretagne", "21290019500018"))
	d.IssueDate, d.DueDate = date(2026, time.March, 2), date(2026, time.March, 2)
	d.PeriodStart, d.PeriodEnd = date(2026, time.July, 1), date(2026, time.December, 31)
	d.Preceding = &PrecedingInvoice{Number: "CT2026-000002", IssueDate: date(2026, time.January, 15)}
	d.Notes = []string{"Avoir sur la facture CT2026-000002 du 15/01/2026 : résiliation au 30/06/2026."}
	d.Lines = []invoice.Line{mustLine(t, "contribution-bouquet", "Annulation de la contribution 2026 de juillet à décembre (6 mois sur 12)", "6", invoice.UnitMonth, "5175.00", "12", standardVAT())}
	out = append(out, namedDocument{"credit-note", withTotals(d)})

	for _, nd := range out {
		if err := nd.doc.Validate(); err != nil {
			t.Fatalf("%s: %v", nd.name, err)
		}
	}
	return out
}

func TestSampleDocumentsAreValid(t *testing.T) {
	docs := sampleDocuments(t)
	if len(docs) != 5 {
		t.Fatalf("%d sample documents", len(docs))
	}
	d := docs[0].doc
	d.Totals.HT = d.Totals.HT.Add(decimal.NewFromInt(1))
	if err := d.Validate(); err == nil {
		t.Error("a document whose totals differ from its lines passed")
	}
	d = docs[4].doc
	d.Preceding = nil
	if err := d.Validate(); err == nil {
		t.Error("a credit note without its invoice passed")
	}
}

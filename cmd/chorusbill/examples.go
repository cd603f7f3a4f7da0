package main

import (
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// demoCase is one typical establishment of quote --examples.
type demoCase struct {
	title string
	kind  invoice.Kind
	year  int
	e     tariff.Establishment
	usage map[string]string
}

func demoCases() []demoCase {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	return []demoCase{
		{"Collège, 45 agents, utilisateur avant 2025", invoice.KindContribution, 2025,
			tariff.Establishment{Offer: tariff.OfferBouquet, Headcount: 45, Existing: true}, nil},
		{"Commune, 12 agents, convention reçue le 15/03/2025 (première année proratisée)", invoice.KindContribution, 2025,
			tariff.Establishment{Offer: tariff.OfferBouquet, Headcount: 12, Received: d("2025-03-15")}, nil},
		{"Centre hospitalier, 320 agents, résiliation reçue le 10/03/2027", invoice.KindContribution, 2027,
			tariff.Establishment{Offer: tariff.OfferBouquet, Headcount: 320, Existing: true, TerminationReceived: d("2027-03-10")}, nil},
		{"Syndicat d'eau, télétransmission seule, 4 agents", invoice.KindContribution, 2026,
			tariff.Establishment{Offer: tariff.OfferTeletransmission, Headcount: 4, Existing: true}, nil},
		{"Association foncière, télétransmission seule, sans agent", invoice.KindContribution, 2026,
			tariff.Establishment{Offer: tariff.OfferTeletransmission, Headcount: 0, Existing: true}, nil},
		{"Communauté de communes, 80 agents, consommations 2025", invoice.KindOverage, 2025,
			tariff.Establishment{Offer: tariff.OfferBouquet, Headcount: 80, Existing: true},
			map[string]string{"partage-storage": "236.5", "signature-sms": "1250", "parapheur-circuits": "9", "backup-storage": "730"}},
	}
}

// printExamples prints the quotes of a few typical establishments.
func printExamples(c *cli, delib string) error {
	cat, err := c.catalog(delib)
	if err != nil {
		return err
	}
	for i, dc := range demoCases() {
		var q tariff.Quote
		if dc.kind == invoice.KindOverage {
			usage := map[string]decimal.Decimal{}
			for k, v := range dc.usage {
				usage[k] = decimal.RequireFromString(v)
			}
			q, err = cat.Overage(dc.e, dc.year, usage)
		} else {
			q, err = cat.Contribution(dc.e, dc.year)
		}
		if err != nil {
			return fmt.Errorf("example %q: %w", dc.title, err)
		}
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		fmt.Fprintf(c.stdout, "━━ %s\n", dc.title)
		writeQuote(c.stdout, q)
	}
	return nil
}

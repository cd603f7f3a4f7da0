package store

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/document"
)

func sampleParties(buyer string) *Parties {
	return &Parties{
		Seller: document.Party{Name: "Syndicat mixte Mégalis Bretagne", SIRET: "25351449100047", VATNumber: "FR47253514491",
			Address: document.Address{Line1: "15 rue Claude Chappe", Postcode: "35510", City: "Cesson-Sévigné"}, Email: "facturation@example.fr"},
		Bank:     document.BankAccount{IBAN: "FR7630001000640000035200079", BIC: "BDFEFRPPCCT", Holder: "Mégalis"},
		Buyer:    document.Party{Name: buyer, SIRET: "73282932000074", Address: document.Address{Line1: "1 place de la Mairie", Postcode: "29000", City: "Quimper"}},
		Contract: "2025-004", Convention: document.Convention{Number: "2025-004", Deliberation: "2024-33", DeliberationDate: "2024-11-15"},
	}
}

// The parties are written by the finalising INSERT, one by one and in a
// batch, read back as written, and the database refuses to change them;
// an invoice finalised without them reads as not frozen.
func TestPartiesFrozenAtFinalisation(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		a := addEstablishment(t, s, "73282932000074")
		b := addEstablishment(t, s, "21350238800013")
		c := addEstablishment(t, s, "21290019700011")

		d := contributionDraft(t, a, 2025, 12)
		d.Parties = sampleParties("Commune d'Ergué-Gabéric")
		one, _, err := s.Finalise(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		db, dc := contributionDraft(t, b, 2025, 12), contributionDraft(t, c, 2025, 12)
		db.Parties = sampleParties("Collège Jean Moulin")
		many, _, err := s.FinaliseMany(ctx, []Draft{db, dc})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			inv  Invoice
			want *Parties
		}{{one, d.Parties}, {many[0], db.Parties}, {many[1], nil}} {
			for _, inv := range []Invoice{tt.inv, mustInvoice(t, s, tt.inv.ID)} {
				p, frozen, err := inv.FrozenParties()
				if err != nil || frozen != (tt.want != nil) {
					t.Fatalf("%s: frozen %v, %v", inv.Number, frozen, err)
				}
				if tt.want != nil {
					want := *tt.want
					want.Version = PartiesVersion
					if !reflect.DeepEqual(p, want) {
						t.Errorf("%s: parties %+v, want %+v", inv.Number, p, want)
					}
				}
			}
		}
		if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE invoices SET parties_json = ? WHERE id = ?`), `{"version":1}`, one.ID); err == nil ||
			!strings.Contains(err.Error(), "chorusbill:") {
			t.Errorf("update of the frozen parties: err = %v", err)
		}
		// Not even the parties of an invoice that had none can be added later.
		if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE invoices SET parties_json = ? WHERE id = ?`), `{"version":1}`, many[1].ID); err == nil {
			t.Error("parties added to an invoice finalised without them")
		}
	})
}

func mustInvoice(t *testing.T, s *Store, id int64) Invoice {
	t.Helper()
	inv, err := s.InvoiceByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

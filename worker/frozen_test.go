package worker

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// The golden rule of an issued invoice: its CII, UBL, PDF and Factur-X
// rendered after a re-import of the establishments (new name and address)
// and a change of the issuer's configuration are byte for byte those
// rendered when it was issued, for the one-invoice and the batch
// finalisation; only an invoice finalised without frozen parties (before
// migration 0014) follows the live books.
func TestIssuedInvoiceRendersIdenticallyAfterChanges(t *testing.T) {
	ctx := context.Background()
	cat := catalog(t)
	const siret = "21299951000010" // Commune de Plougastel-Daoulas, first of the sample
	formats := []string{document.FormatCII, document.FormatUBL, document.FormatPDF, document.FormatFacturX}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		loadSample(t, s)
		is := issuer(t)
		est := establishmentBySIRET(t, s, siret)
		issueDate := time.Date(2026, time.January, 12, 0, 0, 0, 0, time.UTC)

		// Through the issuing path: the render check freezes the parties.
		q, err := quote(ctx, s, cat, est, 2026, invoice.KindContribution)
		if err != nil {
			t.Fatal(err)
		}
		d := draft(est, 2026, invoice.KindContribution, issueDate, q, store.References{}, nil, "test")
		if _, err := checkRenderable(is, &d, est, nil); err != nil {
			t.Fatal(err)
		}
		single, _, err := s.Finalise(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		batchEst := establishmentBySIRET(t, s, "19290263300010")
		bq, err := quote(ctx, s, cat, batchEst, 2026, invoice.KindContribution)
		if err != nil {
			t.Fatal(err)
		}
		bd := draft(batchEst, 2026, invoice.KindContribution, issueDate, bq, store.References{}, nil, "test")
		if _, err := checkRenderable(is, &bd, batchEst, nil); err != nil {
			t.Fatal(err)
		}
		batch, _, err := s.FinaliseMany(ctx, []store.Draft{bd})
		if err != nil {
			t.Fatal(err)
		}
		// An invoice finalised without parties, as before migration 0014.
		legacyEst := establishmentBySIRET(t, s, "19560820300012")
		lq, err := quote(ctx, s, cat, legacyEst, 2026, invoice.KindContribution)
		if err != nil {
			t.Fatal(err)
		}
		legacy, _, err := s.Finalise(ctx, draft(legacyEst, 2026, invoice.KindContribution, issueDate, lq, store.References{}, nil, "test"))
		if err != nil {
			t.Fatal(err)
		}

		render := func(inv store.Invoice, is document.Issuer) map[string][]byte {
			t.Helper()
			inv, err := s.InvoiceByID(ctx, inv.ID) // from the books, as every later rendering
			if err != nil {
				t.Fatal(err)
			}
			doc, err := BuildDocument(ctx, s, is, inv)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][]byte{}
			for _, f := range formats {
				if out[f], err = document.Render(doc, f); err != nil {
					t.Fatalf("%s %s: %v", inv.Number, f, err)
				}
			}
			return out
		}
		before := map[int64]map[string][]byte{single.ID: render(single, is), batch[0].ID: render(batch[0], is), legacy.ID: render(legacy, is)}
		for _, want := range []string{"Commune de Plougastel-Daoulas", "Convention n° 2025-004 (délibération n° 2024-33 du 15/11/2024).",
			"<ram:IssuerAssignedID>2025-004</ram:IssuerAssignedID>"} {
			if !bytes.Contains(before[single.ID][document.FormatCII], []byte(want)) {
				t.Errorf("the CII lacks %q", want)
			}
		}

		// The establishments re-imported with new names and addresses, the
		// issuer moved, its bank and convention changed.
		reimport(t, s, map[string]string{
			"Commune de Plougastel-Daoulas": "Commune nouvelle de Plougastel",
			"Hôtel de ville":                "Mairie annexe",
			"Collège Jean Moulin":           "Collège Jean-Moulin (cité scolaire)",
			"12 rue de Kerfeunteun":         "14 rue de Kerfeunteun",
		})
		if got := establishmentBySIRET(t, s, siret); got.Name != "Commune nouvelle de Plougastel" || got.AddressLine1 != "Mairie annexe" {
			t.Fatalf("the re-import changed nothing: %+v", got)
		}
		moved := is
		moved.Seller.Name = "Syndicat mixte Mégalis Bretagne (nouveau siège)"
		moved.Seller.Address.Line1, moved.Seller.Address.City = "1 avenue du Général de Gaulle", "Rennes"
		moved.Bank.IBAN, moved.Bank.BIC = "FR7610107001011234567890129", "BREDFRPPXXX"
		moved.Convention = document.Convention{Number: "2026-001", Deliberation: "2025-90", DeliberationDate: "2025-12-01"}

		for _, inv := range []store.Invoice{single, batch[0]} {
			after := render(inv, moved)
			for _, f := range formats {
				if !bytes.Equal(after[f], before[inv.ID][f]) {
					t.Errorf("%s %s changed after the re-import and the issuer's change", inv.Number, f)
				}
			}
		}
		// The legacy invoice has nothing frozen: it follows the books, as
		// it always did.
		after := render(legacy, moved)
		if bytes.Equal(after[document.FormatCII], before[legacy.ID][document.FormatCII]) ||
			!bytes.Contains(after[document.FormatCII], []byte("2026-001")) {
			t.Error("an invoice without frozen parties should follow the live issuer")
		}
	})
}

func establishmentBySIRET(t *testing.T, s *store.Store, siret string) store.Establishment {
	t.Helper()
	var found *store.Establishment
	err := s.ForEachEstablishment(context.Background(), 2026, func(e store.Establishment) error {
		if e.SIRET == siret {
			found = &e
		}
		return nil
	})
	if err != nil || found == nil {
		t.Fatalf("establishment %s: %v", siret, err)
	}
	return *found
}

// reimport imports the sample establishments again with some fields
// replaced.
func reimport(t *testing.T, s *store.Store, replace map[string]string) {
	t.Helper()
	data, err := os.ReadFile("../fixtures/sample/establishments.csv")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for old, new := range replace {
		if !strings.Contains(text, old) {
			t.Fatalf("the sample no longer has %q", old)
		}
		text = strings.ReplaceAll(text, old, new)
	}
	if _, err := s.ImportEstablishments(context.Background(), "establishments.csv", strings.NewReader(text), catalog(t), "test"); err != nil {
		t.Fatal(err)
	}
}

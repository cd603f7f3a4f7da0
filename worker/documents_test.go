package worker

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// Documents are built from the books and stored once: rendering again (a
// repeated task) gives the same bytes and stores nothing new.
func TestRenderAndStore(t *testing.T) {
	ctx := context.Background()
	cat := catalog(t)
	is := issuer(t)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		loadSample(t, s)
		var overage store.Invoice
		err := s.ForEachEstablishment(ctx, 2025, func(e store.Establishment) error {
			if overage.ID != 0 || e.Offer != "bouquet" {
				return nil
			}
			outcome, inv, err := issueOne(ctx, s, cat, e, 2025, invoice.KindOverage, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC))
			if outcome == Issued {
				overage = inv
			}
			return err
		})
		if err != nil || overage.ID == 0 {
			t.Fatalf("no overage invoice: %v", err)
		}
		first, err := RenderAndStore(ctx, s, is, overage, document.Formats(), "test")
		if err != nil {
			t.Fatal(err)
		}
		again, err := RenderAndStore(ctx, s, is, overage, document.Formats(), "test")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range document.Formats() {
			if first[f].SHA256 != again[f].SHA256 || first[f].Size == 0 {
				t.Errorf("%s rendered differently the second time", f)
			}
		}
		cii := string(first[document.FormatCII].Content)
		for _, want := range []string{overage.Number, "25351449100047", invoice.Format(overage.TotalTTC), "releve-" + overage.Number + ".csv"} {
			if !strings.Contains(cii, want) {
				t.Errorf("CII lacks %q", want)
			}
		}
		if !bytes.HasPrefix(first[document.FormatPDF].Content, []byte("%PDF-")) || !bytes.HasPrefix(first[document.FormatFacturX].Content, []byte("%PDF-")) {
			t.Error("PDF renderings are not PDFs")
		}
		trail, _ := s.AuditTrail(ctx, "invoice", overage.ID)
		var docs int
		for _, e := range trail {
			if e.Action == "document" {
				docs++
			}
		}
		if docs != len(document.Formats()) {
			t.Errorf("%d document events, want %d", docs, len(document.Formats()))
		}
	})
}

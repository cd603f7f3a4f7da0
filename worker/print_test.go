package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// Printing keeps each invoice's PDF with its SHA-256 — the PDF rendered
// alone, byte for byte — and records the batch's SHA-256 in the audit
// trail; printing again stores nothing new.
func TestPrintBatchRecordsChecksums(t *testing.T) {
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		loadSample(t, s)
		is := issuer(t)
		est := establishmentBySIRET(t, s, "21299951000010")
		_, inv, err := issueOne(ctx, s, catalog(t), est, 2026, invoice.KindContribution, time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		batch, err := PrintBatch(ctx, s, is, []store.Invoice{inv}, "test")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := BuildDocument(ctx, s, is, inv)
		if err != nil {
			t.Fatal(err)
		}
		alone, err := document.Render(doc, document.FormatPDF)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.Document(ctx, inv.ID, document.FormatPDF)
		sum := sha256.Sum256(alone)
		if err != nil || stored.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("stored pdf %s, %v; rendered alone %x", stored.SHA256, err, sum)
		}
		again, err := PrintBatch(ctx, s, is, []store.Invoice{inv}, "test")
		if err != nil || string(again) != string(batch) {
			t.Fatalf("second print: %v (same bytes %v)", err, string(again) == string(batch))
		}
		if st, _ := s.Document(ctx, inv.ID, document.FormatPDF); st.ID != stored.ID {
			t.Error("printing again stored another pdf")
		}
		trail, err := s.AuditTrail(ctx, "invoice", inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		bsum := sha256.Sum256(batch)
		var printed int
		for _, e := range trail {
			if e.Action == ActionPrinted && strings.Contains(e.Reason, hex.EncodeToString(bsum[:])) {
				printed++
			}
		}
		if printed != 2 {
			t.Errorf("%d audited prints with the batch's checksum, want 2: %+v", printed, trail)
		}
	})
}

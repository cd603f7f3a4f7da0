package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
		if err != nil || string(again.PDF) != string(batch.PDF) || again.Batch != batch.Batch+1 {
			t.Fatalf("second print: %v (same bytes %v, batch %d then %d)", err, string(again.PDF) == string(batch.PDF), batch.Batch, again.Batch)
		}
		if st, _ := s.Document(ctx, inv.ID, document.FormatPDF); st.ID != stored.ID {
			t.Error("printing again stored another pdf")
		}
		trail, err := s.AuditTrail(ctx, "invoice", inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		bsum := sha256.Sum256(batch.PDF)
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

// TestMarkBatchMailed marks a print batch mailed: exactly its invoices
// still to send are recorded, in one go; one marked mailed before is left
// out and said so; a postal invoice not in the batch is untouched.
func TestMarkBatchMailed(t *testing.T) {
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		loadSample(t, s)
		is := issuer(t)
		p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: is, Chorus: engagementDirectory{}, Queue: &recordingQueue{}}, DefaultConfig())
		var invs []store.Invoice
		for _, siret := range []string{"21299951000010", "19290263300010", "19560820300012"} {
			_, inv, err := issueOne(ctx, s, catalog(t), establishmentBySIRET(t, s, siret), 2026, invoice.KindContribution, time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if inv, err = s.Apply(ctx, inv.ID, inv.State, store.Change{To: invoice.StatePostal, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			invs = append(invs, inv)
		}
		printed, err := PrintBatch(ctx, s, is, invs[:2], "user:olivia")
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		if _, err := p.MarkMailed(ctx, []string{invs[0].Number}, day.AddDate(0, 0, -1), "user:olivia"); err != nil {
			t.Fatal(err)
		}
		got, err := p.MarkBatchMailed(ctx, printed.Batch, day, "user:paul")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Marked) != fmt.Sprint([]string{invs[1].Number}) || len(got.Skipped) != 1 || got.Skipped[0].Number != invs[0].Number ||
			got.Skipped[0].Mailed != MailedPrefix+"01/03/2026" {
			t.Fatalf("MarkBatchMailed = %+v", got)
		}
		mailed, err := s.LastAuditOf(ctx, "invoice", ActionMailed, []int64{invs[0].ID, invs[1].ID, invs[2].ID})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s02/03/2026 (lot n° %d)", MailedPrefix, printed.Batch)
		if len(mailed) != 2 || mailed[invs[1].ID].Reason != want || mailed[invs[1].ID].Actor != "user:paul" || mailed[invs[0].ID].Actor != "user:olivia" {
			t.Fatalf("mailed events %+v", mailed)
		}
		batches, err := s.PrintBatches(ctx, ActionMailed, 10)
		if err != nil || len(batches) != 1 || batches[0].Invoices != 2 || batches[0].Marked != 2 || batches[0].Actor != "user:olivia" {
			t.Fatalf("batches %+v, %v", batches, err)
		}
		if _, err := p.MarkBatchMailed(ctx, printed.Batch+1, day, "user:paul"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown batch: %v", err)
		}
	})
}

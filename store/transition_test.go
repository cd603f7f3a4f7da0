package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

func TestApply(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv, _, err := s.Finalise(ctx, contributionDraft(t, addEstablishment(t, s, "73282932000074"), 2025, 12))
		if err != nil {
			t.Fatal(err)
		}
		chorus, flow := "chorus", "FLUX-42"
		steps := []struct {
			from, to invoice.State
			change   Change
		}{
			{invoice.StateFinalised, invoice.StateDelivering, Change{Channel: &chorus, Actor: "worker", Reason: "deposit"}},
			{invoice.StateDelivering, invoice.StateDeposited, Change{ChorusFlowNumber: &flow, Actor: "worker", Reason: "flow accepted"}},
			{invoice.StateDeposited, invoice.StateDelivered, Change{Actor: "worker", Reason: "IN_INTEGRE"}},
		}
		for _, st := range steps {
			st.change.To = st.to
			got, err := s.Apply(ctx, inv.ID, st.from, st.change)
			if err != nil {
				t.Fatalf("%s → %s: %v", st.from, st.to, err)
			}
			if got.State != st.to {
				t.Fatalf("state %s, want %s", got.State, st.to)
			}
		}
		got, _ := s.InvoiceByID(ctx, inv.ID)
		if got.Channel != "chorus" || got.ChorusFlowNumber != "FLUX-42" || got.Number != inv.Number || !got.TotalTTC.Equal(inv.TotalTTC) {
			t.Errorf("after delivery: %+v", got)
		}
		// A transition the lifecycle forbids, and a stale expectation.
		if _, err := s.Apply(ctx, inv.ID, invoice.StateDelivered, Change{To: invoice.StateDraft, Actor: "x"}); err == nil || !strings.Contains(err.Error(), "cannot go from delivered to draft") {
			t.Errorf("forbidden transition: %v", err)
		}
		var stale *StaleStateError
		if _, err := s.Apply(ctx, inv.ID, invoice.StateDeposited, Change{To: invoice.StatePaid, Actor: "x"}); !errors.As(err, &stale) || stale.Have != invoice.StateDelivered {
			t.Errorf("stale: %v", err)
		}
		if _, err := s.Apply(ctx, inv.ID, invoice.StateDelivered, Change{To: invoice.StatePaid}); err == nil {
			t.Error("change without actor accepted")
		}
		trail, err := s.AuditTrail(ctx, "invoice", inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, e := range trail {
			path = append(path, e.From+">"+e.To)
		}
		if got := strings.Join(path, " "); got != "draft>finalised finalised>delivering delivering>deposited deposited>delivered" {
			t.Errorf("audit path = %s", got)
		}
		if trail[3].Actor != "worker" || trail[3].Reason != "IN_INTEGRE" {
			t.Errorf("last event = %+v", trail[3])
		}
	})
}

// The database itself refuses to alter a finalised invoice, its lines or the
// audit trail, whoever asks.
func TestImmutableInDatabase(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv, _, err := s.Finalise(ctx, contributionDraft(t, addEstablishment(t, s, "73282932000074"), 2025, 12))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`UPDATE invoices SET total_ht_cents = 1 WHERE id = ?`,
			`UPDATE invoices SET number = 'CT2025-000099' WHERE id = ?`,
			`UPDATE invoices SET issue_date = '2024-01-01' WHERE id = ?`,
			`DELETE FROM invoices WHERE id = ?`,
			`UPDATE invoice_lines SET amount_cents = 1 WHERE invoice_id = ?`,
			`DELETE FROM invoice_lines WHERE invoice_id = ?`,
			`UPDATE audit_events SET actor = 'someone else' WHERE entity_id = ?`,
			`DELETE FROM audit_events WHERE entity_id = ?`,
		} {
			if _, err := s.db.ExecContext(ctx, s.rebind(q), inv.ID); err == nil || !strings.Contains(err.Error(), "chorusbill:") {
				t.Errorf("%s: err = %v", q, err)
			}
		}
		// State and delivery fields may change.
		if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE invoices SET state = 'postal', channel = 'postal' WHERE id = ?`), inv.ID); err != nil {
			t.Errorf("state change refused: %v", err)
		}
		got, _ := s.InvoiceByID(ctx, inv.ID)
		if !got.TotalHT.Equal(inv.TotalHT) || got.Number != inv.Number {
			t.Errorf("invoice changed: %+v", got)
		}
	})
}

func TestDocumentsAndPayments(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv, _, err := s.Finalise(ctx, contributionDraft(t, addEstablishment(t, s, "73282932000074"), 2025, 12))
		if err != nil {
			t.Fatal(err)
		}
		xml := []byte("<rsm:CrossIndustryInvoice>é</rsm:CrossIndustryInvoice>\x00\xff")
		d, err := s.PutDocument(ctx, inv.ID, "cii", xml, "worker")
		if err != nil || !bytes.Equal(d.Content, xml) || d.Size != int64(len(xml)) || len(d.SHA256) != 64 {
			t.Fatalf("put: %v %+v", err, d)
		}
		if _, err := s.PutDocument(ctx, inv.ID, "cii", xml, "worker"); err != nil {
			t.Errorf("same bytes again: %v", err)
		}
		var mismatch *DocumentMismatchError
		if _, err := s.PutDocument(ctx, inv.ID, "cii", []byte("other"), "worker"); !errors.As(err, &mismatch) {
			t.Errorf("other bytes: %v", err)
		}
		got, err := s.Document(ctx, inv.ID, "cii")
		if err != nil || !bytes.Equal(got.Content, xml) {
			t.Errorf("read back: %v", err)
		}

		paid := time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)
		p := Payment{InvoiceID: inv.ID, PaidOn: paid, Amount: decimal.RequireFromString("2415.00"), Source: PaymentImported, Reference: "VIR-1"}
		for i, want := range []bool{true, false} {
			out, err := s.RecordPayment(ctx, p, time.Now(), "finance")
			if added := out.Added; err != nil || added != want {
				t.Errorf("record %d: added=%v %v", i, added, err)
			}
		}
		ps, err := s.Payments(ctx, inv.ID)
		if err != nil || len(ps) != 1 || ps[0].Amount.StringFixed(2) != "2415.00" || !ps[0].PaidOn.Equal(paid) {
			t.Errorf("payments = %+v %v", ps, err)
		}
	})
}

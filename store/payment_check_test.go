package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// The rule of a payment's own data (CheckPayment) holds for the importer
// (the line and column at fault) and for RecordPayment (a typed error),
// nothing recorded either way; a payment entered by hand keeps its comment.
func TestCheckPaymentHoldsForEveryPath(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		to      string // "credit": to the credit note of the invoice; "cancelled": to the invoice cancelled
		paidOn  string
		amount  string
		problem PaymentProblem
		column  string
	}{
		{"nothing", "", "2025-03-10", "0", PaymentAmountInvalid, "amount"},
		{"a fraction of a cent", "", "2025-03-10", "10.005", PaymentAmountInvalid, "amount"},
		{"the day before the invoice", "", "2025-01-14", "10.00", PaymentBeforeIssue, "paid_on"},
		{"to a credit note", "credit", "2025-03-10", "10.00", PaymentNotPayable, "invoice_number"},
		{"to a cancelled invoice", "cancelled", "2025-03-10", "10.00", PaymentNotPayable, "invoice_number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, s *Store) {
				inv := paymentInvoice(t, s, "73282932000074", "230.00", 3)
				if tt.to == "cancelled" {
					var err error
					if inv, err = s.Apply(ctx, inv.ID, invoice.StateFinalised, Change{To: invoice.StateCancelled, Actor: "test"}); err != nil {
						t.Fatal(err)
					}
				}
				if tt.to == "credit" {
					l, err := invoice.NewLine("contribution-bouquet", "Régularisation", decimal.NewFromInt(1), invoice.UnitMonth,
						decimal.RequireFromString("230.00"), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
					if err != nil {
						t.Fatal(err)
					}
					if inv, _, err = s.Finalise(ctx, Draft{Kind: invoice.KindCreditNote, Year: 2025, EstablishmentID: inv.EstablishmentID,
						IssueDate: date("2025-02-01"), DueDate: date("2025-02-01"), Lines: []invoice.Line{l}, OriginalInvoiceID: &inv.ID, Actor: "test", CodeService: "SERV-1"}); err != nil {
						t.Fatal(err)
					}
				}
				_, err := importPayments(s, "bank.csv", "invoice_number,paid_on,amount\n"+inv.Number+","+tt.paidOn+","+tt.amount+"\n")
				var ie *ImportError
				if !errors.As(err, &ie) || len(ie.Errors) != 1 || ie.Errors[0].Line != 2 || ie.Errors[0].Field != tt.column {
					t.Fatalf("import: %v, want one problem on line 2, column %s", err, tt.column)
				}
				_, err = s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: date(tt.paidOn), Amount: decimal.RequireFromString(tt.amount),
					Source: PaymentDashboard, Reference: "VIR-1"}, time.Now(), "user:olivia")
				var bad *PaymentInputError
				if !errors.As(err, &bad) || bad.Problem != tt.problem {
					t.Fatalf("RecordPayment: %v, want a %s *PaymentInputError", err, tt.problem)
				}
				if sum, n := received(t, s, inv.ID); n != 0 {
					t.Errorf("%d payment(s), %s €, recorded", n, sum)
				}
			})
		})
	}
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv := paymentInvoice(t, s, "73282932000074", "230.00", 3)
		if _, err := s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: date("2025-03-10"), Amount: decimal.RequireFromString("20.00"),
			Source: PaymentDashboard, Reference: "CHQ 1234567", Comment: "chèque reçu par courrier"}, time.Now(), "user:olivia"); err != nil {
			t.Fatal(err)
		}
		ps, err := s.Payments(ctx, inv.ID)
		if err != nil || len(ps) != 1 || ps[0].Comment != "chèque reçu par courrier" || ps[0].Amount.StringFixed(2) != "20.00" {
			t.Fatalf("payments %+v, %v", ps, err)
		}
		trail, err := s.AuditTrail(ctx, "invoice", inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := trail[len(trail)-1]
		if last.Actor != "user:olivia" || last.Action != "payment" || !strings.Contains(last.Reason, "(saisi au tableau de bord, réf. CHQ 1234567)") || !strings.HasSuffix(last.Reason, "— chèque reçu par courrier") {
			t.Fatalf("audit %+v", last)
		}
	})
}

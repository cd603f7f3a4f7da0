package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// A credit note for a difference (a correction: a termination after
// invoicing) reduces what is due on its invoice without cancelling it,
// for every reader: the overview's totals, the overdue list, the payment
// rules (an overpayment is judged against what remains), the move to paid,
// and the interest base. Ker Héol: 4 140,00 € billed, 2 415,00 € credited,
// 1 725,00 € due.
func TestCreditNoteForADifferenceReducesWhatIsDue(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv := paymentInvoice(t, s, "73282932000074", "3450.00", 12) // 4 140,00 TTC
		if !inv.TotalTTC.Equal(decimal.RequireFromString("4140")) {
			t.Fatalf("invoice total %s", inv.TotalTTC)
		}
		l, err := invoice.NewLine("contribution-bouquet", "Régularisation : résiliation", decimal.NewFromInt(7), invoice.UnitMonth,
			decimal.RequireFromString("3450.00"), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
		if err != nil {
			t.Fatal(err)
		}
		issue := date("2025-02-01")
		credit, _, err := s.Finalise(ctx, Draft{Kind: invoice.KindCreditNote, Year: 2025, EstablishmentID: inv.EstablishmentID,
			IssueDate: issue, DueDate: issue, Lines: []invoice.Line{l}, OriginalInvoiceID: &inv.ID, Actor: "test", CodeService: "SERV-1"})
		if err != nil {
			t.Fatal(err)
		}
		if !credit.TotalTTC.Equal(decimal.RequireFromString("2415")) {
			t.Fatalf("credit note total %s", credit.TotalTTC)
		}
		if _, err := s.Apply(ctx, inv.ID, invoice.StateFinalised, Change{To: invoice.StateDelivering, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, inv.ID, invoice.StateDelivering, Change{To: invoice.StateDeposited, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, inv.ID, invoice.StateDeposited, Change{To: invoice.StateDelivered, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		want := decimal.RequireFromString("1725")
		if got, err := s.Credited(ctx, inv.ID); err != nil || !got.Equal(decimal.RequireFromString("2415")) {
			t.Fatalf("credited %s, %v", got, err)
		}
		day := date("2025-03-01") // past due
		m, err := s.Money(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Invoiced.Equal(want) || !m.Outstanding.Equal(want) || !m.Overdue.Equal(want) || m.OverdueCount != 1 {
			t.Errorf("money: invoiced %s, outstanding %s, overdue %s (%d); want %s each", m.Invoiced, m.Outstanding, m.Overdue, m.OverdueCount, want)
		}
		rows, err := s.WorkList(ctx, WorkFilter{OverdueOn: day})
		if err != nil || len(rows) != 1 || !rows[0].Due().Equal(want) {
			t.Fatalf("overdue list: %+v, %v", rows, err)
		}
		pay := func(amount string) error {
			_, err := s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: date("2025-03-10"), Amount: decimal.RequireFromString(amount),
				Source: PaymentDashboard, Reference: "virement " + amount}, time.Now(), "finance")
			return err
		}
		var over *OverpaymentError
		if err := pay("1725.01"); !errors.As(err, &over) {
			t.Fatalf("1 725,01 € on 1 725,00 € due: %v", err)
		}
		if _, err := importPayments(s, "bank.csv", "invoice_number,paid_on,amount,reference\n"+inv.Number+",2025-03-10,1725.00,VIR-1\n"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.InvoiceByID(ctx, inv.ID); got.State != invoice.StatePaid {
			t.Errorf("paid what was due: state %s", got.State)
		}
		late, err := s.LatePaymentsWithoutInterest(ctx)
		if err != nil || len(late) != 1 || !late[0].Base().Equal(want) {
			t.Errorf("late payments: %+v, %v", late, err)
		}
		if m, _ := s.Money(ctx, day); !m.Overdue.IsZero() || !m.Outstanding.IsZero() {
			t.Errorf("after payment: outstanding %s, overdue %s", m.Outstanding, m.Overdue)
		}
	})
}

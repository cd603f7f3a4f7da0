package worker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/shopspring/decimal"
)

// A payment entered by hand on a postal invoice of 1 234,56 € TTC, issued
// on 20 February 2026, today being 2 March: recorded under the rules of
// every payment, the invoice paid when settled, a repeat recorded once.
func TestEnterPayment(t *testing.T) {
	ctx := context.Background()
	today := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	entry := func(on, amount, ref string) PaymentEntry {
		return PaymentEntry{PaidOn: day(on), Amount: decimal.RequireFromString(amount), Reference: ref}
	}
	type want struct {
		err       any // a pointer to the error type expected, nil when accepted
		repeat    bool
		payments  int
		received  string
		remaining string
		state     invoice.State
	}
	tests := []struct {
		name    string
		entries []PaymentEntry
		want    want
	}{
		{"part of it", []PaymentEntry{entry("2026-02-25", "400.00", "VIR 2026-0042")},
			want{payments: 1, received: "400.00", remaining: "834.56", state: invoice.StatePostal}},
		{"all of it, today", []PaymentEntry{entry("2026-03-02", "1234.56", "VIR 2026-0042")},
			want{payments: 1, received: "1234.56", remaining: "0.00", state: invoice.StatePaid}},
		{"in two parts", []PaymentEntry{entry("2026-02-25", "1000.00", "VIR 1"), entry("2026-02-26", "234.56", "CHQ 1234567")},
			want{payments: 2, received: "1234.56", remaining: "0.00", state: invoice.StatePaid}},
		{"sent twice", []PaymentEntry{entry("2026-02-25", "400.00", "VIR 2026-0042"), entry("2026-02-25", "400.00", " VIR 2026-0042 ")},
			want{repeat: true, payments: 1, received: "400.00", remaining: "834.56", state: invoice.StatePostal}},
		{"a cent above what is due", []PaymentEntry{entry("2026-02-25", "1234.57", "VIR 1")},
			want{err: new(*store.OverpaymentError), received: "0.00", state: invoice.StatePostal}},
		{"beyond what remains", []PaymentEntry{entry("2026-02-25", "1000.00", "VIR 1"), entry("2026-02-26", "300.00", "VIR 2")},
			want{err: new(*store.OverpaymentError), payments: 1, received: "1000.00", state: invoice.StatePostal}},
		{"tomorrow", []PaymentEntry{entry("2026-03-03", "400.00", "VIR 1")},
			want{err: new(*store.FuturePaymentError), received: "0.00", state: invoice.StatePostal}},
		{"before the invoice", []PaymentEntry{entry("2026-02-19", "400.00", "VIR 1")},
			want{err: new(*store.PaymentInputError), received: "0.00", state: invoice.StatePostal}},
		{"a fraction of a cent", []PaymentEntry{entry("2026-02-25", "400.005", "VIR 1")},
			want{err: new(*store.PaymentInputError), received: "0.00", state: invoice.StatePostal}},
		{"no reference", []PaymentEntry{entry("2026-02-25", "400.00", "  ")},
			want{err: new(*PaymentEntryError), received: "0.00", state: invoice.StatePostal}},
		{"a reference on two lines", []PaymentEntry{entry("2026-02-25", "400.00", "VIR\n1")},
			want{err: new(*PaymentEntryError), received: "0.00", state: invoice.StatePostal}},
		{"a comment too long", []PaymentEntry{{PaidOn: day("2026-02-25"), Amount: decimal.RequireFromString("400.00"), Reference: "VIR 1",
			Comment: strings.Repeat("é", MaxPaymentComment+1)}},
			want{err: new(*PaymentEntryError), received: "0.00", state: invoice.StatePostal}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := storetest.SQLite(t)
			loadSample(t, s)
			p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: issuer(t), Chorus: engagementDirectory{}, Queue: &recordingQueue{},
				Now: func() time.Time { return today }}, DefaultConfig())
			inv, _ := awaitingInvoice(t, s, issuer(t))
			if _, err := s.Apply(ctx, inv.ID, invoice.StateAwaitingReference, store.Change{To: invoice.StatePostal, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			var (
				res PaymentEntered
				err error
			)
			for _, e := range tt.entries {
				e.Number = inv.Number
				if res, err = p.EnterPayment(ctx, e, "user:olivia"); err != nil {
					break
				}
			}
			switch {
			case tt.want.err == nil && err != nil:
				t.Fatalf("EnterPayment: %v", err)
			case tt.want.err != nil && !errors.As(err, tt.want.err):
				t.Fatalf("EnterPayment: %v, want a %T", err, tt.want.err)
			case err == nil && (res.Repeat != tt.want.repeat || res.Remaining.StringFixed(2) != tt.want.remaining || res.Invoice.State != tt.want.state):
				t.Fatalf("result: repeat %v, remaining %s, state %s; want %v, %s, %s", res.Repeat, res.Remaining.StringFixed(2), res.Invoice.State,
					tt.want.repeat, tt.want.remaining, tt.want.state)
			}
			payments, _ := s.Payments(ctx, inv.ID)
			sum := decimal.New(0, -2)
			for _, pay := range payments {
				sum = sum.Add(pay.Amount)
				if pay.Source != store.PaymentDashboard {
					t.Errorf("payment source %q", pay.Source)
				}
			}
			got, _ := s.InvoiceByID(ctx, inv.ID)
			if len(payments) != tt.want.payments || sum.StringFixed(2) != tt.want.received || got.State != tt.want.state {
				t.Fatalf("books: %d payment(s), %s €, %s; want %d, %s €, %s", len(payments), sum.StringFixed(2), got.State,
					tt.want.payments, tt.want.received, tt.want.state)
			}
			trail, _ := s.AuditTrail(ctx, "invoice", inv.ID)
			var rows, paid int
			for _, ev := range trail {
				if ev.Action == "payment" {
					rows++
					if ev.Actor != "user:olivia" {
						t.Errorf("payment audited by %q", ev.Actor)
					}
				}
				if ev.To == string(invoice.StatePaid) && ev.From != ev.To {
					paid++
					if ev.Reason != "paiement saisi au tableau de bord" {
						t.Errorf("moved to paid for %q", ev.Reason)
					}
				}
			}
			if rows != tt.want.payments || (paid == 1) != (tt.want.state == invoice.StatePaid) || paid > 1 {
				t.Fatalf("audit: %d payment row(s), %d move(s) to paid", rows, paid)
			}
		})
	}
	// Paid after its due date (22 March): the day's interest pass finds it,
	// as it finds an imported payment, on what remained due.
	t.Run("late", func(t *testing.T) {
		s := storetest.SQLite(t)
		loadSample(t, s)
		later := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
		p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: issuer(t), Chorus: engagementDirectory{}, Queue: &recordingQueue{},
			Now: func() time.Time { return later }}, DefaultConfig())
		inv, _ := awaitingInvoice(t, s, issuer(t))
		if _, err := s.Apply(ctx, inv.ID, invoice.StateAwaitingReference, store.Change{To: invoice.StatePostal, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		e := entry("2026-04-10", "1234.56", "VIR 2026-0107")
		e.Number = inv.Number
		if _, err := p.EnterPayment(ctx, e, "user:olivia"); err != nil {
			t.Fatal(err)
		}
		late, err := s.LatePaymentsWithoutInterest(ctx)
		if err != nil || len(late) != 1 || late[0].InvoiceID != inv.ID || late[0].Base().StringFixed(2) != "1234.56" || !late[0].PaidOn.Equal(day("2026-04-10")) {
			t.Fatalf("late payments %+v, %v; want this one, on 1234.56", late, err)
		}
	})
	t.Run("unknown invoice", func(t *testing.T) {
		s := storetest.SQLite(t)
		p := NewPipeline(Deps{Books: s, Chorus: engagementDirectory{}, Queue: &recordingQueue{}, Now: func() time.Time { return today }}, DefaultConfig())
		e := entry("2026-02-25", "400.00", "VIR 1")
		e.Number = "CT2026-999999"
		if _, err := p.EnterPayment(ctx, e, "user:olivia"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("EnterPayment: %v, want store.ErrNotFound", err)
		}
	})
}

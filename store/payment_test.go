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

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// paymentInvoice finalises a contribution of unit € HT × months/12 at 20 %
// VAT, issued on 2025-01-15 and due on 2025-02-14.
func paymentInvoice(t *testing.T, s *Store, siret, unit string, months int64) Invoice {
	t.Helper()
	l, err := invoice.NewLine("contribution-bouquet", "Contribution", decimal.NewFromInt(months), invoice.UnitMonth,
		decimal.RequireFromString(unit), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
	if err != nil {
		t.Fatal(err)
	}
	issue := date("2025-01-15")
	inv, _, err := s.Finalise(context.Background(), Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: addEstablishment(t, s, siret),
		IssueDate: issue, DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{l}, Actor: "test", CodeService: "SERV-1"})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func importPayments(s *Store, name, csv string) (ImportResult, error) {
	return s.ImportPayments(context.Background(), name, strings.NewReader(csv), "test")
}

func received(t *testing.T, s *Store, id int64) (string, int) {
	t.Helper()
	ps, err := s.Payments(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	sum := decimal.New(0, -2)
	for _, p := range ps {
		sum = sum.Add(p.Amount)
	}
	return sum.StringFixed(2), len(ps)
}

func TestSamePayment(t *testing.T) {
	base := Payment{InvoiceID: 1, PaidOn: date("2025-03-10"), Amount: decimal.RequireFromString("1104.00"), Source: PaymentChorus, Reference: "Chorus Pro 42"}
	with := func(f func(p *Payment)) Payment { p := base; f(&p); return p }
	tests := []struct {
		name string
		b    Payment
		want bool
	}{
		{"identical", base, true},
		{"bank file 2 days later", with(func(p *Payment) { p.Source, p.Reference, p.PaidOn = PaymentImported, "VIR-123", date("2025-03-12") }), true},
		{"re-export without reference", with(func(p *Payment) { p.Source, p.Reference = PaymentImported, "" }), true},
		{"7 days earlier", with(func(p *Payment) { p.PaidOn = date("2025-03-03") }), true},
		{"7 days later", with(func(p *Payment) { p.PaidOn = date("2025-03-17") }), true},
		{"8 days later", with(func(p *Payment) { p.PaidOn = date("2025-03-18") }), false},
		{"one cent less", with(func(p *Payment) { p.Amount = decimal.RequireFromString("1103.99") }), false},
		{"same amount written 1104", with(func(p *Payment) { p.Amount = decimal.RequireFromString("1104") }), true},
		{"other invoice", with(func(p *Payment) { p.InvoiceID = 2 }), false},
		{"same source, two references", with(func(p *Payment) { p.Reference = "Chorus Pro 43" }), false},
		{"same source, one without reference", with(func(p *Payment) { p.Reference = "" }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SamePayment(base, tt.b); got != tt.want {
				t.Errorf("SamePayment = %v, want %v", got, tt.want)
			}
			if got := SamePayment(tt.b, base); got != tt.want {
				t.Errorf("SamePayment (reversed) = %v, want %v", got, tt.want)
			}
		})
	}
}

// Issue 14: the same payment recorded three times (Chorus Pro's
// MISE_EN_PAIEMENT, a bank import, a re-export without reference) made
// 3 312 € received on a 1 104 € invoice. Whatever the order, one payment.
func TestOnePaymentWhateverItsSource(t *testing.T) {
	ctx := context.Background()
	const (
		bank     = "invoice_number,paid_on,amount,reference\nCT2025-000001,2025-03-12,1104.00,VIR-123\n"
		reexport = "invoice_number;paid_on;amount\nCT2025-000001;12/03/2025;1 104,00\n"
	)
	type step struct {
		chorus bool   // MISE_EN_PAIEMENT dated 2025-03-10
		file   string // or a payments file
	}
	orders := []struct {
		name  string
		steps []step
	}{
		{"chorus then bank then re-export", []step{{chorus: true}, {file: bank}, {file: reexport}}},
		{"bank then chorus then re-export", []step{{file: bank}, {chorus: true}, {file: reexport}}},
		{"re-export then bank then chorus", []step{{file: reexport}, {file: bank}, {chorus: true}}},
	}
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, s *Store) {
				inv := paymentInvoice(t, s, "73282932000074", "920.00", 12)
				if inv.TotalTTC.StringFixed(2) != "1104.00" {
					t.Fatalf("total %s, want 1104.00", inv.TotalTTC)
				}
				added := 0
				for i, st := range o.steps {
					if st.chorus {
						out, err := s.RecordSettlement(ctx, Payment{InvoiceID: inv.ID, PaidOn: date("2025-03-10"), Source: PaymentChorus, Reference: "Chorus Pro 42"}, time.Now(), "worker")
						if err != nil {
							t.Fatalf("step %d: %v", i, err)
						}
						if out.Added {
							added++
						}
						continue
					}
					res, err := importPayments(s, "payments.csv", st.file)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					added += res.Added
				}
				if got, n := received(t, s, inv.ID); got != "1104.00" || n != 1 || added != 1 {
					t.Errorf("received %s € in %d payment(s), %d added; want 1104.00 € in 1", got, n, added)
				}
				trail, err := s.AuditTrail(ctx, "invoice", inv.ID)
				if err != nil {
					t.Fatal(err)
				}
				repeats := 0
				for _, e := range trail {
					if e.Action == actionPaymentRepeat {
						repeats++
					}
				}
				if repeats != 2 {
					t.Errorf("%d repeat audit rows, want 2 (one per source recognised)", repeats)
				}
				// Offering the same files again changes nothing, not even the audit.
				if _, err := importPayments(s, "payments.csv", bank); err != nil {
					t.Fatal(err)
				}
				if trail2, _ := s.AuditTrail(ctx, "invoice", inv.ID); len(trail2) != len(trail) {
					t.Errorf("audit grew from %d to %d rows on a second import", len(trail), len(trail2))
				}
				late, err := s.LatePaymentsWithoutInterest(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(late) != 1 || late[0].Base().StringFixed(2) != "1104.00" {
					t.Errorf("late payments = %+v, want one on a base of 1104.00", late)
				}
			})
		})
	}
}

// Amounts above what remains due, and dates in the future, are refused by
// the importer with the file, line and field; nothing is imported.
func TestImportPaymentsRefuses(t *testing.T) {
	tomorrow := time.Now().In(paris).AddDate(0, 0, 1).Format(time.DateOnly)
	tests := []struct {
		name   string
		csv    string
		line   int
		field  string
		reason string
	}{
		{"typo 690 € on a 69 € invoice", "invoice_number,paid_on,amount\nCT2025-000001,2025-03-12,690.00\n",
			2, "amount", "690.00 € is more than the 69.00 € still due on invoice CT2025-000001 (69.00 € TTC, 0.00 € already received)"},
		{"second line beyond what remains", "invoice_number,paid_on,amount,reference\nCT2025-000001,2025-03-01,40.00,A\nCT2025-000001,2025-04-01,29.01,B\n",
			3, "amount", "29.01 € is more than the 29.00 € still due"},
		{"dated tomorrow", "invoice_number,paid_on,amount\nCT2025-000001," + tomorrow + ",69.00\n",
			2, "paid_on", "is in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, s *Store) {
				inv := paymentInvoice(t, s, "73282932000074", "230.00", 3)
				if inv.TotalTTC.StringFixed(2) != "69.00" {
					t.Fatalf("total %s, want 69.00", inv.TotalTTC)
				}
				_, err := importPayments(s, "bank.csv", tt.csv)
				var ie *ImportError
				if !errors.As(err, &ie) || len(ie.Errors) != 1 {
					t.Fatalf("err = %v, want one problem", err)
				}
				got := ie.Errors[0]
				if got.File != "bank.csv" || got.Line != tt.line || got.Field != tt.field || !strings.Contains(got.Problem, tt.reason) {
					t.Errorf("problem %s:%d %s %q, want bank.csv:%d %s %q", got.File, got.Line, got.Field, got.Problem, tt.line, tt.field, tt.reason)
				}
				if sum, n := received(t, s, inv.ID); n != 0 {
					t.Errorf("%d payment(s), %s €, recorded from a refused file", n, sum)
				}
			})
		})
	}
}

// The same rules hold outside the importer (RecordPayment), as typed errors.
func TestRecordPaymentRules(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv := paymentInvoice(t, s, "73282932000074", "230.00", 3)
		pay := func(on time.Time, amount string, ref string) error {
			_, err := s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: on, Amount: decimal.RequireFromString(amount), Source: PaymentDashboard, Reference: ref}, time.Now(), "finance")
			return err
		}
		var over *OverpaymentError
		if err := pay(date("2025-03-12"), "690.00", ""); !errors.As(err, &over) || over.Remaining.StringFixed(2) != "69.00" {
			t.Errorf("690 € on 69 €: %v, want an *OverpaymentError with 69.00 remaining", err)
		}
		var future *FuturePaymentError
		if err := pay(s.Today().AddDate(0, 0, 1), "69.00", ""); !errors.As(err, &future) {
			t.Errorf("dated tomorrow: %v, want a *FuturePaymentError", err)
		}
		// Today is the caller's civil clock, in Paris: 23:30 UTC on 11 March
		// is already 12 March there.
		for _, c := range []struct {
			now    time.Time
			future bool
		}{
			{time.Date(2025, 3, 11, 12, 0, 0, 0, time.UTC), true},
			{time.Date(2025, 3, 11, 23, 30, 0, 0, time.UTC), false},
		} {
			_, err := s.RecordPayment(ctx, Payment{InvoiceID: inv.ID, PaidOn: date("2025-03-12"), Amount: decimal.RequireFromString("690.00"), Source: PaymentDashboard}, c.now, "finance")
			if got := errors.As(err, &future); got != c.future {
				t.Errorf("paid 2025-03-12, now %s: %v, want future=%v", c.now, err, c.future)
			}
		}
		if err := pay(s.Today(), "40.00", "A"); err != nil {
			t.Errorf("40 € today: %v", err)
		}
		if err := pay(date("2025-03-12"), "29.01", "B"); !errors.As(err, &over) || over.Remaining.StringFixed(2) != "29.00" {
			t.Errorf("29.01 € on 29 € left: %v", err)
		}
		if err := pay(date("2025-03-12"), "29.00", "B"); err != nil {
			t.Errorf("29 € left: %v", err)
		}
		// Settled in full already: Chorus Pro's MISE_EN_PAIEMENT adds nothing.
		out, err := s.RecordSettlement(ctx, Payment{InvoiceID: inv.ID, PaidOn: date("2025-05-02"), Source: PaymentChorus, Reference: "Chorus Pro 7"}, time.Now(), "worker")
		if err != nil || out.Added {
			t.Errorf("settlement of a paid invoice: %+v %v", out, err)
		}
		if got, n := received(t, s, inv.ID); got != "69.00" || n != 2 {
			t.Errorf("received %s € in %d payments, want 69.00 in 2", got, n)
		}
	})
}

// Books written before repeats were recognised: three rows of one payment.
// Interest is charged on min(paid, remaining due), so only the first bears any.
func TestLatePaymentBaseNeverExceedsDue(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv := paymentInvoice(t, s, "73282932000074", "920.00", 12)
		for i, ref := range []string{"Chorus Pro 42", "VIR-123", ""} {
			if _, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO payments (invoice_id, paid_on, amount_cents, source, reference, created_at)
				VALUES (?, ?, 110400, 'import', ?, ?)`), inv.ID, date("2025-03-10").AddDate(0, 0, i), ref, s.timestamp()); err != nil {
				t.Fatal(err)
			}
		}
		late, err := s.LatePaymentsWithoutInterest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(late) != 1 || late[0].Base().StringFixed(2) != "1104.00" || late[0].PaidOn != date("2025-03-10") || late[0].IndemnityBilled {
			t.Errorf("late = %+v, want the first payment only, base 1104.00", late)
		}
	})
}

// Two sweeps of Chorus Pro seeing the same MISE_EN_PAIEMENT at once: the
// second settlement is the very line held, and says nothing (no repeat in
// the audit trail after the invoice's own transitions); another line after
// a settlement in full is said once.
func TestSettlementSeenTwice(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		inv := paymentInvoice(t, s, "73282932000074", "920.00", 12)
		chorusLine := Payment{InvoiceID: inv.ID, PaidOn: date("2025-03-10"), Source: PaymentChorus, Reference: "Chorus Pro 42"}
		repeats := func() int {
			var n int
			if err := s.db.GetContext(ctx, &n, s.rebind(`SELECT COUNT(*) FROM audit_events WHERE entity = 'invoice' AND entity_id = ? AND action = ?`), inv.ID, actionPaymentRepeat); err != nil {
				t.Fatal(err)
			}
			return n
		}
		steps := []struct {
			p           Payment
			added       bool
			wantRepeats int
		}{
			{chorusLine, true, 0},
			{chorusLine, false, 0},
			{Payment{InvoiceID: inv.ID, PaidOn: date("2025-03-11"), Source: PaymentChorus, Reference: "Chorus Pro 43"}, false, 1},
		}
		for i, st := range steps {
			out, err := s.RecordSettlement(ctx, st.p, time.Now(), "worker")
			if err != nil || out.Added != st.added || repeats() != st.wantRepeats {
				t.Errorf("settlement %d: %+v %v, %d repeats; want added %v and %d repeats", i, out, err, repeats(), st.added, st.wantRepeats)
			}
		}
		if got, n := received(t, s, inv.ID); got != "1104.00" || n != 1 {
			t.Errorf("received %s € in %d payments, want 1104.00 in 1", got, n)
		}
	})
}

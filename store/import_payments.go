package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"
)

// ImportPayments reads payments received (invoice_number, paid_on, amount,
// and an optional reference) and records the new ones, in one transaction.
// A payment the books already hold, from this or another source, is
// recognised (SamePayment) and counted unchanged; an amount above what
// remains due, or a date after today, refuses the whole file with the line
// and field at fault.
func (s *Store) ImportPayments(ctx context.Context, name string, in io.Reader, actor string) (ImportResult, error) {
	res := ImportResult{File: name}
	f, err := openCSV(name, in, []string{"invoice_number", "paid_on", "amount"}, []string{"reference"})
	if err != nil {
		return res, err
	}
	var payments []Payment
	seen := map[string]int{}
	invoices := map[string]Invoice{}
	checks := map[int64]*paymentCheck{}
	today := s.Today()
	err = f.each(func(line int, get func(string) string) {
		res.Rows++
		number := get("invoice_number")
		inv, known := invoices[number]
		if !known && number != "" {
			var err error
			inv, err = s.InvoiceByNumber(ctx, number)
			known = err == nil
			if known {
				invoices[number] = inv
			}
		}
		if !known {
			f.fail(line, "invoice_number", fmt.Sprintf("no invoice %q in the books", number))
		}
		paid, okDate := f.date(line, "paid_on", get("paid_on"), true)
		amount, okAmount := f.decimal(line, "amount", get("amount"))
		if !(known && okDate && okAmount) {
			return
		}
		p := Payment{InvoiceID: inv.ID, PaidOn: *paid, Amount: amount, Source: PaymentImported, Reference: get("reference")}
		// The rule of a payment's own data, as for one entered by hand.
		var bad *PaymentInputError
		if err := CheckPayment(inv, p); errors.As(err, &bad) {
			f.fail(line, bad.Field(), bad.Error())
			return
		}
		key := fmt.Sprintf("%s/%s/%s/%s", number, paid.Format("2006-01-02"), amount.StringFixed(2), p.Reference)
		if f.repeated(seen, key, line, "invoice_number", "the same payment is already on line %d") {
			return
		}
		// The rules of every payment, against the books and the lines
		// above: a repeat is kept once, an overpayment or a future date
		// refuses the file.
		check, ok := checks[inv.ID]
		if !ok {
			var err error
			if check, err = s.newPaymentCheck(ctx, s.db, inv.ID, today); err != nil {
				f.fail(line, "invoice_number", err.Error())
				return
			}
			checks[inv.ID] = check
		}
		same, err := check.judge(p)
		var future *FuturePaymentError
		switch {
		case errors.As(err, &future):
			f.fail(line, "paid_on", err.Error())
			return
		case err != nil:
			f.fail(line, "amount", err.Error())
			return
		case same == nil:
			check.payments = append(check.payments, p)
		}
		payments = append(payments, p)
	})
	if err != nil {
		return res, err
	}
	if err := f.done(); err != nil {
		return res, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, p := range payments {
			out, err := s.addPayment(ctx, tx, p, false, today, actor)
			if err != nil {
				return err
			}
			if out.Added {
				res.Added++
			} else {
				res.Unchanged++
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{File: name, Rows: res.Rows}, fmt.Errorf("import %s: %w", name, err)
	}
	// An invoice now paid in full moves to paid where its state allows it
	// (delivered, postal…); one still being delivered keeps its state.
	for _, inv := range invoices {
		if err := s.MarkPaidIfSettled(ctx, inv.ID, actor, "paiement importé"); err != nil {
			return res, err
		}
	}
	return res, nil
}

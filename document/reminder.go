package document

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Reminder is a reminder letter (lettre de relance) for an overdue
// invoice: the formal letter a public buyer's accountant expects before
// late-payment interest is claimed.
type Reminder struct {
	// Invoice is the invoice reminded, as its own PDF renders it: the
	// letter takes its parties, bank details and late-payment mentions
	// from it, so that it says what the invoice said and nothing else.
	Invoice Document
	// Step is the reminder's number (1 for the first).
	Step int
	// Date is the letter's date: the day it is sent.
	Date time.Time
	// Previous are the days earlier reminders of this invoice were sent
	// (the letter recalls them; none is claimed that was not sent).
	Previous []time.Time
	// Credited is what credit notes took off the invoice without
	// cancelling it, Paid what the buyer paid: what remains due is the
	// total less both.
	Credited, Paid decimal.Decimal
}

// Remaining is what remains due on the invoice.
func (r Reminder) Remaining() decimal.Decimal {
	return r.Invoice.Totals.TTC.Sub(r.Credited).Sub(r.Paid)
}

// DaysLate is how many days after the due date the letter is dated.
func (r Reminder) DaysLate() int { return invoice.DaysLate(r.Invoice.DueDate, r.Date) }

// Subject is the letter's object: « Relance n°N — facture X ».
func (r Reminder) Subject() string {
	return fmt.Sprintf("Relance n°%d — facture %s", r.Step, r.Invoice.Number)
}

// Validate checks what a reminder needs: a valid invoice, a step, a date
// after the due date, and something remaining due — a letter asking for
// an amount not owed must never go out.
func (r Reminder) Validate() error {
	if err := r.Invoice.Validate(); err != nil {
		return fmt.Errorf("reminder: %w", err)
	}
	switch {
	case r.Invoice.Kind == invoice.KindCreditNote:
		return fmt.Errorf("reminder of %s: a credit note is not owed by the buyer", r.Invoice.Number)
	case r.Step < 1:
		return fmt.Errorf("reminder of %s: no step", r.Invoice.Number)
	case r.DaysLate() < 1:
		return fmt.Errorf("reminder of %s: dated %s, not after the due date %s", r.Invoice.Number, frDate(r.Date), frDate(r.Invoice.DueDate))
	case !r.Remaining().IsPositive():
		return fmt.Errorf("reminder of %s: nothing remains due", r.Invoice.Number)
	}
	return nil
}

// RenderReminder renders one reminder letter as an A4 PDF: the seller's
// block and the buyer's address in the envelope window as on the invoice
// PDF, the date, the object, the amounts, the invoice's own late-payment
// mentions, the payment details and a formal closing. The bytes are
// deterministic: the same Reminder always gives the same PDF.
func RenderReminder(r Reminder) ([]byte, error) {
	return RenderReminders([]Reminder{r})
}

// RenderReminders renders reminder letters as one PDF for mailing, in the
// order given, each starting on the front of a fresh sheet (a blank back
// inserted when needed, as RenderBatch does for invoices).
func RenderReminders(rs []Reminder) ([]byte, error) {
	if len(rs) == 0 {
		return nil, errors.New("render reminders: no letter")
	}
	latest := rs[0].Date
	subjects := make([]string, 0, len(rs))
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("render reminders: %w", err)
		}
		if r.Date.After(latest) {
			latest = r.Date
		}
		subjects = append(subjects, r.Subject())
	}
	title := rs[0].Subject()
	if len(rs) > 1 {
		title = fmt.Sprintf("Lot de relances : %d lettre(s)", len(rs))
	}
	// Dated by its latest letter, never by the clock.
	c := newCanvas(pdfMeta{title: title, author: rs[0].Invoice.Seller.Name, subject: strings.Join(subjects, ", "), date: latest})
	for _, r := range rs {
		if c.pdf.PageCount()%2 == 1 {
			c.blankPage()
		}
		c.drawReminder(r)
	}
	return c.output()
}

// drawReminder appends one letter's pages to the canvas.
func (c *canvas) drawReminder(r Reminder) {
	d, cur := r.Invoice, r.Invoice.CurrencyCode()
	w := &docWriter{canvas: c, d: d}
	w.pdf.AddPage()
	w.first = w.pdf.PageNo()
	sellerBottom := w.sellerBlock()

	// Title block, right-aligned on the address column, above the window.
	const right = pageW - marginR
	const tw = pageW - marginR - addrX
	y := 12.0
	w.font(styleBold, 15)
	w.textColor(colAccent)
	y += w.paragraph(right, y, tw, fmt.Sprintf("Relance n°%d", r.Step), alignRight) + 0.5
	w.font(styleBold, 11)
	w.textColor(colText)
	y += w.paragraph(right, y, tw, "Facture N° "+d.Number, alignRight) + 0.8
	w.font(styleRegular, 9)
	y += w.paragraph(right, y, tw, "Le "+frDate(r.Date), alignRight)
	if y > windowTop {
		w.pdf.SetError(fmt.Errorf("render reminder %s: title block ends at %.1f mm, in the envelope window", d.Number, y))
	}
	refsBottom := w.references(sellerBottom)
	w.buyerAddress()
	w.y = max(refsBottom+7, windowBottom+1)

	// Object and body.
	w.font(styleBold, 10)
	w.textColor(colAccent)
	w.y += w.paragraph(marginL, w.y, contentW, "Objet : "+r.Subject(), alignLeft) + 4
	w.font(styleRegular, 9.5)
	w.textColor(colText)
	para := func(s string) {
		ls := w.wrap(s, contentW)
		w.ensure(float64(len(ls)) * w.lineH())
		w.y += w.lines(marginL, w.y, ls, alignLeft) + 2.5
	}
	para("Madame, Monsieur,")
	late := r.DaysLate()
	facts := fmt.Sprintf("la facture n° %s du %s, échue le %s, reste impayée à ce jour, %d jour(s) après son échéance, pour un montant de %s.",
		d.Number, frDate(d.IssueDate), frDate(d.DueDate), late, frAmount(r.Remaining(), cur))
	switch len(r.Previous) {
	case 0:
		para("Sauf erreur ou omission de notre part, " + facts)
	default:
		days := make([]string, len(r.Previous))
		for i, p := range r.Previous {
			days[i] = frDate(p)
		}
		para(fmt.Sprintf("Malgré notre relance du %s, ", strings.Join(days, " et du ")) + facts)
	}
	para("Nous vous remercions de bien vouloir procéder à son règlement dans les meilleurs délais, ou de nous faire connaître le motif qui s'y opposerait.")

	// The amounts, as the buyer's accountant reconciles them.
	rows := []kv{
		{"Facture", "n° " + d.Number},
		{"Date d'émission", frDate(d.IssueDate)},
		{"Date d'échéance", frDate(d.DueDate)},
		{"Montant TTC", frAmount(d.Totals.TTC, cur)},
	}
	if !r.Credited.IsZero() {
		rows = append(rows, kv{"Avoirs", frAmount(r.Credited.Neg(), cur)})
	}
	rows = append(rows,
		kv{"Déjà réglé", frAmount(r.Paid.Neg(), cur)},
		kv{"Reste dû", frAmount(r.Remaining(), cur)},
		kv{"Retard", fmt.Sprintf("%d jour(s) au %s", late, frDate(r.Date))},
	)
	w.sectionTitle("Situation de la facture", 12)
	w.keyValues(marginL, 38, contentW, rows, 9)

	// What the invoice said of late payment, word for word: the letter
	// states no other right.
	var penalties []kv
	if d.LatePaymentClause != "" {
		penalties = append(penalties, kv{"Retard de paiement", d.LatePaymentClause})
	}
	if d.RecoveryClause != "" {
		penalties = append(penalties, kv{"Frais de recouvrement", d.RecoveryClause})
	}
	if len(penalties) > 0 {
		w.sectionTitle("Conditions de retard rappelées de la facture", 12)
		w.keyValues(marginL, 38, contentW, penalties, 8.5)
	}

	pay := []kv{{"Montant à régler", frAmount(r.Remaining(), cur)}}
	if d.Bank.IBAN != "" {
		bank := "IBAN " + frIBAN(d.Bank.IBAN)
		if d.Bank.BIC != "" {
			bank += " · BIC " + d.Bank.BIC
		}
		pay = append(pay, kv{"Virement", bank})
	}
	if d.Bank.Holder != "" {
		pay = append(pay, kv{"Titulaire du compte", d.Bank.Holder})
	}
	pay = append(pay, kv{"Référence à rappeler", d.Number})
	w.sectionTitle("Règlement", 12)
	w.keyValues(marginL, 38, contentW, pay, 8.5)

	w.y += 4
	w.font(styleRegular, 9.5)
	w.textColor(colText)
	para("Si ce règlement a été effectué entre-temps, nous vous prions de ne pas tenir compte de la présente.")
	para("Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.")
	w.font(styleBold, 9.5)
	w.ensure(w.lineH())
	w.y += w.paragraph(pageW-marginR, w.y+2, 80, d.Seller.Name, alignRight)
	w.footers(r.Subject() + " du " + frDate(r.Date))
}

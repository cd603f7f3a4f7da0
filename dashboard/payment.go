package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/shopspring/decimal"
)

// maxPaymentBody bounds the payment form's request: four short fields.
const maxPaymentBody = 16 << 10

// paymentForm is the payment form of an invoice page: shown to operators
// while something remains due, and shown again with what was typed and
// the French error when a payment is refused.
type paymentForm struct {
	// Show is true when the invoice awaits money.
	Show bool
	// What was typed (Date as YYYY-MM-DD for the date input; today by
	// default).
	Date, Amount, Reference, Comment string
	// Field is the input at fault (date, montant, reference,
	// commentaire), Error the French reason.
	Field, Error string
	// MaxReference and MaxComment are the lengths the pipeline keeps.
	MaxReference, MaxComment int
}

// newPaymentForm is the empty form of an invoice page.
func newPaymentForm(v invoiceView) paymentForm {
	return paymentForm{Show: v.Due.IsPositive(), Date: v.Today.Format(time.DateOnly),
		MaxReference: worker.MaxPaymentReference, MaxComment: worker.MaxPaymentComment}
}

// enterPayment records a payment an operator enters on an invoice page,
// through the pipeline (worker.Pipeline.EnterPayment: the rules of every
// payment, the move to paid, the audit trail with the user). A refused
// payment shows the page again with what was typed and the field at
// fault; nothing is recorded then.
func (s *Server) enterPayment(w http.ResponseWriter, r *http.Request) {
	p, _ := userFrom(r.Context())
	ctx := r.Context()
	number := r.PathValue("number")
	r.Body = http.MaxBytesReader(w, r.Body, maxPaymentBody)
	if err := r.ParseForm(); tooLarge(err) {
		s.renderError(w, r, http.StatusRequestEntityTooLarge, "Formulaire trop volumineux : rien n'a été enregistré.")
		return
	} else if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Formulaire illisible.")
		return
	}
	v, ok := s.invoiceFound(w, r, number)
	if !ok {
		return
	}
	form := v.Pay
	form.Date = strings.TrimSpace(r.PostFormValue("date"))
	form.Amount = strings.TrimSpace(r.PostFormValue("montant"))
	form.Reference = strings.TrimSpace(r.PostFormValue("reference"))
	form.Comment = strings.TrimSpace(r.PostFormValue("commentaire"))
	fail := func(field, msg string) {
		v.Pay = form
		v.Pay.Show = true // the form again, even if nothing remains due
		v.Pay.Field, v.Pay.Error = field, msg
		s.render(w, r, http.StatusUnprocessableEntity, "invoice", "Facture "+number, v)
	}
	day, ok := parseFrenchDate(form.Date)
	if !ok {
		fail("date", fmt.Sprintf("Date du paiement : « %s » n'est pas une date (jj/mm/aaaa).", form.Date))
		return
	}
	form.Date = day.Format(time.DateOnly) // as the date input shows it
	amount, ok := parseFrenchAmount(form.Amount)
	if !ok {
		fail("montant", fmt.Sprintf("Montant : « %s » n'est pas un montant en euros (par exemple 1 234,56).", form.Amount))
		return
	}
	if s.cfg.Actions == nil {
		s.renderError(w, r, http.StatusServiceUnavailable, "Le pipeline n'est pas disponible.")
		return
	}
	res, err := s.cfg.Actions.EnterPayment(ctx, worker.PaymentEntry{Number: number, PaidOn: day, Amount: amount,
		Reference: form.Reference, Comment: form.Comment}, p.Actor())
	if err != nil {
		field, msg, ok := paymentRefusal(err)
		if !ok {
			s.serverError(w, r, err)
			return
		}
		fail(field, msg)
		return
	}
	back := "/factures/" + url.PathEscape(number)
	msg := fmt.Sprintf("Paiement de %s du %s (%s) enregistré pour la facture %s. ", euros(res.Payment.Amount), frenchDate(res.Payment.PaidOn), res.Payment.Reference, number)
	if res.Repeat {
		msg = fmt.Sprintf("Ce paiement est déjà enregistré (%s du %s, %s) : rien n'a été ajouté. ", euros(res.Payment.Amount), frenchDate(res.Payment.PaidOn), paymentSource(res.Payment.Source)+" "+res.Payment.Reference)
	}
	if res.Invoice.State == invoice.StatePaid {
		msg += "La facture est soldée (payée)."
	} else {
		msg += "Reste dû : " + euros(res.Remaining) + "."
	}
	s.setFlash(w, msg, false)
	http.Redirect(w, r, back+"#paiements", http.StatusSeeOther)
}

// paymentRefusal says in French which field a refused payment is at fault
// in and why; ok is false for an error that is no refusal.
func paymentRefusal(err error) (field, msg string, ok bool) {
	var (
		entry  *worker.PaymentEntryError
		input  *store.PaymentInputError
		over   *store.OverpaymentError
		future *store.FuturePaymentError
	)
	switch {
	case errors.As(err, &entry):
		if entry.Field == worker.EntryComment {
			return "commentaire", "Commentaire : " + entry.Error(), true
		}
		return "reference", "Référence : " + entry.Error(), true
	case errors.As(err, &input):
		switch input.Problem {
		case store.PaymentAmountInvalid:
			return "montant", fmt.Sprintf("Montant : %s doit être un montant positif en euros et centimes.", strings.Replace(input.Amount.String(), ".", ",", 1)), true
		case store.PaymentBeforeIssue:
			return "date", fmt.Sprintf("Date du paiement : le %s est antérieur à la facture %s, émise le %s.", frenchDate(input.PaidOn), input.Number, frenchDate(input.IssueDate)), true
		}
		if input.Kind == invoice.KindCreditNote {
			return "montant", fmt.Sprintf("Facture : %s est un avoir, dû à l'acheteur ; aucun paiement n'est reçu sur un avoir.", input.Number), true
		}
		return "montant", fmt.Sprintf("Facture : %s est %s ; plus rien n'est dû sur elle, aucun paiement n'est enregistré.", input.Number, strings.ToLower(stateLabel(input.State))), true
	case errors.As(err, &over):
		return "montant", fmt.Sprintf("Montant : %s dépasse le reste dû de %s sur la facture %s (%s TTC, %s déjà encaissés). Un trop-perçu n'est pas enregistré : vérifiez le montant, ou remboursez l'acheteur.",
			euros(over.Amount), euros(over.Remaining), over.Number, euros(over.Total), euros(over.Total.Sub(over.Remaining))), true
	case errors.As(err, &future):
		return "date", fmt.Sprintf("Date du paiement : le %s est dans le futur (nous sommes le %s).", frenchDate(future.PaidOn), frenchDate(future.Today)), true
	}
	return "", "", false
}

// paymentSource names where a payment came from.
func paymentSource(source string) string {
	switch source {
	case store.PaymentChorus:
		return "Chorus Pro"
	case store.PaymentDashboard:
		return "saisi au tableau de bord"
	}
	return "import"
}

// frenchAmount is an amount as people type it: digits, spaces (or
// no-break spaces) between thousands, a decimal comma or point, an
// optional euro sign.
var frenchAmount = regexp.MustCompile(`^[0-9]+(?:[.,][0-9]+)?$`)

// parseFrenchAmount reads "1 234,56", "1234.56" or "1 234,56 €"; whether
// the amount is in cents and above zero is the payment rule's to say.
func parseFrenchAmount(s string) (decimal.Decimal, bool) {
	clean := strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "€", "").Replace(s)
	if !frenchAmount.MatchString(clean) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(strings.Replace(clean, ",", ".", 1))
	return d, err == nil
}

// parseFrenchDate reads a date as the date input sends it (YYYY-MM-DD) or
// as people type it (DD/MM/YYYY).
func parseFrenchDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

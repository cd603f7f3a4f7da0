package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

// Billing as a function of the facts: for an establishment, year and kind,
// what is owed is the quote from today's facts (tariff, headcount, offer,
// dates, usage; nothing when free or nothing due), and what is invoiced is
// the sum of its invoices minus their credit notes. When they differ, a
// credit note for what was billed too much (referencing the year's
// invoice, BT-25/BT-26) and a complementary invoice for what was billed
// short settle it — never an edit of an issued invoice. The pipeline acts
// alone only while the invoices corrected have not left (finalised,
// awaiting references, postal not yet mailed); otherwise the correction is
// proposed on a work list for a human to confirm (ConfirmCorrection).

// CorrectAction is what a correction check did.
type CorrectAction string

// Correction check outcomes.
const (
	// CorrectNone: owed = invoiced, or nothing invoiced yet (a gap, which
	// the run bills).
	CorrectNone CorrectAction = ""
	// CorrectApplied: a credit note and/or a complementary invoice were
	// issued and handed to delivery.
	CorrectApplied CorrectAction = "applied"
	// CorrectProposed: the difference waits on the work list.
	CorrectProposed CorrectAction = "proposed"
	// CorrectDeferred: the year's invoice was rejected; its resubmission
	// recomputes it from today's facts.
	CorrectDeferred CorrectAction = "deferred"
)

// CorrectResult is what a correction check found and did.
type CorrectResult struct {
	Action     CorrectAction
	Correction store.Correction
	// Documents are the credit note and/or complementary invoice issued.
	Documents []store.Invoice
}

// lineKey groups amounts that a correction line may net: same code, same VAT.
type lineKey struct {
	code, category, percent string
}

func keyOf(l invoice.Line) lineKey {
	return lineKey{l.Code, string(l.VAT.Category), l.VAT.Percent.String()}
}

// lineSum is the amount of one key, with the label and VAT of its latest line.
type lineSum struct {
	label  string
	vat    invoice.VATRate
	amount decimal.Decimal
}

// assessment compares what is owed with what is invoiced.
type assessment struct {
	est     store.Establishment
	year    int
	kind    invoice.Kind
	quote   tariff.Quote
	outcome Outcome
	billed  []store.Invoice
	// main is the year's invoice a correction references: the one not
	// cancelled and not itself a complement.
	main *store.Invoice
	diff map[lineKey]lineSum
	c    store.Correction
}

// due reports whether owed and invoiced differ.
func (a assessment) differs() bool {
	for _, s := range a.diff {
		if !s.amount.IsZero() {
			return true
		}
	}
	return false
}

// assess computes owed and invoiced for an establishment, year and kind.
func (p *Pipeline) assess(ctx context.Context, est store.Establishment, year int, kind invoice.Kind) (assessment, error) {
	a := assessment{est: est, year: year, kind: kind, diff: map[lineKey]lineSum{}}
	q, err := quote(ctx, p.books, p.cat, est, year, kind)
	if err != nil {
		return a, err
	}
	a.quote, a.outcome = q, quoteOutcome(q)
	if a.billed, err = p.books.Billed(ctx, est.ID, year, kind); err != nil {
		return a, err
	}
	owedTTC, invoicedTTC := decimal.Zero, decimal.Zero
	var owedHT, invoicedHT decimal.Decimal
	if a.outcome == Issued {
		for _, l := range q.Lines {
			k := keyOf(l)
			s := a.diff[k]
			s.label, s.vat, s.amount = l.Label, l.VAT, s.amount.Add(l.Amount)
			a.diff[k] = s
			owedHT = owedHT.Add(l.Amount)
		}
		owedTTC = invoice.ComputeTotals(q.Lines).TTC
	}
	var basis []string
	for i := range a.billed {
		inv := &a.billed[i]
		basis = append(basis, strconv.FormatInt(inv.ID, 10))
		sign := decimal.NewFromInt(1)
		if inv.Kind == invoice.KindCreditNote {
			sign = sign.Neg()
		} else if inv.State != invoice.StateCancelled && inv.OriginalInvoiceID == nil {
			a.main = inv
		}
		invoicedTTC = invoicedTTC.Add(inv.TotalTTC.Mul(sign))
		for _, l := range inv.Lines {
			amount := l.Amount.Mul(sign)
			k := keyOf(l)
			s := a.diff[k]
			if s.label == "" {
				s.label, s.vat = l.Label, l.VAT
			}
			s.amount = s.amount.Sub(amount)
			a.diff[k] = s
			invoicedHT = invoicedHT.Add(amount)
		}
	}
	a.c = store.Correction{EstablishmentID: est.ID, Year: year, Kind: kind, Basis: strings.Join(basis, ","),
		Owed: owedHT, Invoiced: invoicedHT, OwedTTC: owedTTC, InvoicedTTC: invoicedTTC}
	if a.main != nil {
		a.c.InvoiceID = a.main.ID
		a.c.Reason = a.reason()
	}
	return a, nil
}

// reason says which fact changed and what it changes, in French.
func (a assessment) reason() string {
	var why []string
	m, q := a.main, a.quote
	switch {
	case a.outcome == Free:
		why = append(why, "l'établissement est désormais exonéré")
	case a.outcome == NothingDue:
		why = append(why, "plus rien n'est dû d'après les faits d'aujourd'hui")
	default:
		if m.PeriodEnd != nil && !q.To.IsZero() && !m.PeriodEnd.Equal(q.To) {
			s := "fin de service au " + q.To.Format("02/01/2006") + " (facturée jusqu'au " + m.PeriodEnd.Format("02/01/2006") + ")"
			if a.est.TerminationReceived != nil {
				s = "résiliation reçue le " + a.est.TerminationReceived.Format("02/01/2006") + " : " + s
			}
			why = append(why, s)
		}
		if m.PeriodStart != nil && !q.From.IsZero() && !m.PeriodStart.Equal(q.From) {
			why = append(why, "début de service au "+q.From.Format("02/01/2006")+" (facturé dès le "+m.PeriodStart.Format("02/01/2006")+")")
		}
		if len(m.Lines) > 0 && len(q.Lines) > 0 && m.Lines[0].Label != q.Lines[0].Label {
			why = append(why, fmt.Sprintf("facturé « %s », dû « %s » (effectif %d)", m.Lines[0].Label, q.Lines[0].Label, q.Headcount))
		}
		if len(why) == 0 {
			why = append(why, "les faits ont changé depuis la facturation")
		}
	}
	return fmt.Sprintf("%s %d, facture %s : %s ; dû %s € HT (%s € TTC), facturé %s € HT (%s € TTC)",
		a.kind, a.year, m.Number, strings.Join(why, " ; "),
		invoice.FormatFrench(a.c.Owed), invoice.FormatFrench(a.c.OwedTTC), invoice.FormatFrench(a.c.Invoiced), invoice.FormatFrench(a.c.InvoicedTTC))
}

// leftState says whether an invoice has left for its buyer (or a Chorus
// Pro workflow) — then only a human may correct it — and whether it is
// rejected (its resubmission recomputes it).
func (p *Pipeline) hasLeft(ctx context.Context, inv store.Invoice, mailed map[int64]store.AuditEvent) bool {
	switch {
	case inv.State.Unsent(), inv.State == invoice.StateCancelled:
		return false
	case inv.State == invoice.StatePostal:
		_, ok := mailed[inv.ID]
		return ok
	}
	return true
}

// drafts are the documents that settle an assessment's difference: a
// credit note for the keys billed too much, a complementary invoice for
// those billed short.
func (p *Pipeline) correctionDrafts(ctx context.Context, a assessment, actor string) ([]store.Draft, error) {
	m := a.main
	issue := invoice.CivilDay(p.now())
	keys := make([]lineKey, 0, len(a.diff))
	for k := range a.diff {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	var credit, extra []invoice.Line
	for _, k := range keys {
		s := a.diff[k]
		if s.amount.IsZero() {
			continue
		}
		prefix, to := "Complément : ", &extra
		if s.amount.IsNegative() {
			prefix, to = "Régularisation : ", &credit
		}
		l, err := invoice.NewLine(k.code, prefix+s.label, decimal.NewFromInt(1), invoice.UnitOne, s.amount.Abs(), decimal.NewFromInt(1), s.vat)
		if err != nil {
			return nil, err
		}
		*to = append(*to, l)
	}
	var out []store.Draft
	if len(credit) > 0 {
		out = append(out, store.Draft{Kind: invoice.KindCreditNote, Year: a.year, EstablishmentID: a.est.ID, RunID: m.RunID,
			IssueDate: issue, DueDate: issue, PeriodStart: deref(m.PeriodStart), PeriodEnd: deref(m.PeriodEnd), Lines: credit,
			CodeService: m.CodeService, Engagement: m.Engagement, OriginalInvoiceID: &m.ID, LatePaymentRegime: m.LatePaymentRegime,
			Note:  fmt.Sprintf("Avoir sur la facture %s du %s : %s", m.Number, m.IssueDate.Format("02/01/2006"), a.c.Reason),
			Actor: actor})
	}
	if len(extra) > 0 {
		refs, err := referencesFor(ctx, p.books, a.est.ID, issue.Year(), a.year)
		if err != nil {
			return nil, err
		}
		if refs.CodeService == "" && refs.Engagement == "" {
			refs = store.References{CodeService: m.CodeService, Engagement: m.Engagement}
		}
		d := draft(a.est, a.year, a.kind, issue, a.quote, refs, m.RunID, actor)
		d.Lines, d.Statement, d.OriginalInvoiceID = extra, a.quote.Statement, &m.ID
		d.Note = fmt.Sprintf("Facture complémentaire à la facture %s du %s : %s", m.Number, m.IssueDate.Format("02/01/2006"), a.c.Reason)
		out = append(out, d)
	}
	return out, nil
}

// checkCorrection runs the correction check for one establishment, year
// and kind: nothing when owed = invoiced or nothing is invoiced yet;
// deferred while the year's invoice is rejected; applied when its invoices
// have not left; proposed otherwise.
func (p *Pipeline) checkCorrection(ctx context.Context, est store.Establishment, year int, kind invoice.Kind, mailed map[int64]store.AuditEvent, actor string) (CorrectResult, error) {
	a, err := p.assess(ctx, est, year, kind)
	if err != nil {
		return CorrectResult{}, err
	}
	if len(a.billed) == 0 || !a.differs() {
		if len(a.billed) > 0 {
			return CorrectResult{}, p.books.SupersedeCorrections(ctx, est.ID, year, kind)
		}
		return CorrectResult{}, nil
	}
	if a.main == nil {
		// Every invoice of the year was cancelled: what is owed is a gap
		// for the run, not a correction.
		return CorrectResult{}, nil
	}
	left := false
	for _, inv := range a.billed {
		if inv.State == invoice.StateRejected {
			return CorrectResult{Action: CorrectDeferred, Correction: a.c}, nil
		}
		if inv.Kind != invoice.KindCreditNote && p.hasLeft(ctx, inv, mailed) {
			left = true
		}
	}
	if left {
		c, _, err := p.books.ProposeCorrection(ctx, a.c)
		if err != nil {
			return CorrectResult{}, err
		}
		if c.State != store.CorrectionProposed {
			return CorrectResult{Correction: c}, nil // dismissed by a human
		}
		return CorrectResult{Action: CorrectProposed, Correction: c}, nil
	}
	return p.applyCorrection(ctx, a, actor, "")
}

// applyCorrection issues the documents settling an assessment — checked
// renderable before any number is taken — records the correction (a.c,
// with its id when confirming a proposal), and hands them to delivery.
func (p *Pipeline) applyCorrection(ctx context.Context, a assessment, actor, comment string) (CorrectResult, error) {
	drafts, err := p.correctionDrafts(ctx, a, actor)
	if err != nil {
		return CorrectResult{}, fmt.Errorf("correction of %s %d for %s: %w", a.kind, a.year, a.est.SIRET, err)
	}
	for i := range drafts { // checkRenderable freezes each draft's parties too
		if _, err := checkRenderable(p.issuer, &drafts[i], a.est, a.main); err != nil {
			return CorrectResult{}, fmt.Errorf("correction of %s %d for %s: %w", a.kind, a.year, a.est.SIRET, err)
		}
	}
	c, docs, err := p.books.ApplyCorrection(ctx, a.c, drafts, actor, comment)
	if errors.Is(err, store.ErrCorrectionDecided) && a.c.ID == 0 {
		return CorrectResult{}, nil // another worker corrected the same books
	}
	if err != nil {
		return CorrectResult{}, err
	}
	ids := make([]int64, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	if err := p.deliverNew(ctx, actor, ids...); err != nil {
		return CorrectResult{}, err
	}
	return CorrectResult{Action: CorrectApplied, Correction: c, Documents: docs}, nil
}

// CorrectionChangedError refuses to confirm a proposal that no longer says
// what is true: the facts or the invoices changed since it was proposed.
// Proposal is the correction now proposed, if any.
type CorrectionChangedError struct {
	ID       int64
	Proposal *store.Correction
}

func (e *CorrectionChangedError) Error() string {
	if e.Proposal != nil {
		return fmt.Sprintf("correction #%d is out of date: the facts or the invoices changed since; correction #%d now proposes: %s", e.ID, e.Proposal.ID, e.Proposal.Reason)
	}
	return fmt.Sprintf("correction #%d is out of date: owed and invoiced agree now, nothing to correct", e.ID)
}

// ConfirmCorrection issues the credit note or complementary invoice a
// proposal says, and delivers it, as actor (audited, with the comment). A
// proposal that no longer matches today's facts and books is superseded
// and refused (*CorrectionChangedError); one already decided is
// store.ErrCorrectionDecided. It says what it did.
func (p *Pipeline) ConfirmCorrection(ctx context.Context, id int64, actor, comment string) (string, error) {
	c, err := p.books.CorrectionByID(ctx, id)
	if err != nil {
		return "", err
	}
	if c.State != store.CorrectionProposed {
		return "", fmt.Errorf("correction #%d is %s: %w", id, c.State, store.ErrCorrectionDecided)
	}
	est, err := p.books.EstablishmentByID(ctx, c.EstablishmentID)
	if err != nil {
		return "", err
	}
	a, err := p.assess(ctx, est, c.Year, c.Kind)
	if err != nil {
		return "", err
	}
	if a.c.Basis != c.Basis || !a.c.Owed.Equal(c.Owed) || !a.differs() || a.main == nil {
		changed := &CorrectionChangedError{ID: id}
		if !a.differs() || a.main == nil {
			err = p.books.SupersedeCorrections(ctx, est.ID, c.Year, c.Kind)
		} else {
			var now store.Correction
			if now, _, err = p.books.ProposeCorrection(ctx, a.c); err == nil && now.State == store.CorrectionProposed {
				changed.Proposal = &now
			}
		}
		if err != nil {
			return "", err
		}
		return "", changed
	}
	a.c.ID = id
	res, err := p.applyCorrection(ctx, a, actor, comment)
	if err != nil {
		return "", err
	}
	return res.Summary(), nil
}

// DismissCorrection refuses a proposal, with the operator's comment
// (audited): the same difference on the same invoices is not proposed again.
func (p *Pipeline) DismissCorrection(ctx context.Context, id int64, actor, comment string) (string, error) {
	c, err := p.books.DismissCorrection(ctx, id, actor, comment)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("correction #%d écartée (facture %s)", c.ID, c.InvoiceNumber), nil
}

// Summary says in French what a correction check did.
func (r CorrectResult) Summary() string {
	switch r.Action {
	case CorrectApplied:
		var nums []string
		for _, d := range r.Documents {
			what := "facture complémentaire "
			if d.Kind == invoice.KindCreditNote {
				what = "avoir "
			}
			nums = append(nums, what+d.Number+" ("+invoice.FormatFrench(d.TotalTTC)+" € TTC)")
		}
		return fmt.Sprintf("facture %s corrigée par %s — %s", r.Correction.InvoiceNumber, strings.Join(nums, " et "), r.Correction.Reason)
	case CorrectProposed:
		return fmt.Sprintf("correction #%d à confirmer — %s", r.Correction.ID, r.Correction.Reason)
	case CorrectDeferred:
		return "facture rejetée : sa resoumission la recalcule d'après les faits d'aujourd'hui"
	}
	return ""
}

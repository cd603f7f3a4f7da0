package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

const quoteAbout = `Computes what one establishment owes for a year under the deliberation in
force: its contribution (prorated in whole months for a first or last year) or
the overage of its usage beyond the allowances (--kind overage, with --usage).
With --json, prints one JSON object (a stable contract for scripts).`

func runQuote(_ context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("quote", "--year Y --headcount N [flags]", quoteAbout)
	var (
		year, headcount      int
		offer, kind, delib   string
		received, terminated dateFlag
		existing, asJSON     bool
		usage                = usageFlag{}
	)
	fs.IntVar(&year, "year", 0, "calendar year billed; for overage, year n of the usage (required)")
	fs.IntVar(&headcount, "headcount", 0, "number of employees of the establishment that year (required)")
	fs.StringVar(&offer, "offer", string(tariff.OfferBouquet), "bouquet or teletransmission")
	fs.Var(&received, "received", "`DATE` the signed convention was received (YYYY-MM-DD or DD/MM/YYYY)")
	fs.BoolVar(&existing, "existing", false, "the establishment was already a user on 31/12/2024")
	fs.Var(&terminated, "termination-received", "`DATE` a termination request was received")
	fs.Var(usage, "usage", "observed quantity of a service, `CODE=QTY` (repeatable, overage only)")
	fs.StringVar(&kind, "kind", string(invoice.KindContribution), "contribution or overage")
	fs.StringVar(&delib, "deliberation", "", "deliberation `FILE` or directory (default: embedded, or $"+envDeliberation+")")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	var examples bool
	fs.BoolVar(&examples, "examples", false, "print the quotes of a few typical establishments")
	if err := parse(fs, args); err != nil {
		return err
	}
	if examples {
		return printExamples(c, delib)
	}
	if year == 0 {
		return usagef("--year is required")
	}
	if !isSet(fs, "headcount") {
		return usagef("--headcount is required")
	}
	if headcount < 0 {
		return usagef("--headcount %d is negative", headcount)
	}
	o, err := tariff.ParseOffer(offer)
	if err != nil {
		return usagef("--offer: %v", err)
	}
	k, err := invoice.ParseKind(kind)
	if err != nil || (k != invoice.KindContribution && k != invoice.KindOverage) {
		return usagef("--kind must be contribution or overage, not %q", kind)
	}
	if existing && received.set {
		return usagef("--received and --existing exclude each other")
	}
	if k == invoice.KindContribution && !existing && !received.set {
		return usagef("--received DATE or --existing is required for a contribution")
	}
	if k == invoice.KindContribution && len(usage) > 0 {
		return usagef("--usage applies to --kind overage")
	}
	cat, err := c.catalog(delib)
	if err != nil {
		return err
	}
	e := tariff.Establishment{Offer: o, Headcount: headcount, Existing: existing, Received: received.t, TerminationReceived: terminated.t}
	var q tariff.Quote
	if k == invoice.KindOverage {
		d, derr := cat.For(year)
		if derr != nil {
			return derr
		}
		quantities, qerr := usage.quantities(d)
		if qerr != nil {
			return usagef("%v", qerr)
		}
		q, err = cat.Overage(e, year, quantities)
	} else {
		q, err = cat.Contribution(e, year)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(c.stdout, quoteView(q))
	}
	writeQuote(c.stdout, q)
	return nil
}

// quoteJSON is the JSON contract of "chorusbill quote --json". Amounts are
// decimal strings with two decimals; dates are YYYY-MM-DD; service_end is
// exclusive and null unless a termination ends the service.
type quoteJSON struct {
	Kind            string          `json:"kind"`
	Year            int             `json:"year"`
	Offer           string          `json:"offer"`
	Headcount       int             `json:"headcount"`
	Bracket         string          `json:"bracket"`
	BracketLabel    string          `json:"bracket_label"`
	Months          *int            `json:"months,omitempty"`
	ServiceStart    *string         `json:"service_start"`
	ServiceEnd      *string         `json:"service_end"`
	PeriodStart     *string         `json:"period_start"`
	PeriodEnd       *string         `json:"period_end"`
	Lines           []lineJSON      `json:"lines"`
	Statement       []statementJSON `json:"statement,omitempty"`
	VATBreakdown    []vatJSON       `json:"vat_breakdown"`
	TotalHT         string          `json:"total_ht"`
	TotalVAT        string          `json:"total_vat"`
	TotalTTC        string          `json:"total_ttc"`
	Free            bool            `json:"free"`
	PaymentTermDays int             `json:"payment_term_days"`
	Deliberation    string          `json:"deliberation"`
}

type lineJSON struct {
	Code         string `json:"code"`
	Label        string `json:"label"`
	Quantity     string `json:"quantity"`
	Unit         string `json:"unit"`
	UnitPrice    string `json:"unit_price"`
	BaseQuantity string `json:"base_quantity"`
	Amount       string `json:"amount"`
	VATRate      string `json:"vat_rate"`
	VATCategory  string `json:"vat_category"`
	VATMention   string `json:"vat_mention,omitempty"`
}

type statementJSON struct {
	Code      string `json:"code"`
	Label     string `json:"label"`
	Unit      string `json:"unit"`
	Observed  string `json:"observed"`
	Allowance string `json:"allowance"`
	Excess    string `json:"excess"`
	BlockSize string `json:"block_size"`
	Blocks    int64  `json:"blocks"`
	Amount    string `json:"amount"`
}

type vatJSON struct {
	Category string `json:"category"`
	Rate     string `json:"rate"`
	Base     string `json:"base"`
	Amount   string `json:"amount"`
	Mention  string `json:"mention,omitempty"`
}

func isoDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func quoteView(q tariff.Quote) quoteJSON {
	v := quoteJSON{
		Kind:            string(q.Kind),
		Year:            q.Year,
		Offer:           string(q.Offer),
		Headcount:       q.Headcount,
		Bracket:         q.Bracket.ID,
		BracketLabel:    q.Bracket.Label,
		ServiceStart:    isoDate(q.Service.Start),
		PeriodStart:     isoDate(q.From),
		PeriodEnd:       isoDate(q.To),
		Lines:           []lineJSON{},
		VATBreakdown:    []vatJSON{},
		TotalHT:         invoice.Format(q.Totals.HT),
		TotalVAT:        invoice.Format(q.Totals.VAT),
		TotalTTC:        invoice.Format(q.Totals.TTC),
		Free:            q.Free,
		PaymentTermDays: q.PaymentTermDays,
		Deliberation:    q.Deliberation,
	}
	if q.Kind == invoice.KindContribution {
		months := q.Months
		v.Months = &months
	}
	if q.Service.Terminated {
		v.ServiceEnd = isoDate(q.Service.End)
	}
	for _, l := range q.Lines {
		v.Lines = append(v.Lines, lineView(l))
	}
	for _, r := range q.Statement {
		v.Statement = append(v.Statement, statementJSON{
			Code: r.Code, Label: r.Label, Unit: r.Unit, Observed: r.Usage.Observed.String(),
			Allowance: r.Usage.Allowance.String(), Excess: r.Usage.Excess.String(),
			BlockSize: r.Usage.BlockSize.String(), Blocks: r.Usage.Blocks, Amount: invoice.Format(r.Amount),
		})
	}
	for _, b := range q.Totals.Breakdown {
		v.VATBreakdown = append(v.VATBreakdown, vatJSON{
			Category: string(b.VAT.Category), Rate: invoice.Format(b.VAT.Percent),
			Base: invoice.Format(b.Base), Amount: invoice.Format(b.Amount), Mention: vatMention(b.VAT),
		})
	}
	return v
}

func lineView(l invoice.Line) lineJSON {
	return lineJSON{
		Code: l.Code, Label: l.Label, Quantity: l.Quantity.String(), Unit: l.Unit,
		UnitPrice: invoice.Format(l.UnitPrice), BaseQuantity: l.BaseQuantity.String(),
		Amount: invoice.Format(l.Amount), VATRate: invoice.Format(l.VAT.Percent),
		VATCategory: string(l.VAT.Category), VATMention: vatMention(l.VAT),
	}
}

func vatMention(v invoice.VATRate) string {
	if v.Category == invoice.VATStandard {
		return ""
	}
	return v.Mention
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeQuote prints a quote for a person, in French like the invoices.
func writeQuote(w io.Writer, q tariff.Quote) {
	title := "Contribution"
	if q.Kind == invoice.KindOverage {
		title = "Dépassement des périmètres d'usage"
	}
	fmt.Fprintf(w, "%s %d — offre %s, %d agents (tranche %s)\n", title, q.Year, q.Offer, q.Headcount, q.Bracket.Label)
	if !q.Service.Start.IsZero() {
		fmt.Fprintf(w, "Service depuis le %s", frenchDate(q.Service.Start))
		if q.Service.Terminated {
			fmt.Fprintf(w, ", résilié : fin le %s", frenchDate(q.Service.End.AddDate(0, 0, -1)))
		}
		fmt.Fprintln(w)
	}
	switch {
	case q.Free:
		fmt.Fprintln(w, "Gratuit selon le barème : aucune facture n'est émise.")
		return
	case q.Kind == invoice.KindContribution && q.Months == 0:
		fmt.Fprintf(w, "Aucun mois de service en %d : rien à facturer (0,00 €).\n", q.Year)
		return
	}
	if len(q.Statement) > 0 {
		fmt.Fprintln(w, "\nRelevé des consommations :")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  Service\tConsommé\tInclus\tAu-delà\tBlocs\tMontant HT\t")
		for _, r := range q.Statement {
			fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\t%s\t%s\t\n", r.Code, invoice.FormatQuantity(r.Usage.Observed), r.Unit,
				invoice.FormatQuantity(r.Usage.Allowance), invoice.FormatQuantity(r.Usage.Excess), invoice.FormatQuantity(decimal.NewFromInt(r.Usage.Blocks)), euros(r.Amount))
		}
		tw.Flush()
	}
	if len(q.Lines) == 0 {
		fmt.Fprintf(w, "Consommations %d dans les périmètres d'usage : rien à facturer (0,00 €).\n", q.Year)
		return
	}
	fmt.Fprintf(w, "Période facturée : du %s au %s\n\n", frenchDate(q.From), frenchDate(q.To))
	for _, l := range q.Lines {
		// "9 mois × 920,00 € / 12": the unit price is for the base quantity.
		price := euros(l.UnitPrice)
		if !l.BaseQuantity.Equal(decimal.NewFromInt(1)) {
			price += " / " + invoice.FormatQuantity(l.BaseQuantity)
		}
		fmt.Fprintf(w, "  %s\n      %s × %s = %s HT (TVA %s)\n", l.Label, invoice.QuantityLabel(l.Quantity, l.Unit), price, euros(l.Amount), percent(l.VAT.Percent))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  Total HT\t%s\t\n", euros(q.Totals.HT))
	for _, b := range q.Totals.Breakdown {
		label := "TVA " + percent(b.VAT.Percent)
		if b.VAT.Category != invoice.VATStandard {
			label = "TVA (" + b.VAT.Mention + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t\n", label, euros(b.Amount))
	}
	fmt.Fprintf(tw, "  Total TTC\t%s\t\n", euros(q.Totals.TTC))
	tw.Flush()
	fmt.Fprintf(w, "Paiement à %d jours de la date de facture.\n", q.PaymentTermDays)
}

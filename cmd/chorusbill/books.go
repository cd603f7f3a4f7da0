package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

const migrateAbout = `Creates or upgrades the database schema named by $` + envDatabaseURL + `
(postgres://… or sqlite://PATH; default ` + store.DefaultURL + `). Every
command that uses the books also migrates on start.`

func runMigrate(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("migrate", "", migrateAbout)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, cfg.BooksURL())
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s database migrated: %d step(s) applied\n", s.Dialect(), n)
	return nil
}

const invoicesAbout = `Reads the books.
  chorusbill invoices list [--year Y] [--state S] [--kind K] [--overdue | --to-verify] [--json]
  chorusbill invoices show NUMBER [--json]
  chorusbill invoices export --format cii|ubl|pdf|facturx|print-batch --out DIR [--year Y] [--number N]`

func runInvoices(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 && args[0] == "export" {
		return runExport(ctx, c, args[1:])
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "show") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(c.stdout, "Usage: chorusbill invoices list|show|export [flags]\n\n%s\n", invoicesAbout)
			return nil
		}
		return usagef("say list, show or export")
	}
	if args[0] == "show" {
		return showInvoice(ctx, c, args[1:])
	}
	fs := c.newFlagSet("invoices list", "[flags]", "Lists invoices by series and number.")
	var (
		year        int
		state, kind string
		asJSON      bool
	)
	fs.IntVar(&year, "year", 0, "only this year")
	fs.StringVar(&state, "state", "", "only this state ("+strings.Join(stateNames(), ", ")+")")
	fs.StringVar(&kind, "kind", "", "only this kind (contribution, overage, interest, credit_note)")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	var overdue, toVerify bool
	fs.BoolVar(&overdue, "overdue", false, "only unpaid invoices past their due date, with the interest accrued to date")
	fs.BoolVar(&toVerify, "to-verify", false, "only the invoices to look for on the Chorus Pro portal ("+worker.StatusToVerify+
		": Chorus Pro should hold them but no search finds them), with what was tried; one not there is deposited again by chorusbill resubmit NUMBER")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if overdue && toVerify {
		return usagef("say --overdue or --to-verify, not both")
	}
	if overdue {
		return listOverdue(ctx, c, year, asJSON)
	}
	f := store.InvoiceFilter{Year: year}
	if toVerify {
		f.ChorusStatus = worker.StatusToVerify
	}
	if state != "" {
		st, err := invoice.ParseState(state)
		if err != nil {
			return usagef("--state: %v", err)
		}
		f.State = st
	}
	if kind != "" {
		k, err := invoice.ParseKind(kind)
		if err != nil {
			return usagef("--kind: %v", err)
		}
		f.Kind = k
	}
	s, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.ListInvoices(ctx, f)
	if err != nil {
		return err
	}
	if asJSON {
		views := make([]invoiceJSON, 0, len(list))
		for _, inv := range list {
			views = append(views, invoiceView(inv, nil))
		}
		return writeJSON(c.stdout, views)
	}
	ests, err := establishmentsOf(ctx, s, list)
	if err != nil {
		return err
	}
	if toVerify {
		writeToVerify(c.stdout, list, ests)
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMÉRO\tTYPE\tANNÉE\tSIRET\tÉTABLISSEMENT\tÉMISE LE\tÉCHÉANCE\tTOTAL TTC\tÉTAT")
	for _, inv := range list {
		est := ests[inv.EstablishmentID]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", inv.Number, inv.Kind, inv.Year, est.SIRET, shorten(est.Name, 40),
			frenchDate(inv.IssueDate), frenchDate(inv.DueDate), euros(inv.TotalTTC), inv.State)
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "%d facture(s)\n", len(list))
	return nil
}

// writeToVerify lists the invoices to look for on the Chorus Pro portal,
// each with what the worker tried, and says what to do.
func writeToVerify(w io.Writer, list []store.Invoice, ests map[int64]store.Establishment) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMÉRO\tÉTAT\tSIRET\tÉTABLISSEMENT\tTOTAL TTC\tMOTIF")
	for _, inv := range list {
		est := ests[inv.EstablishmentID]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", inv.Number, inv.State, est.SIRET, shorten(est.Name, 40), euros(inv.TotalTTC),
			strings.Join(strings.Fields(inv.StatusReason), " "))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d facture(s) à vérifier sur le portail Chorus Pro", len(list))
	if len(list) > 0 {
		fmt.Fprint(w, " : une facture absente du portail se dépose à nouveau par chorusbill resubmit NUMÉRO")
	}
	fmt.Fprintln(w)
}

// establishmentsOf reads the establishments of listed invoices, a block of
// ids at a time (a year lists up to one invoice per establishment).
func establishmentsOf(ctx context.Context, s *store.Store, list []store.Invoice) (map[int64]store.Establishment, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, inv := range list {
		if !seen[inv.EstablishmentID] {
			seen[inv.EstablishmentID] = true
			ids = append(ids, inv.EstablishmentID)
		}
	}
	out := make(map[int64]store.Establishment, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		block, err := s.EstablishmentsByIDs(ctx, ids[:n])
		if err != nil {
			return nil, err
		}
		for id, e := range block {
			out[id] = e
		}
		ids = ids[n:]
	}
	return out, nil
}

// shorten cuts a name to n characters for a table column.
func shorten(name string, n int) string {
	if r := []rune(name); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return name
}

func stateNames() []string {
	var out []string
	for _, s := range invoice.States() {
		out = append(out, string(s))
	}
	return out
}

func showInvoice(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("invoices show", "NUMBER [--json]", "Shows one invoice: lines, totals, payments and audit trail.")
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	number, err := parseWithArg(fs, args, "the invoice NUMBER is required")
	if err != nil {
		return err
	}
	s, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	inv, err := s.InvoiceByNumber(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no invoice %s in the books", number)
	}
	if err != nil {
		return err
	}
	est, err := s.EstablishmentByID(ctx, inv.EstablishmentID)
	if err != nil {
		return err
	}
	payments, err := s.Payments(ctx, inv.ID)
	if err != nil {
		return err
	}
	trail, err := s.AuditTrail(ctx, "invoice", inv.ID)
	if err != nil {
		return err
	}
	if asJSON {
		v := invoiceView(inv, &est)
		for _, p := range payments {
			v.Payments = append(v.Payments, paymentJSON{PaidOn: p.PaidOn.Format(time.DateOnly), Amount: invoice.Format(p.Amount), Source: p.Source, Reference: p.Reference})
		}
		for _, e := range trail {
			v.Audit = append(v.Audit, auditJSON{At: e.At.Format(time.RFC3339), Actor: e.Actor, Action: e.Action, From: e.From, To: e.To, Reason: e.Reason})
		}
		return writeJSON(c.stdout, v)
	}
	w := c.stdout
	fmt.Fprintf(w, "Facture %s (%s %d) — %s\n", inv.Number, inv.Kind, inv.Year, inv.State)
	fmt.Fprintf(w, "%s, SIRET %s, %s %s\n", est.Name, est.SIRET, est.Postcode, est.City)
	fmt.Fprintf(w, "Émise le %s, échéance le %s", frenchDate(inv.IssueDate), frenchDate(inv.DueDate))
	if inv.PeriodStart != nil && inv.PeriodEnd != nil {
		fmt.Fprintf(w, ", période du %s au %s", frenchDate(*inv.PeriodStart), frenchDate(*inv.PeriodEnd))
	}
	fmt.Fprintln(w)
	if inv.CodeService != "" || inv.Engagement != "" {
		fmt.Fprintf(w, "Code service : %s — engagement : %s\n", inv.CodeService, inv.Engagement)
	}
	for _, l := range inv.Lines {
		fmt.Fprintf(w, "  %s\n      %s HT (TVA %s)\n", l.Label, euros(l.Amount), percent(l.VAT.Percent))
	}
	fmt.Fprintf(w, "Total HT %s — TVA %s — Total TTC %s\n", euros(inv.TotalHT), euros(inv.TotalVAT), euros(inv.TotalTTC))
	for _, p := range payments {
		fmt.Fprintf(w, "Paiement du %s : %s (%s %s)\n", frenchDate(p.PaidOn), euros(p.Amount), p.Source, p.Reference)
	}
	fmt.Fprintln(w, "Historique :")
	for _, e := range trail {
		fmt.Fprintf(w, "  %s  %-12s %s %s→%s %s\n", e.At.Format("02/01/2006 15:04:05"), e.Actor, e.Action, e.From, e.To, e.Reason)
	}
	return nil
}

// invoiceJSON is the JSON contract of "chorusbill invoices list|show --json".
type invoiceJSON struct {
	Number          string  `json:"number"`
	Kind            string  `json:"kind"`
	Year            int     `json:"year"`
	State           string  `json:"state"`
	EstablishmentID int64   `json:"establishment_id"`
	SIRET           string  `json:"siret,omitempty"`
	Name            string  `json:"name,omitempty"`
	IssueDate       string  `json:"issue_date"`
	DueDate         string  `json:"due_date"`
	PeriodStart     *string `json:"period_start"`
	PeriodEnd       *string `json:"period_end"`
	TotalHT         string  `json:"total_ht"`
	TotalVAT        string  `json:"total_vat"`
	TotalTTC        string  `json:"total_ttc"`
	Channel         string  `json:"channel"`
	CodeService     string  `json:"code_service"`
	Engagement      string  `json:"engagement"`
	ChorusFlow      string  `json:"chorus_flow_number"`
	// ChorusStatus is Chorus Pro's status, or one of chorusbill's own
	// (A_VERIFIER…); StatusReason says why it is so.
	ChorusStatus string        `json:"chorus_status,omitempty"`
	StatusReason string        `json:"status_reason,omitempty"`
	Lines        []lineJSON    `json:"lines,omitempty"`
	Payments     []paymentJSON `json:"payments,omitempty"`
	Audit        []auditJSON   `json:"audit,omitempty"`
}

type paymentJSON struct {
	PaidOn    string `json:"paid_on"`
	Amount    string `json:"amount"`
	Source    string `json:"source"`
	Reference string `json:"reference"`
}

type auditJSON struct {
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

func invoiceView(inv store.Invoice, est *store.Establishment) invoiceJSON {
	v := invoiceJSON{
		Number: inv.Number, Kind: string(inv.Kind), Year: inv.Year, State: string(inv.State), EstablishmentID: inv.EstablishmentID,
		IssueDate: inv.IssueDate.Format(time.DateOnly), DueDate: inv.DueDate.Format(time.DateOnly),
		TotalHT: invoice.Format(inv.TotalHT), TotalVAT: invoice.Format(inv.TotalVAT), TotalTTC: invoice.Format(inv.TotalTTC),
		Channel: inv.Channel, CodeService: inv.CodeService, Engagement: inv.Engagement, ChorusFlow: inv.ChorusFlowNumber,
		ChorusStatus: inv.ChorusStatus, StatusReason: inv.StatusReason,
	}
	if inv.PeriodStart != nil {
		v.PeriodStart = isoDate(*inv.PeriodStart)
	}
	if inv.PeriodEnd != nil {
		v.PeriodEnd = isoDate(*inv.PeriodEnd)
	}
	if est != nil {
		v.SIRET, v.Name = est.SIRET, est.Name
	}
	for _, l := range inv.Lines {
		v.Lines = append(v.Lines, lineView(l))
	}
	return v
}

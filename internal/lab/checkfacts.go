package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/internal/lab/judge"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// The chaos checks judge from facts gathered apart from the code under
// test: the books read with plain SQL (not through store), Chorus Pro as
// the sandbox saw it (every deposit, every invoice), and what each
// establishment owes computed by the independent judge from the very files
// the run imported.

// facts are what the checks judge.
type facts struct {
	year     int
	invoices []factInvoice
	// counters are the numbering counters' rows, by series.
	counters map[string]int64
	payments []factPayment
	// transitions are the audit trail's state changes, by invoice id, in
	// order.
	transitions map[int64][]factTransition
	// owed is what each establishment owes for the year's contribution,
	// by SIRET (judge).
	owed     map[string]judge.Expected
	deposits []sandbox.Deposit
	// chorus are the invoices Chorus Pro holds, by number.
	chorus  map[string][]sandbox.Invoice
	entered []EnteredPayment
	settled bool
	waited  time.Duration
}

// factInvoice is an invoice as the books' table holds it (cents).
type factInvoice struct {
	ID           int64     `db:"id"`
	Kind         string    `db:"kind"`
	Series       string    `db:"series"`
	Seq          int64     `db:"seq"`
	Number       string    `db:"number"`
	Year         int       `db:"year"`
	SIRET        string    `db:"siret"`
	IssueDate    time.Time `db:"issue_date"`
	TTC          int64     `db:"total_ttc_cents"`
	State        string    `db:"state"`
	Channel      string    `db:"channel"`
	ChorusStatus string    `db:"chorus_status"`
	OriginalID   *int64    `db:"original_invoice_id"`
	CancelsID    *int64    `db:"cancels_invoice_id"`
	InterestOf   *int64    `db:"interest_payment_id"`
}

// factPayment is a payment row.
type factPayment struct {
	ID        int64     `db:"id"`
	InvoiceID int64     `db:"invoice_id"`
	PaidOn    time.Time `db:"paid_on"`
	Amount    int64     `db:"amount_cents"`
	Source    string    `db:"source"`
	Reference string    `db:"reference"`
}

// factTransition is one state change of the audit trail, and when the
// books made it.
type factTransition struct {
	From string    `db:"from_state"`
	To   string    `db:"to_state"`
	At   time.Time `db:"at"`
}

// openPlain opens the books named by a URL for plain SQL, read only in
// intent: postgres:// (pgx) or sqlite://PATH.
func openPlain(ctx context.Context, rawURL string) (*sqlx.DB, error) {
	driver, dsn := "pgx", rawURL
	if path, ok := strings.CutPrefix(rawURL, "sqlite://"); ok {
		driver, dsn = "sqlite", "file:"+path+"?_pragma=busy_timeout(30000)"
	}
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// gatherFacts reads the books, the sandbox and the inputs.
func gatherFacts(ctx context.Context, in ChecksInput) (facts, error) {
	f := facts{year: in.Year, counters: map[string]int64{}, transitions: map[int64][]factTransition{}, chorus: map[string][]sandbox.Invoice{},
		entered: in.Payments, settled: in.Settled, waited: in.Waited}
	db, err := openPlain(ctx, in.DatabaseURL)
	if err != nil {
		return f, fmt.Errorf("open the books for the checks: %w", err)
	}
	defer db.Close()
	if err := db.SelectContext(ctx, &f.invoices, `SELECT i.id, i.kind, i.series, i.seq, i.number, i.year, e.siret, i.issue_date,
		i.total_ttc_cents, i.state, i.channel, i.chorus_status, i.original_invoice_id, i.cancels_invoice_id, i.interest_payment_id
		FROM invoices i JOIN establishments e ON e.id = i.establishment_id ORDER BY i.series, i.seq`); err != nil {
		return f, fmt.Errorf("read the invoices: %w", err)
	}
	var counters []struct {
		Series string `db:"series"`
		Last   int64  `db:"last"`
	}
	if err := db.SelectContext(ctx, &counters, `SELECT series, last FROM invoice_counters`); err != nil {
		return f, fmt.Errorf("read the counters: %w", err)
	}
	for _, c := range counters {
		f.counters[c.Series] = c.Last
	}
	if err := db.SelectContext(ctx, &f.payments, `SELECT id, invoice_id, paid_on, amount_cents, source, reference FROM payments ORDER BY id`); err != nil {
		return f, fmt.Errorf("read the payments: %w", err)
	}
	var trail []struct {
		factTransition
		ID int64 `db:"entity_id"`
	}
	if err := db.SelectContext(ctx, &trail, `SELECT entity_id, from_state, to_state, at FROM audit_events
		WHERE entity = 'invoice' AND (from_state <> '' OR to_state <> '') ORDER BY id`); err != nil {
		return f, fmt.Errorf("read the audit trail: %w", err)
	}
	for _, t := range trail {
		f.transitions[t.ID] = append(f.transitions[t.ID], t.factTransition)
	}
	if in.Sandbox != nil {
		f.deposits = in.Sandbox.Deposits()
		for _, inv := range in.Sandbox.Invoices() {
			f.chorus[inv.NumeroFacture] = append(f.chorus[inv.NumeroFacture], inv)
		}
	}
	if f.owed, err = owedFromFiles(in); err != nil {
		return f, err
	}
	return f, nil
}

// owedFromFiles is what the judge says each establishment owes for the
// year, from the files the run imported: the establishments of a later
// file replace those of an earlier one, as the import does.
func owedFromFiles(in ChecksInput) (map[string]judge.Expected, error) {
	if len(in.EstablishmentFiles) == 0 {
		return nil, nil
	}
	delib, err := fixtures.FS().Open(fixtures.DeliberationsDir + "/2025-2029.yaml")
	if err != nil {
		return nil, err
	}
	defer delib.Close()
	est, err := mergeCSV(in.EstablishmentFiles)
	if err != nil {
		return nil, err
	}
	var usage []judge.File
	for _, p := range in.UsageFiles {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		usage = append(usage, judge.File{Name: filepath.Base(p), R: strings.NewReader(string(data))})
	}
	inputs, err := judge.Load(judge.File{Name: "2025-2029.yaml", R: delib}, judge.File{Name: "establishments", R: strings.NewReader(est)}, usage...)
	if err != nil {
		return nil, fmt.Errorf("the judge reading the inputs: %w", err)
	}
	return inputs.Owed(in.Year, judge.Contribution)
}

// mergeCSV joins CSV files of one header into one: the rows of a later
// file replace those of an earlier one with the same first column (the
// SIRET).
func mergeCSV(paths []string) (string, error) {
	var (
		header string
		order  []string
		rows   = map[string]string{}
	)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n")
		if header == "" {
			header = lines[0]
		} else if lines[0] != header {
			return "", fmt.Errorf("%s: its header differs from the first file's", p)
		}
		for _, l := range lines[1:] {
			key, _, _ := strings.Cut(l, ";")
			if _, seen := rows[key]; !seen {
				order = append(order, key)
			}
			rows[key] = l
		}
	}
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, k := range order {
		b.WriteString(rows[k] + "\n")
	}
	return b.String(), nil
}

// cents is an amount as cents, for comparing with the books.
func cents(d decimal.Decimal) int64 { return d.Shift(2).Round(0).IntPart() }

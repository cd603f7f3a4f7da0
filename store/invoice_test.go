package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// addEstablishment puts a minimal establishment in the books.
func addEstablishment(t testing.TB, s *Store, siret string) int64 {
	t.Helper()
	var id int64
	now := time.Now().UTC()
	err := s.db.Get(&id, s.rebind(`INSERT INTO establishments (siret, name, offer, existing_user, created_at, updated_at)
		VALUES (?, ?, 'bouquet', TRUE, ?, ?) RETURNING id`), siret, "Établissement "+siret, now, now)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func contributionDraft(t testing.TB, estID int64, year int, months int64) Draft {
	t.Helper()
	l, err := invoice.NewLine("contribution-bouquet", "Contribution", decimal.NewFromInt(months), invoice.UnitMonth,
		decimal.RequireFromString("2012.50"), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
	if err != nil {
		t.Fatal(err)
	}
	issue := time.Date(year, 1, 15, 0, 0, 0, 0, time.UTC)
	return Draft{Kind: invoice.KindContribution, Year: year, EstablishmentID: estID, IssueDate: issue, DueDate: issue.AddDate(0, 0, 30),
		PeriodStart: time.Date(year, 13-time.Month(months), 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC),
		Lines: []invoice.Line{l}, Actor: "test", CodeService: "SERV-1"}
}

func TestFinalise(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		a := addEstablishment(t, s, "73282932000074")
		b := addEstablishment(t, s, "21350238800013")

		first, created, err := s.Finalise(ctx, contributionDraft(t, a, 2025, 3))
		if err != nil || !created {
			t.Fatalf("finalise: %v created=%v", err, created)
		}
		if first.Number != "CT2025-000001" || first.State != invoice.StateFinalised || first.Seq != 1 {
			t.Errorf("first = %s %s seq %d", first.Number, first.State, first.Seq)
		}
		if first.TotalHT.StringFixed(2) != "503.13" || first.TotalVAT.StringFixed(2) != "100.63" || first.TotalTTC.StringFixed(2) != "603.76" {
			t.Errorf("totals = %s %s %s", first.TotalHT, first.TotalVAT, first.TotalTTC)
		}
		if len(first.Lines) != 1 || first.Lines[0].Amount.StringFixed(2) != "503.13" || first.Lines[0].UnitPrice.String() != "2012.5" ||
			first.Lines[0].BaseQuantity.String() != "12" || first.Lines[0].VAT.Percent.String() != "20" {
			t.Errorf("lines = %+v", first.Lines)
		}
		if got := first.PeriodStart.Format(time.DateOnly) + ".." + first.PeriodEnd.Format(time.DateOnly); got != "2025-10-01..2025-12-31" {
			t.Errorf("period = %s", got)
		}
		if first.DueDate.Format(time.DateOnly) != "2025-02-14" || first.CodeService != "SERV-1" {
			t.Errorf("due %s code %s", first.DueDate, first.CodeService)
		}

		// A second attempt returns the same invoice: no duplicate, no number burnt.
		again, created, err := s.Finalise(ctx, contributionDraft(t, a, 2025, 12))
		if err != nil || created || again.ID != first.ID || again.TotalHT.StringFixed(2) != "503.13" {
			t.Fatalf("repeat: %v created=%v %s %s", err, created, again.Number, again.TotalHT)
		}
		second, _, err := s.Finalise(ctx, contributionDraft(t, b, 2025, 12))
		if err != nil || second.Number != "CT2025-000002" {
			t.Fatalf("second: %v %s", err, second.Number)
		}
		// Another year of the same establishment is another invoice.
		next, created, err := s.Finalise(ctx, contributionDraft(t, a, 2026, 12))
		if err != nil || !created || next.Number != "CT2026-000001" {
			t.Fatalf("2026: %v %s", err, next.Number)
		}

		trail, err := s.AuditTrail(ctx, "invoice", first.ID)
		if err != nil || len(trail) != 1 || trail[0].From != "draft" || trail[0].To != "finalised" || trail[0].Actor != "test" {
			t.Errorf("audit = %+v, %v", trail, err)
		}
		byNumber, err := s.InvoiceByNumber(ctx, "CT2025-000002")
		if err != nil || byNumber.ID != second.ID {
			t.Errorf("by number: %v", err)
		}
		if _, err := s.InvoiceByNumber(ctx, "CT2025-999999"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown number: %v", err)
		}
		list, err := s.ListInvoices(ctx, InvoiceFilter{Year: 2025})
		if err != nil || len(list) != 2 || list[0].Number != "CT2025-000001" || list[1].Number != "CT2025-000002" {
			t.Errorf("list = %v, %v", list, err)
		}
	})
}

func TestFinaliseRejects(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		a := addEstablishment(t, s, "73282932000074")
		tests := []struct {
			name   string
			mutate func(*Draft)
			want   string
		}{
			{"no line", func(d *Draft) { d.Lines = nil }, "at least one line"},
			{"no actor", func(d *Draft) { d.Actor = "" }, "actor is required"},
			{"due before issue", func(d *Draft) { d.DueDate = d.IssueDate.AddDate(0, 0, -1) }, "due date before issue date"},
			{"credit note without original", func(d *Draft) { d.Kind = invoice.KindCreditNote }, "original invoice is required"},
			{"unrounded amount", func(d *Draft) { d.Lines[0].Amount = decimal.RequireFromString("1.005") }, "not rounded to the cent"},
			{"unknown establishment", func(d *Draft) { d.EstablishmentID = 999 }, "finalise contribution 2025"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := contributionDraft(t, a, 2025, 12)
				tt.mutate(&d)
				if _, _, err := s.Finalise(ctx, d); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
			})
		}
		// None of the refusals took a number.
		inv, _, err := s.Finalise(ctx, contributionDraft(t, a, 2025, 12))
		if err != nil || inv.Number != "CT2025-000001" {
			t.Errorf("after refusals: %s %v", inv.Number, err)
		}
	})
}

// Eight workers finalise 2,000 invoices across three series at once: every
// series ends numbered 1..N with no gap and no duplicate, and the numbers
// follow the order in which the invoices were finalised.
func TestFinaliseConcurrentNumbering(t *testing.T) {
	const (
		workers  = 8
		invoices = 2000
	)
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ests := make([]int64, invoices)
		for i := range ests {
			ests[i] = addEstablishment(t, s, fmt.Sprintf("9%013d", i))
		}
		kinds := []invoice.Kind{invoice.KindContribution, invoice.KindOverage, invoice.KindInterest}
		jobs := make(chan int)
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					d := contributionDraft(t, ests[i], 2025, 12)
					d.Kind = kinds[i%len(kinds)]
					if _, _, err := s.Finalise(ctx, d); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for i := 0; i < invoices; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var rows []struct {
			Series string `db:"series"`
			Seq    int64  `db:"seq"`
			Number string `db:"number"`
			ID     int64  `db:"id"`
		}
		if err := s.db.Select(&rows, `SELECT series, seq, number, id FROM invoices ORDER BY series, seq`); err != nil {
			t.Fatal(err)
		}
		if len(rows) != invoices {
			t.Fatalf("%d invoices, want %d", len(rows), invoices)
		}
		perSeries := map[string][]int64{}
		for _, r := range rows {
			perSeries[r.Series] = append(perSeries[r.Series], r.Seq)
			if want := fmt.Sprintf("%s-%06d", r.Series, r.Seq); r.Number != want {
				t.Errorf("number %s, want %s", r.Number, want)
			}
		}
		if len(perSeries) != 3 {
			t.Fatalf("series = %v", perSeries)
		}
		for series, seqs := range perSeries {
			for i, seq := range seqs {
				if seq != int64(i+1) {
					t.Fatalf("series %s: position %d has number %d (gap or duplicate)", series, i+1, seq)
				}
			}
			var last int64
			if err := s.db.Get(&last, s.rebind(`SELECT last FROM invoice_counters WHERE series = ?`), series); err != nil || last != int64(len(seqs)) {
				t.Errorf("counter %s = %d, want %d (%v)", series, last, len(seqs), err)
			}
		}
		// Finalisation order: within a series, a later number was stored later.
		for _, r := range [][]int64{idsBySeq(rows, "CT2025"), idsBySeq(rows, "OV2025"), idsBySeq(rows, "IN2025")} {
			if !sort.SliceIsSorted(r, func(i, j int) bool { return r[i] < r[j] }) {
				t.Errorf("numbers are not in finalisation order")
			}
		}
	})
}

func idsBySeq(rows []struct {
	Series string `db:"series"`
	Seq    int64  `db:"seq"`
	Number string `db:"number"`
	ID     int64  `db:"id"`
}, series string) []int64 {
	var ids []int64
	for _, r := range rows {
		if r.Series == series {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Workers racing to bill the same establishment and year end with one
// invoice and one number, all of them seeing it.
func TestFinaliseRaceOnSameEstablishment(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		a := addEstablishment(t, s, "73282932000074")
		var wg sync.WaitGroup
		numbers := make([]string, 8)
		errs := make([]error, 8)
		for w := range numbers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inv, _, err := s.Finalise(ctx, contributionDraft(t, a, 2025, 12))
				numbers[w], errs[w] = inv.Number, err
			}()
		}
		wg.Wait()
		for w := range numbers {
			if errs[w] != nil || numbers[w] != "CT2025-000001" {
				t.Errorf("worker %d: %s %v", w, numbers[w], errs[w])
			}
		}
		var n, last int
		s.db.Get(&n, `SELECT COUNT(*) FROM invoices`)
		s.db.Get(&last, `SELECT last FROM invoice_counters`)
		if n != 1 || last != 1 {
			t.Errorf("%d invoices, counter %d; want 1 and 1", n, last)
		}
	})
}

func TestFinaliseKeepsStatement(t *testing.T) {
	ctx := context.Background()
	forEachEngine(t, func(t *testing.T, s *Store) {
		d := contributionDraft(t, addEstablishment(t, s, "73282932000074"), 2025, 12)
		d.Kind = invoice.KindOverage
		d.Lines[0].Usage = &invoice.Usage{Observed: decimal.RequireFromString("120.5"), Allowance: decimal.NewFromInt(100),
			Excess: decimal.RequireFromString("20.5"), BlockSize: decimal.NewFromInt(10), Blocks: 3}
		d.Statement = []invoice.StatementRow{
			{Code: "partage-users", Label: "Utilisateurs", Unit: "utilisateur", Usage: invoice.Usage{Observed: decimal.NewFromInt(20),
				Allowance: decimal.NewFromInt(25), Excess: decimal.Zero, BlockSize: decimal.NewFromInt(1)}, UnitPrice: decimal.RequireFromString("12.00"), Amount: decimal.Zero},
			{Code: "partage-storage", Label: "Stockage", Unit: "Go", Usage: *d.Lines[0].Usage, UnitPrice: decimal.RequireFromString("15.00"), Amount: decimal.RequireFromString("45.00")},
		}
		inv, _, err := s.Finalise(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.InvoiceByNumber(ctx, inv.Number)
		if err != nil {
			t.Fatal(err)
		}
		// A batch answers the lines and statement as the books hold them,
		// without reading them back.
		d2 := d
		d2.EstablishmentID = addEstablishment(t, s, "21350238800013")
		batch, _, err := s.FinaliseMany(ctx, []Draft{d2})
		if err != nil {
			t.Fatal(err)
		}
		if stored, err := s.InvoiceByID(ctx, batch[0].ID); err != nil || !reflect.DeepEqual(stored.Lines, batch[0].Lines) || !reflect.DeepEqual(stored.Statement, batch[0].Statement) {
			t.Errorf("batch answered\n%+v %+v\nthe books hold\n%+v %+v (%v)", batch[0].Lines, batch[0].Statement, stored.Lines, stored.Statement, err)
		}
		if len(got.Statement) != 2 || got.Statement[1].Usage.Observed.String() != "120.5" || got.Statement[1].Usage.Blocks != 3 ||
			got.Statement[1].Amount.StringFixed(2) != "45.00" || got.Statement[0].UnitPrice.StringFixed(2) != "12.00" {
			t.Errorf("statement = %+v", got.Statement)
		}
		if u := got.Lines[0].Usage; u == nil || u.Excess.String() != "20.5" || u.BlockSize.String() != "10" {
			t.Errorf("line usage = %+v", u)
		}
		if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM invoice_statement_rows WHERE invoice_id = ?`), inv.ID); err == nil {
			t.Error("statement rows can be deleted")
		}
	})
}

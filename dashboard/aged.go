package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// The aged balance (balance âgée): what each buyer owes today, by how late
// it is, with the grand totals of all buyers — the overview's « reste à
// encaisser », and in its late columns its « dont échu, impayé » — a page
// at a time, and its export.

// agedColumn is a column of amounts of the aged balance, as the page and
// the export head it.
type agedColumn struct {
	Label string
	// Sort is the store.AgedFilter sort key of the column ("" for none).
	Sort string
	// amount picks the column's amount.
	amount func(store.AgedAmounts) decimal.Decimal
}

// agedColumns are the aged balance's amounts, in order: the late columns
// count days past the due date (1 to 30 is due yesterday to 30 days ago).
var agedColumns = []agedColumn{
	{"Non échu", "", func(a store.AgedAmounts) decimal.Decimal { return a.NotDue }},
	{"1 à 30 jours", "", func(a store.AgedAmounts) decimal.Decimal { return a.Late30 }},
	{"31 à 60 jours", "", func(a store.AgedAmounts) decimal.Decimal { return a.Late60 }},
	{"61 à 90 jours", "", func(a store.AgedAmounts) decimal.Decimal { return a.Late90 }},
	{"Plus de 90 jours", "over90", func(a store.AgedAmounts) decimal.Decimal { return a.Over90 }},
	{"Rejetées", "", func(a store.AgedAmounts) decimal.Decimal { return a.Rejected }},
	{"Total", "total", func(a store.AgedAmounts) decimal.Decimal { return a.Total }},
}

// agedCell is an amount as the page shows it: zero is muted.
type agedCell struct {
	Amount decimal.Decimal
	Zero   bool
}

func agedCells(a store.AgedAmounts) []agedCell {
	out := make([]agedCell, len(agedColumns))
	for i, c := range agedColumns {
		v := c.amount(a)
		out[i] = agedCell{Amount: v, Zero: v.IsZero()}
	}
	return out
}

// agedRowView is a buyer of the page.
type agedRowView struct {
	SIRET, Name string
	Cells       []agedCell
}

// agedView is the aged balance page.
type agedView struct {
	Today   time.Time
	Query   listQuery
	Columns []agedColumn
	Rows    []agedRowView
	// Count and Totals are all buyers', not the page's.
	Count  int
	Totals []agedCell
	Page   pageView
	// Export is the export's link, in the page's order.
	Export string
}

// agedFilter is the aged balance on today in the order the URL asks.
func (s *Server) agedFilter(r *http.Request) (store.AgedFilter, listQuery) {
	lq := listQuery{Sort: r.URL.Query().Get("tri")}
	return store.AgedFilter{Day: s.today(), Sort: lq.Sort}, lq
}

func (s *Server) agedBalance(w http.ResponseWriter, r *http.Request) {
	f, lq := s.agedFilter(r)
	pr := pageFrom(r.URL.Query())
	f.Limit, f.Offset = pr.Size, (pr.Page-1)*pr.Size
	page, err := s.books.AgedBalance(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := agedView{Today: f.Day, Query: lq, Columns: agedColumns, Count: page.Count, Totals: agedCells(page.Totals),
		Page: newPageView(r.URL.Query(), pr, page.Count, len(page.Rows)), Export: "/balance-agee.csv"}
	if lq.Sort != "" {
		v.Export += "?" + url.Values{"tri": {lq.Sort}}.Encode()
	}
	for _, row := range page.Rows {
		v.Rows = append(v.Rows, agedRowView{SIRET: row.SIRET, Name: row.Name, Cells: agedCells(row.AgedAmounts)})
	}
	s.render(w, r, http.StatusOK, "aged", "Balance âgée", v)
}

// agedBalanceCSV exports every buyer of the aged balance, in the page's
// order, and a last row of the grand totals.
func (s *Server) agedBalanceCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, _ := s.agedFilter(r)
	// The totals first: a failure can still be an error page.
	count, totals, err := s.books.AgedTotals(ctx, f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	header := []string{"SIRET", "Acheteur"}
	for _, c := range agedColumns {
		header = append(header, c.Label)
	}
	out, err := newFrenchCSV(w, "balance-agee-"+f.Day.Format(time.DateOnly), header...)
	amounts := func(a store.AgedAmounts) []any {
		var cells []any
		for _, c := range agedColumns {
			cells = append(cells, c.amount(a))
		}
		return cells
	}
	if err == nil {
		err = s.books.EachAged(ctx, f, func(row store.AgedRow) error {
			return out.Row(append([]any{row.SIRET, row.Name}, amounts(row.AgedAmounts)...)...)
		})
	}
	if err == nil {
		err = out.Row(append([]any{"TOTAL", strconv.Itoa(count) + " acheteur(s)"}, amounts(totals)...)...)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		// The download has begun: it ends short, and the log says why.
		s.log.Error("aged balance export", "error", err)
	}
}

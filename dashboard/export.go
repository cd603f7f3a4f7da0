package dashboard

import (
	"net/http"
	"time"

	"github.com/chorusbill/chorusbill/store"
)

// The register and each work list are exported with the filter of the
// page (csvexport.go): every row, not one page, in the same columns
// everywhere, so that a spreadsheet built on one export reads them all.

// workCSVHeader are the columns of every invoice export.
var workCSVHeader = []string{"Numéro", "Type", "État", "Statut Chorus Pro", "Canal", "SIRET", "Établissement", "Exercice",
	"Émise le", "Échéance", "HT", "TVA", "TTC", "Avoirs", "Payé", "Reste dû", "Payée le"}

// csvColumn is a column a list adds to the invoice export's (the postal
// list: when each invoice was mailed).
type csvColumn struct {
	Header string
	Value  func(store.WorkRow) any
}

// exportWork writes every invoice f selects (its page ignored) as a CSV
// named filename and the day, with the list's extra columns last. The CSV
// has started when the rows are read: a failure then is written as a last
// line saying the file is incomplete, so that a truncated export cannot
// pass for a whole one.
func (s *Server) exportWork(w http.ResponseWriter, r *http.Request, filename string, f store.WorkFilter, extra ...csvColumn) {
	f.Limit, f.Offset = 0, 0
	header := workCSVHeader
	for _, x := range extra {
		header = append(header[:len(header):len(header)], x.Header)
	}
	c, err := newFrenchCSV(w, filename+"-"+s.today().Format(time.DateOnly), header...)
	if err == nil {
		err = s.books.EachWork(r.Context(), f, func(row store.WorkRow) error {
			chorus := ""
			if row.ChorusStatus != "" {
				chorus = chorusStatusLabel(row.ChorusStatus)
			}
			cells := []any{row.Number, kindLabel(row.Kind), stateLabel(row.State), chorus, channelLabel(row.Channel), row.SIRET,
				row.EstablishmentName, row.Year, row.IssueDate, row.DueDate, row.TotalHT, row.TotalVAT, row.TotalTTC,
				row.Credited, row.Paid, row.Due(), row.PaidOn}
			for _, x := range extra {
				cells = append(cells, x.Value(row))
			}
			return c.Row(cells...)
		})
		if err != nil {
			c.Row("EXPORT INCOMPLET : une erreur est survenue pendant la lecture ; ce fichier ne contient pas toutes les factures.")
		}
	}
	if c != nil {
		if ferr := c.Flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		s.log.Error("export", "path", r.URL.Path, "error", err)
	}
}

// workListCSV exports a work list: its fixed filter with the search, year
// and sort of its page (listQuery).
func (s *Server) workListCSV(filename string, fixed func() store.WorkFilter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := fixed()
		parseListQuery(r).apply(&f)
		s.exportWork(w, r, filename, f)
	}
}

// exportURL is the CSV of a work list shown at path, with its filter.
func (lq listQuery) exportURL(path string) string {
	v := lq.Values()
	if len(v) == 0 {
		return path + ".csv"
	}
	return path + ".csv?" + v.Encode()
}

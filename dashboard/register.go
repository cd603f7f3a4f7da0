package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// The register of all invoices (/factures): every invoice of the books,
// filtered, sorted and paged with the count and totals of all it selects,
// and exported with the same filter (/factures.csv). A filter value that
// cannot be read is said, naming the field; it is never ignored, since a
// total over a different selection than the one asked for would mislead.

// registerForm is the register's filter as typed, for the form to show it
// back and the links to keep it.
type registerForm struct {
	Year, Kind, State, Channel, Q, Min, Max, From, To, Sort string
	Overdue                                                 bool
}

// channelLabels names the delivery channels.
var channelLabels = map[string]string{"chorus": "Chorus Pro", "postal": "Courrier"}

func channelLabel(c string) string {
	if l, ok := channelLabels[c]; ok {
		return l
	}
	return c
}

// parseRegister reads the register's filter from the URL: the form as
// typed, the store's filter, and a French message for each field that
// could not be read (the filter is then not to be used). today is the day
// "en retard" is reckoned on.
func parseRegister(q url.Values, today time.Time) (registerForm, store.WorkFilter, []string) {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	form := registerForm{Year: get("annee"), Kind: get("type"), State: get("etat"), Channel: get("canal"), Q: get("q"),
		Min: get("min"), Max: get("max"), From: get("du"), To: get("au"), Sort: get("tri"), Overdue: get("retard") != ""}
	f := store.WorkFilter{Query: form.Q}
	var errs []string
	if form.Year != "" {
		y, err := strconv.Atoi(form.Year)
		if err != nil || y < 2000 || y > 2999 {
			errs = append(errs, fmt.Sprintf("Exercice : « %s » n'est pas une année (ex. 2026).", form.Year))
		}
		f.Year = y
	}
	if form.Kind != "" {
		if !slices.Contains(invoice.Kinds(), invoice.Kind(form.Kind)) {
			errs = append(errs, fmt.Sprintf("Type : « %s » n'est pas un type de facture.", form.Kind))
		}
		f.Kinds = []invoice.Kind{invoice.Kind(form.Kind)}
	}
	if form.State != "" {
		if !slices.Contains(invoice.States(), invoice.State(form.State)) {
			errs = append(errs, fmt.Sprintf("État : « %s » n'est pas un état de facture.", form.State))
		}
		f.States = []invoice.State{invoice.State(form.State)}
	}
	if form.Channel != "" {
		if _, ok := channelLabels[form.Channel]; !ok {
			errs = append(errs, fmt.Sprintf("Canal : « %s » n'est ni Chorus Pro ni le courrier.", form.Channel))
		}
		f.Channel = form.Channel
	}
	for _, a := range []struct {
		label, typed string
		into         **decimal.Decimal
	}{{"Montant TTC minimum", form.Min, &f.MinTTC}, {"Montant TTC maximum", form.Max, &f.MaxTTC}} {
		if a.typed == "" {
			continue
		}
		d, ok := parseEuros(a.typed)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s : « %s » n'est pas un montant en euros (ex. 1 234,56).", a.label, a.typed))
			continue
		}
		*a.into = &d
	}
	if f.MinTTC != nil && f.MaxTTC != nil && f.MinTTC.GreaterThan(*f.MaxTTC) {
		errs = append(errs, "Montant TTC : le minimum dépasse le maximum.")
	}
	for _, d := range []struct {
		label, typed string
		into         *time.Time
	}{{"Émise à partir du", form.From, &f.IssuedFrom}, {"Émise jusqu'au", form.To, &f.IssuedTo}} {
		if d.typed == "" {
			continue
		}
		day, ok := parseDay(d.typed)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s : « %s » n'est pas une date (jj/mm/aaaa).", d.label, d.typed))
			continue
		}
		*d.into = day
	}
	if !f.IssuedFrom.IsZero() && !f.IssuedTo.IsZero() && f.IssuedFrom.After(f.IssuedTo) {
		errs = append(errs, "Dates d'émission : le début est après la fin.")
	}
	if form.Overdue {
		f.OverdueOn = today
	}
	if form.Sort != "" {
		if !slices.Contains(store.WorkSorts(), strings.TrimPrefix(form.Sort, "-")) {
			errs = append(errs, fmt.Sprintf("Tri : « %s » n'est pas une colonne du registre.", form.Sort))
		}
		f.Sort = form.Sort
	}
	return form, f, errs
}

// reEuros is an amount as a person types it once spaces and the euro sign
// are gone: a decimal comma or point, at most two decimals (more would be
// a guess at what was meant).
var reEuros = regexp.MustCompile(`^-?[0-9]+([.,][0-9]{1,2})?$`)

// parseEuros reads "1 234,56", "1234.5" or "1 234,56 €".
func parseEuros(s string) (decimal.Decimal, bool) {
	clean := strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "€", "").Replace(s)
	if !reEuros.MatchString(clean) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(strings.Replace(clean, ",", ".", 1))
	return d, err == nil
}

// parseDay reads a day as a date field sends it (2026-03-02) or as it is
// typed in France (02/03/2026).
func parseDay(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 2000 && t.Year() <= 2999 {
			return t, true
		}
	}
	return time.Time{}, false
}

// values are the filter's URL parameters (empty ones left out).
func (rf registerForm) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"annee": rf.Year, "type": rf.Kind, "etat": rf.State, "canal": rf.Channel, "q": rf.Q,
		"min": rf.Min, "max": rf.Max, "du": rf.From, "au": rf.To, "tri": rf.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if rf.Overdue {
		v.Set("retard", "1")
	}
	return v
}

// SortURL is the link of a column header: sort by it, or reverse, with
// the rest of the filter.
func (rf registerForm) SortURL(key string) string { return sortURL(rf.values(), rf.Sort, key) }

// Arrow marks the sorted column.
func (rf registerForm) Arrow(key string) string { return sortArrow(rf.Sort, key) }

// ExportURL is the CSV of the whole selection.
func (rf registerForm) ExportURL() string {
	v := rf.values()
	if len(v) == 0 {
		return "/factures.csv"
	}
	return "/factures.csv?" + v.Encode()
}

// sortURL is the query of a column header's link: v sorted by key, or by
// key reversed when it is the current sort; the first page.
func sortURL(v url.Values, current, key string) string {
	u := url.Values{}
	for k, vs := range v {
		u[k] = vs
	}
	u.Del("page")
	if current == key {
		key = "-" + key
	}
	u.Set("tri", key)
	return "?" + u.Encode()
}

// sortArrow marks the column sorted by current.
func sortArrow(current, key string) string {
	switch current {
	case key:
		return " ▲"
	case "-" + key:
		return " ▼"
	}
	return ""
}

// option is a choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

type registerView struct {
	Form   registerForm
	Errors []string
	Rows   []store.WorkRow
	store.WorkTotals
	Page pageView
	// Kinds, States and Channels are the select's choices.
	Kinds, States, Channels []option
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	form, f, errs := parseRegister(q, s.today())
	v := registerView{Form: form, Errors: errs}
	for _, k := range invoice.Kinds() {
		v.Kinds = append(v.Kinds, option{string(k), kindLabel(k), form.Kind == string(k)})
	}
	for _, st := range invoice.States() {
		v.States = append(v.States, option{string(st), stateLabel(st), form.State == string(st)})
	}
	for _, c := range []string{"chorus", "postal"} {
		v.Channels = append(v.Channels, option{c, channelLabel(c), form.Channel == c})
	}
	if len(errs) > 0 {
		s.render(w, r, http.StatusBadRequest, "register", "Registre des factures", v)
		return
	}
	pr := pageFrom(q)
	pr.apply(&f)
	page, err := s.books.WorkPage(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	links := form.values()
	for _, k := range []string{"page", "par"} {
		if x := q.Get(k); x != "" {
			links.Set(k, x)
		}
	}
	v.Rows, v.WorkTotals, v.Page = page.Rows, page.WorkTotals, newPageView(links, pr, page.Count, len(page.Rows))
	s.render(w, r, http.StatusOK, "register", "Registre des factures", v)
}

// registerCSV exports every invoice the register's filter selects.
func (s *Server) registerCSV(w http.ResponseWriter, r *http.Request) {
	_, f, errs := parseRegister(r.URL.Query(), s.today())
	if len(errs) > 0 {
		s.renderError(w, r, http.StatusBadRequest, "Export impossible : "+strings.Join(errs, " "))
		return
	}
	s.exportWork(w, r, "factures", f)
}

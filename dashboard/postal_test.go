package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
)

// TestPrintBatchesMarkExactlyTheirInvoices reproduces the scale bug of
// issue 16 at a small batch size: more postal invoices than a batch holds.
// Each printed batch is numbered; marking a batch mailed records exactly
// its invoices; the overview's "to send" and the postal list agree at every
// step; nothing is left unmailed once every batch went out.
func TestPrintBatchesMarkExactlyTheirInvoices(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PrintBatchSize = 3 })
	s := func(v string) *string { return &v }
	numbers := []string{e.postal}
	for i := 6; i < 13; i++ {
		numbers = append(numbers, e.mk(e.ests[i], fmt.Sprintf("%d.00", 100+i), time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC),
			store.Change{To: invoice.StatePostal, Channel: s("postal")}))
	}
	toSend := func() int {
		t.Helper()
		v, err := e.srv.overviewData(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		w := e.do("GET", "/courrier?a_envoyer=1", e.viewer, nil)
		m := regexp.MustCompile(`(\d+) facture\(s\)`).FindStringSubmatch(w.Body.String())
		if m == nil || m[1] != fmt.Sprint(v.Postal) {
			t.Fatalf("overview says %d to send, the postal list %v", v.Postal, m)
		}
		return v.Postal
	}
	if n := toSend(); n != 8 {
		t.Fatalf("%d to send, want 8", n)
	}
	mailed := map[string]bool{}
	for batch := 1; toSend() > 0; batch++ {
		if batch > 3 {
			t.Fatal("still invoices to send after three batches of three")
		}
		w := e.do("POST", "/courrier/lot.pdf", e.viewer, url.Values{"a_envoyer": {"1"}})
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "%PDF") ||
			!strings.Contains(w.Header().Get("Content-Disposition"), fmt.Sprintf("lot-impression-%d-", batch)) {
			t.Fatalf("batch %d: %d %s", batch, w.Code, w.Header().Get("Content-Disposition"))
		}
		before := toSend()
		w = e.do("POST", "/courrier/envoi", e.operator, url.Values{"lot": {fmt.Sprint(batch)}, "date": {"2026-03-01"}, "retour": {"/courrier"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("mark batch %d: %d", batch, w.Code)
		}
		want := min(3, before)
		if got := before - toSend(); got != want {
			t.Fatalf("batch %d marked %d invoices, want %d", batch, got, want)
		}
		for _, n := range numbers {
			for _, a := range e.audit(n) {
				if a.Action == actionMailed && strings.HasSuffix(a.Reason, fmt.Sprintf("(lot n° %d)", batch)) {
					if mailed[n] {
						t.Fatalf("%s marked mailed twice", n)
					}
					mailed[n] = true
				}
			}
		}
	}
	if len(mailed) != len(numbers) {
		t.Fatalf("%d invoices mailed, want %d", len(mailed), len(numbers))
	}
	// Marking a batch again records nothing and says why.
	before := len(e.audit(numbers[0]))
	w := e.do("POST", "/courrier/envoi", e.operator, url.Values{"lot": {"1"}, "date": {"2026-03-02"}, "retour": {"/courrier"}})
	if w.Code != http.StatusSeeOther || len(e.audit(numbers[0])) != before {
		t.Fatalf("batch marked twice: %d", w.Code)
	}
	page := e.do("GET", "/courrier", e.operator, nil, "Cookie", flashCookieOf(t, w.Result().Cookies())).Body.String()
	if !strings.Contains(page, "0 facture(s) notée(s)") || !strings.Contains(page, "3 laissée(s) de côté") {
		t.Errorf("second marking's message not found in %s", page)
	}
	for _, f := range []url.Values{
		{"lot": {"99"}, "date": {"2026-03-01"}},
		{"lot": {"abc"}, "date": {"2026-03-01"}},
	} {
		w := e.do("POST", "/courrier/envoi", e.operator, f)
		if w.Code != http.StatusSeeOther {
			t.Errorf("%v: %d", f, w.Code)
		}
	}
	// A viewer may print but not mark.
	if w := e.do("POST", "/courrier/envoi", e.viewer, url.Values{"lot": {"1"}, "date": {"2026-03-01"}}); w.Code != http.StatusForbidden {
		t.Errorf("viewer marking a batch: %d", w.Code)
	}
}

// TestPostalListPagesAndExports checks the postal list's page and its CSV.
func TestPostalListPagesAndExports(t *testing.T) {
	e := newEnv(t)
	s := func(v string) *string { return &v }
	for i := 6; i < 60 && i < len(e.ests); i++ {
		e.mk(e.ests[i], "100.00", time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC), store.Change{To: invoice.StatePostal, Channel: s("postal")})
	}
	n := 1 + max(0, min(60, len(e.ests))-6)
	w := e.do("GET", "/courrier?par=50", e.viewer, nil)
	body := w.Body.String()
	if !strings.Contains(body, fmt.Sprintf("%d facture(s)", n)) || strings.Count(body, `href="/factures/`) > 50 {
		t.Fatalf("postal page: want %d in all, at most 50 rows", n)
	}
	e.do("POST", "/courrier/envoi", e.operator, url.Values{"facture": {e.postal}, "date": {"2026-03-01"}})
	w = e.do("GET", "/courrier.csv", e.viewer, nil)
	lines := strings.Split(strings.TrimSuffix(w.Body.String(), "\r\n"), "\r\n")
	header := "\ufeff" + strings.Join(workCSVHeader, ";") + ";Envoyée"
	if w.Code != http.StatusOK || len(lines) != n+1 || lines[0] != header {
		t.Fatalf("postal csv: %d, %d lines (want %d), header %q", w.Code, len(lines), n+1, lines[0])
	}
	// The invoice marked mailed says when, in the invoice export's columns
	// (TTC, credited, paid, remaining due, paid on, then mailed).
	var mailed string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, e.postal+";") {
			mailed = l
		}
	}
	if !strings.HasSuffix(mailed, ";276,00;0,00;0,00;276,00;;01/03/2026") {
		t.Errorf("postal csv line of %s: %q", e.postal, mailed)
	}
}

// TestOverviewCountsAreTheLists checks that each count on the overview is
// the count its work list shows (one definition each: the list's filter).
func TestOverviewCountsAreTheLists(t *testing.T) {
	e := newEnv(t)
	v, err := e.srv.overviewData(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	count := regexp.MustCompile(`(\d+) facture\(s\)`)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/a-completer", v.Awaiting},
		{"/rejets", v.Rejected},
		{"/suspendues", v.Suspended},
		{"/a-verifier", v.ToVerify},
		{"/courrier?a_envoyer=1", v.Postal},
		{"/retards", v.Overdue},
	} {
		m := count.FindStringSubmatch(e.do("GET", tc.path, e.viewer, nil).Body.String())
		if m == nil || m[1] != fmt.Sprint(tc.want) {
			t.Errorf("%s shows %v, the overview %d", tc.path, m, tc.want)
		}
	}
	if v.Overdue == 0 || v.Rejected == 0 || v.Postal == 0 {
		t.Errorf("the sample should have overdue, rejected and postal invoices: %+v", v)
	}
}

package dashboard

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestPageView(t *testing.T) {
	for _, tc := range []struct {
		query             string
		count, rows       int
		wantPage, wantOff int
		from, to, pages   int
		prev, next        string
	}{
		{"q=lyc", 5874, 50, 1, 0, 1, 50, 118, "", "?page=2&q=lyc"},
		{"q=lyc&page=118", 5874, 24, 118, 5850, 5851, 5874, 118, "?page=117&q=lyc", ""},
		{"page=2&par=500", 5874, 500, 2, 500, 501, 1000, 12, "?par=500", "?page=3&par=500"},
		{"page=0&par=7", 10, 10, 1, 0, 1, 10, 1, "", ""},
		{"page=9", 0, 0, 9, 400, 0, 0, 1, "?", ""},
	} {
		q, _ := url.ParseQuery(tc.query)
		p := pageFrom(q)
		if p.Page != tc.wantPage || (p.Page-1)*p.Size != tc.wantOff {
			t.Errorf("%s: page %+v", tc.query, p)
		}
		v := newPageView(q, p, tc.count, tc.rows)
		if v.From != tc.from || v.To != tc.to || v.Pages != tc.pages || v.Next != tc.next {
			t.Errorf("%s: %+v", tc.query, v)
		}
		if v.Prev != tc.prev {
			t.Errorf("%s: prev %q, want %q", tc.query, v.Prev, tc.prev)
		}
	}
}

func TestFrenchCSV(t *testing.T) {
	rec := httptest.NewRecorder()
	c, err := newFrenchCSV(rec, "registre", "Facture", "Montant", "Émise le", "Payée le", "Nom")
	if err != nil {
		t.Fatal(err)
	}
	paid := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	var none *time.Time
	rows := [][]any{
		{"F-2026-000001", decimal.RequireFromString("1234.5"), time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), &paid, "Collège « Jules-Ferry »; annexe"},
		{"F-2026-000002", decimal.RequireFromString("-12"), time.Time{}, none, "=HYPERLINK(\"http://evil\")"},
	}
	for _, r := range rows {
		if err := c.Row(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "\ufeffFacture;Montant;Émise le;Payée le;Nom\r\n" +
		"F-2026-000001;1234,50;15/01/2026;09/03/2026;\"Collège « Jules-Ferry »; annexe\"\r\n" +
		"F-2026-000002;-12,00;;;\"'=HYPERLINK(\"\"http://evil\"\")\"\r\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("CSV:\n%q\nwant\n%q", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if !bytes.Contains([]byte(rec.Header().Get("Content-Disposition")), []byte(`filename="registre.csv"`)) {
		t.Errorf("disposition %q", rec.Header().Get("Content-Disposition"))
	}
}

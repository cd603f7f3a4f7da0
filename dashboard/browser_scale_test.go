package dashboard

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
)

// maxPageHTML bounds a page of the dashboard, whatever the size of the
// books: lists are paged, totals counted by the database.
const maxPageHTML = 300 << 10

// TestBrowserAtScale opens the dashboard's lists in Chromium over a book of
// 10,000 invoices (the test env's six and seedBook's 2024 contributions,
// some sent by post, some delivered and overdue, some rejected): each page
// answers, says the true count of its list, shows one page of it, stays
// small, and is accessible (shot.take). Load times are logged, never
// asserted: the machine is shared.
func TestBrowserAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 invoices")
	}
	chromiumPath(t)
	axePath(t)
	ctx := context.Background()
	began := time.Now()
	// Plain HTTP on 127.0.0.1, as in TestBrowser: no Secure cookies.
	e := newEnv(t, func(c *Config) { c.SecureCookies = false })
	const book = 10000
	total := seedBook(t, e, book-6).Add(decimal.RequireFromString("10651.03")) // the env's own 6
	seeded := seedStates(t, e)
	seeding := time.Since(began)

	web := httptest.NewServer(e.srv)
	t.Cleanup(web.Close)
	b := newBrowserTab(t, web.URL, 5*time.Minute)
	b.login("olivia", "connexion")

	count := func(f store.WorkFilter) int {
		t.Helper()
		n, err := e.books.WorkCount(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return n.Count
	}
	postal2024 := store.WorkFilter{States: []invoice.State{invoice.StatePostal}, Year: 2024}
	if n := count(postal2024); n != seeded.postal {
		t.Fatalf("%d postal invoices of 2024, %d seeded", n, seeded.postal)
	}
	aged, _, err := e.books.AgedTotals(ctx, store.AgedFilter{Day: e.srv.today()})
	if err != nil {
		t.Fatal(err)
	}
	// The expectations are counted with the accent, the pages asked
	// without.
	colleges, err := e.books.SearchEstablishmentsPage(ctx, "Collège", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	collegeInvoices := count(store.WorkFilter{Query: "Collège"})
	if colleges.Count == 0 || collegeInvoices < store.DefaultPageSize {
		t.Fatalf("the book has %d colleges with %d invoices: the search would not page", colleges.Count, collegeInvoices)
	}

	// page is what a list page shows: its size, its pagers' words, and
	// the rows of its longest list.
	type page struct {
		HTML   int
		Pagers []string
		Rows   int
		Text   string
	}
	const read = `(() => {
		const lists = [...document.querySelectorAll('main table.list')].map(t => t.querySelectorAll('tbody tr:not(:has(td.empty))').length);
		return {HTML: document.documentElement.outerHTML.length, Pagers: [...document.querySelectorAll('nav.pager > span:first-child')].map(s => s.textContent),
			Rows: Math.max(0, ...lists), Text: document.querySelector('main').innerText};
	})()`
	var times []string
	for _, tc := range []struct {
		name, path string
		// count is the true count of the list (0: a page without pager),
		// first the number of the page's first row.
		count, first int
		// says are more words the page must hold.
		says []string
	}{
		{"vue-d-ensemble", "/", 0, 0, []string{euros(total), fmt.Sprintf("%d facture(s) en retard", count(e.srv.overdueFilter()))}},
		{"registre", "/factures", book, 1, []string{fmt.Sprintf("%d factures · %s TTC", book, euros(total)), "Page 1 / 200"}},
		{"registre-page-200", "/factures?page=200", book, book - store.DefaultPageSize + 1, []string{"Page 200 / 200"}},
		{"registre-filtre", "/factures?etat=postal&annee=2024", seeded.postal, 1, []string{fmt.Sprintf("%d factures", seeded.postal)}},
		{"courrier", "/courrier", count(store.WorkFilter{States: []invoice.State{invoice.StatePostal}}), 1, nil},
		{"retards", "/retards", count(e.srv.overdueFilter()), 1, nil},
		{"relances", "/relances", count(e.srv.remindersFilter()), 1, nil},
		{"balance-agee", "/balance-agee", aged, 1, nil},
		// Accents ignored: « college » finds the Collèges, the list of
		// invoices and of establishments each first page only, with
		// their true counts.
		{"recherche", "/recherche?q=college", 0, 0, []string{fmt.Sprintf("Établissements %d résultats", colleges.Count),
			fmt.Sprintf("Factures %d résultats", collegeInvoices), fmt.Sprintf("Voir les %d factures, page par page", collegeInvoices)}},
		{"recherche-factures", "/recherche?q=college&voir=factures", collegeInvoices, 1, []string{"Collège"}},
	} {
		start := time.Now()
		b.open(tc.name, chromedp.Navigate(web.URL+tc.path))
		took := time.Since(start)
		got := eval[page](b, tc.name, read)
		times = append(times, fmt.Sprintf("%s %s (%d KB)", tc.path, took.Round(time.Millisecond), got.HTML>>10))
		if got.HTML >= maxPageHTML {
			b.fail(tc.name, fmt.Errorf("a page of %d bytes, over %d", got.HTML, maxPageHTML))
		}
		if got.Rows > store.DefaultPageSize {
			b.fail(tc.name, fmt.Errorf("%d rows on a page of %d", got.Rows, store.DefaultPageSize))
		}
		if tc.count > 0 {
			if tc.count <= store.DefaultPageSize {
				t.Fatalf("%s: a list of %d, not enough to page: the seeding is wrong", tc.path, tc.count)
			}
			shown := fmt.Sprintf("%d–%d sur %d", tc.first, min(tc.first+store.DefaultPageSize-1, tc.count), tc.count)
			if len(got.Pagers) != 1 || got.Pagers[0] != shown || got.Rows != store.DefaultPageSize {
				b.fail(tc.name, fmt.Errorf("pager %q, %d rows, want %q and %d rows", got.Pagers, got.Rows, shown, store.DefaultPageSize))
			}
		}
		text := strings.Join(strings.Fields(strings.ReplaceAll(got.Text, "\u00a0", "\x00")), " ")
		for _, w := range tc.says {
			if w = strings.Join(strings.Fields(strings.ReplaceAll(w, "\u00a0", "\x00")), " "); !strings.Contains(text, w) {
				b.fail(tc.name, fmt.Errorf("the page does not say %q", strings.ReplaceAll(w, "\x00", "\u00a0")))
			}
		}
		b.shot.take(tc.name)
	}
	t.Logf("%d invoices seeded in %s; pages (navigation to load, HTML size): %s; total %s", book, seeding.Round(time.Millisecond),
		strings.Join(times, ", "), time.Since(began).Round(time.Millisecond))
}

// seeded counts the invoices seedStates moved.
type seeded struct{ postal, delivered, rejected int }

// seedStates takes some of seedBook's 2024 contributions (finalised, due
// 04/12/2024, overdue on the env's day) along the worker's paths, a batch
// per step as the worker does (store.ApplyEach): 300 sent by post, 600
// delivered on Chorus Pro, 100 rejected by their buyer.
func seedStates(t *testing.T, e *env) seeded {
	t.Helper()
	ctx := context.Background()
	rows, err := e.books.WorkList(ctx, store.WorkFilter{Year: 2024, States: []invoice.State{invoice.StateFinalised}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 1000 {
		t.Fatalf("%d finalised 2024 invoices, want 1000 to move", len(rows))
	}
	s := func(v string) *string { return &v }
	move := func(from invoice.State, rows []store.WorkRow, c store.Change) {
		t.Helper()
		c.Actor = "worker"
		changes := make([]store.IDChange, len(rows))
		for i, r := range rows {
			changes[i] = store.IDChange{ID: r.ID, Change: c}
		}
		applied, err := e.books.ApplyEach(ctx, from, changes)
		if err != nil || len(applied) != len(rows) {
			t.Fatalf("%s → %s: %d of %d moved (%v)", from, c.To, len(applied), len(rows), err)
		}
	}
	postal, delivered, rejected := rows[:300], rows[300:900], rows[900:1000]
	move(invoice.StateFinalised, postal, store.Change{To: invoice.StatePostal, Channel: s("postal"), StatusReason: s("établissement hors Chorus Pro")})
	move(invoice.StateFinalised, rows[300:1000], store.Change{To: invoice.StateDelivering, Channel: s("chorus")})
	move(invoice.StateDelivering, rows[300:1000], store.Change{To: invoice.StateDeposited})
	move(invoice.StateDeposited, delivered, store.Change{To: invoice.StateDelivered, ChorusStatus: s("MISE_A_DISPOSITION")})
	move(invoice.StateDeposited, rejected, store.Change{To: invoice.StateRejected, ChorusStatus: s("REJETEE"),
		StatusReason: s("Montant non conforme à la délibération")})
	return seeded{postal: len(postal), delivered: len(delivered), rejected: len(rejected)}
}

package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"
)

// The browser test drives the real dashboard in headless Chromium (Debian's
// chromium package, /usr/bin/chromium; CHORUSBILL_CHROMIUM names another)
// over books the real pipeline filled: the demo's machinery (the sample,
// an embedded Redis, the Chorus Pro sandbox and a worker) runs the 2025
// contributions, then the sandbox's buyers take twelve days. A finance
// officer then logs in, sees the run, fills a missing engagement number,
// re-submits an invoice the buyer rejected, downloads a PDF, filters,
// sorts and exports the register, records a payment, prints a reminder
// (the dashboard's clock moved past a first step: the sample's invoices
// are too young for one), pauses and resumes reminders, and reads the aged
// balance against the overview and its chart. Each step is saved as a
// screenshot in a temporary directory, and in the directory named by
// CHORUSBILL_SCREENSHOTS when set. TestBrowserAtScale opens the lists over
// 10,000 invoices.

const (
	defaultChromium = "/usr/bin/chromium"
	// axeVersion is the axe-core scripts/tools installs (npm, pinned) in
	// the user's cache; CHORUSBILL_AXE names another axe.min.js.
	axeVersion = "4.14.1"
	// sdisMorbihan requires an engagement number (chorus-buyers.yaml); the
	// test imports the sample's references without its own, so that its
	// invoice waits for one.
	sdisMorbihan = "28564924000014"
	// landivisiau rejects the first invoice it receives.
	landivisiau = "20007983800021"
	// engagement is what the officer types.
	engagement = "2026000092"
)

// sampleRun is the demo's machinery in a test.
type sampleRun struct {
	books    *store.Store
	sb       *sandbox.Server
	api      *chorus.Client
	pipeline *worker.Pipeline
	redis    asynq.RedisClientOpt
	metrics  *Metrics
	issuer   document.Issuer
	catalog  *tariff.Catalog
}

// runSample imports the sample, runs the 2025 contributions through the
// real pipeline against the sandbox, and lets the buyers' twelve days go by.
func runSample(t *testing.T) *sampleRun {
	t.Helper()
	ctx := context.Background()
	r := &sampleRun{books: storetest.SQLite(t), metrics: NewMetrics()}
	var err error
	if r.catalog, err = tariff.LoadCatalog(fixtures.FS(), fixtures.DeliberationsDir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"establishments.csv", "usage-2025.csv", "references.csv"} {
		data, err := fs.ReadFile(fixtures.FS(), fixtures.SampleDir+"/"+f)
		if err != nil {
			t.Fatal(err)
		}
		switch f {
		case "establishments.csv":
			_, err = r.books.ImportEstablishments(ctx, f, bytes.NewReader(data), r.catalog, "test")
		case "usage-2025.csv":
			_, err = r.books.ImportUsage(ctx, f, bytes.NewReader(data), r.catalog, "test")
		default:
			var kept []string
			for _, line := range strings.Split(string(data), "\n") {
				if !strings.HasPrefix(line, sdisMorbihan+";") {
					kept = append(kept, line)
				}
			}
			_, err = r.books.ImportReferences(ctx, f, strings.NewReader(strings.Join(kept, "\n")), "test")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	data, _ := fs.ReadFile(fixtures.FS(), fixtures.Issuer)
	if r.issuer, err = document.ParseIssuer("issuer.yaml", data); err != nil {
		t.Fatal(err)
	}
	legal, ecb := rates(t)

	// The queue: an embedded Redis whose keys expire (asynq's locks).
	mr := miniredis.RunT(t)
	stopTTL := make(chan struct{})
	var ttl sync.WaitGroup
	ttl.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopTTL:
				return
			case <-tick.C:
				mr.FastForward(200 * time.Millisecond)
			}
		}
	})
	t.Cleanup(func() { close(stopTTL); ttl.Wait() })
	r.redis = asynq.RedisClientOpt{Addr: mr.Addr()}

	// Chorus Pro: the sandbox, its business clock driven by the test from
	// this morning (so that the screenshots' dates agree with the run's
	// start, which the books stamp with the machine's clock).
	y, m, d := time.Now().UTC().Date()
	wall := time.Date(y, m, d, 9, 0, 0, 0, time.UTC)
	if r.sb, err = sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, Now: func() time.Time { return wall },
		FlowProcessingDelay: -1, FlowIntegrationDelay: -1}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.sb)
	t.Cleanup(srv.Close)
	if r.api, err = chorus.New(chorus.Config{Env: chorus.Local, BaseURL: srv.URL, TokenURL: srv.URL + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret, TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, chorus.WithObserver(chorus.LabelObserver(r.metrics.ObserveChorus))); err != nil {
		t.Fatal(err)
	}

	// The worker, tuned as the demo's.
	cfg := worker.DefaultConfig()
	cfg.TrackIntervals = []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second}
	cfg.KickEvery, cfg.StaleAfter, cfg.RetryBase = 2*time.Second, 30*time.Second, 100*time.Millisecond
	cfg.PollInterval, cfg.AutoRuns, cfg.BuyerCacheTTL = 100*time.Millisecond, false, time.Minute
	cfg.SweepEvery, cfg.SweepSoon = time.Second, 200*time.Millisecond
	queue := asynq.NewClient(r.redis)
	t.Cleanup(func() { queue.Close() })
	r.pipeline = worker.NewPipeline(worker.Deps{Books: r.books, Catalog: r.catalog, Issuer: r.issuer, Chorus: r.api, Queue: queue,
		LegalRates: legal, ECBRates: ecb, Now: r.sb.Now}, cfg)
	workCtx, stopWork := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- r.pipeline.Serve(workCtx, r.redis) }()
	t.Cleanup(func() {
		stopWork()
		if err := <-served; err != nil {
			t.Logf("worker: %v", err)
		}
	})

	if err := r.pipeline.EnqueueRun(ctx, 2025, invoice.KindContribution, r.sb.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := r.books.CountEstablishments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, time.Minute, "the run to issue and deliver every invoice", func() (bool, error) {
		run, err := r.books.RunFor(ctx, 2025, invoice.KindContribution)
		if err != nil {
			return false, nil
		}
		sum, err := r.books.Summary(ctx, run.ID)
		if err != nil {
			return false, err
		}
		busy, err := r.books.InvoicesInStates(ctx, invoice.WorkingStates()...)
		return sum.Items >= n && len(busy) == 0, err
	})
	// Twelve days on the buyers' side: made available, rejected by
	// Landivisiau on the fifth day, suspended, paid…
	for range 12 {
		if err := r.sb.Advance(24 * time.Hour); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.waitFor(t, time.Minute, "Landivisiau's rejection and the first payments", func() (bool, error) {
		rejected, err := r.books.WorkList(ctx, store.WorkFilter{States: []invoice.State{invoice.StateRejected}, Query: landivisiau})
		if err != nil {
			return false, err
		}
		paid, err := r.books.InvoicesInStates(ctx, invoice.StatePaid)
		return len(rejected) == 1 && rejected[0].ChorusStatus == string(chorus.StatutRejetee) && len(paid) > 0, err
	})
	return r
}

// dashboard serves the dashboard over the sample's books, pipeline, tables
// and clock (cfg adds the rest; its Now, when set, is the clock instead),
// with olivia, an operator, as its user.
func (r *sampleRun) dashboard(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = r.sb.Now
	}
	cfg.Books, cfg.Actions, cfg.Issuer, cfg.Catalog, cfg.Metrics = r.books, r.pipeline, r.issuer, r.catalog, r.metrics
	cfg.LegalRates, cfg.ECBRates = rates(t)
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.books.CreateUser(context.Background(), "olivia", hash, store.RoleOperator, "test"); err != nil {
		t.Fatal(err)
	}
	return srv
}

// waitFor polls cond until it holds, failing the test after timeout.
func (r *sampleRun) waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			counts, _ := r.books.InvoiceCounts(context.Background())
			t.Fatalf("waited %s for %s; invoices by state: %v", timeout, what, counts)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// one finds the single invoice of a state for a SIRET.
func (r *sampleRun) one(t *testing.T, state invoice.State, siret string) store.WorkRow {
	t.Helper()
	rows, err := r.books.WorkList(context.Background(), store.WorkFilter{States: []invoice.State{state}, Query: siret})
	if err != nil || len(rows) != 1 {
		t.Fatalf("%s invoices of %s: %d, %v", state, siret, len(rows), err)
	}
	return rows[0]
}

// chromiumPath is the browser to drive; a missing one fails the test (the
// browser test is part of the suite, never skipped).
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHORUSBILL_CHROMIUM")
	if path == "" {
		path = defaultChromium
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("Chromium is not installed at %s: run `make tools` (it installs Debian's chromium package), or set CHORUSBILL_CHROMIUM", path)
	}
	return path
}

// axePath is axe-core's axe.min.js: CHORUSBILL_AXE, else where scripts/tools
// installs it. A machine without it skips the browser test, saying so; CI
// (CI=true) must have it, and a path named in the variable must exist, so
// that the accessibility check never goes silently.
func axePath(t *testing.T) string {
	t.Helper()
	path, named := os.LookupEnv("CHORUSBILL_AXE")
	if !named || path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = filepath.Join(os.Getenv("HOME"), ".cache")
		}
		path = filepath.Join(cache, "chorusbill", "axe-core-"+axeVersion, "node_modules", "axe-core", "axe.min.js")
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return path
	}
	msg := fmt.Sprintf("axe-core is not installed at %s: run `make tools` (npm install --prefix ~/.cache/chorusbill/axe-core-%s --no-save axe-core@%s), or set CHORUSBILL_AXE",
		path, axeVersion, axeVersion)
	if named || os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping the browser test")
	return ""
}

// axeTags are the rules axe-core runs: WCAG 2.0 and 2.1, levels A and AA,
// which RGAA 4 (French public bodies' accessibility standard) maps onto.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeViolation is one rule a page breaks, with the elements that break it.
type axeViolation struct {
	ID, Impact, Help, HelpURL string
	Targets                   []string
}

// checkAxe runs axe-core on the page the browser shows and fails the test
// on any serious or critical violation of axeTags, naming the rule, the
// elements (CSS selectors) and where the rule is explained. page names the
// page in the message.
func checkAxe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	script, err := os.ReadFile(axePath(t))
	if err != nil {
		t.Fatal(err)
	}
	// The evaluation goes through the DevTools protocol, which the page's
	// Content-Security-Policy does not govern.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(script)+"\n;typeof axe === 'object'")); err != nil {
		t.Fatalf("%s: inject axe-core: %v", page, err)
	}
	tags, _ := json.Marshal(axeTags)
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: 'tag', values: `+string(tags)+`}, resultTypes: ['violations']})
		.then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
			.map(v => ({ID: v.id, Impact: v.impact, Help: v.help, HelpURL: v.helpUrl, Targets: v.nodes.map(n => n.target.join(' '))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe-core: %v", page, err)
	}
	for _, v := range found {
		t.Errorf("accessibility, %s: %s (%s): %s; %s\n\t%s", page, v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(v.Targets, "\n\t"))
	}
}

// shots saves screenshots in a temporary directory (kept, and logged) and
// in CHORUSBILL_SCREENSHOTS when set.
type shots struct {
	t    *testing.T
	ctx  context.Context
	dirs []string
	n    int
}

func newShots(t *testing.T, ctx context.Context) *shots {
	tmp, err := os.MkdirTemp("", "chorusbill-dashboard-")
	if err != nil {
		t.Fatal(err)
	}
	s := &shots{t: t, ctx: ctx, dirs: []string{tmp}}
	if d := os.Getenv("CHORUSBILL_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		s.dirs = append(s.dirs, d)
	}
	t.Logf("screenshots: %s", strings.Join(s.dirs, " and "))
	return s
}

// take saves the whole page as NN-name.png, then checks its accessibility
// (checkAxe): every page shown is checked. The viewport is stretched to
// the page's height for the capture, then set back to 1366×768.
// (Chromium's capture beyond the viewport leaves its hit testing off: a
// click after it misses its button.)
func (s *shots) take(name string) {
	s.t.Helper()
	png, err := fullPage(s.ctx)
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	s.n++
	for _, d := range s.dirs {
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("%02d-%s.png", s.n, name)), png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	checkAxe(s.t, s.ctx, name)
}

// browserTab is headless Chromium with a fresh profile, nothing fetched
// from outside, on the dashboard served at base: the steps' helpers, each
// failing the test with a capture of what the page shows and the end of
// Chromium's output. Every page it shows is captured and checked for
// accessibility with shot.take. The browser goes with the test.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot *shots
	out  *syncBuffer
}

// newBrowserTab starts Chromium for the test; timeout bounds the whole of
// its use.
func newBrowserTab(t *testing.T, base string, timeout time.Duration) *browserTab {
	t.Helper()
	b := &browserTab{t: t, base: base, out: &syncBuffer{}}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(viewportWidth, viewportHeight),
		chromedp.CombinedOutput(b.out),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	bctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	b.ctx = bctx
	b.shot = newShots(t, bctx)
	return b
}

// fail saves what the page shows, then fails the test.
func (b *browserTab) fail(step string, err error) {
	b.t.Helper()
	if png, serr := fullPage(b.ctx); serr == nil {
		for _, d := range b.shot.dirs {
			os.WriteFile(filepath.Join(d, "failure-"+step+".png"), png, 0o644)
		}
	}
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("%s (page %s): %v\nchromium:\n%s", step, loc, err, b.out.Tail(30))
}

// open clicks what leads to a new page and checks it answered 200.
func (b *browserTab) open(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, actions...)
	if err != nil {
		b.fail(step, err)
	}
	if resp.Status != http.StatusOK {
		b.fail(step, fmt.Errorf("status %d for %s", resp.Status, resp.URL))
	}
}

// text is what the first element sel selects says.
func (b *browserTab) text(step, sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fail(step, err)
	}
	return s
}

func (b *browserTab) mustContain(step, sel string, want ...string) {
	b.t.Helper()
	got := b.text(step, sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.fail(step, fmt.Errorf("%s does not say %q:\n%s", sel, w, got))
		}
	}
}

// eval evaluates a script in the page (a promise is awaited).
func eval[T any](b *browserTab, step, script string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(step, err)
	}
	return v
}

// login signs user in through the login form, which any page sends an
// anonymous visitor to; the form is captured as shotName.
func (b *browserTab) login(user, shotName string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		b.fail("viewport", err)
	}
	b.open("login page", chromedp.Navigate(b.base+"/"))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.Contains(loc, "/connexion") {
		b.fail("login page", fmt.Errorf("anonymous visitor at %s, not the login form", loc))
	}
	b.shot.take(shotName)
	if err := chromedp.Do(b.ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="utilisateur"]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name="mot_de_passe"]`), testPassword),
	); err != nil {
		b.fail("login form", err)
	}
	b.open("login", chromedp.Click(chromedp.CSS(`form[action="/connexion"] button`)))
	b.mustContain("login", "header.top", user)
}

func TestBrowser(t *testing.T) {
	chromiumPath(t)
	axePath(t)
	began := time.Now()
	ctx := context.Background()
	r := runSample(t)
	setup := time.Since(began)

	// The dashboard over those books, on plain HTTP on 127.0.0.1: cookies
	// without the Secure flag, as `chorusbill demo` serves it.
	insp := asynq.NewInspector(r.redis)
	t.Cleanup(func() { insp.Close() })
	if err := r.metrics.Watch(Sources{Books: r.books, Inspector: insp, Pipeline: r.pipeline.Metrics}); err != nil {
		t.Fatal(err)
	}
	// The dashboard's clock is the sandbox's, moved ahead by the reminder
	// step only (the sample's invoices are not yet overdue).
	var ahead atomic.Int64
	now := func() time.Time { return r.sb.Now().Add(time.Duration(ahead.Load())) }
	reminderSteps := invoice.ReminderSteps{10, 30}
	srv := r.dashboard(t, Config{Inspector: insp, Redis: r.redis, SecureCookies: false, PipelineMetrics: r.pipeline.Metrics,
		Now: now, ReminderSteps: reminderSteps})
	web := httptest.NewServer(srv)
	t.Cleanup(web.Close)

	awaiting := r.one(t, invoice.StateAwaitingReference, sdisMorbihan)
	rejected := r.one(t, invoice.StateRejected, landivisiau)

	b := newBrowserTab(t, web.URL, 3*time.Minute)
	bctx, shot := b.ctx, b.shot
	fail, open, text, mustContain := b.fail, b.open, b.text, b.mustContain
	browserStart := time.Now()
	var timings []string
	step := func(name string, f func()) {
		t.Helper()
		began := time.Now()
		f()
		timings = append(timings, name+" "+time.Since(began).Round(time.Millisecond).String())
	}

	step("login", func() {
		b.login("olivia", "connexion")
		mustContain("login", "header.top", "olivia", "opérateur")
	})

	step("overview", func() {
		mustContain("overview", "main", "Vue d'ensemble", "Contributions 2025", "40 / 40 établissements traités",
			"Facturé TTC", "Files d'attente")
		shot.take("vue-d-ensemble")
	})

	step("engagement", func() {
		open("awaiting list", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/a-completer"]`)))
		mustContain("awaiting list", "table.list", awaiting.Number, "Service départemental d'incendie et de secours du Morbihan")
		shot.take("references-a-completer")
		open("awaiting invoice", chromedp.Click(chromedp.CSS(`a.button[href="/factures/`+awaiting.Number+`#references"]`)))
		mustContain("awaiting invoice", "#references", "Compléter les références acheteur")
		if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(`#references input[name="engagement"]`), engagement)); err != nil {
			fail("engagement", err)
		}
		shot.take("saisie-engagement")
		open("engagement sent", chromedp.Click(chromedp.CSS(`#references button.primary`)))
		mustContain("engagement sent", "p.flash.ok", "Références vérifiées auprès de Chorus Pro et enregistrées")
		shot.take("engagement-enregistre")
		// The worker deposits it on Chorus Pro with the engagement.
		r.waitFor(t, 30*time.Second, "the invoice to be delivered with its engagement", func() (bool, error) {
			inv, err := r.books.InvoiceByNumber(ctx, awaiting.Number)
			return inv.Engagement == engagement && inv.State == invoice.StateDelivered, err
		})
		open("delivered invoice", chromedp.Navigate(web.URL+"/factures/"+awaiting.Number))
		mustContain("delivered invoice", "main", engagement, "Chorus Pro", "user:olivia")
		shot.take("facture-deposee")
	})

	step("resubmit", func() {
		open("rejected list", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/rejets"]`)))
		mustContain("rejected list", "table.list", rejected.Number, "par l'acheteur", "Montant non conforme à la délibération")
		shot.take("rejets")
		open("confirmation", chromedp.Click(chromedp.CSS(`a.button[href="/factures/`+rejected.Number+`/resoumettre"]`)))
		mustContain("confirmation", "main", "Re-soumettre la facture "+rejected.Number, "un avoir annulera la facture "+rejected.Number)
		if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(`textarea[name="motif"]`), "Montant corrigé selon la délibération")); err != nil {
			fail("confirmation", err)
		}
		shot.take("confirmation-resoumission")
		open("resubmitted", chromedp.Click(chromedp.CSS(`form[action="/factures/`+rejected.Number+`/resoumettre"] button.primary`)))
		mustContain("resubmitted", "main", rejected.Number, "Annulée par l'avoir", "Remplacée par")
		shot.take("resoumise")
		orig, err := r.books.InvoiceByNumber(ctx, rejected.Number)
		if err != nil || orig.State != invoice.StateCancelled {
			t.Fatalf("the rejected invoice is %s (%v), want cancelled", orig.State, err)
		}
		credit, err := r.books.CreditNoteCancelling(ctx, orig.ID)
		if err != nil {
			t.Fatalf("no credit note: %v", err)
		}
		repl, err := r.books.InvoiceReplacing(ctx, orig.ID)
		if err != nil {
			t.Fatalf("no replacement: %v", err)
		}
		trail, err := r.books.AuditTrail(ctx, "invoice", orig.ID)
		if err != nil {
			t.Fatal(err)
		}
		byUser := false
		for _, e := range trail {
			byUser = byUser || (e.Actor == "user:olivia" && e.To == string(invoice.StateCancelled) && strings.Contains(e.Reason, credit.Number))
		}
		if !byUser {
			t.Fatalf("the re-submission is not in the audit trail with the user: %+v", trail)
		}
		// The worker delivers both to Chorus Pro.
		r.waitFor(t, 30*time.Second, "the credit note and the replacement to be delivered", func() (bool, error) {
			c, err := r.books.InvoiceByID(ctx, credit.ID)
			if err != nil {
				return false, err
			}
			n, err := r.books.InvoiceByID(ctx, repl.ID)
			return c.State == invoice.StateDelivered && n.State == invoice.StateDelivered, err
		})
		open("replacement", chromedp.Click(chromedp.CSS(`a[href="/factures/`+repl.Number+`"]`)))
		mustContain("replacement", "main", repl.Number, "Remplace la facture", rejected.Number)
		shot.take("facture-de-remplacement")
	})

	step("pdf", func() {
		dir := t.TempDir()
		progress := chromedp.Events(bctx, browser.DownloadProgress)
		if err := chromedp.Do(bctx,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
					Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptrTo(true)})
				return err
			}),
			chromedp.Click(chromedp.CSS(`ul.docs a[href$="/documents/pdf"]`)),
		); err != nil {
			fail("pdf", err)
		}
		var pdf []byte
		for ev, err := range progress {
			if err != nil {
				fail("pdf", err)
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				fail("pdf", fmt.Errorf("download canceled"))
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				if pdf, err = os.ReadFile(filepath.Join(dir, ev.GUID)); err != nil {
					fail("pdf", err)
				}
				break
			}
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			fail("pdf", fmt.Errorf("the download is not a PDF: %q", pdf[:min(len(pdf), 32)]))
		}
		// The same document, fetched by the page itself: its type and name.
		type head struct {
			Type, Disposition, Magic string
			Size                     int
		}
		h, err := chromedp.Run(bctx, chromedp.Evaluate[head](`(async () => {
			const a = document.querySelector('ul.docs a[href$="/documents/pdf"]');
			const r = await fetch(a.href);
			const b = new Uint8Array(await r.arrayBuffer());
			return {Type: r.headers.get("Content-Type"), Disposition: r.headers.get("Content-Disposition"),
				Magic: String.fromCharCode(...b.slice(0, 5)), Size: b.length};
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			fail("pdf fetch", err)
		}
		if h.Type != "application/pdf" || h.Magic != "%PDF-" || h.Size != len(pdf) || !strings.Contains(h.Disposition, ".pdf") {
			fail("pdf fetch", fmt.Errorf("fetched %+v, downloaded %d bytes", h, len(pdf)))
		}
		shot.take("pdf-telecharge")
	})

	step("register", func() {
		open("register", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/factures"]`)))
		mustContain("register", "main h1", "Registre des factures")
		shot.take("registre")
		// The delivered invoices of 2025, chosen in the form.
		if err := chromedp.Do(bctx,
			chromedp.SetValue(chromedp.CSS(`form.filter select[name="etat"]`), string(invoice.StateDelivered)),
			chromedp.SendKeys(chromedp.CSS(`form.filter input[name="annee"]`), "2025"),
		); err != nil {
			fail("register filter", err)
		}
		open("register filtered", chromedp.Click(chromedp.CSS(`form.filter button.primary`)))
		want, err := r.books.WorkCount(ctx, store.WorkFilter{States: []invoice.State{invoice.StateDelivered}, Year: 2025})
		if err != nil {
			t.Fatal(err)
		}
		if want.Count == 0 {
			t.Fatal("the sample delivered no invoice: the register's filter shows nothing")
		}
		heading := fmt.Sprintf("%d facture%s · %s TTC · reste dû %s", want.Count, map[bool]string{true: "s"}[want.Count > 1], euros(want.TotalTTC), euros(want.Due))
		mustContain("register filtered", "main h1", heading)
		if loc, _ := chromedp.Run(bctx, chromedp.Location()); !strings.Contains(loc, "etat=delivered") || !strings.Contains(loc, "annee=2025") {
			fail("register filtered", fmt.Errorf("the filter is not in the address %s", loc))
		}
		rowsShown := `document.querySelectorAll('table.list tbody tr td:first-child a[href^="/factures/"]').length`
		if n := eval[int](b, "register filtered", rowsShown); n != min(want.Count, store.DefaultPageSize) {
			fail("register filtered", fmt.Errorf("%d rows shown of %d", n, want.Count))
		}
		shot.take("registre-filtre")

		// Sorted by amount, the filter kept.
		open("register sorted", chromedp.Click(chromedp.CSS(`table.list thead a[href*="tri=amount"]`)))
		mustContain("register sorted", "main h1", heading)
		mustContain("register sorted", "table.list thead", "Montant TTC ▲")
		cells := eval[[]string](b, "register sorted", `[...document.querySelectorAll('table.list tbody tr')].map(tr => tr.cells[5].textContent)`)
		var amounts []decimal.Decimal
		for _, c := range cells {
			d, ok := parseFrenchAmount(c)
			if !ok {
				fail("register sorted", fmt.Errorf("the amount %q is not in French", c))
			}
			amounts = append(amounts, d)
		}
		if !slices.IsSortedFunc(amounts, func(a, b decimal.Decimal) int { return a.Cmp(b) }) {
			fail("register sorted", fmt.Errorf("amounts not in order: %v", cells))
		}
		shot.take("registre-trie")
		// The next page, when the selection has one (the sample's seldom
		// does: the 10,000-invoice book pages through, TestBrowserAtScale).
		if eval[int](b, "register sorted", `document.querySelectorAll('nav.pager a[rel="next"]').length`) > 0 {
			open("register page 2", chromedp.Click(chromedp.CSS(`nav.pager a[rel="next"]`)))
			mustContain("register page 2", "nav.pager", fmt.Sprintf("%d–", store.DefaultPageSize+1), fmt.Sprintf("sur %d", want.Count), "Page 2 /")
			shot.take("registre-page-2")
		}

		// The export, as the page links it: every invoice of the filter,
		// not only the page, in the order shown.
		type download struct {
			Href, Type, Text string
			Status           int
			BOM              bool
		}
		got := eval[download](b, "register export", `(async () => {
			const a = document.querySelector('main a[download][href^="/factures.csv"]');
			const r = await fetch(a.href);
			const b = new Uint8Array(await r.arrayBuffer());
			return {Href: a.getAttribute('href'), Type: r.headers.get('Content-Type'), Status: r.status,
				BOM: b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf, Text: new TextDecoder('utf-8', {ignoreBOM: true}).decode(b)};
		})()`)
		if got.Status != http.StatusOK || !got.BOM || got.Type != "text/csv; charset=utf-8" || !strings.HasPrefix(got.Text, invoiceCSVHeader) {
			fail("register export", fmt.Errorf("%s: %d %s, BOM %v, %.120q", got.Href, got.Status, got.Type, got.BOM, got.Text))
		}
		for _, p := range []string{"etat=delivered", "annee=2025", "tri=amount"} {
			if !strings.Contains(got.Href, p) {
				fail("register export", fmt.Errorf("the export %s lacks %s", got.Href, p))
			}
		}
		lines := strings.Split(strings.TrimSuffix(got.Text, "\r\n"), "\r\n")
		if len(lines) != want.Count+1 {
			fail("register export", fmt.Errorf("%d lines, want the %d invoices shown and the header", len(lines), want.Count))
		}
		sum := decimal.Zero
		for _, l := range lines[1:] {
			c := strings.Split(l, ";")
			if len(c) != 17 || c[2] != stateLabel(invoice.StateDelivered) || c[7] != "2025" {
				fail("register export", fmt.Errorf("row outside the filter: %q", l))
			}
			sum = sum.Add(decimal.RequireFromString(strings.Replace(c[12], ",", ".", 1)))
		}
		if !sum.Equal(want.TotalTTC) {
			fail("register export", fmt.Errorf("the export's TTC sum to %s, the books %s", sum, want.TotalTTC))
		}
	})

	// paid is the invoice the officer records a payment on.
	var paid store.WorkRow
	step("payment", func() {
		// An invoice awaiting its money, nothing paid yet: a postal one
		// when the sample has one (Chorus Pro does not follow it, so no
		// settlement can come in between), else a delivered one.
		rows, err := r.books.WorkList(ctx, store.WorkFilter{States: []invoice.State{invoice.StatePostal, invoice.StateDelivered},
			Kinds: []invoice.Kind{invoice.KindContribution}, Sort: "-amount"})
		if err != nil {
			t.Fatal(err)
		}
		amount := decimal.RequireFromString("123.45")
		for _, row := range rows {
			if row.Paid.IsZero() && row.Due().GreaterThan(amount) && (paid.ID == 0 || row.State == invoice.StatePostal && paid.State != invoice.StatePostal) {
				paid = row
			}
		}
		if paid.ID == 0 {
			t.Fatalf("no postal or delivered invoice awaits more than %s", amount)
		}
		t.Logf("payment on %s (%s, %s due)", paid.Number, paid.State, paid.Due())
		open("invoice to pay", chromedp.Navigate(web.URL+"/factures/"+paid.Number))
		form := `form[action="/factures/` + paid.Number + `/paiements"] `
		// Yesterday on the pipeline's clock: the books refuse a payment
		// dated after their today.
		y, m, d := r.sb.Now().In(paris).AddDate(0, 0, -1).Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		// The date input takes its value as the browser gives it (YYYY-MM-DD,
		// whatever the locale shows); the amount is typed the French way.
		if err := chromedp.Do(bctx,
			chromedp.SetValue(chromedp.CSS(form+`input[name="date"]`), day.Format(time.DateOnly)),
			chromedp.SendKeys(chromedp.CSS(form+`input[name="montant"]`), "123,45"),
			chromedp.SendKeys(chromedp.CSS(form+`input[name="reference"]`), "VIR-2026-0042"),
			chromedp.SendKeys(chromedp.CSS(form+`textarea[name="commentaire"]`), "Virement partiel du comptable public"),
		); err != nil {
			fail("payment form", err)
		}
		shot.take("saisie-paiement")
		open("payment recorded", chromedp.Click(chromedp.CSS(form+`button.primary`)))
		mustContain("payment recorded", "p.flash.ok", fmt.Sprintf("Paiement de %s du %s (VIR-2026-0042) enregistré pour la facture %s.", euros(amount), frenchDate(day), paid.Number),
			"Reste dû : "+euros(paid.Due().Sub(amount)))
		mustContain("payment recorded", "#paiements table", frenchDate(day), euros(amount), "saisi au tableau de bord", "VIR-2026-0042", "Virement partiel du comptable public")
		shot.take("paiement-enregistre")
		payments, err := r.books.Payments(ctx, paid.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(payments) != 1 || payments[0].Cents != 12345 || !payments[0].PaidOn.Equal(day) || payments[0].Source != store.PaymentDashboard ||
			payments[0].Reference != "VIR-2026-0042" {
			t.Fatalf("the books hold %+v, want the one payment of 123.45 on %s", payments, day.Format(time.DateOnly))
		}
	})

	step("reminder", func() {
		// The sample's invoices are twelve days old: none is due a
		// reminder. The dashboard's clock (only its own) moves to the day
		// after the first step of the earliest due of those awaiting their
		// money (contributions: a credit note is owed to the buyer), the
		// invoice paid above aside.
		rows, err := r.books.WorkList(ctx, store.WorkFilter{States: []invoice.State{invoice.StatePostal, invoice.StateDelivered},
			Kinds: []invoice.Kind{invoice.KindContribution}, Sort: "due"})
		if err != nil {
			t.Fatal(err)
		}
		var late store.WorkRow
		for _, row := range rows {
			if row.ID != paid.ID && row.Due().IsPositive() {
				late = row
				break
			}
		}
		if late.ID == 0 {
			t.Fatal("no invoice awaits its money")
		}
		today := late.DueDate.AddDate(0, 0, reminderSteps[0]+1)
		ahead.Store(int64(today.Add(12 * time.Hour).Sub(r.sb.Now())))
		due, err := r.books.WorkCount(ctx, srv.remindersFilter())
		if err != nil || due.Count == 0 {
			t.Fatalf("%d reminders due on %s (%v)", due.Count, today.Format(time.DateOnly), err)
		}
		t.Logf("the dashboard's today: %s, %d reminder(s) due; printing %s's", today.Format(time.DateOnly), due.Count, late.Number)

		open("reminders", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/relances"]`)))
		mustContain("reminders", "main h1", fmt.Sprintf("%d facture(s) au %s", due.Count, frenchDate(today)))
		mustContain("reminders", "nav.pager", fmt.Sprintf("sur %d", due.Count))
		letter := late.Number + ":1"
		// Every letter comes ticked: the officer prints this one only.
		if err := chromedp.Do(bctx,
			chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#lot-relances input[name="lettre"]').forEach(c => { c.checked = false })`),
			chromedp.Click(chromedp.CSS(`#lot-relances input[name="lettre"][value="`+letter+`"]`)),
		); err != nil {
			fail("reminders", err)
		}
		if got := eval[[]string](b, "reminders", `[...document.querySelectorAll('#lot-relances input[name="lettre"]:checked')].map(c => c.value)`); len(got) != 1 || got[0] != letter {
			fail("reminders", fmt.Errorf("ticked %v, want %s", got, letter))
		}
		shot.take("relances")
		// The batch is a PDF download: the page posts its form as the
		// button would and reads the answer.
		type pdfAnswer struct {
			Status      int
			Type, Magic string
		}
		pdf := eval[pdfAnswer](b, "reminders batch", `(async () => {
			const f = document.getElementById('lot-relances');
			const r = await fetch(f.action, {method: 'POST', body: new URLSearchParams(new FormData(f))});
			const b = new Uint8Array(await r.arrayBuffer());
			return {Status: r.status, Type: r.headers.get('Content-Type'), Magic: String.fromCharCode(...b.slice(0, 5))};
		})()`)
		if pdf.Status != http.StatusOK || pdf.Type != "application/pdf" || pdf.Magic != "%PDF-" {
			fail("reminders batch", fmt.Errorf("the batch answered %+v", pdf))
		}
		sent, err := r.books.Reminders(ctx, late.ID)
		if err != nil || len(sent) != 1 || sent[0].Step != 1 || !sent[0].SentOn.Equal(today) {
			t.Fatalf("the books hold the reminders %+v (%v), want n°1 sent on %s", sent, err, today.Format(time.DateOnly))
		}
		open("reminders after", chromedp.Reload())
		if n := eval[int](b, "reminders after", `document.querySelectorAll('#lot-relances input[value="`+letter+`"]').length`); n != 0 {
			fail("reminders after", fmt.Errorf("the reminder sent is still listed"))
		}

		open("reminded invoice", chromedp.Navigate(web.URL+"/factures/"+late.Number))
		mustContain("reminded invoice", "#relances", fmt.Sprintf("n°1 (J+%d)", reminderSteps[0]), frenchDate(today), "user:olivia",
			"Lettre envoyée (PDF)", fmt.Sprintf("Prochaine relance : n°2 (J+%d)", reminderSteps[1]))
		shot.take("relance-envoyee")
		// Paused for a dispute, then resumed.
		pause := `form[action="/factures/` + late.Number + `/relances/suspendre"] `
		if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(pause+`input[name="motif"]`), "Montant contesté par l'acheteur")); err != nil {
			fail("pause reminders", err)
		}
		open("reminders paused", chromedp.Click(chromedp.CSS(pause+`button`)))
		mustContain("reminders paused", "p.flash.ok", "Relances de la facture "+late.Number)
		mustContain("reminders paused", "#relances", "Relances suspendues depuis", "Montant contesté par l'acheteur")
		shot.take("relances-suspendues")
		resume := `form[action="/factures/` + late.Number + `/relances/reprendre"] `
		if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(resume+`input[name="motif"]`), "Accord trouvé")); err != nil {
			fail("resume reminders", err)
		}
		open("reminders resumed", chromedp.Click(chromedp.CSS(resume+`button`)))
		mustContain("reminders resumed", "#relances", fmt.Sprintf("Prochaine relance : n°2 (J+%d)", reminderSteps[1]))
		if _, paused, err := r.books.RemindersPause(ctx, late.ID); err != nil || paused {
			t.Fatalf("reminders of %s still paused (%v)", late.Number, err)
		}
	})

	step("postal batch", func() {
		ctx := context.Background()
		toSend, err := r.books.WorkCount(ctx, unmailedFilter())
		if err != nil || toSend.Count == 0 {
			t.Fatalf("postal invoices to send: %+v (%v), want some", toSend, err)
		}
		open("postal", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/courrier"]`)))
		// The batch is a PDF download: the page posts its form as the
		// button would and reads the answer.
		type answer struct {
			Status            int
			Type, Name, Magic string
		}
		pdf := eval[answer](b, "postal batch", `(async () => {
			const f = document.querySelector('form[action="/courrier/lot.pdf"]');
			const r = await fetch(f.action, {method: 'POST', body: new URLSearchParams(new FormData(f))});
			const b = new Uint8Array(await r.arrayBuffer());
			return {Status: r.status, Type: r.headers.get('Content-Type'), Name: r.headers.get('Content-Disposition'), Magic: String.fromCharCode(...b.slice(0, 5))};
		})()`)
		if pdf.Status != http.StatusOK || pdf.Type != "application/pdf" || pdf.Magic != "%PDF-" || !strings.Contains(pdf.Name, "lot-impression-1-") {
			fail("postal batch", fmt.Errorf("the batch answered %+v", pdf))
		}
		open("postal batch printed", chromedp.Reload())
		mustContain("postal batch printed", "main", "Lots d'impression récents", "Noter le lot n° 1 comme envoyé")
		shot.take("courrier-lot")
		open("postal batch mailed", chromedp.Click(chromedp.CSS(`form.inline-form[action="/courrier/envoi"] button`)))
		mustContain("postal batch mailed", "p.flash.ok", "Lot n° 1 : ", "notée(s) envoyée(s)")
		if left, err := r.books.WorkCount(ctx, unmailedFilter()); err != nil || left.Count != 0 {
			t.Fatalf("%d postal invoice(s) still to send after the batch was marked mailed (%v)", left.Count, err)
		}
		shot.take("courrier-envoye")
	})

	step("aged balance", func() {
		open("aged balance", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/balance-agee"]`)))
		total := strings.TrimSpace(text("aged balance", "table.aged tfoot td:last-child"))
		buyers := eval[int](b, "aged balance", `document.querySelectorAll('table.aged tbody th[scope="row"]').length`)
		mustContain("aged balance", "main h1", fmt.Sprintf("%d acheteur(s)", buyers))
		shot.take("balance-agee")
		type download struct {
			Status int
			BOM    bool
			Text   string
		}
		got := eval[download](b, "aged balance export", `(async () => {
			const r = await fetch(document.querySelector('main a[download][href^="/balance-agee.csv"]').href);
			const b = new Uint8Array(await r.arrayBuffer());
			return {Status: r.status, BOM: b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf, Text: new TextDecoder('utf-8', {ignoreBOM: true}).decode(b)};
		})()`)
		lines := strings.Split(strings.TrimSuffix(got.Text, "\r\n"), "\r\n")
		if got.Status != http.StatusOK || !got.BOM || !strings.HasPrefix(lines[0], "\ufeffSIRET;Acheteur;Non échu;") || len(lines) != buyers+2 {
			fail("aged balance export", fmt.Errorf("%d, BOM %v, %d lines for %d buyers:\n%s", got.Status, got.BOM, len(lines), buyers, got.Text))
		}

		open("overview", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/"]`)))
		outstanding := strings.TrimSpace(text("overview", ".kpis .kpi:nth-child(3) strong"))
		if total != outstanding || total == "" {
			fail("overview", fmt.Errorf("the aged balance totals %q, the overview's reste à encaisser is %q", total, outstanding))
		}
		// The monthly chart: an image with its title and description,
		// and its figures in a table under it.
		type chart struct {
			Images, Bars, Rows int
			Title, Desc        string
		}
		c := eval[chart](b, "chart", `(() => {
			const s = document.querySelector('section.chart-block svg[role="img"]');
			const ids = (s.getAttribute('aria-labelledby') || '').split(' ');
			return {Images: document.querySelectorAll('svg[role="img"]').length, Bars: s.querySelectorAll('rect.bar-invoiced').length,
				Rows: document.querySelectorAll('section.chart-block details table tbody tr').length,
				Title: document.getElementById(ids[0])?.textContent || '', Desc: document.getElementById(ids[1])?.textContent || ''};
		})()`)
		if c.Images != 1 || c.Bars == 0 || c.Rows != c.Bars || c.Title != "Facturé et encaissé par mois" || !strings.Contains(c.Desc, "Barres par mois") {
			fail("chart", fmt.Errorf("the chart: %+v", c))
		}
		if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`section.chart-block details summary`))); err != nil {
			fail("chart", err)
		}
		mustContain("chart", "section.chart-block details table", "Facturé TTC", "Encaissé")
		shot.take("graphique-mensuel")
	})

	step("other pages", func() {
		// The pages the steps above do not pass through, for their
		// accessibility (take checks it).
		for _, p := range []struct{ name, path string }{
			{"suspendues", "/suspendues"}, {"a-verifier", "/a-verifier"}, {"courrier", "/courrier"},
			{"retards", "/retards"}, {"corrections", "/corrections"}, {"recherche", "/recherche?q=brest"},
			{"etablissement", "/etablissements/" + landivisiau},
		} {
			open(p.name, chromedp.Navigate(web.URL+p.path))
			shot.take(p.name)
		}
		// A suspended invoice's completion, with its attachments field,
		// when the buyers suspended one.
		open("suspended list", chromedp.Navigate(web.URL+"/suspendues"))
		if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('td a.button[href$="/resoumettre"]').length`)); err != nil {
			fail("suspended list", err)
		} else if n > 0 {
			open("completion", chromedp.Click(chromedp.CSS(`td a.button[href$="/resoumettre"]`)))
			shot.take("completer-suspendue")
		}
		// The queue console (asynqmon's, not checked for accessibility:
		// not ours) leads back to the dashboard, once its own page is drawn.
		open("queue console", chromedp.Navigate(web.URL+"/queues/"))
		if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(`#root header`)),
			chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Tableau de bord"] a[href="/"]`))); err != nil {
			fail("queue console", err)
		}
		open("back from the queue console", chromedp.Click(chromedp.CSS(`nav[aria-label="Tableau de bord"] a[href="/"]`)))
		mustContain("back from the queue console", "main h1", "Vue d'ensemble")
		// A page that does not exist says so in French.
		if _, err := chromedp.RunResponse(bctx, chromedp.Navigate(web.URL+"/nulle-part")); err != nil {
			fail("not found", err)
		}
		mustContain("not found", "main", "Page introuvable")
		shot.take("page-introuvable")
	})

	step("metrics", func() {
		// The signed-in user reads /metrics: the deposits made above are there.
		body, err := chromedp.Run(bctx, chromedp.Evaluate[string](`fetch("/metrics").then(r => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil {
			fail("metrics", err)
		}
		for _, want := range []string{`chorusbill_invoices{state="cancelled"} 1`, `chorusbill_run_items_done{kind="contribution",run="1",year="2025"} 40`,
			`chorusbill_deposits_total{outcome="ok"}`, `chorusbill_chorus_calls_total{op="deposer/flux",outcome="ok"}`} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	t.Logf("pipeline and sandbox: %s; browser: %s (%s); total %s", setup.Round(time.Millisecond),
		time.Since(browserStart).Round(time.Millisecond), strings.Join(timings, ", "), time.Since(began).Round(time.Millisecond))
}

const viewportWidth, viewportHeight = 1366, 768

func fullPage(ctx context.Context) ([]byte, error) {
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`Math.ceil(document.documentElement.scrollHeight)`))
	if err != nil {
		return nil, err
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewportWidth, max(h, viewportHeight))); err != nil {
		return nil, err
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return nil, err
	}
	return png, chromedp.Do(ctx, chromedp.EmulateViewport(viewportWidth, viewportHeight))
}

func ptrTo[T any](v T) *T { return &v }

// syncBuffer collects Chromium's output from its goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Tail is the last n lines, without D-Bus's complaints (there is no bus in
// a container).
func (b *syncBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if !strings.Contains(l, "dbus") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

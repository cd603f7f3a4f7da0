package chorus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Buyers of fixtures/chorus-buyers.yaml (see chorus/sandbox/helpers_test.go).
const (
	buyerFree        = "21299951000010" // no obligation, pays after 10 days
	buyerCodeService = "19560820300012" // code service required; GESTION active, ANCIEN-ECONOMAT inactive
	buyerEither      = "26560401700045" // code service or EJ
	buyerNotOnChorus = "25561145100014"
	// buyerServiceEngagement requires a code service and an engagement; two
	// of its services require the engagement themselves.
	buyerServiceEngagement = "26223144200035"
)

// clock is a wall clock shared by the sandbox and the client.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type env struct {
	sb     *sandbox.Server
	url    string
	clock  *clock
	client *chorus.Client
	logs   *bytes.Buffer
}

// start runs a sandbox on 127.0.0.1 and a client for it.
func start(t *testing.T, mutate func(*sandbox.Config), opts ...chorus.Option) *env {
	t.Helper()
	clk := &clock{now: time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)}
	cfg := sandbox.Config{
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
		Now: clk.Now, Admin: true, Seed: 7,
		FlowProcessingDelay: -1, FlowIntegrationDelay: -1,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	e := &env{sb: sb, url: srv.URL, clock: clk, logs: &bytes.Buffer{}}
	e.client = e.newClient(t, nil, opts...)
	return e
}

func (e *env) newClient(t *testing.T, mutate func(*chorus.Config), opts ...chorus.Option) *chorus.Client {
	t.Helper()
	cfg := chorus.Config{
		Env: chorus.Local, BaseURL: e.url, TokenURL: e.url + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxAttempts: 8,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	base := []chorus.Option{chorus.WithClock(e.clock.Now), chorus.WithLogger(slog.New(slog.NewTextHandler(e.logs, nil)))}
	c, err := chorus.New(cfg, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cii renders a small valid invoice for a buyer.
func cii(t testing.TB, number, buyer, codeService, engagement string) []byte {
	t.Helper()
	l, err := invoice.NewLine("contribution-bouquet", "Contribution 2026", decimal.NewFromInt(12), invoice.UnitMonth,
		decimal.RequireFromString("920.00"), decimal.NewFromInt(12), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
	if err != nil {
		t.Fatal(err)
	}
	issue := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	d := document.Document{
		Kind: invoice.KindContribution, Number: number, IssueDate: issue, DueDate: issue.AddDate(0, 0, 30),
		Seller: document.Party{Name: "Syndicat mixte Mégalis Bretagne", SIRET: "25351449100047", VATNumber: "FR47253514491",
			Address: document.Address{Line1: "15 rue Claude Chappe", Postcode: "35510", City: "Cesson-Sévigné"}},
		Buyer:          document.Party{Name: "Acheteur", SIRET: buyer, Address: document.Address{Line1: "Mairie", Postcode: "29470", City: "Plougastel"}},
		BuyerReference: codeService, PurchaseOrder: engagement, Contract: "MEGALIS-CONV-2025-2029",
		Lines: []invoice.Line{l}, Totals: invoice.ComputeTotals([]invoice.Line{l}), PaidAmount: decimal.Zero,
		Bank:         document.BankAccount{IBAN: "FR7630001000640000035200079", BIC: "BDFEFRPPCCT", Holder: "Mégalis"},
		PaymentTerms: "30 jours", LatePaymentClause: document.LatePaymentClause(invoice.RegimeLegal),
	}
	b, err := document.RenderCII(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deposit(number, buyer string, t testing.TB) chorus.Deposit {
	return chorus.Deposit{Filename: number + ".xml", Content: cii(t, number, buyer, "", ""), Syntax: chorus.SyntaxeCII16B}
}

// Many goroutines share one token: one token request per expiry.
func TestTokenSharedUnderConcurrency(t *testing.T) {
	e := start(t, func(c *sandbox.Config) { c.TokenLifetime = 10 * time.Minute })
	ctx := context.Background()
	burst := func() {
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.client.LookupBuyer(ctx, buyerFree); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	burst()
	if n := e.client.TokenRequests(); n != 1 {
		t.Fatalf("%d token requests for 40 concurrent calls, want 1", n)
	}
	e.clock.Add(6 * time.Minute) // within the margin of 240 s before expiry: refresh early
	burst()
	if n := e.client.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests after expiry, want 2", n)
	}
	burst()
	if n := e.client.TokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want still 2", n)
	}
}

// A token the server no longer accepts (its clock ran ahead of ours) gets
// one 401, one refresh, and the call succeeds.
func TestUnauthorizedThenRecovery(t *testing.T) {
	e := start(t, func(c *sandbox.Config) { c.TokenLifetime = time.Hour })
	ctx := context.Background()
	// This client believes tokens live a day: only the 401 tells it otherwise.
	c := e.newClient(t, func(cfg *chorus.Config) { cfg.RefreshMargin = time.Second }, chorus.WithClock(func() time.Time { return time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC) }))
	if _, err := c.LookupBuyer(ctx, buyerFree); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Hour)
	b, err := c.LookupBuyer(ctx, buyerFree)
	if err != nil || !b.OnChorus {
		t.Fatalf("after expiry: %+v %v", b, err)
	}
	if n := c.TokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

// Wrong credentials end in an Auth error carrying the reason, and no secret
// appears in an error or a log line.
func TestAuthErrorsLeakNoSecret(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	const password, secret = "s3cr3t-Tech-Pass!", "piste-Client-S3cret"
	wrongAccount := e.newClient(t, func(c *chorus.Config) { c.TechPassword = password })
	_, err := wrongAccount.LookupBuyer(ctx, buyerFree)
	if !chorus.IsAuth(err) || !strings.Contains(err.Error(), "login or password incorrects") {
		t.Fatalf("wrong technical account: %v", err)
	}
	wrongClient := e.newClient(t, func(c *chorus.Config) { c.ClientSecret = secret })
	_, err2 := wrongClient.LookupBuyer(ctx, buyerFree)
	if !chorus.IsAuth(err2) || !strings.Contains(err2.Error(), "invalid_client") {
		t.Fatalf("wrong client secret: %v", err2)
	}
	cfg := chorus.Config{ClientSecret: secret, TechPassword: password, TechLogin: "TECH_1_x@cpro.fr"}
	account := "VEVDSF8xX3hAY3Byby5mcjpzM2NyM3QtVGVjaC1QYXNzIQ=="
	for _, text := range []string{err.Error(), err2.Error(), e.logs.String(), cfg.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		for _, s := range []string{password, secret, account, chorus.LocalClientSecret, chorus.LocalTechPassword} {
			if strings.Contains(text, s) {
				t.Errorf("a secret leaked: %q in %q", s, text)
			}
		}
	}
}

func TestBuyerLookup(t *testing.T) {
	calls := map[string]int{}
	e := start(t, nil, chorus.WithObserver(func(op string, _ chorus.Kind, _ int, _ time.Duration) { calls[op]++ }))
	ctx := context.Background()
	tests := []struct {
		siret    string
		onChorus bool
		exigence chorus.Exigence
		code     string
		eng      string
		ok       bool
	}{
		{buyerFree, true, chorus.ExigenceAucune, "", "", true},
		{buyerCodeService, true, chorus.ExigenceCodeService, "", "", false},
		{buyerCodeService, true, chorus.ExigenceCodeService, "GESTION", "", true},
		{buyerCodeService, true, chorus.ExigenceCodeService, "ANCIEN-ECONOMAT", "", false},
		{buyerCodeService, true, chorus.ExigenceCodeService, chorus.CodeServiceFacturesPubliques, "", false},
		{buyerEither, true, chorus.ExigenceCodeServiceOuEngagement, "", "EJ-1", true},
		{buyerNotOnChorus, false, "", "", "", false},
	}
	for _, tt := range tests {
		clear(calls)
		b, err := e.client.LookupBuyer(ctx, tt.siret)
		if err != nil {
			t.Fatalf("%s: %v", tt.siret, err)
		}
		if b.OnChorus != tt.onChorus || (tt.onChorus && b.Exigence != tt.exigence) {
			t.Errorf("%s: on chorus %v, requires %s", tt.siret, b.OnChorus, b.Exigence)
		}
		// The look-up reads the entry and its obligations, not the services.
		delete(calls, "token")
		want := map[string]int{"structures/rechercher": 1}
		if tt.onChorus {
			want["structures/consulter"] = 1
		}
		if !maps.Equal(calls, want) || b.ServicesLoaded || b.Services != nil {
			t.Errorf("%s: calls %v, services %v loaded %v; want calls %v and no services", tt.siret, calls, b.Services, b.ServicesLoaded, want)
		}
		if b, err = e.client.LoadServices(ctx, b); err != nil || !b.ServicesLoaded {
			t.Fatalf("%s: load services: %+v %v", tt.siret, b, err)
		}
		err = b.Check(tt.code, tt.eng)
		var re *chorus.ReferenceError
		if (err == nil) != tt.ok || (err != nil && !errors.As(err, &re)) {
			t.Errorf("%s Check(%q, %q) = %v", tt.siret, tt.code, tt.eng, err)
		}
	}
	// Services are read on every page, whatever the page size.
	for _, size := range []int{1, 2, 100} {
		c := e.newClient(t, func(cfg *chorus.Config) { cfg.PageSize = size })
		b, err := c.LookupBuyer(ctx, buyerCodeService)
		if err == nil {
			b, err = c.LoadServices(ctx, b)
		}
		if err != nil || len(b.Services) != 3 || b.Check("GESTION", "") != nil {
			t.Errorf("page size %d: services %+v, %v", size, b.Services, err)
		}
	}
}

func TestDepositFlowAndSearch(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	res, err := e.client.Deposit(ctx, deposit("CT2026-000001", buyerFree, t))
	if err != nil || res.FlowNumber == "" {
		t.Fatalf("deposit: %+v %v", res, err)
	}
	e.clock.Add(time.Second)
	r, err := e.client.FlowReport(ctx, res.FlowNumber, chorus.SyntaxeCII16B)
	if err != nil || r.State != chorus.EtatFluxIntegre || r.Outcome != chorus.IssueSucces {
		t.Fatalf("report: %+v %v", r, err)
	}
	found, err := e.client.FindInvoices(ctx, chorus.SearchCriteria{FlowNumber: res.FlowNumber})
	if err != nil || len(found) != 1 || found[0].NumeroFacture != "CT2026-000001" {
		t.Fatalf("search: %+v %v", found, err)
	}
	h, err := e.client.History(ctx, found[0].IdentifiantFactureCPP)
	if err != nil || h.StatutCourantCode == "" {
		t.Fatalf("history: %+v %v", h, err)
	}
	// The same number again is refused for good.
	_, err = e.client.Deposit(ctx, deposit("CT2026-000001", buyerFree, t))
	if err == nil {
		e.clock.Add(time.Second)
		found, _ := e.client.FindInvoices(ctx, chorus.SearchCriteria{Number: "CT2026-000001"})
		if len(found) != 1 {
			t.Errorf("a number deposited twice is held twice: %d", len(found))
		}
	} else if !chorus.IsPermanent(err) {
		t.Errorf("duplicate number: %v", err)
	}
	// An unknown flow is a business error, typed.
	_, err = e.client.FlowReport(ctx, "CPP0000000000000000000", chorus.SyntaxeCII16B)
	if code, _, ok := chorus.Business(err); !ok || code != chorus.CodeRetourErreur20001 || !chorus.IsPermanent(err) {
		t.Errorf("unknown flow: %v", err)
	}
	// An invalid syntax is refused before any call.
	if _, err := e.client.Deposit(ctx, chorus.Deposit{Filename: "x.xml", Content: []byte("<x/>"), Syntax: "IN_DP_E3_FACTUR_X_10"}); !chorus.IsPermanent(err) {
		t.Errorf("bad syntax: %v", err)
	}
}

// Searches read every page, whatever the page size.
func TestSearchPaging(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	for i := 1; i <= 23; i++ {
		if _, err := e.client.Deposit(ctx, deposit(fmt.Sprintf("CT2026-%06d", i), buyerFree, t)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(time.Second)
	for _, size := range []int{3, 10, 50} {
		c := e.newClient(t, func(cfg *chorus.Config) { cfg.PageSize = size })
		found, err := c.FindInvoices(ctx, chorus.SearchCriteria{DepositedFrom: "2026-01-01"})
		if err != nil || len(found) != 23 {
			t.Errorf("page size %d: %d invoices, %v", size, len(found), err)
		}
		seen := map[string]bool{}
		for _, f := range found {
			seen[f.NumeroFacture] = true
		}
		if len(seen) != 23 {
			t.Errorf("page size %d: %d distinct invoices", size, len(seen))
		}
	}
}

// Error classes: reads retry through 5xx and 429; a deposit whose answer is
// lost is Uncertain; exhausted retries stay Transient.
func TestErrorClasses(t *testing.T) {
	ctx := context.Background()
	t.Run("reads retry through 5xx and 429", func(t *testing.T) {
		e := start(t, func(c *sandbox.Config) {
			c.Faults = sandbox.Faults{ErrorRate: 0.3, RateLimitRate: 0.2, RetryAfter: 0}
		})
		for i := 0; i < 20; i++ {
			if _, err := e.client.LookupBuyer(ctx, buyerFree); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("always 5xx ends transient", func(t *testing.T) {
		e := start(t, func(c *sandbox.Config) { c.Faults = sandbox.Faults{ErrorRate: 1} })
		_, err := e.client.LookupBuyer(ctx, buyerFree)
		if !chorus.IsTransient(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a single-attempt client gives up at the first 5xx", func(t *testing.T) {
		e := start(t, func(c *sandbox.Config) {
			c.Faults = sandbox.Faults{ErrorRate: 1, Paths: []string{chorus.PathRechercherStructure}}
		})
		calls := 0
		c := e.newClient(t, nil, chorus.WithObserver(func(op string, _ chorus.Kind, _ int, _ time.Duration) {
			if op != "token" {
				calls++
			}
		}))
		if _, err := c.SingleAttempt().LookupBuyer(ctx, buyerFree); !chorus.IsTransient(err) || calls != 1 {
			t.Fatalf("single attempt: %d calls, err %v", calls, err)
		}
		calls = 0
		if _, err := c.LookupBuyer(ctx, buyerFree); !chorus.IsTransient(err) || calls != 8 {
			t.Fatalf("the client itself: %d calls, want its 8 attempts (err %v)", calls, err)
		}
	})
	t.Run("lost deposit answer is uncertain and the deposit exists", func(t *testing.T) {
		e := start(t, func(c *sandbox.Config) {
			c.Faults = sandbox.Faults{LostResponseRate: 1, Paths: []string{chorus.PathDeposerFlux}}
		})
		_, err := e.client.Deposit(ctx, deposit("CT2026-000777", buyerFree, t))
		if !chorus.IsUncertain(err) {
			t.Fatalf("err = %v", err)
		}
		if n := len(e.sb.Deposits()); n != 1 {
			t.Fatalf("%d deposits at the sandbox, want 1 (applied, answer lost)", n)
		}
		e.clock.Add(time.Second)
		found, err := e.client.FindInvoices(ctx, chorus.SearchCriteria{Number: "CT2026-000777"})
		if err != nil || len(found) != 1 {
			t.Fatalf("reconcile by number: %d found, %v", len(found), err)
		}
	})
	t.Run("flaky invalid_client is retried", func(t *testing.T) {
		e := start(t, func(c *sandbox.Config) { c.Faults = sandbox.Faults{InvalidClientRate: 0.5} })
		for i := 0; i < 5; i++ {
			e.clock.Add(2 * time.Hour) // a new token every time
			if _, err := e.client.LookupBuyer(ctx, buyerFree); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Under 20 % 5xx, 10 % 429 and 5 % lost responses, 1,000 deposits made the
// way the worker makes them — deposit; on an uncertain outcome search for
// the number before depositing again — end with every number deposited
// exactly once.
func TestDepositsUnderFaultsExactlyOnce(t *testing.T) {
	e := start(t, func(c *sandbox.Config) {
		c.Faults = sandbox.Faults{ErrorRate: 0.2, RateLimitRate: 0.1, LostResponseRate: 0.05}
	})
	ctx := context.Background()
	const n = 1000
	files := make([][]byte, n)
	base := cii(t, "CT2026-000000", buyerFree, "", "")
	for i := range files {
		files[i] = bytes.Replace(base, []byte("CT2026-000000"), []byte(fmt.Sprintf("CT2026-%06d", i+1)), -1)
	}
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, n)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := depositOnce(ctx, e.client, fmt.Sprintf("CT2026-%06d", i+1), files[i]); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	perNumber := map[string]int{}
	for _, d := range e.sb.Deposits() {
		if d.EtatFinal == chorus.EtatFluxIntegre {
			perNumber[d.NumeroFacture]++
		}
	}
	if len(perNumber) != n {
		t.Fatalf("%d numbers integrated, want %d", len(perNumber), n)
	}
	for num, c := range perNumber {
		if c != 1 {
			t.Errorf("%s integrated %d times", num, c)
		}
	}
}

// depositOnce is the reconcile-before-redeposit loop the worker uses.
func depositOnce(ctx context.Context, c *chorus.Client, number string, file []byte) error {
	search := false // after an uncertain outcome, search before depositing again
	for attempt := 0; attempt < 20; attempt++ {
		if search {
			found, serr := c.FindInvoices(ctx, chorus.SearchCriteria{Number: number})
			if chorus.IsTransient(serr) {
				continue // the worker's task is retried, searching first again
			}
			if serr != nil {
				return fmt.Errorf("%s: reconcile: %w", number, serr)
			}
			if len(found) > 0 {
				return nil // it was applied: do not deposit again
			}
		}
		_, err := c.Deposit(ctx, chorus.Deposit{Filename: number + ".xml", Content: file, Syntax: chorus.SyntaxeCII16B})
		if err == nil {
			return nil
		}
		if !chorus.IsUncertain(err) && !chorus.IsTransient(err) {
			return fmt.Errorf("%s: %w", number, err)
		}
		search = true
	}
	return fmt.Errorf("%s: not deposited after 20 attempts", number)
}

// States and statuses outside the reference's tables are reported as
// unknown, never as pending or success, and logged.
func TestUnknownStatesAndStatuses(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	if err := e.sb.SetBehaviour(buyerFree, sandbox.Behaviour{FlowOutcome: "IN_ETAT_INEDIT"}); err != nil {
		t.Fatal(err)
	}
	res, err := e.client.Deposit(ctx, deposit("CT2026-000100", buyerFree, t))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	r, err := e.client.FlowReport(ctx, res.FlowNumber, chorus.SyntaxeCII16B)
	if err != nil || r.Outcome != chorus.IssueUnknown || r.State.Terminal() {
		t.Fatalf("unknown flow state: %+v %v", r, err)
	}
	if err := e.sb.SetBehaviour(buyerFree, sandbox.Behaviour{Lifecycle: []sandbox.Step{{Status: "STATUT_INEDIT"}}}); err != nil {
		t.Fatal(err)
	}
	res, err = e.client.Deposit(ctx, deposit("CT2026-000101", buyerFree, t))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	if err := e.sb.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	found, err := e.client.FindInvoices(ctx, chorus.SearchCriteria{FlowNumber: res.FlowNumber})
	if err != nil || len(found) != 1 {
		t.Fatalf("search: %v %v", found, err)
	}
	h, err := e.client.History(ctx, found[0].IdentifiantFactureCPP)
	if err != nil || h.StatutCourantCode != "STATUT_INEDIT" || h.StatutCourantCode.Classe() != chorus.ClasseInconnue || h.StatutCourantCode.Terminal() {
		t.Fatalf("unknown status: %s (%s) %v", h.StatutCourantCode, h.StatutCourantCode.Classe(), err)
	}
	if !strings.Contains(e.logs.String(), "unknown state") || !strings.Contains(e.logs.String(), "unknown status") {
		t.Errorf("no warning logged: %s", e.logs.String())
	}
}

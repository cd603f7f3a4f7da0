package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// routes lists every route with a request that would succeed for an
// operator; the auth tests send each without a session.
func (e *env) routes() []struct{ method, path string } {
	return []struct{ method, path string }{
		{"GET", "/"},
		{"GET", "/api/apercu"},
		{"GET", "/static/style.css"},
		{"GET", "/static/app.js"},
		{"GET", "/a-completer"},
		{"GET", "/rejets"},
		{"GET", "/suspendues"},
		{"GET", "/a-verifier"},
		{"GET", "/courrier"},
		{"GET", "/retards"},
		{"GET", "/balance-agee"},
		{"GET", "/balance-agee.csv"},
		{"GET", "/corrections"},
		{"GET", "/recherche?q=commune"},
		{"GET", "/factures/" + e.awaiting},
		{"GET", "/factures/" + e.awaiting + "/documents/pdf"},
		{"GET", "/factures/" + e.rejected + "/resoumettre"},
		{"GET", "/etablissements/21299951000010"},
		{"GET", "/queues/"},
		{"GET", "/queues/api/queues"},
		{"GET", "/nowhere"},
		{"POST", "/deconnexion"},
		{"POST", "/factures/" + e.awaiting + "/references"},
		{"POST", "/factures/" + e.rejected + "/resoumettre"},
		{"POST", "/factures/" + e.postal + "/paiements"},
		{"POST", "/courrier/envoi"},
		{"POST", "/courrier/lot.pdf"},
		{"POST", fmt.Sprintf("/corrections/%d/confirmer", e.correction)},
		{"POST", fmt.Sprintf("/corrections/%d/ecarter", e.correction)},
		{"POST", "/queues/api/queues/default:pause"},
	}
}

func TestAnonymousIsRefusedEverywhere(t *testing.T) {
	e := newEnv(t)
	for _, rt := range e.routes() {
		if strings.HasPrefix(rt.path, "/static/") {
			continue // public: TestStaticAssetsArePublic
		}
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			w := e.do(rt.method, rt.path, nil, url.Values{"confirmer": {"oui"}})
			switch w.Code {
			case http.StatusSeeOther:
				if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/connexion") {
					t.Fatalf("redirected to %q, want the login page", loc)
				}
			case http.StatusUnauthorized:
			default:
				t.Fatalf("status %d, want 303 to the login page or 401", w.Code)
			}
			for _, leak := range []string{e.awaiting, "Plougastel", "€"} {
				if strings.Contains(w.Body.String(), leak) && !strings.Contains(rt.path, leak) {
					t.Fatalf("anonymous response shows %q", leak)
				}
			}
		})
	}
	// A bad or forged cookie is no session either.
	w := e.do("GET", "/", &http.Cookie{Name: "__Host-chorusbill", Value: "forged"}, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("forged cookie: status %d", w.Code)
	}
	if len(e.actions.Calls()) != 0 {
		t.Fatal("an anonymous request reached the pipeline")
	}
}

func TestOperatorReachesEveryRoute(t *testing.T) {
	e := newEnv(t)
	for _, rt := range e.routes() {
		if rt.method != "GET" || rt.path == "/nowhere" {
			continue
		}
		if w := e.do(rt.method, rt.path, e.operator, nil); w.Code != http.StatusOK {
			t.Errorf("%s %s: status %d\n%s", rt.method, rt.path, w.Code, w.Body.String())
		}
	}
}

func TestHealthProbesAreOpen(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if w := e.do("GET", p, nil, nil); w.Code != http.StatusOK {
			t.Errorf("%s: %d %s", p, w.Code, w.Body.String())
		}
	}
	if w := e.do("GET", "/readyz", nil, nil); !strings.Contains(w.Body.String(), "deliveries: ok\n") {
		t.Errorf("readyz, deliveries not paused: %s", w.Body.String())
	}
	// Deliveries paused: /readyz says why and since when, and stays 200
	// (restarting the dashboard, or routing away from it, fixes nothing).
	since := time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)
	if err := e.books.PauseDeliveries(context.Background(), "Chorus Pro refuse l'accès (HTTP 403)", since); err != nil {
		t.Fatal(err)
	}
	if w := e.do("GET", "/readyz", nil, nil); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), "deliveries: paused since 2026-03-02T08:15:00Z: Chorus Pro refuse l'accès (HTTP 403)\n") {
		t.Errorf("readyz, deliveries paused: %d %s", w.Code, w.Body.String())
	}
	e2 := newEnv(t, func(c *Config) { c.PingRedis = func(context.Context) error { return context.DeadlineExceeded } })
	if w := e2.do("GET", "/readyz", nil, nil); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "redis: unreachable") {
		t.Errorf("readyz with Redis down: %d %s", w.Code, w.Body.String())
	}
}

func login(e *env, user, password string, hdr ...string) *httptestResult {
	w := e.do("POST", "/connexion", nil, url.Values{"utilisateur": {user}, "mot_de_passe": {password}, "suite": {"/retards"}}, hdr...)
	return &httptestResult{w.Code, w.Header(), w.Body.String(), w.Result().Cookies()}
}

type httptestResult struct {
	Code    int
	Header  http.Header
	Body    string
	Cookies []*http.Cookie
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	if r := login(e, "olivia", "wrong password!"); r.Code != http.StatusUnauthorized || len(r.Cookies) != 0 ||
		!strings.Contains(r.Body, "Identifiant ou mot de passe incorrect") {
		t.Fatalf("wrong password: %d %v", r.Code, r.Cookies)
	}
	if r := login(e, "nobody", testPassword); r.Code != http.StatusUnauthorized || !strings.Contains(r.Body, "Identifiant ou mot de passe incorrect") {
		t.Fatalf("unknown user: %d", r.Code)
	}
	r := login(e, "olivia", testPassword)
	if r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/retards" {
		t.Fatalf("login: %d to %q", r.Code, r.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, k := range r.Cookies {
		if k.Name == "__Host-chorusbill" {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("session cookie %+v: want __Host-, HttpOnly, Secure, SameSite=Strict", c)
	}
	if w := e.do("GET", "/retards", c, nil); w.Code != http.StatusOK {
		t.Fatalf("with the new session: %d", w.Code)
	}
	// Logging out ends the session server-side: the old cookie is useless.
	if w := e.do("POST", "/deconnexion", c, url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	if w := e.do("GET", "/retards", c, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", w.Code)
	}
	// An open redirect is not possible through the login form.
	w := e.do("POST", "/connexion", nil, url.Values{"utilisateur": {"olivia"}, "mot_de_passe": {testPassword}, "suite": {"//evil.example/"}})
	if w.Header().Get("Location") != "/" {
		t.Fatalf("post-login redirect to %q", w.Header().Get("Location"))
	}
}

func TestSessionTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
	}{
		{"idle", func(c *Config) { c.IdleTimeout = 20 * time.Millisecond }},
		{"absolute", func(c *Config) { c.AbsoluteTimeout = 20 * time.Millisecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			c, err := e.srv.NewSession(context.Background(), "olivia")
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			if w := e.do("GET", "/", c, nil); w.Code != http.StatusSeeOther {
				t.Fatalf("expired session: %d", w.Code)
			}
		})
	}
}

func TestDisabledUserLosesSessions(t *testing.T) {
	e := newEnv(t)
	if err := e.books.DisableUser(context.Background(), "olivia", "test"); err != nil {
		t.Fatal(err)
	}
	if w := e.do("GET", "/", e.operator, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("disabled user's session: %d", w.Code)
	}
	if r := login(e, "olivia", testPassword); r.Code != http.StatusUnauthorized {
		t.Fatalf("disabled user's login: %d", r.Code)
	}
}

func TestViewerCannotChangeAnything(t *testing.T) {
	e := newEnv(t)
	before := len(e.audit(e.awaiting)) + len(e.audit(e.postal)) + len(e.audit(e.rejected))
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/factures/" + e.awaiting + "/references", url.Values{"engagement": {"EJ-2026-0042"}}},
		{"/factures/" + e.rejected + "/resoumettre", url.Values{"confirmer": {"oui"}, "etat": {"rejected/REJETEE"}}},
		{"/courrier/envoi", url.Values{"facture": {e.postal}, "date": {"2026-03-01"}}},
		{fmt.Sprintf("/corrections/%d/confirmer", e.correction), url.Values{"commentaire": {"ok"}}},
		{fmt.Sprintf("/corrections/%d/ecarter", e.correction), url.Values{"commentaire": {"non"}}},
	} {
		if w := e.do("POST", tc.path, e.viewer, tc.form); w.Code != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", tc.path, w.Code)
		}
	}
	// The queue console is read-only for viewers.
	if w := e.do("POST", "/queues/api/queues/default:pause", e.viewer, url.Values{}); w.Code < 400 {
		t.Errorf("viewer pausing a queue: %d", w.Code)
	}
	after := len(e.audit(e.awaiting)) + len(e.audit(e.postal)) + len(e.audit(e.rejected))
	if after != before || len(e.actions.Calls()) != 0 {
		t.Fatalf("a viewer changed the books: %d → %d audit rows, %d pipeline calls", before, after, len(e.actions.Calls()))
	}
	if w := e.do("GET", "/factures/"+e.awaiting, e.viewer, nil); strings.Contains(w.Body.String(), `action="/factures/`+e.awaiting+`/references"`) {
		t.Error("the viewer is shown the references form")
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	e := newEnv(t)
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "same-site", "Origin", "https://other.dash.example"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		w := e.do("POST", "/courrier/envoi", e.operator, url.Values{"facture": {e.postal}, "date": {"2026-03-01"}, "retour": {"/courrier"}}, hdr...)
		if w.Code != http.StatusForbidden {
			t.Errorf("%v: status %d", hdr, w.Code)
		}
		if r := login(e, "olivia", testPassword, hdr...); r.Code != http.StatusForbidden {
			t.Errorf("cross-origin login %v: %d", hdr, r.Code)
		}
	}
	for _, ev := range e.audit(e.postal) {
		if ev.Action == actionMailed {
			t.Fatal("a cross-origin request marked the invoice as mailed")
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path   string
		cookie *http.Cookie
	}{{"/connexion", nil}, {"/", e.viewer}, {"/factures/" + e.overdue, e.viewer}, {"/static/style.css", e.viewer}, {"/nowhere", nil}} {
		w := e.do("GET", tc.path, tc.cookie, nil)
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", tc.path, csp)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
			"Strict-Transport-Security": "max-age=31536000"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", tc.path, k, h.Get(k), v)
			}
		}
		if strings.Contains(w.Body.String(), "<script>") || strings.Contains(w.Body.String(), " style=\"") {
			t.Errorf("%s: inline script or style in the page", tc.path)
		}
	}
	// The queue console's own inline scripts are allowed by hash only.
	w := e.do("GET", "/queues/", e.operator, nil)
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "'sha256-") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("queue console CSP %q", csp)
	}
}

func TestOperatorFillsReferences(t *testing.T) {
	e := newEnv(t)
	path := "/factures/" + e.awaiting + "/references"
	// Chorus Pro says this buyer needs an engagement number: a code service
	// alone is refused, and nothing is written.
	w := e.do("POST", path, e.operator, url.Values{"code_service": {"SERVICE-FIN"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "exige un numéro d&#39;engagement") {
		t.Fatalf("missing engagement: %d\n%s", w.Code, w.Body.String())
	}
	if inv := e.invoice(e.awaiting); inv.CodeService != "" || len(e.actions.Calls()) != 0 {
		t.Fatal("refused references were recorded")
	}
	oldCII, _ := e.books.Document(context.Background(), e.invoice(e.awaiting).ID, "cii")

	w = e.do("POST", path, e.operator, url.Values{"engagement": {"EJ-2026-0042"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("references: %d\n%s", w.Code, w.Body.String())
	}
	inv := e.invoice(e.awaiting)
	if inv.Engagement != "EJ-2026-0042" {
		t.Fatalf("engagement %q", inv.Engagement)
	}
	refs, _ := e.books.ReferencesFor(context.Background(), inv.EstablishmentID, inv.IssueDate.Year())
	if refs.Engagement != "EJ-2026-0042" {
		t.Fatalf("references of the year: %+v", refs)
	}
	cii, _ := e.books.Document(context.Background(), inv.ID, "cii")
	if cii.SHA256 == oldCII.SHA256 || !strings.Contains(string(cii.Content), "EJ-2026-0042") {
		t.Fatal("the XML to deposit was not rendered again with the engagement")
	}
	calls := e.actions.Calls()
	if len(calls) != 1 || calls[0].Number != e.awaiting || calls[0].Actor != "user:olivia" {
		t.Fatalf("pipeline calls %+v", calls)
	}
	found := false
	for _, ev := range e.audit(e.awaiting) {
		found = found || (ev.Actor == "user:olivia" && strings.Contains(ev.Action, "engagement"))
	}
	if !found {
		t.Fatalf("the change is not in the audit trail with the user: %+v", e.audit(e.awaiting))
	}
	// The next page shows what was done.
	if w := e.do("GET", "/factures/"+e.awaiting, e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")); !strings.Contains(w.Body.String(), "Références vérifiées") {
		t.Error("no confirmation shown after the references")
	}
}

func TestResubmitNeedsConfirmationAndSaysWhatHappens(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ number, want string }{
		{e.rejected, "un avoir annulera la facture " + e.rejected},
		{e.platformRejected, "la même facture " + e.platformRejected + " (même numéro) sera déposée à nouveau"},
		{e.suspended, "complétée sur Chorus Pro"},
	} {
		w := e.do("GET", "/factures/"+tc.number+"/resoumettre", e.operator, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("confirmation of %s lacks %q", tc.number, tc.want)
		}
	}
	// Without the confirmation, nothing happens.
	if w := e.do("POST", "/factures/"+e.rejected+"/resoumettre", e.operator, url.Values{}); w.Code != http.StatusSeeOther || len(e.actions.Calls()) != 0 {
		t.Fatalf("unconfirmed: %d, %d calls", w.Code, len(e.actions.Calls()))
	}
	// A confirmation given for another state (someone acted meanwhile) is refused.
	e.do("POST", "/factures/"+e.rejected+"/resoumettre", e.operator, url.Values{"confirmer": {"oui"}, "etat": {"rejected/IN_REJETE"}})
	if len(e.actions.Calls()) != 0 {
		t.Fatal("a stale confirmation went through")
	}
	w := e.do("POST", "/factures/"+e.rejected+"/resoumettre", e.operator, url.Values{"confirmer": {"oui"}, "etat": {"rejected/REJETEE"}, "motif": {"montant corrigé"}})
	calls := e.actions.Calls()
	if w.Code != http.StatusSeeOther || len(calls) != 1 || calls[0].Actor != "user:olivia" || !strings.Contains(calls[0].Reason, "montant corrigé") {
		t.Fatalf("confirmed: %d %+v", w.Code, calls)
	}
	// Nothing to re-submit on a paid or postal invoice.
	if w := e.do("GET", "/factures/"+e.postal+"/resoumettre", e.operator, nil); w.Code != http.StatusConflict {
		t.Errorf("postal resubmit page: %d", w.Code)
	}
}

func TestMarkMailedGoesToTheAuditTrail(t *testing.T) {
	e := newEnv(t)
	w := e.do("POST", "/courrier/envoi", e.operator, url.Values{"facture": {e.postal}, "date": {"2026-03-01"}, "retour": {"/courrier"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/courrier" {
		t.Fatalf("mark mailed: %d %s", w.Code, w.Header().Get("Location"))
	}
	var ev *struct{ Actor, Reason string }
	for _, a := range e.audit(e.postal) {
		if a.Action == actionMailed {
			ev = &struct{ Actor, Reason string }{a.Actor, a.Reason}
		}
	}
	if ev == nil || ev.Actor != "user:olivia" || ev.Reason != "envoyée par courrier le 01/03/2026" {
		t.Fatalf("audit: %+v", ev)
	}
	if w := e.do("GET", "/courrier", e.viewer, nil); !strings.Contains(w.Body.String(), "le 01/03/2026") {
		t.Error("the postal list does not show the mailing date")
	}
	// A date in the future, or an invoice that is not postal, is refused.
	for _, f := range []url.Values{
		{"facture": {e.postal}, "date": {"2026-04-01"}},
		{"facture": {e.overdue}, "date": {"2026-03-01"}},
	} {
		before := len(e.audit(e.postal)) + len(e.audit(e.overdue))
		e.do("POST", "/courrier/envoi", e.operator, f)
		if after := len(e.audit(e.postal)) + len(e.audit(e.overdue)); after != before {
			t.Errorf("%v was recorded", f)
		}
	}
}

func TestPagesAreFrench(t *testing.T) {
	e := newEnv(t)
	nb := "\u00a0"
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{"Vue d'ensemble", "Facturé TTC", "1" + nb + "481,47" + nb + "€", "retard(s) de paiement"}},
		{"/retards", []string{e.overdue, "31/10/2025", "1" + nb + "481,47" + nb + "€", "Taux légal", "Jours de retard"}},
		{"/factures/" + e.overdue, []string{"Contribution " + e.overdue, "01/10/2025", "1" + nb + "234,56" + nb + "€", "Intérêts courus à ce jour",
			"Mise à disposition", "Factur-X", "piste d'audit"}},
		{"/factures/" + e.awaiting, []string{"Compléter les références acheteur", "N° d'engagement"}},
		{"/rejets", []string{e.rejected, "Montant contesté par le service facturier", "par l&#39;acheteur", "par la plateforme"}},
		{"/suspendues", []string{e.suspended, "Suspendue", "Merci de joindre le bon de commande"}},
		{"/a-completer", []string{e.awaiting, "buyer requires an engagement number"}},
		{"/courrier", []string{e.postal, "lot d'impression", "à envoyer"}},
		{"/etablissements/21299951000010", []string{"Commune de Plougastel-Daoulas", "Usage et franchises", "Exercice 2025"}},
		{"/recherche?q=Plougastel", []string{"Commune de Plougastel-Daoulas"}},
	} {
		w := e.do("GET", tc.path, e.viewer, nil)
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", tc.path, w.Code)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("%s lacks %q", tc.path, s)
			}
		}
	}
}

func TestSearchJumpsToExactMatches(t *testing.T) {
	e := newEnv(t)
	if w := e.do("GET", "/recherche?q="+strings.ToLower(e.overdue), e.viewer, nil); w.Header().Get("Location") != "/factures/"+e.overdue {
		t.Errorf("number: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := e.do("GET", "/recherche?q=212+999+510+00010", e.viewer, nil); w.Header().Get("Location") != "/etablissements/21299951000010" {
		t.Errorf("SIRET: %d %s", w.Code, w.Header().Get("Location"))
	}
}

func TestDownloads(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ path, ctype, magic, name string }{
		{"/factures/" + e.overdue + "/documents/pdf", "application/pdf", "%PDF", e.overdue + ".pdf"},
		{"/factures/" + e.overdue + "/documents/facturx", "application/pdf", "%PDF", e.overdue + ".facturx.pdf"},
		{"/factures/" + e.overdue + "/documents/cii", "application/xml", "<?xml", e.overdue + ".cii.xml"},
		{"/factures/" + e.overdue + "/documents/ubl", "application/xml", "<?xml", e.overdue + ".ubl.xml"},
		{"/courrier/lot.pdf", "application/pdf", "%PDF", "lot-impression"},
	} {
		var form url.Values
		method := "GET"
		if strings.HasPrefix(tc.path, "/courrier/") {
			method, form = "POST", url.Values{"q": {""}} // printing writes to the books: a POST
		}
		w := e.do(method, tc.path, e.viewer, form)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tc.ctype || !strings.HasPrefix(w.Body.String(), tc.magic) ||
			!strings.Contains(w.Header().Get("Content-Disposition"), tc.name) {
			t.Errorf("%s: %d %s %q", tc.path, w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
		}
	}
	if w := e.do("GET", "/courrier/lot.pdf", e.viewer, nil); w.Code == http.StatusOK {
		t.Errorf("the print batch answers a GET: printing would be recorded by a prefetch")
	}
	if w := e.do("GET", "/factures/"+e.overdue+"/documents/exe", e.viewer, nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown format: %d", w.Code)
	}
}

func TestRedactPayload(t *testing.T) {
	for in, want := range map[string]string{
		`{"invoice_id":42,"attempt":3}`:                     `{"attempt":3,"invoice_id":42}`,
		`{"year":2025,"kind":"contribution","iban":"FR76"}`: `{"iban":"***","kind":"contribution","year":2025}`,
		`not json`: "[masqué : 8 octets]",
	} {
		if got := redactPayload("t", []byte(in)); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
}

package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

func TestErrorPagesAreFrench(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, method, path string
		operator           bool
		form               url.Values
		status             int
		want               []string
		allow              string
	}{
		{"unknown page", "GET", "/nulle-part", false, nil, http.StatusNotFound, []string{"Page introuvable", "Cette page n&#39;existe pas."}, ""},
		{"unknown invoice", "GET", "/factures/XX0000-000000", false, nil, http.StatusNotFound, []string{"Page introuvable", "Facture introuvable."}, ""},
		{"post on a page", "POST", "/a-completer", true, url.Values{}, http.StatusMethodNotAllowed,
			[]string{"Méthode non autorisée", "méthode POST refusée"}, "GET, HEAD"},
		{"get on an action", "GET", "/courrier/envoi", true, nil, http.StatusMethodNotAllowed,
			[]string{"Méthode non autorisée", "méthode GET refusée"}, "POST"},
		{"nothing to resubmit", "GET", "/factures/" + e.overdue + "/resoumettre", true, nil, http.StatusConflict,
			[]string{"Action impossible", "n&#39;a rien à re-soumettre"}, ""},
		{"viewer acting", "POST", "/factures/" + e.rejected + "/resoumettre", false, url.Values{"confirmer": {"oui"}}, http.StatusForbidden,
			[]string{"Accès refusé", "Action réservée aux opérateurs"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cookie := e.viewer
			if tc.operator {
				cookie = e.operator
			}
			w := e.do(tc.method, tc.path, cookie, tc.form)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("the page lacks %q:\n%s", s, body)
				}
			}
			if english := http.StatusText(tc.status); strings.Contains(body, english) {
				t.Errorf("the page says %q", english)
			}
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow: %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestStatusTitlesAreFrench(t *testing.T) {
	for code := 400; code < 600; code++ {
		english := http.StatusText(code)
		if english == "" {
			continue
		}
		if got := statusTitle(code); got == english || got == "" {
			t.Errorf("%d: %q", code, got)
		}
	}
}

// writtenAuditActions reads the audit actions the code writes from the
// sources of store, worker and dashboard: the literals given as an
// event's Action, to audit.add, to changeUser, and the constants named
// Action…; an "update" lists the invoice's fields (changeField), each
// tried alone. A new action therefore fails TestAuditActionsAreFrench
// until it has a label.
func writtenAuditActions(t *testing.T) []string {
	t.Helper()
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`Action:\s*"([^"]+)"`),
		regexp.MustCompile(`audit\.add\([^"\n]*"[^"\n]*"[^"\n]*"([^"\n]+)"`),
		regexp.MustCompile(`changeUser\([^"\n]*"([^"\n]+)"`),
		regexp.MustCompile(`(?m)^\s*(?:const\s+)?[aA]ction[A-Z]\w*\s*=\s*"([^"]+)"`),
		regexp.MustCompile(`return "(transition)"`),
	}
	field := regexp.MustCompile(`changeField\{"(\w+)"`)
	seen := map[string]bool{}
	var out []string
	for _, dir := range []string{"../store", "../worker", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, re := range patterns {
				for _, m := range re.FindAllStringSubmatch(string(src), -1) {
					found = append(found, m[1])
				}
			}
			for _, m := range field.FindAllStringSubmatch(string(src), -1) {
				found = append(found, "update "+m[1])
			}
			if strings.Contains(string(src), `"queue " + r.Method`) {
				found = append(found, "queue POST")
			}
			for _, a := range found {
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	return out
}

func TestAuditActionsAreFrench(t *testing.T) {
	actions := writtenAuditActions(t)
	for _, want := range []string{"finalise", "transition", "update chorus_status", "payment", "payment-repeat", "printed", "mailed",
		"document", "references", "user add", "user passwd", "queue POST"} {
		if !slices.Contains(actions, want) {
			t.Errorf("the sources' actions %v lack %q: the reading of the sources is broken", actions, want)
		}
	}
	for _, a := range actions {
		if l := auditLabel(a); l == a || l == "" {
			t.Errorf("%q reads %q", a, l)
		}
	}
	for _, tc := range []struct{ action, want string }{
		{"update chorus_status, status_reason", "Mise à jour : statut Chorus Pro, motif"},
		{"update code_service, engagement", "Mise à jour : code service, n° d'engagement"},
		{"queue POST", "Action sur les files d'attente (POST)"},
		{"transition", "Changement d'état"},
		{"mailed", "Envoyée par courrier"},
	} {
		if got := auditLabel(tc.action); got != tc.want {
			t.Errorf("%q reads %q, want %q", tc.action, got, tc.want)
		}
	}
}

func TestInvoicePageShowsAuditInFrench(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "/factures/"+e.rejected, e.viewer, nil)
	body := w.Body.String()
	i := strings.Index(body, "piste d'audit")
	if w.Code != http.StatusOK || i < 0 {
		t.Fatalf("status %d, no audit trail", w.Code)
	}
	trail := body[i:]
	for _, want := range []string{"<td>Émission</td>", "<td>Changement d&#39;état</td>", "<td>Document enregistré</td>",
		`<td class="reason">CII (XML), empreinte SHA-256 `} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail lacks %s:\n%s", want, trail)
		}
	}
	for _, raw := range []string{"<td>finalise</td>", "<td>transition</td>", "<td>document</td>", "<td>update "} {
		if strings.Contains(trail, raw) {
			t.Errorf("the trail shows %s", raw)
		}
	}
}

// A payment's audit reason reads in French, whether the books wrote it
// now or in English before: the old ones read as the books write now.
func TestPaymentReasonsAreFrench(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inv := e.invoice(e.overdue)
	paid := time.Date(2026, 2, 13, 0, 0, 0, 0, time.UTC)
	p := store.Payment{InvoiceID: inv.ID, PaidOn: paid, Amount: decimal.RequireFromString("1000.50"), Source: store.PaymentImported, Reference: "VIR 42"}
	if _, err := e.books.RecordPayment(ctx, p, today, "test"); err != nil {
		t.Fatal(err)
	}
	held, err := e.books.Payments(ctx, inv.ID)
	if err != nil || len(held) != 1 {
		t.Fatalf("payments: %v, %v", held, err)
	}
	again := p
	again.Reference = "VIR 42 bis"
	for _, old := range []string{"1000.50 € received on 2026-02-13 (import VIR 42)",
		fmt.Sprintf("1000.50 € on 2026-02-13 (import VIR 42 bis) is payment #%d of 1000.50 € on 2026-02-13 (import VIR 42): not added again", held[0].ID)} {
		if err := e.books.RecordAudit(ctx, store.AuditEvent{Actor: "test", Entity: "invoice", EntityID: inv.ID, Action: "payment", Reason: old}); err != nil {
			t.Fatal(err)
		}
	}
	now := "paiement de 1" + "\u00a0" + "000,50" + "\u00a0" + "€ reçu le 13/02/2026 (import, réf. VIR 42)"
	for _, tc := range []struct{ reason, want string }{
		{"1000.50 € received on 2026-02-13 (import VIR 42)", now},
		{"12.00 € received on 2026-12-13 (chorus )", "paiement de 12,00\u00a0€ reçu le 13/12/2026 (Chorus Pro)"},
		{fmt.Sprintf("1000.50 € on 2026-02-13 (import VIR 42 bis) is payment #%d of 1000.50 € on 2026-02-13 (import VIR 42): not added again", held[0].ID),
			store.RepeatReason(again, held[0])},
		{"Montant contesté", "Montant contesté"},
	} {
		if got := frenchReason(tc.reason); got != tc.want {
			t.Errorf("%q reads %q, want %q", tc.reason, got, tc.want)
		}
	}
	body := e.do("GET", "/factures/"+e.overdue, e.viewer, nil).Body.String()
	if n := strings.Count(body, now); n != 2 {
		t.Errorf("the invoice page says %q %d times, want 2 (the payment, the old English reason):\n%s", now, n, body)
	}
	for _, english := range []string{"received on", "not added again", "is payment #"} {
		if strings.Contains(body, english) {
			t.Errorf("the invoice page says %q", english)
		}
	}
	if !strings.Contains(body, "paiement de 1\u00a0000,50\u00a0€ reçu le 13/02/2026 (import, réf. VIR 42 bis) : déjà enregistré (paiement n°") {
		t.Errorf("the old repeat is not in French:\n%s", body)
	}
}

// The queue console (asynqmon, in English and knowing nothing of the
// dashboard) has a way back to the dashboard, within its policy.
func TestQueueConsoleLeadsBack(t *testing.T) {
	e := newEnv(t)
	for _, who := range []*http.Cookie{e.viewer, e.operator} {
		w := e.do("GET", "/queues/", who, nil)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		link := `<a href="/" style="`
		i, root := strings.Index(body, link), strings.Index(body, `<div id="root">`)
		if i < 0 || root < 0 || i > root || !strings.Contains(body[i:root], ">← Retour au tableau de bord</a></nav>") {
			t.Fatalf("no link back before the console's root:\n%s", body[:min(len(body), 600)])
		}
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "style-src 'self' 'unsafe-inline'") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
			t.Errorf("policy: %s", csp)
		}
		if n := w.Header().Get("Content-Length"); n != "" && n != strconv.Itoa(len(body)) {
			t.Errorf("Content-Length %s for %d bytes", n, len(body))
		}
	}
	api := e.do("GET", "/queues/api/queues", e.viewer, nil)
	if api.Code != http.StatusOK || strings.Contains(api.Body.String(), "Retour au tableau de bord") {
		t.Errorf("the console's API: %d %s", api.Code, api.Body.String())
	}
}

// The invoice page gives each line's quantity with its unit and decimal
// comma ("12 mois", "612,5 Go"), and what a unit price is for when it is
// not one unit.
func TestInvoiceLinesHaveUnits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	vat := invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)}
	var lines []invoice.Line
	for _, l := range []struct{ code, qty, unit, price, base string }{
		{"contribution-bouquet", "12", invoice.UnitMonth, "3450", "12"},
		{"backup-storage", "612.5", "E34", "0.10", "1"},
		{"signature-sms", "1050", invoice.UnitOne, "0.10", "1"},
	} {
		line, err := invoice.NewLine(l.code, "ligne "+l.code, decimal.RequireFromString(l.qty), l.unit, decimal.RequireFromString(l.price),
			decimal.RequireFromString(l.base), vat)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	inv, _, err := e.books.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: e.ests[6].ID,
		IssueDate: today, DueDate: today.AddDate(0, 0, 30), Lines: lines, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	body := e.do("GET", "/factures/"+inv.Number, e.viewer, nil).Body.String()
	nb := "\u00a0"
	for _, want := range []string{
		`<td class="num">12` + nb + `mois</td><td class="num">3` + nb + `450,00` + nb + `€<br><small class="muted">pour 12` + nb + `mois</small></td>`,
		`<td class="num">612,5` + nb + `Go</td><td class="num">0,10` + nb + `€</td>`,
		`<td class="num">1` + nb + `050</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, "612.5") {
		t.Error("the page shows a decimal point")
	}
}

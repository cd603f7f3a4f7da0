package dashboard

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/shopspring/decimal"
)

// legalWith returns the fixture's legal rate table edited by edit.
func legalWith(t *testing.T, edit func(string) string) *invoice.RateTable {
	t.Helper()
	f, err := fixtures.FS().Open(fixtures.LegalInterestRates)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := invoice.ParseLegalRates("legal.csv", strings.NewReader(edit(string(data))))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// Issue 14: a semester whose rate is missing or unofficial makes interest
// pending, visible in the overdue list with the reason: on what is still
// due, and on late payments whose interest invoice waits.
func TestOverdueShowsPendingInterest(t *testing.T) {
	tests := []struct {
		name   string
		legal  func(t *testing.T) *invoice.RateTable
		reason string // "" when interest is computed
	}{
		{"official rates", func(t *testing.T) *invoice.RateTable { l, _ := rates(t); return l }, ""},
		{"2026-S1 unofficial", func(t *testing.T) *invoice.RateTable {
			return legalWith(t, func(s string) string {
				return strings.Replace(s, "2026-S1,2026-01-01,2026-06-30,6.67,2.62,official", "2026-S1,2026-01-01,2026-06-30,6.67,2.62,unofficial", 1)
			})
		}, "intérêts en attente : taux d&#39;intérêt légal 2026-S1 non officiel"},
		{"2026-S1 missing", func(t *testing.T) *invoice.RateTable {
			return legalWith(t, func(s string) string { return s[:strings.Index(s, "2026-S1,")] }) // the table ends with 2025-S2
		}, "intérêts en attente : taux d&#39;intérêt légal 2026-S1 inconnu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legal := tt.legal(t)
			e := newEnv(t, func(c *Config) { c.LegalRates = legal })
			inv := e.invoice(e.overdue) // due 31/10/2025, 1 481,47 € TTC, unpaid
			if _, err := e.books.RecordPayment(context.Background(), store.Payment{InvoiceID: inv.ID, PaidOn: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC),
				Amount: decimal.RequireFromString("200.00"), Source: store.PaymentImported, Reference: "VIR-9"}, time.Now(), "test"); err != nil {
				t.Fatal(err)
			}
			body := e.do("GET", "/retards", e.viewer, nil).Body.String()
			pending := body[strings.Index(body, `id="interets-en-attente"`):]
			if tt.reason == "" {
				if strings.Contains(body, "intérêts en attente") || !strings.Contains(pending, "Aucun intérêt en attente de taux") {
					t.Errorf("interest pending with official rates:\n%s", pending)
				}
				return
			}
			// The unpaid rest (1 281,47 €) in the list, and the 200 € paid
			// late in the pending table, both with the semester's reason.
			if n := strings.Count(body, tt.reason); n != 2 {
				t.Errorf("%d × %q, want 2 (overdue row and pending payment)", n, tt.reason)
			}
			if !strings.Contains(pending, e.overdue) || !strings.Contains(pending, "10/02/2026") || !strings.Contains(pending, "200,00") {
				t.Errorf("pending table lacks the late payment:\n%s", pending)
			}
			if page := e.do("GET", "/factures/"+e.overdue, e.viewer, nil).Body.String(); !strings.Contains(page, tt.reason) {
				t.Errorf("invoice page lacks %q", tt.reason)
			}
		})
	}
}

package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

func BenchmarkParseCII(b *testing.B) {
	data := newInvoice("CT2025-000001", siretPaimpol).with(func(i *testInvoice) { i.CodeService, i.EJ = "DAF-FOURNISSEURS", "EJ-1" }).cii()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseInvoiceXML(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeposit measures a deposit through HTTP (token and cpro-account
// checks, parsing, decision), the sandbox's share of a pipeline benchmark.
func BenchmarkDeposit(b *testing.B) {
	h := newHarness(b, nil)
	h.token = h.getToken()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := chorus.DeposerFluxRequest{FichierFlux: newInvoice(fmt.Sprintf("B-%d", i), siretCrozon).cii(), NomFichier: "f.xml", SyntaxeFlux: chorus.SyntaxeCII16B}
		resp, _, err := h.do(chorus.PathDeposerFlux, body)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err)
		}
	}
}

// sweepInvoices is the size of BenchmarkSweep's invoice set.
const sweepInvoices = 20_000

// seedInvoices adds n integrated invoices straight into the sandbox's state
// (a deposit through HTTP parses XML: too slow to set up 20,000), spread
// over the buyers of the directory and so over their lifecycles, each
// deposited a minute after the previous one.
func seedInvoices(tb testing.TB, h *harness, n int) {
	tb.Helper()
	buyers := h.srv.cfg.Directory.Buyers()
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	for i := range n {
		b := s.st.buyers[buyers[i%len(buyers)].SIRET]
		at := now.Add(time.Duration(i-n) * time.Minute)
		inv := &invoice{
			number: fmt.Sprintf("SW-%06d", i), flowNumber: fmt.Sprintf("CPP0011106%015d", i), modeDepot: chorus.ModeDepotUploadAPI,
			typeFacture: chorus.TypeFactureFacture, buyer: b, dateFacture: "2026-01-15", currency: "EUR",
			ht: "100.00", ttc: "120.00", aPayer: "120.00", depositedAt: at, visibleAt: at,
		}
		s.integrate(s.st, inv)
	}
}

// sweep pages through every invoice whose current status changed within
// [du, au], 100 at a time, as a bulk status sync does, and returns them in
// the order received.
func sweep(tb testing.TB, h *harness, du, au string) []chorus.FactureFournisseur {
	tb.Helper()
	var all []chorus.FactureFournisseur
	for page := 1; ; page++ {
		var out chorus.RechercherFactureParFournisseurResponse
		h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
			PeriodeDateHeureEtatCourantDu: du, PeriodeDateHeureEtatCourantAu: au,
			RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: 100, PageResultatDemandee: page},
		}, &out)
		if !out.OK() {
			if out.AucunResultat() {
				return all
			}
			tb.Fatalf("page %d: %+v", page, out.Retour)
		}
		all = append(all, out.ListeFactures...)
		if page >= out.ParametresRetour.Pages {
			return all
		}
	}
}

// BenchmarkSweep measures a full sweep of 20,000 invoices in pages of 100
// (200 calls through HTTP), filtered on periodeDateHeureEtatCourantDu/Au.
// One op is a whole sweep.
func BenchmarkSweep(b *testing.B) {
	h := newHarness(b, nil)
	h.token = h.getToken()
	seedInvoices(b, h, sweepInvoices)
	h.advance(30 * day)
	du := h.srv.Now().Add(-400 * day).Format(time.RFC3339)
	au := h.srv.Now().Format(time.RFC3339)
	b.ReportAllocs()
	for b.Loop() {
		if got := sweep(b, h, du, au); len(got) != sweepInvoices {
			b.Fatalf("%d invoices, want %d", len(got), sweepInvoices)
		}
	}
}

// BenchmarkSweepServer is BenchmarkSweep without HTTP and without the
// client's decoding: the sandbox's own share of a sweep (200 calls of the
// search handler). One op is a whole sweep. "cached" is a sweep while
// nothing changes; "uncached" forgets the previous result before every
// page, the worst case (an invoice changing between every two pages).
func BenchmarkSweepServer(b *testing.B) {
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "cached", false: "uncached"}[cached]
		b.Run(name, func(b *testing.B) {
			h := newHarness(b, nil)
			seedInvoices(b, h, sweepInvoices)
			h.advance(30 * day)
			du := h.srv.Now().Add(-400 * day).Format(time.RFC3339)
			au := h.srv.Now().Format(time.RFC3339)
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				for page := 1; page <= sweepInvoices/100; page++ {
					if !cached {
						h.srv.mu.Lock()
						h.srv.st.search = nil
						h.srv.mu.Unlock()
					}
					body, _ := json.Marshal(chorus.RechercherFactureParFournisseurRequest{
						PeriodeDateHeureEtatCourantDu: du, PeriodeDateHeureEtatCourantAu: au,
						RechercheFactureParFournisseur: &chorus.Pagination{NbResultatsParPage: 100, PageResultatDemandee: page},
					})
					_, resp := h.srv.rechercherFactureFournisseur(body)
					n += len(resp.(chorus.RechercherFactureParFournisseurResponse).ListeFactures)
				}
				if n != sweepInvoices {
					b.Fatalf("%d invoices, want %d", n, sweepInvoices)
				}
			}
		})
	}
}

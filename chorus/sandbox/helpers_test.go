package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/chorusbill/chorusbill/chorus"
)

// Buyers of fixtures/chorus-buyers.yaml and fixtures/sample used by the tests.
const (
	siretPlougastel  = "21299951000010" // no obligation, pays after 10 days
	siretJeanMoulin  = "19290263300010" // every optional status
	siretDupuyDeLome = "19560820300012" // code service required; GESTION, ANCIEN-ECONOMAT (inactive)
	siretLandivisiau = "20007983800021" // code service required; rejects the first invoice
	siretCombourg    = "21350549800013" // suspends
	siretRostrenen   = "21224993200014" // A_RECYCLER
	siretPaimpol     = "26223144200035" // code service and EJ; never reports payment
	siretSDIS        = "28564924000014" // EJ required
	siretPloermel    = "26560401700045" // either
	siretLiffre      = "20009243500011" // optional services, one inactive
	siretQuiberon    = "21565643000018" // never reports payment
	siretAnitaConti  = "19221500200010" // never reports payment; rejects the first invoice, suspends the second (not in the sample)
	siretCrozon      = "21295552000037" // sample on_chorus=oui, not listed: default behaviour
	siretJosselin    = "25561145100014" // sample on_chorus=non: not on Chorus Pro
	siretUnknown     = "99999999999999"
)

// fakeClock is a settable wall clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is a sandbox served on 127.0.0.1 with a fake wall clock.
type harness struct {
	t     testing.TB
	srv   *Server
	http  *httptest.Server
	clock *fakeClock
	token string
}

// Delays used by the tests (business clock).
const (
	testProcessing  = time.Minute
	testIntegration = 5 * time.Minute
)

func newHarness(t testing.TB, mod func(*Config)) *harness {
	t.Helper()
	clock := newFakeClock()
	cfg := Config{
		Now: clock.Now, Admin: true, Seed: 42,
		FlowProcessingDelay: testProcessing, FlowIntegrationDelay: testIntegration,
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv) // listens on 127.0.0.1
	t.Cleanup(hs.Close)
	h := &harness{t: t, srv: srv, http: hs, clock: clock}
	return h
}

// tokenResponse requests a token with the given form (and basic auth when
// user is not empty).
func (h *harness) tokenRequest(form url.Values, user, pass string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.http.URL+chorus.PathToken, strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := h.http.Client().Do(req)
	if err != nil {
		h.t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func goodForm() url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "scope": {"openid"},
	}
}

// getToken returns a fresh valid access token.
func (h *harness) getToken() string {
	h.t.Helper()
	resp, body := h.tokenRequest(goodForm(), "", "")
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	var tr chorus.TokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		h.t.Fatal(err)
	}
	return tr.AccessToken
}

func cproAccount(login, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
}

// do sends a /cpro call with the harness token and default technical
// account and returns the response and body.
func (h *harness) do(path string, in any) (*http.Response, []byte, error) {
	h.t.Helper()
	if h.token == "" {
		h.token = h.getToken()
	}
	return h.doWith(h.http.Client(), path, in, h.token, cproAccount(DefaultTechLogin, DefaultTechPassword))
}

func (h *harness) doWith(c *http.Client, path string, in any, token, account string) (*http.Response, []byte, error) {
	var body io.Reader
	method := http.MethodPost
	if in == nil {
		method = http.MethodGet
	} else {
		b, err := json.Marshal(in)
		if err != nil {
			h.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.http.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", chorus.ContentTypeJSON)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if account != "" {
		req.Header.Set(chorus.HeaderCproAccount, account)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// call sends a /cpro call that must answer 200, and decodes the answer.
func (h *harness) call(path string, in, out any) {
	h.t.Helper()
	resp, body, err := h.do(path, in)
	if err != nil {
		h.t.Fatalf("%s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s: HTTP %d %s", path, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != chorus.ContentTypeJSON {
		h.t.Errorf("%s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal(body, out); err != nil {
		h.t.Fatalf("%s: decode %s: %v", path, body, err)
	}
}

// deposit deposits a file and returns the flow number (the deposit must be
// accepted synchronously).
func (h *harness) deposit(data []byte, syntaxe chorus.SyntaxeFlux) string {
	h.t.Helper()
	var out chorus.DeposerFluxResponse
	h.call(chorus.PathDeposerFlux, chorus.DeposerFluxRequest{FichierFlux: data, NomFichier: "facture.xml", SyntaxeFlux: syntaxe}, &out)
	if !out.OK() || out.NumeroFluxDepot == "" {
		h.t.Fatalf("deposit refused: %+v", out)
	}
	return out.NumeroFluxDepot
}

// cr returns the flow report.
func (h *harness) cr(numero string) chorus.ConsulterCRDetailleResponse {
	h.t.Helper()
	var out chorus.ConsulterCRDetailleResponse
	h.call(chorus.PathConsulterCRDetaille, chorus.ConsulterCRDetailleRequest{NumeroFluxDepot: numero}, &out)
	return out
}

// advance moves the business clock.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if err := h.srv.Advance(d); err != nil {
		h.t.Fatal(err)
	}
}

// integrate deposits a CII invoice, lets its flow be processed and returns
// the invoice id (the flow must integrate).
func (h *harness) integrate(inv testInvoice) int64 {
	h.t.Helper()
	numero := h.deposit(inv.cii(), chorus.SyntaxeCII16B)
	h.advance(testIntegration)
	if cr := h.cr(numero); cr.EtatCourantDepotFlux != chorus.EtatFluxIntegre {
		h.t.Fatalf("flow of %s: %s %+v %+v", inv.Number, cr.EtatCourantDepotFlux, cr.ListeErreurDP, cr.ListeErreurTechnique)
	}
	return h.findID(inv.Number)
}

func (h *harness) findID(number string) int64 {
	h.t.Helper()
	var out chorus.RechercherFactureParFournisseurResponse
	h.call(chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{NumeroFacture: number}, &out)
	if !out.OK() || len(out.ListeFactures) != 1 {
		h.t.Fatalf("search %s: %+v", number, out)
	}
	return out.ListeFactures[0].IdentifiantFactureCPP
}

func (h *harness) history(id int64) chorus.ConsulterHistoriqueResponse {
	h.t.Helper()
	var out chorus.ConsulterHistoriqueResponse
	h.call(chorus.PathConsulterHistorique, chorus.ConsulterHistoriqueRequest{IDFacture: id}, &out)
	if !out.OK() {
		h.t.Fatalf("history %d: %+v", id, out.Retour)
	}
	return out
}

func statuses(hr chorus.ConsulterHistoriqueResponse) []chorus.StatutFacture {
	var out []chorus.StatutFacture
	for _, h := range hr.HistoriquesDesStatuts.HistoStatut {
		out = append(out, h.HistoStatutCode)
	}
	return out
}

// testInvoice builds small CII and UBL invoices by hand.
type testInvoice struct {
	Number, Seller, Buyer, CodeService, EJ, TypeCode string
}

func newInvoice(number, buyer string) testInvoice {
	return testInvoice{Number: number, Seller: DefaultSupplierSIRET, Buyer: buyer, TypeCode: "380"}
}

func (i testInvoice) with(f func(*testInvoice)) testInvoice { f(&i); return i }

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (i testInvoice) cii() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
`)
	fmt.Fprintf(&b, "    <ram:ID>%s</ram:ID>\n    <ram:TypeCode>%s</ram:TypeCode>\n", esc(i.Number), esc(i.TypeCode))
	b.WriteString(`    <ram:IssueDateTime><udt:DateTimeString format="102">20260115</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
`)
	if i.CodeService != "" {
		fmt.Fprintf(&b, "      <ram:BuyerReference>%s</ram:BuyerReference>\n", esc(i.CodeService))
	}
	fmt.Fprintf(&b, `      <ram:SellerTradeParty><ram:Name>Syndicat mixte Mégalis Bretagne</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">%s</ram:ID></ram:SpecifiedLegalOrganization></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Acheteur public</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">%s</ram:ID></ram:SpecifiedLegalOrganization></ram:BuyerTradeParty>
`, esc(i.Seller), esc(i.Buyer))
	if i.EJ != "" {
		fmt.Fprintf(&b, "      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>%s</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>\n", esc(i.EJ))
	}
	b.WriteString(`    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>2012.50</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>2012.50</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">402.50</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>2415.00</ram:GrandTotalAmount>
        <ram:DuePayableAmount>2415.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`)
	return []byte(b.String())
}

func (i testInvoice) ubl() []byte {
	root, ns, typeTag := "Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "InvoiceTypeCode"
	if i.TypeCode == "381" {
		root, ns, typeTag = "CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "CreditNoteTypeCode"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<%s xmlns="%s" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ProfileID>A1</cbc:ProfileID>
  <cbc:ID>%s</cbc:ID>
  <cbc:IssueDate>2026-01-15</cbc:IssueDate>
  <cbc:%s>%s</cbc:%s>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
`, root, ns, esc(i.Number), typeTag, esc(i.TypeCode), typeTag)
	if i.CodeService != "" {
		fmt.Fprintf(&b, "  <cbc:BuyerReference>%s</cbc:BuyerReference>\n", esc(i.CodeService))
	}
	if i.EJ != "" {
		fmt.Fprintf(&b, "  <cac:OrderReference><cbc:ID>%s</cbc:ID></cac:OrderReference>\n", esc(i.EJ))
	}
	fmt.Fprintf(&b, `  <cac:AccountingSupplierParty><cac:Party><cbc:EndpointID schemeID="0009">%[1]s</cbc:EndpointID><cac:PartyLegalEntity><cbc:RegistrationName>Syndicat mixte Mégalis Bretagne</cbc:RegistrationName><cbc:CompanyID schemeID="0009">%[1]s</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cbc:EndpointID schemeID="0009">%[2]s</cbc:EndpointID><cac:PartyLegalEntity><cbc:RegistrationName>Acheteur public</cbc:RegistrationName><cbc:CompanyID schemeID="0009">%[2]s</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">920.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">920.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">1104.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">1104.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</%[3]s>
`, esc(i.Seller), esc(i.Buyer), root)
	return []byte(b.String())
}

// minimalPDF is a one-page PDF with a correct cross-reference table.
func minimalPDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offsets []int
	for i, o := range objs {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// facturX embeds xmlData as attachName in a PDF.
func facturX(t *testing.T, xmlData []byte, attachName string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), attachName)
	if err := os.WriteFile(p, xmlData, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := api.AddAttachments(bytes.NewReader(minimalPDF()), &out, []string{p}, false, nil); err != nil {
		t.Fatalf("pdfcpu AddAttachments: %v", err)
	}
	return out.Bytes()
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func itoa(n int64) string { return fmt.Sprint(n) }

// admin sends an admin request and returns its status and body.
func (h *harness) admin(method, path, body string) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.http.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.http.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"
)

// finalise issues a 2025 contribution of amount HT to the establishment
// and takes it along path.
func finalise(t *testing.T, s *store.Store, siret, amount string, path ...store.Change) store.Invoice {
	t.Helper()
	ctx := context.Background()
	est, err := s.EstablishmentBySIRET(ctx, siret)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := invoice.NewLine("contribution-bouquet", "Contribution 2025", decimal.NewFromInt(1), invoice.UnitOne,
		decimal.RequireFromString(amount), decimal.NewFromInt(1), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
	issue := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	inv, _, err := s.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: est.ID, IssueDate: issue,
		DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{l}, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range path {
		c.Actor = "worker"
		if inv, err = s.Apply(ctx, inv.ID, inv.State, c); err != nil {
			t.Fatal(err)
		}
	}
	return inv
}

// `invoices list --to-verify` lists the invoices to look for on the Chorus
// Pro portal with what was tried, and nothing else; --json carries the
// status and the reason.
func TestInvoicesToVerify(t *testing.T) {
	environ := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "books.db")}
	if code, _, errOut := runCLI(t, environ, "import", "establishments", "../../fixtures/sample/establishments.csv"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	s, err := store.OpenAndMigrate(context.Background(), environ[envDatabaseURL])
	if err != nil {
		t.Fatal(err)
	}
	str := func(v string) *string { return &v }
	const flowReason = "à vérifier sur Chorus Pro : flux FL-42 intégré ; facture introuvable par rechercher/fournisseur"
	deposited := finalise(t, s, "21299951000010", "920", store.Change{To: invoice.StateDelivering, Channel: str("chorus")},
		store.Change{To: invoice.StateDeposited, ChorusFlowNumber: str("FL-42")},
		store.Change{ChorusStatus: str(worker.StatusToVerify), StatusReason: str(flowReason)})
	delivering := finalise(t, s, "21350549800013", "500", store.Change{To: invoice.StateDelivering, Channel: str("chorus"),
		ChorusStatus: str(worker.StatusToVerify), StatusReason: str("à vérifier sur Chorus Pro : numéro dit déjà déposé")})
	searching := finalise(t, s, "21224993200014", "300", store.Change{To: invoice.StateDelivering, Channel: str("chorus"),
		ChorusStatus: str("DEPOT_A_VERIFIER"), StatusReason: str("recherché")})
	s.Close()

	code, out, errOut := runCLI(t, environ, "invoices", "list", "--to-verify")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"NUMÉRO", "MOTIF", deposited.Number + "  deposited", delivering.Number + "  delivering", flowReason,
		"numéro dit déjà déposé", "1\u00a0104,00\u00a0€", "2 facture(s) à vérifier sur le portail Chorus Pro", "chorusbill resubmit NUMÉRO"} {
		if !strings.Contains(out, want) {
			t.Errorf("the list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, searching.Number) {
		t.Errorf("the list shows %s, which the worker is still searching for:\n%s", searching.Number, out)
	}
	code, out, _ = runCLI(t, environ, "invoices", "list", "--to-verify", "--json")
	var list []invoiceJSON
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
		t.Fatalf("--json: %d %v %q", code, err, out)
	}
	if len(list) != 2 || list[0].Number != deposited.Number || list[0].ChorusStatus != worker.StatusToVerify || list[0].StatusReason != flowReason ||
		list[1].Number != delivering.Number || list[1].State != "delivering" {
		t.Errorf("--json = %+v", list)
	}
	if code, out, _ := runCLI(t, environ, "invoices", "list", "--to-verify", "--year", "2024"); code != 0 || !strings.Contains(out, "0 facture(s) à vérifier") {
		t.Errorf("another year: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, environ, "invoices", "list", "--to-verify", "--overdue"); code != 2 || !strings.Contains(errOut, "not both") {
		t.Errorf("--to-verify --overdue: %d %q", code, errOut)
	}
}

// A file to attach that Chorus Pro would refuse, or that is not there, is
// named before anything is opened or sent (exit 1).
func TestResubmitAttachRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	good := write("bon-de-commande.pdf", 1000)
	long := write(strings.Repeat("x", 47)+".pdf", 10) // 51 characters
	environ := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(dir, "books.db")}
	for _, tc := range []struct {
		name  string
		files []string
		says  string
	}{
		{"missing", []string{good, filepath.Join(dir, "absent.pdf")}, "--attach " + filepath.Join(dir, "absent.pdf") + ": no such file"},
		{"extension refused", []string{write("facture.exe", 10)}, "--attach " + filepath.Join(dir, "facture.exe") + ": attachment \"facture.exe\": Chorus Pro does not accept .exe files"},
		{"no extension", []string{write("convention", 10)}, "--attach " + filepath.Join(dir, "convention") + ": attachment \"convention\": its name has no extension"},
		{"name too long", []string{long}, "--attach " + long + ": attachment \"" + filepath.Base(long) + "\": its name has 51 characters; Chorus Pro takes at most 50, extension included"},
		{"10 MB", []string{write("scan.pdf", chorus.MaxTailleFichierFlux)}, "--attach " + filepath.Join(dir, "scan.pdf") + ": attachment \"scan.pdf\": 10485760 bytes; Chorus Pro takes files under 10 MB"},
		{"empty", []string{write("vide.pdf", 0)}, "--attach " + filepath.Join(dir, "vide.pdf") + ": attachment \"vide.pdf\" is empty"},
		{"a directory", []string{dir}, "--attach " + dir + ": not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"resubmit", "CT2025-000001", "--reason", "pièce jointe"}
			for _, f := range tc.files {
				args = append(args, "--attach", f)
			}
			code, out, errOut := runCLI(t, environ, args...)
			if code != 1 || !strings.Contains(errOut, "chorusbill resubmit: "+tc.says) || out != "" {
				t.Errorf("exit %d, %q %q; want it to say %q", code, out, errOut, tc.says)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "books.db")); err == nil {
		t.Error("the books were opened before the files were checked")
	}
	if code, _, errOut := runCLI(t, environ, "resubmit", "--attach", good); code != 2 || !strings.Contains(errOut, "NUMBER is required") {
		t.Errorf("no number: %d %q", code, errOut)
	}
}

// Against the sandbox: the sample's Combourg suspends its invoice for a
// missing document; `resubmit --attach` uploads the files and completes it
// (Chorus Pro's history and the audit trail say so); asked again, the
// invoice is no longer suspended and nothing is sent.
func TestResubmitAttachCompletes(t *testing.T) {
	const combourg = "21350549800013"
	ctx := context.Background()
	sb, environ, dir, s, inv := onSandbox(t, combourg, 4, chorus.StatutSuspendue)

	pdf, csv := filepath.Join(dir, "convention-signee.pdf"), filepath.Join(dir, "effectifs.csv")
	os.WriteFile(pdf, []byte("%PDF-1.4 convention signée"), 0o600)
	os.WriteFile(csv, []byte("annee;effectif\n2025;22\n"), 0o600)
	code, out, errOut := runCLI(t, environ, "resubmit", inv.Number, "--reason", "Convention signée jointe", "--attach", pdf, "--attach", csv)
	if code != 0 || !strings.Contains(out, inv.Number+" : facture complétée avec 2 pièce(s) jointe(s), suivi relancé") {
		t.Fatalf("resubmit: exit %d, %q %q", code, out, errOut)
	}
	if n := sb.Calls().Calls[chorus.PathAjouterFichier]; n != 2 {
		t.Errorf("%d files uploaded, want 2", n)
	}
	for _, si := range sb.Invoices() {
		if si.NumeroFacture == inv.Number {
			if last := si.Historique[len(si.Historique)-1]; last.Statut != chorus.StatutCompletee || last.Commentaire != "Convention signée jointe" {
				t.Errorf("Chorus Pro's history ends with %+v", last)
			}
		}
	}
	trail, err := s.Books.AuditTrail(ctx, "invoice", inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := trail[len(trail)-1]; last.Actor != "cli" || last.Reason != "Convention signée jointe (pièces jointes : convention-signee.pdf, effectifs.csv)" {
		t.Errorf("audit row %+v", last)
	}

	code, _, errOut = runCLI(t, environ, "resubmit", inv.Number, "--attach", pdf)
	if code != 1 || !strings.Contains(errOut, "not suspended by its buyer (SUSPENDUE): files go only with a completion; nothing was sent") {
		t.Errorf("again: exit %d, %q", code, errOut)
	}
	if n := sb.Calls().Calls[chorus.PathAjouterFichier]; n != 2 {
		t.Errorf("%d files uploaded after the refusal, want 2", n)
	}
}

// onSandbox bills 1,500 € to the sample's buyer siret, delivers the invoice
// to the sandbox through the worker's handlers, lets the buyer's days go by
// and tracks it until Chorus Pro gives it status want (delivered). It
// gives the sandbox, the CLI's environment (books in dir), the stack and
// the invoice.
func onSandbox(t *testing.T, siret string, days int, want chorus.StatutFacture) (*sandbox.Server, map[string]string, string, *app.Stack, store.Invoice) {
	t.Helper()
	ctx := context.Background()
	sb, environ := checkSandbox(t, parisDay(t, 90))
	dir := t.TempDir()
	environ[envDatabaseURL] = "sqlite://" + filepath.Join(dir, "books.db")
	environ[envRedisURL] = "redis://" + miniredis.RunT(t).Addr() + "/0"
	if code, _, errOut := runCLI(t, environ, "import", "establishments", "../../fixtures/sample/establishments.csv"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return environ[k] }}
	s, err := c.buildStack(ctx, app.StackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	is, err := c.issuer()
	if err != nil {
		t.Fatal(err)
	}
	inv := finalise(t, s.Books, siret, "1500")
	if _, err := worker.RenderAndStore(ctx, s.Books, is, inv, []string{document.FormatCII}, "test"); err != nil {
		t.Fatal(err)
	}
	// The worker's handlers, run here one after the other: deliver, then,
	// the buyer's days gone by, track.
	handle := func(typ string, h func(context.Context, *asynq.Task) error) {
		t.Helper()
		payload, _ := json.Marshal(worker.InvoicePayload{InvoiceID: inv.ID})
		if err := h(ctx, asynq.NewTask(typ, payload)); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	handle(worker.TypeDeliver, s.Pipeline.HandleDeliver)
	if err := sb.Advance(time.Duration(days) * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if inv, err = s.Books.InvoiceByID(ctx, inv.ID); err != nil {
			t.Fatal(err)
		}
		if inv.State == invoice.StateDelivered && inv.ChorusStatus == string(want) {
			break
		}
		handle(worker.TypeTrack, s.Pipeline.HandleTrack)
	}
	if inv.State != invoice.StateDelivered || inv.ChorusStatus != string(want) {
		t.Fatalf("the invoice is %s/%s, not %s", inv.State, inv.ChorusStatus, want)
	}
	return sb, environ, dir, s, inv
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/hibiken/asynq"
)

// Against the sandbox: the sample's Rostrenen sends its invoice back to be
// recycled to its COMPTABILITE service. `resubmit` without a service (the
// books hold none) refuses and sends nothing; `--service` of two words
// likewise; `--service COMPTABILITE` recycles it there.
func TestResubmitRecycleNeedsTheService(t *testing.T) {
	const rostrenen = "21224993200014"
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
	defer s.Close()
	is, err := c.issuer()
	if err != nil {
		t.Fatal(err)
	}
	inv := finalise(t, s.Books, rostrenen, "1500")
	if _, err := worker.RenderAndStore(ctx, s.Books, is, inv, []string{document.FormatCII}, "test"); err != nil {
		t.Fatal(err)
	}
	handle := func(typ string, h func(context.Context, *asynq.Task) error) {
		t.Helper()
		payload, _ := json.Marshal(worker.InvoicePayload{InvoiceID: inv.ID})
		if err := h(ctx, asynq.NewTask(typ, payload)); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	handle(worker.TypeDeliver, s.Pipeline.HandleDeliver)
	if err := sb.Advance(3 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if inv, err = s.Books.InvoiceByID(ctx, inv.ID); err != nil {
			t.Fatal(err)
		}
		if inv.ChorusStatus == string(chorus.StatutARecycler) {
			break
		}
		handle(worker.TypeTrack, s.Pipeline.HandleTrack)
	}
	if inv.State != invoice.StateDelivered || inv.ChorusStatus != string(chorus.StatutARecycler) {
		t.Fatalf("the invoice is %s/%s, not to recycle", inv.State, inv.ChorusStatus)
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{nil, "invoice " + inv.Number + " is A_RECYCLER: its buyer asks for it to go to another service; give that service's code with --service CODE; nothing was sent"},
		{[]string{"--service", "SERVICE COMPTABILITE"}, `--service "SERVICE COMPTABILITE": not a Chorus Pro code service (one word, at most 100 characters); nothing was sent`},
	} {
		code, out, errOut := runCLI(t, environ, append([]string{"resubmit", inv.Number}, tc.args...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.says) {
			t.Errorf("resubmit %v: exit %d, %q %q; want it to say %q", tc.args, code, out, errOut, tc.says)
		}
	}
	if n := sb.Calls().Calls[chorus.PathRecycler]; n != 0 {
		t.Fatalf("%d recycler call(s) for refused re-submissions", n)
	}
	code, out, errOut := runCLI(t, environ, "resubmit", inv.Number, "--service", "COMPTABILITE", "--reason", "service corrigé")
	if code != 0 || !strings.Contains(out, inv.Number+" : recyclée vers le service COMPTABILITE, suivi relancé") {
		t.Fatalf("resubmit --service: exit %d, %q %q", code, out, errOut)
	}
	if n := sb.Calls().Calls[chorus.PathRecycler]; n != 1 {
		t.Errorf("%d recycler call(s), want 1", n)
	}
	for _, si := range sb.Invoices() {
		if si.NumeroFacture == inv.Number && si.CodeService != "COMPTABILITE" {
			t.Errorf("Chorus Pro holds the invoice for service %q", si.CodeService)
		}
	}
	if got, _ := s.Books.InvoiceByID(ctx, inv.ID); got.CodeService != "COMPTABILITE" || got.ChorusStatus != string(chorus.StatutDeposee) {
		t.Errorf("books: service %q, status %s", got.CodeService, got.ChorusStatus)
	}
}

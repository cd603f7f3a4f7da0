package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// Against the sandbox: the sample's Rostrenen sends its invoice back to be
// recycled to its COMPTABILITE service. `resubmit` without a service (the
// books hold none) refuses and sends nothing; `--service` of two words
// likewise; `--service COMPTABILITE` recycles it there.
func TestResubmitRecycleNeedsTheService(t *testing.T) {
	const rostrenen = "21224993200014"
	ctx := context.Background()
	sb, environ, _, s, inv := onSandbox(t, rostrenen, 3, chorus.StatutARecycler)
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

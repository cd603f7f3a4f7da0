package chorus_test

import (
	"context"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
)

// A suspended invoice is answered with the missing document: uploaded,
// then sent with completer, and the invoice is COMPLETEE.
func TestAddFileAndCompleteWith(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	if err := e.sb.SetBehaviour(buyerFree, sandbox.Behaviour{Lifecycle: []sandbox.Step{
		{Status: chorus.StatutSuspendue, After: sandbox.Duration(time.Hour), Comment: "Bon de commande manquant"}}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.client.Deposit(ctx, deposit("CT2026-000300", buyerFree, t))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Hour)
	found, err := e.client.FindInvoices(ctx, chorus.SearchCriteria{FlowNumber: res.FlowNumber})
	if err != nil || len(found) != 1 || found[0].Statut != chorus.StatutSuspendue {
		t.Fatalf("search: %+v %v", found, err)
	}
	id, err := e.client.AddFile(ctx, chorus.Attachment{Name: "bon-de-commande.pdf", Content: []byte("%PDF-1.4 bon de commande")})
	if err != nil || id == 0 {
		t.Fatalf("add file: %d %v", id, err)
	}
	out, err := e.client.CompleteWith(ctx, found[0].IdentifiantFactureCPP, "Voici le bon de commande", []int64{id})
	if err != nil || out.NumeroFacture != "CT2026-000300" {
		t.Fatalf("complete: %+v %v", out, err)
	}
	h, err := e.client.History(ctx, found[0].IdentifiantFactureCPP)
	if err != nil || h.StatutCourantCode != chorus.StatutCompletee {
		t.Fatalf("after completer: %s %v", h.StatutCourantCode, err)
	}
	// An attachment Chorus Pro does not hold is refused by it.
	if _, err := e.client.CompleteWith(ctx, found[0].IdentifiantFactureCPP, "", []int64{id + 1000}); !chorus.IsPermanent(err) {
		t.Errorf("unknown attachment: %v", err)
	}
}

// Files outside Chorus Pro's limits are refused before any call.
func TestAddFileLimits(t *testing.T) {
	calls := 0
	e := start(t, nil, chorus.WithObserver(func(op string, _ chorus.Kind, _ int, _ time.Duration) {
		if op == "ajouter/fichier" {
			calls++
		}
	}))
	ctx := context.Background()
	long := "un-nom-de-piece-jointe-bien-trop-long-pour-chorus.pdf" // 53 characters
	for _, tt := range []struct {
		name string
		a    chorus.Attachment
		ok   bool
	}{
		{"a PDF", chorus.Attachment{Name: "PV-reception.PDF", Content: []byte("x")}, true},
		{"50 characters exactly", chorus.Attachment{Name: long[:46] + ".pdf", Content: []byte("x")}, true},
		{"a MIME type given", chorus.Attachment{Name: "releve.csv", MIME: "text/csv", Content: []byte("a;b")}, true},
		{"name too long", chorus.Attachment{Name: long, Content: []byte("x")}, false},
		{"no extension", chorus.Attachment{Name: "bon-de-commande", Content: []byte("x")}, false},
		{"a refused extension", chorus.Attachment{Name: "script.exe", Content: []byte("x")}, false},
		{"a dot file", chorus.Attachment{Name: ".pdf", Content: []byte("x")}, false},
		{"empty", chorus.Attachment{Name: "vide.pdf"}, false},
		{"10 MB", chorus.Attachment{Name: "gros.pdf", Content: make([]byte, chorus.MaxTailleFichierFlux)}, false},
		{"no name", chorus.Attachment{Content: []byte("x")}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := calls
			id, err := e.client.AddFile(ctx, tt.a)
			if tt.ok {
				if err != nil || id == 0 {
					t.Fatalf("AddFile = %d, %v", id, err)
				}
				return
			}
			if !chorus.IsPermanent(err) || calls != before {
				t.Fatalf("AddFile = %d, %v (%d calls), want a permanent error and no call", id, err, calls-before)
			}
		})
	}
	for ext, want := range map[string]bool{"pdf": true, "PDF": true, "xlsx": true, "p7s": true, "exe": false, "": false, ".pdf": false} {
		if got := chorus.AllowedAttachmentExtension(ext); got != want {
			t.Errorf("AllowedAttachmentExtension(%q) = %v", ext, got)
		}
	}
}

package worker

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// recyclingPlatform is Chorus Pro accepting every recycler call, recorded.
type recyclingPlatform struct {
	chorusAPI
	mu   sync.Mutex
	sent []chorus.RecyclerRequest
}

func (r *recyclingPlatform) Recycle(_ context.Context, req chorus.RecyclerRequest) (chorus.RecyclerResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, req)
	return chorus.RecyclerResponse{}, nil
}

// An invoice its buyer sent back (A_RECYCLER) goes to the service code
// given, never to an empty or malformed one: those are refused before
// anything is sent, through Recycle and through Resubmit alike.
func TestRecycleNeedsAServiceCode(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		yearCode string // the books' code service for the year
		recycle  func(p *Pipeline, number string) (string, error)
		refused  bool
		sentTo   string
	}{
		{"the service the buyer asks for", "", func(p *Pipeline, n string) (string, error) {
			return p.Recycle(ctx, n, " COMPTABILITE ", "service corrigé", "user:olivia")
		}, false, "COMPTABILITE"},
		{"no service given", "", func(p *Pipeline, n string) (string, error) {
			return p.Recycle(ctx, n, "  ", "service corrigé", "user:olivia")
		}, true, ""},
		{"two words", "", func(p *Pipeline, n string) (string, error) {
			return p.Recycle(ctx, n, "SERVICE FINANCIER", "service corrigé", "user:olivia")
		}, true, ""},
		{"longer than Chorus Pro takes", "", func(p *Pipeline, n string) (string, error) {
			return p.Recycle(ctx, n, strings.Repeat("S", 101), "service corrigé", "user:olivia")
		}, true, ""},
		{"resubmit without a code in the books", "", func(p *Pipeline, n string) (string, error) {
			return p.Resubmit(ctx, n, "", "cli")
		}, true, ""},
		{"resubmit with the books' code", "SERV-2", func(p *Pipeline, n string) (string, error) {
			return p.Resubmit(ctx, n, "", "cli")
		}, false, "SERV-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := storetest.SQLite(t)
			loadSample(t, s)
			is := issuer(t)
			platform, q := &recyclingPlatform{}, &recordingQueue{}
			p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: is, Chorus: platform, Queue: q}, DefaultConfig())
			inv, est := awaitingInvoice(t, s, is)
			id, status, old := int64(4242), string(chorus.StatutARecycler), "ANCIEN-SERVICE"
			for _, c := range []store.Change{{To: invoice.StateDelivering, CodeService: &old}, {To: invoice.StateDeposited, ChorusInvoiceID: &id},
				{To: invoice.StateDelivered, ChorusStatus: &status}} {
				c.Actor = "test"
				var err error
				if inv, err = s.Apply(ctx, inv.ID, inv.State, c); err != nil {
					t.Fatal(err)
				}
			}
			if tt.yearCode != "" {
				if err := s.SetReferences(ctx, est.ID, inv.IssueDate.Year(), tt.yearCode, "", "test"); err != nil {
					t.Fatal(err)
				}
			}
			msg, err := tt.recycle(p, inv.Number)
			got, _ := s.InvoiceByID(ctx, inv.ID)
			if tt.refused {
				var sce *ServiceCodeError
				if !errors.As(err, &sce) || !strings.Contains(err.Error(), "Rien n'a été envoyé") {
					t.Fatalf("= %q, %v; want a *ServiceCodeError", msg, err)
				}
				if len(platform.sent) != 0 || len(q.tasks) != 0 || got.ChorusStatus != status || got.CodeService != old {
					t.Fatalf("refused, yet %d recycler call(s), tasks %v, invoice %s/%s", len(platform.sent), q.tasks, got.ChorusStatus, got.CodeService)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(platform.sent) != 1 || platform.sent[0].Destinataire.CodeServiceExecutant != tt.sentTo || platform.sent[0].IdentifiantFactureCPP != id ||
				platform.sent[0].Destinataire.CodeDestinataire != est.SIRET {
				t.Fatalf("recycler calls %+v, want one to %s", platform.sent, tt.sentTo)
			}
			if msg != inv.Number+" : recyclée vers le service "+tt.sentTo+", suivi relancé" {
				t.Errorf("said %q", msg)
			}
			if got.CodeService != tt.sentTo || got.ChorusStatus != string(chorus.StatutDeposee) || len(q.tasks) != 1 || q.tasks[0] != TypeTrack {
				t.Errorf("invoice %s/%s, tasks %v", got.CodeService, got.ChorusStatus, q.tasks)
			}
		})
	}
	t.Run("an invoice not to recycle", func(t *testing.T) {
		s := storetest.SQLite(t)
		loadSample(t, s)
		is := issuer(t)
		platform := &recyclingPlatform{}
		p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: is, Chorus: platform, Queue: &recordingQueue{}}, DefaultConfig())
		inv, _ := awaitingInvoice(t, s, is)
		var se *StateError
		if _, err := p.Recycle(ctx, inv.Number, "COMPTABILITE", "", "user:olivia"); !errors.As(err, &se) || !errors.Is(err, ErrNotToRecycle) || len(platform.sent) != 0 {
			t.Fatalf("recycling an invoice awaiting references: %v, %d call(s)", err, len(platform.sent))
		}
	})
}

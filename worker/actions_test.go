package worker

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"
)

// engagementDirectory is Chorus Pro's directory for a buyer that requires
// an engagement number; it makes no other call.
type engagementDirectory struct{ chorusAPI }

func (engagementDirectory) LookupBuyer(_ context.Context, siret string) (chorus.Buyer, error) {
	return chorus.Buyer{SIRET: siret, OnChorus: true, Exigence: chorus.ExigenceEngagement}, nil
}

// LoadServices: the buyer has no service.
func (engagementDirectory) LoadServices(_ context.Context, b chorus.Buyer) (chorus.Buyer, error) {
	b.ServicesLoaded = true
	return b, nil
}

// recordingQueue keeps the tasks enqueued: their types and ids.
type recordingQueue struct {
	mu    sync.Mutex
	tasks []string
	ids   []string
}

func (q *recordingQueue) EnqueueContext(_ context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, t.Type())
	for _, o := range opts {
		if o.Type() == asynq.TaskIDOpt {
			q.ids = append(q.ids, o.Value().(string))
		}
	}
	return &asynq.TaskInfo{}, nil
}

// awaitingInvoice finalises an invoice for the first sample establishment,
// with its CII, parked waiting for references.
func awaitingInvoice(t *testing.T, s *store.Store, is document.Issuer) (store.Invoice, store.Establishment) {
	t.Helper()
	ctx := context.Background()
	var est store.Establishment
	s.ForEachEstablishment(ctx, 2025, func(e store.Establishment) error {
		if est.ID == 0 {
			est = e
		}
		return nil
	})
	line, err := invoice.NewLine("bouquet", "Contribution 2025", decimal.NewFromInt(1), invoice.UnitOne, decimal.RequireFromString("1028.80"),
		decimal.NewFromInt(1), invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)})
	if err != nil {
		t.Fatal(err)
	}
	issue := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	inv, _, err := s.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2025, EstablishmentID: est.ID,
		IssueDate: issue, DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{line}, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RenderAndStore(ctx, s, is, inv, []string{document.FormatCII}, "test"); err != nil {
		t.Fatal(err)
	}
	why := "Chorus Pro : l'acheteur exige un numéro d'engagement."
	if inv, err = s.Apply(ctx, inv.ID, inv.State, store.Change{To: invoice.StateAwaitingReference, StatusReason: &why, Actor: "worker"}); err != nil {
		t.Fatal(err)
	}
	return inv, est
}

func TestFillReferences(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		code, eng string
		problem   ReferenceCode // "" when accepted
	}{
		{"accepted", "", "EJ-2026-0042", ""},
		{"refused by the buyer's requirement", "SERVICE-FIN", "", RefsMissing},
		{"nothing given", "", "", RefsNoneGiven},
		{"too long", "", strings.Repeat("E", 51), RefsTooLong},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := storetest.SQLite(t)
			loadSample(t, s)
			is := issuer(t)
			q := &recordingQueue{}
			p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: is, Chorus: engagementDirectory{}, Queue: q}, DefaultConfig())
			inv, est := awaitingInvoice(t, s, is)
			before, _ := s.Document(ctx, inv.ID, document.FormatCII)

			msg, err := p.FillReferences(ctx, inv.Number, tt.code, tt.eng, "user:olivia")
			after, _ := s.Document(ctx, inv.ID, document.FormatCII)
			got, _ := s.InvoiceByID(ctx, inv.ID)
			refs, _ := s.ReferencesFor(ctx, est.ID, 2026)
			if tt.problem != "" {
				var prob *ReferenceProblem
				if !errors.As(err, &prob) || prob.Code != tt.problem {
					t.Fatalf("FillReferences = %q, %v; want a %s problem", msg, err, tt.problem)
				}
				if got.Engagement != "" || got.CodeService != "" || refs.Engagement != "" || refs.CodeService != "" ||
					after.SHA256 != before.SHA256 || len(q.tasks) != 0 {
					t.Fatalf("refused references were recorded: invoice %q/%q, year %+v, %d tasks", got.CodeService, got.Engagement, refs, len(q.tasks))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(msg, "Références vérifiées") || got.Engagement != tt.eng || refs.Engagement != tt.eng {
				t.Fatalf("msg %q, invoice engagement %q, year %+v", msg, got.Engagement, refs)
			}
			if after.SHA256 == before.SHA256 || !strings.Contains(string(after.Content), tt.eng) {
				t.Fatal("the XML to deposit was not rendered again with the engagement")
			}
			if len(q.tasks) != 1 || q.tasks[0] != TypeDeliver {
				t.Fatalf("tasks %v, want one delivery", q.tasks)
			}
			// Once delivered, the invoice waits for nothing any more.
			if _, err := s.Apply(ctx, inv.ID, invoice.StateAwaitingReference, store.Change{To: invoice.StatePostal, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			var se *StateError
			if _, err := p.FillReferences(ctx, inv.Number, "", tt.eng, "user:olivia"); !errors.As(err, &se) || !errors.Is(err, ErrNotAwaitingReferences) || se.State != invoice.StatePostal {
				t.Fatalf("filling a postal invoice: %v", err)
			}
		})
	}
}

// A re-submission of an invoice waiting for references either delivers it
// or says why not, every time: before the references are there it refuses
// with the buyer's requirement; after, each one enqueues its own delivery
// (the second is not dropped as a duplicate of the first).
func TestResubmitReferencesActsOrSaysWhyNot(t *testing.T) {
	ctx := context.Background()
	s := storetest.SQLite(t)
	loadSample(t, s)
	is := issuer(t)
	q := &recordingQueue{}
	p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: is, Chorus: engagementDirectory{}, Queue: q}, DefaultConfig())
	inv, est := awaitingInvoice(t, s, is)
	for i := 0; i < 2; i++ {
		msg, err := p.Resubmit(ctx, inv.Number, "", "user:olivia")
		var prob *ReferenceProblem
		if !errors.As(err, &prob) || prob.Code != RefsMissing || !strings.Contains(err.Error(), "attend toujours ses références") {
			t.Fatalf("re-submission %d without references = %q, %v; want the missing engagement", i+1, msg, err)
		}
	}
	if len(q.tasks) != 0 {
		t.Fatalf("tasks %v enqueued for an invoice that still cannot go", q.tasks)
	}
	if err := s.SetReferences(ctx, est.ID, 2026, "", "EJ-77", "user:olivia"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if msg, err := p.Resubmit(ctx, inv.Number, "", "user:olivia"); err != nil || !strings.Contains(msg, "livraison relancée") {
			t.Fatalf("re-submission %d with references = %q, %v", i+1, msg, err)
		}
	}
	if len(q.ids) != 2 || q.tasks[0] != TypeDeliver || q.ids[0] == q.ids[1] {
		t.Fatalf("tasks %v ids %v: want two deliveries with their own ids", q.tasks, q.ids)
	}
	if got, _ := s.InvoiceByID(ctx, inv.ID); got.Engagement != "EJ-77" {
		t.Fatalf("engagement %q on the invoice, want the one in the books", got.Engagement)
	}
}

func TestMarkMailedStopsAtTheFirstNonPostal(t *testing.T) {
	ctx := context.Background()
	s := storetest.SQLite(t)
	loadSample(t, s)
	is := issuer(t)
	p := NewPipeline(Deps{Books: s, Catalog: catalog(t), Issuer: is, Chorus: engagementDirectory{}, Queue: &recordingQueue{}}, DefaultConfig())
	awaiting, _ := awaitingInvoice(t, s, is)
	done, err := p.MarkMailed(ctx, []string{awaiting.Number}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "user:olivia")
	var se *StateError
	if len(done) != 0 || !errors.As(err, &se) || !errors.Is(err, ErrNotPostal) || se.Number != awaiting.Number {
		t.Fatalf("MarkMailed = %v, %v", done, err)
	}
	if _, err := s.Apply(ctx, awaiting.ID, invoice.StateAwaitingReference, store.Change{To: invoice.StatePostal, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	done, err = p.MarkMailed(ctx, []string{awaiting.Number, "CT2099-999999"}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "user:olivia")
	if len(done) != 1 || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("MarkMailed = %v, %v", done, err)
	}
	trail, _ := s.AuditTrail(ctx, "invoice", awaiting.ID)
	last := trail[len(trail)-1]
	if last.Action != ActionMailed || last.Actor != "user:olivia" || last.Reason != MailedPrefix+"01/03/2026" {
		t.Fatalf("last audit row %+v", last)
	}
}

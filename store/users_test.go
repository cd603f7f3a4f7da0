package store_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/fixtures"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/shopspring/decimal"
)

func TestUsersAndSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, tc := range []struct{ name, role string }{{"Bad Name", "viewer"}, {"x", "viewer"}, {"alice", "admin"}} {
			if _, err := s.CreateUser(ctx, tc.name, "hash", tc.role, "test"); err == nil {
				t.Errorf("user %q role %q accepted", tc.name, tc.role)
			}
		}
		u, err := s.CreateUser(ctx, "alice", "$argon2id$hash1", store.RoleOperator, "cli:root")
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != "alice" || u.Role != store.RoleOperator || u.Disabled || u.PasswordHash != "$argon2id$hash1" {
			t.Fatalf("created %+v", u)
		}
		if _, err := s.CreateUser(ctx, "alice", "h", store.RoleViewer, "test"); !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := s.CreateUser(ctx, "bob", "h", store.RoleViewer, "test"); err != nil {
			t.Fatal(err)
		}
		if list, err := s.Users(ctx); err != nil || len(list) != 2 || list[0].Username != "alice" {
			t.Fatalf("users %+v %v", list, err)
		}

		if _, err := s.CreateSession(ctx, "tok1", u.ID); err != nil {
			t.Fatal(err)
		}
		sess, su, err := s.SessionUser(ctx, "tok1")
		if err != nil || su.Username != "alice" || sess.UserID != u.ID || sess.CreatedAt.IsZero() {
			t.Fatalf("session %+v %+v %v", sess, su, err)
		}
		if _, _, err := s.SessionUser(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		if err := s.TouchSession(ctx, "tok1"); err != nil {
			t.Fatal(err)
		}

		// A new password ends the sessions.
		if err := s.SetPassword(ctx, "alice", "$argon2id$hash2", "cli:root"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, "tok1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session after passwd: %v", err)
		}
		if u, _ := s.UserByName(ctx, "alice"); u.PasswordHash != "$argon2id$hash2" {
			t.Fatalf("hash %q", u.PasswordHash)
		}
		// So does disabling, and a disabled user's session never reads.
		s.CreateSession(ctx, "tok2", u.ID)
		if err := s.DisableUser(ctx, "alice", "cli:root"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, "tok2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session after disable: %v", err)
		}
		if u, _ := s.UserByName(ctx, "alice"); !u.Disabled {
			t.Fatal("not disabled")
		}
		if err := s.DisableUser(ctx, "nobody", "cli:root"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("disable unknown: %v", err)
		}

		// Expiry sweeps idle and old sessions.
		b, _ := s.UserByName(ctx, "bob")
		s.CreateSession(ctx, "tok3", b.ID)
		if n, err := s.DeleteExpiredSessions(ctx, time.Now().Add(-time.Hour), time.Now().Add(-24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("fresh session swept: %d %v", n, err)
		}
		if n, err := s.DeleteExpiredSessions(ctx, time.Now().Add(time.Hour), time.Now().Add(-24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("idle session kept: %d %v", n, err)
		}

		// Every change is in the audit trail, with who did it.
		trail, err := s.AuditTrail(ctx, "user", u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range trail {
			if e.Actor != "cli:root" {
				t.Errorf("actor %q", e.Actor)
			}
			actions = append(actions, e.Action)
		}
		if len(actions) != 3 || actions[0] != "user add" || actions[1] != "user passwd" || actions[2] != "user disable" {
			t.Fatalf("audit %v", actions)
		}
	})
}

func TestDashboardQueries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		cat, err := tariff.LoadCatalog(fixtures.FS(), fixtures.DeliberationsDir)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := fs.ReadFile(fixtures.FS(), fixtures.SampleDir+"/establishments.csv")
		if _, err := s.ImportEstablishments(ctx, "establishments.csv", bytes.NewReader(data), cat, "test"); err != nil {
			t.Fatal(err)
		}
		est, err := s.EstablishmentBySIRET(ctx, "21299951000010")
		if err != nil {
			t.Fatal(err)
		}
		vat := invoice.VATRate{Category: invoice.VATStandard, Percent: decimal.NewFromInt(20)}
		line, _ := invoice.NewLine("b", "Contribution", decimal.NewFromInt(1), invoice.UnitOne, decimal.RequireFromString("1000.00"), decimal.NewFromInt(1), vat)
		issue := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		inv, _, err := s.Finalise(ctx, store.Draft{Kind: invoice.KindContribution, Year: 2026, EstablishmentID: est.ID, IssueDate: issue,
			DueDate: issue.AddDate(0, 0, 30), Lines: []invoice.Line{line}, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordPayment(ctx, store.Payment{InvoiceID: inv.ID, PaidOn: issue.AddDate(0, 0, 10), Amount: decimal.RequireFromString("200.00"),
			Source: store.PaymentImported, Reference: "VIR1"}, time.Now(), "test"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			day                     time.Time
			outstanding, overdue    string
			overdueCount, listCount int
		}{
			{time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC), "1000", "0", 0, 0}, // due on the 4th: not late yet
			{time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC), "1000", "1000", 1, 1},
		} {
			m, err := s.Money(ctx, tc.day)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Invoiced.Equal(decimal.RequireFromString("1200")) || !m.Collected.Equal(decimal.RequireFromString("200")) ||
				!m.Outstanding.Equal(decimal.RequireFromString(tc.outstanding)) || !m.Overdue.Equal(decimal.RequireFromString(tc.overdue)) ||
				m.OverdueCount != tc.overdueCount {
				t.Errorf("%s: money %+v", tc.day.Format(time.DateOnly), m)
			}
			rows, err := s.WorkList(ctx, store.WorkFilter{OverdueOn: tc.day})
			if err != nil || len(rows) != tc.listCount {
				t.Fatalf("overdue list on %s: %d rows, %v", tc.day.Format(time.DateOnly), len(rows), err)
			}
		}
		for _, q := range []string{"plougastel", "21299951", strings.ToLower(inv.Number), "PLOUGASTEL-daoulas"} {
			rows, err := s.WorkList(ctx, store.WorkFilter{Query: q, Sort: "-amount"})
			if err != nil || len(rows) != 1 || rows[0].EstablishmentName != est.Name || !rows[0].Paid.Equal(decimal.RequireFromString("200")) {
				t.Errorf("work list %q: %+v %v", q, rows, err)
			}
		}
		if rows, _ := s.WorkList(ctx, store.WorkFilter{Query: "100%_"}); len(rows) != 0 {
			t.Error("LIKE wildcards are not escaped")
		}
		if list, err := s.SearchEstablishments(ctx, "collège", 10); err != nil || len(list) == 0 {
			t.Errorf("search: %d %v", len(list), err)
		}
		if err := s.SetReferences(ctx, est.ID, 2026, "SVC-1", "EJ-1", "user:alice"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetReferences(ctx, est.ID, 2026, "SVC-2", "", "user:alice"); err != nil {
			t.Fatal(err)
		}
		refs, err := s.ReferencesByYear(ctx, est.ID)
		if err != nil || len(refs) != 1 || refs[0].CodeService != "SVC-2" || refs[0].Engagement != "" {
			t.Fatalf("references %+v %v", refs, err)
		}
		if err := s.RecordAudit(ctx, store.AuditEvent{Actor: "user:alice", Entity: "invoice", EntityID: inv.ID, Action: "mailed", Reason: "le 01/03/2026"}); err != nil {
			t.Fatal(err)
		}
		last, err := s.LastAudit(ctx, "invoice", "mailed")
		if err != nil || last[inv.ID].Actor != "user:alice" {
			t.Fatalf("last audit %+v %v", last, err)
		}
		if counts, err := s.InvoiceCounts(ctx); err != nil || counts["finalised"] != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
	})
}

package worker

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/chorus/sandbox"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/store/storetest"
)

// accountPipeline is a pipeline over books and a sandbox whose technical
// account's password expires at expires (zero: the sandbox says nothing),
// its logs in logs.
func accountPipeline(t *testing.T, books *store.Store, expires time.Time, now func() time.Time, logs *bytes.Buffer) *Pipeline {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret,
		TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword, TechPasswordExpires: expires, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	api, err := chorus.New(chorus.Config{Env: chorus.Local, BaseURL: srv.URL, TokenURL: srv.URL + chorus.PathToken,
		ClientID: chorus.LocalClientID, ClientSecret: chorus.LocalClientSecret, TechLogin: chorus.LocalTechLogin, TechPassword: chorus.LocalTechPassword,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return NewPipeline(Deps{Books: books, Chorus: api, Now: now, Logger: slog.New(slog.NewTextHandler(logs, nil))}, DefaultConfig())
}

// CheckAccount reads dateExpirationMotPasseCompteTech from the sandbox and
// records its day in Paris in the books, on both engines; the next check
// after a renewal replaces it; a password within the warning is logged.
func TestCheckAccount(t *testing.T) {
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	now := func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, paris) }
	storetest.ForEach(t, func(t *testing.T, books *store.Store) {
		for _, tt := range []struct {
			expires time.Time
			wantDay string
			warned  bool
		}{
			// Midnight in Paris is the day before in UTC: the day kept is Paris's.
			{time.Date(2027, 3, 31, 0, 0, 0, 0, paris), "2027-03-31", false},
			{time.Date(2026, 12, 20, 12, 0, 0, 0, paris), "2026-12-20", true},
		} {
			var logs bytes.Buffer
			p := accountPipeline(t, books, tt.expires, now, &logs)
			if err := p.CheckAccount(ctx); err != nil {
				t.Fatal(err)
			}
			a, found, err := books.ChorusAccount(ctx)
			if err != nil || !found {
				t.Fatalf("nothing recorded: %v", err)
			}
			if got := a.ExpiresOn.Format(time.DateOnly); got != tt.wantDay || a.Source != store.AccountFromChorus || a.CheckedAt.IsZero() {
				t.Errorf("recorded %+v, want %s from chorus, with its time", a, tt.wantDay)
			}
			if warned := strings.Contains(logs.String(), "expires soon"); warned != tt.warned {
				t.Errorf("warned %v, want %v: %s", warned, tt.warned, logs.String())
			}
		}
	})
}

// A sandbox that gives no date records nothing, says so, and is no error.
func TestCheckAccountWithoutDate(t *testing.T) {
	books := storetest.SQLite(t)
	var logs bytes.Buffer
	p := accountPipeline(t, books, time.Time{}, time.Now, &logs)
	if err := p.CheckAccount(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, found, err := books.ChorusAccount(context.Background()); found || err != nil {
		t.Errorf("found %v (%v): nothing should be recorded", found, err)
	}
	if !strings.Contains(logs.String(), "CHORUS_TECH_PASSWORD_EXPIRES") {
		t.Errorf("the log does not say what to do: %s", logs.String())
	}
}

// The configured day wins over the books' reading; without either there is
// nothing to warn of; days are counted on Paris's calendar.
func TestAccountExpiry(t *testing.T) {
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	books := storetest.SQLite(t)
	if _, found, err := ReadAccountExpiry(ctx, books, time.Time{}); found || err != nil {
		t.Fatalf("empty books: found %v, %v", found, err)
	}
	if err := books.PutChorusAccount(ctx, store.ChorusAccount{ExpiresOn: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC), Source: store.AccountFromChorus}); err != nil {
		t.Fatal(err)
	}
	e, found, err := ReadAccountExpiry(ctx, books, time.Time{})
	if err != nil || !found || e.On.Format(time.DateOnly) != "2027-01-10" || e.Source != store.AccountFromChorus {
		t.Fatalf("from the books: %+v %v %v", e, found, err)
	}
	e, found, err = ReadAccountExpiry(ctx, books, time.Date(2027, 2, 1, 0, 0, 0, 0, paris))
	if err != nil || !found || e.On.Format(time.DateOnly) != "2027-02-01" || e.Source != AccountFromConfiguration {
		t.Fatalf("configured: %+v %v %v", e, found, err)
	}

	on := AccountExpiry{On: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		now           time.Time
		days          int
		warn, expired bool
	}{
		{time.Date(2026, 12, 10, 12, 0, 0, 0, paris), 31, false, false},
		{time.Date(2026, 12, 11, 12, 0, 0, 0, paris), 30, true, false},
		{time.Date(2026, 12, 12, 0, 30, 0, 0, paris), 29, true, false}, // still the 11th in UTC
		{time.Date(2027, 1, 10, 23, 0, 0, 0, paris), 0, true, false},
		{time.Date(2027, 1, 11, 0, 0, 0, 0, paris), -1, true, true},
	} {
		if d := on.DaysLeft(tt.now); d != tt.days || on.Warn(tt.now) != tt.warn || on.Expired(tt.now) != tt.expired {
			t.Errorf("at %s: %d days, warn %v, expired %v; want %d, %v, %v", tt.now, d, on.Warn(tt.now), on.Expired(tt.now), tt.days, tt.warn, tt.expired)
		}
	}
}

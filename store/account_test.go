package store

import (
	"context"
	"testing"
	"time"
)

// The technical account's password expiry: nothing before the first check,
// then the latest reading, whole day and instant as written, on both
// engines; the table holds one row.
func TestChorusAccountRoundTrip(t *testing.T) {
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			if _, found, err := s.ChorusAccount(ctx); err != nil || found {
				t.Fatalf("before any check: found %v, err %v; want nothing", found, err)
			}
			for _, tt := range []struct {
				put  ChorusAccount
				want ChorusAccount
			}{
				{
					// A day given in Paris is that day; the instant keeps its microseconds.
					put:  ChorusAccount{ExpiresOn: time.Date(2027, 3, 31, 0, 0, 0, 0, paris), CheckedAt: time.Date(2026, 12, 4, 23, 30, 0, 123456789, paris), Source: AccountFromChorus},
					want: ChorusAccount{ExpiresOn: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), CheckedAt: time.Date(2026, 12, 4, 22, 30, 0, 123456000, time.UTC), Source: AccountFromChorus},
				},
				{
					// A renewed password: the next reading replaces the first.
					put:  ChorusAccount{ExpiresOn: time.Date(2028, 5, 29, 0, 0, 0, 0, time.UTC), CheckedAt: time.Date(2027, 4, 1, 8, 0, 0, 0, time.UTC), Source: AccountFromChorus},
					want: ChorusAccount{ExpiresOn: time.Date(2028, 5, 29, 0, 0, 0, 0, time.UTC), CheckedAt: time.Date(2027, 4, 1, 8, 0, 0, 0, time.UTC), Source: AccountFromChorus},
				},
			} {
				if err := s.PutChorusAccount(ctx, tt.put); err != nil {
					t.Fatal(err)
				}
				got, found, err := s.ChorusAccount(ctx)
				if err != nil || !found {
					t.Fatalf("after a check: found %v, err %v", found, err)
				}
				if !got.ExpiresOn.Equal(tt.want.ExpiresOn) || !got.CheckedAt.Equal(tt.want.CheckedAt) || got.Source != tt.want.Source {
					t.Errorf("read %+v, want %+v", got, tt.want)
				}
			}
			var rows int
			if err := s.db.GetContext(ctx, &rows, `SELECT COUNT(*) FROM chorus_account`); err != nil || rows != 1 {
				t.Errorf("%d rows (%v), want 1", rows, err)
			}
			if err := s.PutChorusAccount(ctx, ChorusAccount{Source: AccountFromChorus}); err == nil {
				t.Error("a reading without a day was recorded")
			}
		})
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Sources of the technical account's password expiry.
const (
	// AccountFromChorus: dateExpirationMotPasseCompteTech, read from Chorus
	// Pro's structures/v1/consulter of the supplier's own structure.
	AccountFromChorus = "chorus"
)

// ChorusAccount is what the books know of the Chorus Pro technical account
// (migration 0017): the day its password expires, when that was read, and
// from where.
type ChorusAccount struct {
	// ExpiresOn is the civil day the password expires, midnight UTC as the
	// books give dates back.
	ExpiresOn time.Time `db:"expires_on"`
	// CheckedAt is when it was read.
	CheckedAt time.Time `db:"checked_at"`
	// Source says where it was read (AccountFromChorus).
	Source string `db:"source"`
}

// PutChorusAccount records the technical account's password expiry,
// replacing what was recorded: the latest reading is the truth (a renewed
// password moves the day on). CheckedAt zero is now.
func (s *Store) PutChorusAccount(ctx context.Context, a ChorusAccount) error {
	if a.ExpiresOn.IsZero() || a.Source == "" {
		return fmt.Errorf("record the Chorus Pro account: expires_on and source are required")
	}
	checked := a.CheckedAt.UTC().Truncate(time.Microsecond)
	if a.CheckedAt.IsZero() {
		checked = s.timestamp()
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO chorus_account (one, expires_on, checked_at, source) VALUES (1, ?, ?, ?)
		ON CONFLICT (one) DO UPDATE SET expires_on = excluded.expires_on, checked_at = excluded.checked_at, source = excluded.source`),
		nullDate(a.ExpiresOn), checked, a.Source)
	if err != nil {
		return fmt.Errorf("record the Chorus Pro account: %w", err)
	}
	return nil
}

// ChorusAccount reads the technical account's password expiry; found is
// false when none was ever recorded.
func (s *Store) ChorusAccount(ctx context.Context) (a ChorusAccount, found bool, err error) {
	err = s.db.GetContext(ctx, &a, `SELECT expires_on, checked_at, source FROM chorus_account WHERE one = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return ChorusAccount{}, false, nil
	}
	if err != nil {
		return ChorusAccount{}, false, fmt.Errorf("read the Chorus Pro account: %w", err)
	}
	a.ExpiresOn, a.CheckedAt = civilDate(a.ExpiresOn.UTC()), a.CheckedAt.UTC()
	return a, true, nil
}

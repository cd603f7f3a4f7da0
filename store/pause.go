package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pause says that deliveries to Chorus Pro are paused, and why: Chorus Pro
// refused the configuration (an application not subscribed to the API, a
// technical account refused), so every deposit would fail the same way.
type Pause struct {
	Reason string    `db:"reason"`
	Since  time.Time `db:"since"`
	// TriedAt is when a call last tried whether it was fixed.
	TriedAt time.Time `db:"tried_at"`
}

// DeliveryPause reads the pause; ok is false when deliveries are not paused.
func (s *Store) DeliveryPause(ctx context.Context) (p Pause, ok bool, err error) {
	err = s.db.GetContext(ctx, &p, `SELECT reason, since, tried_at FROM chorus_pause WHERE one = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return Pause{}, false, nil
	}
	if err != nil {
		return Pause{}, false, fmt.Errorf("read the delivery pause: %w", err)
	}
	p.Since, p.TriedAt = p.Since.UTC(), p.TriedAt.UTC()
	return p, true, nil
}

// PauseDeliveries pauses deliveries for reason, or records another try of
// a pause already in effect (its start is kept).
func (s *Store) PauseDeliveries(ctx context.Context, reason string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO chorus_pause (one, reason, since, tried_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (one) DO UPDATE SET reason = excluded.reason, tried_at = excluded.tried_at`), reason, at.UTC(), at.UTC())
	if err != nil {
		return fmt.Errorf("pause deliveries: %w", err)
	}
	return nil
}

// ResumeDeliveries lifts the pause; it reports whether there was one.
func (s *Store) ResumeDeliveries(ctx context.Context) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM chorus_pause WHERE one = 1`)
	if err != nil {
		return false, fmt.Errorf("resume deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

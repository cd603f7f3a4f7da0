package store

import (
	"context"
	"fmt"
	"time"
)

// ClaimDeposit claims invoice id for one deposit on Chorus Pro by owner
// (a token of the delivery) for ttl, and tells whether it got it: false
// while another unexpired claim holds it. The books' clock decides
// expiry, so the claims of workers whose own clocks differ agree.
func (s *Store) ClaimDeposit(ctx context.Context, id int64, owner string, ttl time.Duration) (bool, error) {
	now := s.timestamp()
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO deposit_claims (invoice_id, owner, until) VALUES (?, ?, ?)
		ON CONFLICT (invoice_id) DO UPDATE SET owner = excluded.owner, until = excluded.until WHERE deposit_claims.until < ?`),
		id, owner, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("claim the deposit of invoice #%d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim the deposit of invoice #%d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseDeposit lets go of owner's claim on invoice id (another's is
// left alone).
func (s *Store) ReleaseDeposit(ctx context.Context, id int64, owner string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM deposit_claims WHERE invoice_id = ? AND owner = ?`), id, owner); err != nil {
		return fmt.Errorf("release the deposit of invoice #%d: %w", id, err)
	}
	return nil
}

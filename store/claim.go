package store

import (
	"context"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
)

// ClaimDeposit claims invoice id for one deposit on Chorus Pro by owner
// (a token of the delivery) for ttl, and tells whether it got it: false
// while another unexpired claim holds it, and false once the invoice is no
// longer delivering — a delivery that read it before another recorded its
// deposit (and let go of its claim) must not deposit it again. The books'
// clock decides expiry, so the claims of workers whose own clocks differ
// agree.
func (s *Store) ClaimDeposit(ctx context.Context, id int64, owner string, ttl time.Duration) (bool, error) {
	now := s.timestamp()
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO deposit_claims (invoice_id, owner, until)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM invoices WHERE id = ? AND state = '`+string(invoice.StateDelivering)+`')
		ON CONFLICT (invoice_id) DO UPDATE SET owner = excluded.owner, until = excluded.until WHERE deposit_claims.until < ?`),
		id, owner, now.Add(ttl), id, now)
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

package store

import (
	"context"
	"fmt"
)

// Usage quantities of the establishments.

// UsageYears lists the years an establishment has usage quantities for,
// latest first.
func (s *Store) UsageYears(ctx context.Context, establishmentID int64) ([]int, error) {
	var out []int
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT DISTINCT year FROM usage_quantities WHERE establishment_id = ? ORDER BY year DESC`), establishmentID)
	if err != nil {
		return nil, fmt.Errorf("usage years of #%d: %w", establishmentID, err)
	}
	return out, nil
}

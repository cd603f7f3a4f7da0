package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DirectoryEntry is a buyer's Chorus Pro directory entry as the worker
// keeps it: Data is its JSON, opaque to the books.
type DirectoryEntry struct {
	SIRET     string    `db:"siret"`
	Data      string    `db:"data"`
	FetchedAt time.Time `db:"fetched_at"`
}

// DirectoryEntry reads the kept entry of a buyer; ErrNotFound when none.
func (s *Store) DirectoryEntry(ctx context.Context, siret string) (DirectoryEntry, error) {
	var e DirectoryEntry
	err := s.db.GetContext(ctx, &e, s.rebind(`SELECT siret, data, fetched_at FROM chorus_buyers WHERE siret = ?`), siret)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("directory entry of %s: %w", siret, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("read the directory entry of %s: %w", siret, err)
	}
	e.FetchedAt = e.FetchedAt.UTC()
	return e, nil
}

// PutDirectoryEntry keeps a buyer's entry, replacing the one kept.
func (s *Store) PutDirectoryEntry(ctx context.Context, e DirectoryEntry) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO chorus_buyers (siret, data, fetched_at) VALUES (?, ?, ?)
		ON CONFLICT (siret) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at`), e.SIRET, e.Data, e.FetchedAt.UTC())
	if err != nil {
		return fmt.Errorf("keep the directory entry of %s: %w", e.SIRET, err)
	}
	return nil
}

// ForgetDirectoryEntry drops a buyer's kept entry: Chorus Pro refused an
// invoice for what the entry said, so the next delivery asks again.
func (s *Store) ForgetDirectoryEntry(ctx context.Context, siret string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM chorus_buyers WHERE siret = ?`), siret); err != nil {
		return fmt.Errorf("forget the directory entry of %s: %w", siret, err)
	}
	return nil
}

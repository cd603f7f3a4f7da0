package store

import (
	"context"
	"fmt"
)

// Identity is the UUID of these books, drawn once when they were made
// (migration 0013) and never changed. Every queued task carries it, so that
// a worker of other books — another deployment sharing the same Redis
// database — refuses the task instead of running it against its own books.
// It is read once, then kept: it cannot change under an open store.
func (s *Store) Identity(ctx context.Context) (string, error) {
	s.identity.mu.Lock()
	defer s.identity.mu.Unlock()
	if s.identity.uuid != "" {
		return s.identity.uuid, nil
	}
	var id string
	if err := s.db.GetContext(ctx, &id, `SELECT uuid FROM books_identity WHERE one = 1`); err != nil {
		return "", fmt.Errorf("read the identity of the books (migrated?): %w", err)
	}
	if id == "" {
		return "", fmt.Errorf("read the identity of the books: it is empty")
	}
	s.identity.uuid = id
	return id, nil
}

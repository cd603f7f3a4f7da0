package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/document"

	"github.com/jmoiron/sqlx"
)

// Buyer references (code service, engagement number) per establishment and year.

// References are the buyer references an establishment gave for a year.
type References struct {
	CodeService string `db:"code_service"`
	Engagement  string `db:"engagement"`
}

// ReferencesFor reads the references of an establishment for a year (empty
// when none were given).
func (s *Store) ReferencesFor(ctx context.Context, establishmentID int64, year int) (References, error) {
	var r References
	err := s.db.GetContext(ctx, &r, s.rebind(`SELECT code_service, engagement FROM buyer_references WHERE establishment_id = ? AND year = ?`), establishmentID, year)
	if errors.Is(err, sql.ErrNoRows) {
		return References{}, nil
	}
	if err != nil {
		return r, fmt.Errorf("read references of #%d for %d: %w", establishmentID, year, err)
	}
	return r, nil
}

// ReferencesForMany reads the references given for a year by several
// establishments; those that gave none are absent.
func (s *Store) ReferencesForMany(ctx context.Context, ids []int64, year int) (map[int64]References, error) {
	out := make(map[int64]References, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := s.in(`SELECT establishment_id, code_service, engagement FROM buyer_references WHERE year = ? AND establishment_id IN (?)`, year, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID int64 `db:"establishment_id"`
		References
	}
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read references of %d establishments for %d: %w", len(ids), year, err)
	}
	for _, r := range rows {
		out[r.ID] = r.References
	}
	return out, nil
}

// YearReferences are the references an establishment gave for one year.
type YearReferences struct {
	Year int `db:"year"`
	References
	UpdatedAt time.Time `db:"updated_at"`
}

// ReferencesByYear lists an establishment's references, latest year first.
func (s *Store) ReferencesByYear(ctx context.Context, establishmentID int64) ([]YearReferences, error) {
	var out []YearReferences
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT year, code_service, engagement, updated_at FROM buyer_references
		WHERE establishment_id = ? ORDER BY year DESC`), establishmentID)
	if err != nil {
		return nil, fmt.Errorf("references of #%d: %w", establishmentID, err)
	}
	return out, nil
}

// SetReferences records the references an establishment gave for a year
// (as an import of references would), with an audit row.
func (s *Store) SetReferences(ctx context.Context, establishmentID int64, year int, codeService, engagement, actor string) error {
	switch {
	case actor == "":
		return errors.New("set references: the actor is required for the audit trail")
	case codeService == "" && engagement == "":
		return errors.New("set references: code service and engagement are both empty")
	}
	if err := document.FieldCodeService.Check(codeService); err != nil {
		return fmt.Errorf("set references: code service: %w", err)
	}
	if err := document.FieldEngagement.Check(engagement); err != nil {
		return fmt.Errorf("set references: engagement number: %w", err)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO buyer_references (establishment_id, year, code_service, engagement, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (establishment_id, year)
			DO UPDATE SET code_service = excluded.code_service, engagement = excluded.engagement, updated_at = excluded.updated_at`),
			establishmentID, year, codeService, engagement, now)
		if err != nil {
			return fmt.Errorf("set references of #%d for %d: %w", establishmentID, year, err)
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "establishment", EntityID: establishmentID, Action: "references",
			Reason: fmt.Sprintf("%d : code service %q, engagement %q", year, codeService, engagement)})
	})
}

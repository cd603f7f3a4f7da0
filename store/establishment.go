package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/jmoiron/sqlx"
)

// Establishment is an establishment as kept in the books.
type Establishment struct {
	ID                  int64      `db:"id"`
	SIRET               string     `db:"siret"`
	Name                string     `db:"name"`
	AddressLine1        string     `db:"address_line1"`
	AddressLine2        string     `db:"address_line2"`
	Postcode            string     `db:"postcode"`
	City                string     `db:"city"`
	Offer               string     `db:"offer"`
	Existing            bool       `db:"existing_user"`
	ConventionReceived  *time.Time `db:"convention_received"`
	TerminationReceived *time.Time `db:"termination_received"`
	OnChorus            bool       `db:"on_chorus"`
	LatePaymentRegime   string     `db:"late_payment_regime"`
	CreatedAt           time.Time  `db:"created_at"`
	UpdatedAt           time.Time  `db:"updated_at"`
	// Headcounts by year; loaded by EstablishmentBySIRET, filled for one
	// year by ForEachEstablishment.
	Headcounts map[int]int `db:"-"`
}

// ErrNotFound is returned when what was asked for is not in the books.
var ErrNotFound = errors.New("not found")

// Tariff gives what the tariff needs of the establishment for a year.
func (e Establishment) Tariff(year int) (tariff.Establishment, error) {
	n, ok := e.Headcounts[year]
	if !ok {
		return tariff.Establishment{}, fmt.Errorf("establishment %s: no headcount for %d", e.SIRET, year)
	}
	t := tariff.Establishment{Offer: tariff.Offer(e.Offer), Headcount: n, Existing: e.Existing}
	if e.ConventionReceived != nil {
		t.Received = tariff.Day(*e.ConventionReceived)
	}
	if e.TerminationReceived != nil {
		t.TerminationReceived = tariff.Day(*e.TerminationReceived)
	}
	return t, nil
}

// Regime is the establishment's late-payment regime.
func (e Establishment) Regime() invoice.Regime { return invoice.Regime(e.LatePaymentRegime) }

const establishmentColumns = `e.id, e.siret, e.name, e.address_line1, e.address_line2, e.postcode, e.city, e.offer,
	e.existing_user, e.convention_received, e.termination_received, e.on_chorus, e.late_payment_regime,
	e.created_at, e.updated_at`

// EstablishmentBySIRET reads one establishment with all its headcounts.
func (s *Store) EstablishmentBySIRET(ctx context.Context, siret string) (Establishment, error) {
	var e Establishment
	err := s.db.GetContext(ctx, &e, s.rebind(`SELECT `+establishmentColumns+` FROM establishments e WHERE e.siret = ?`), siret)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("establishment %s: %w", siret, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("read establishment %s: %w", siret, err)
	}
	e.Headcounts, err = s.headcounts(ctx, s.db, e.ID)
	return e, err
}

// EstablishmentByID reads one establishment with all its headcounts.
func (s *Store) EstablishmentByID(ctx context.Context, id int64) (Establishment, error) {
	var e Establishment
	err := s.db.GetContext(ctx, &e, s.rebind(`SELECT `+establishmentColumns+` FROM establishments e WHERE e.id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("establishment #%d: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("read establishment #%d: %w", id, err)
	}
	e.Headcounts, err = s.headcounts(ctx, s.db, e.ID)
	return e, err
}

func (s *Store) headcounts(ctx context.Context, q sqlx.QueryerContext, id int64) (map[int]int, error) {
	rows, err := q.QueryxContext(ctx, s.rebind(`SELECT year, headcount FROM headcounts WHERE establishment_id = ? ORDER BY year`), id)
	if err != nil {
		return nil, fmt.Errorf("read headcounts of #%d: %w", id, err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var y, n int
		if err := rows.Scan(&y, &n); err != nil {
			return nil, err
		}
		out[y] = n
	}
	return out, rows.Err()
}

// ForEachEstablishment streams the establishments in SIRET order with their
// headcount for one year (absent from Headcounts when unknown), without
// loading them all: a yearly run over 100,000 establishments keeps memory flat.
func (s *Store) ForEachEstablishment(ctx context.Context, year int, fn func(Establishment) error) error {
	rows, err := s.db.QueryxContext(ctx, s.rebind(`SELECT `+establishmentColumns+`, h.headcount
		FROM establishments e LEFT JOIN headcounts h ON h.establishment_id = e.id AND h.year = ?
		ORDER BY e.siret`), year)
	if err != nil {
		return fmt.Errorf("list establishments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var row struct {
			Establishment
			Headcount *int `db:"headcount"`
		}
		if err := rows.StructScan(&row); err != nil {
			return fmt.Errorf("list establishments: %w", err)
		}
		e := row.Establishment
		e.Headcounts = map[int]int{}
		if row.Headcount != nil {
			e.Headcounts[year] = *row.Headcount
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountEstablishments counts the establishments in the books.
func (s *Store) CountEstablishments(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM establishments`)
	return n, err
}

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

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	// PaymentTermDays is the establishment's own payment term in days; nil:
	// the deliberation's.
	PaymentTermDays *int      `db:"payment_term_days"`
	CreatedAt       time.Time `db:"created_at"`
	UpdatedAt       time.Time `db:"updated_at"`
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
	if e.PaymentTermDays != nil {
		t.PaymentTermDays = *e.PaymentTermDays
	}
	return t, nil
}

// Regime is the establishment's late-payment regime.
func (e Establishment) Regime() invoice.Regime { return invoice.Regime(e.LatePaymentRegime) }

const establishmentColumns = `e.id, e.siret, e.name, e.address_line1, e.address_line2, e.postcode, e.city, e.offer,
	e.existing_user, e.convention_received, e.termination_received, e.on_chorus, e.late_payment_regime,
	e.payment_term_days, e.created_at, e.updated_at`

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

// EstablishmentsByIDs reads establishments with all their headcounts, by
// id; ids not in the books are absent from the map.
func (s *Store) EstablishmentsByIDs(ctx context.Context, ids []int64) (map[int64]Establishment, error) {
	out := make(map[int64]Establishment, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := s.in(`SELECT `+establishmentColumns+` FROM establishments e WHERE e.id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []Establishment
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read %d establishments: %w", len(ids), err)
	}
	for _, e := range rows {
		e.Headcounts = map[int]int{}
		out[e.ID] = e
	}
	q, args, err = s.in(`SELECT establishment_id, year, headcount FROM headcounts WHERE establishment_id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var hc []struct {
		ID        int64 `db:"establishment_id"`
		Year      int   `db:"year"`
		Headcount int   `db:"headcount"`
	}
	if err := s.db.SelectContext(ctx, &hc, q, args...); err != nil {
		return nil, fmt.Errorf("read headcounts of %d establishments: %w", len(ids), err)
	}
	for _, h := range hc {
		if e, ok := out[h.ID]; ok {
			e.Headcounts[h.Year] = h.Headcount
		}
	}
	return out, nil
}

// EstablishmentHits is one page of a search of establishments with the
// count of all it finds.
type EstablishmentHits struct {
	Rows  []Establishment
	Count int
}

// establishmentMatch is the condition of a search of establishments: the
// SIRET or the name holds what was typed, ignoring case and accents (fold).
func establishmentMatch(query string) (string, []any) {
	like := foldLike(query)
	return ` WHERE e.siret LIKE ? ESCAPE '\' OR ` + foldSQL("e.name") + ` LIKE ? ESCAPE '\'`, []any{like, like}
}

// SearchEstablishmentsPage finds establishments as SearchEstablishments
// does, a page at a time (limit defaults to DefaultPageSize, at most
// MaxPageSize), with the count of every match: nothing is cut unsaid.
func (s *Store) SearchEstablishmentsPage(ctx context.Context, query string, limit, offset int) (EstablishmentHits, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return EstablishmentHits{}, nil
	}
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit, offset = min(limit, MaxPageSize), max(offset, 0)
	where, args := establishmentMatch(q)
	var hits EstablishmentHits
	if err := s.db.GetContext(ctx, &hits.Count, s.rebind(`SELECT COUNT(*) FROM establishments e`+where), args...); err != nil {
		return EstablishmentHits{}, fmt.Errorf("count establishments found: %w", err)
	}
	if hits.Count == 0 || offset >= hits.Count {
		return hits, nil
	}
	err := s.db.SelectContext(ctx, &hits.Rows, s.rebind(`SELECT `+establishmentColumns+` FROM establishments e`+where+
		fmt.Sprintf(" ORDER BY e.name, e.siret LIMIT %d OFFSET %d", limit, offset)), args...)
	if err != nil {
		return EstablishmentHits{}, fmt.Errorf("search establishments: %w", err)
	}
	return hits, nil
}

// SearchEstablishments finds establishments by SIRET or name (a
// substring, ignoring case and accents: fold), by name: the first limit
// of them (SearchEstablishmentsPage says how many there are in all).
func (s *Store) SearchEstablishments(ctx context.Context, query string, limit int) ([]Establishment, error) {
	hits, err := s.SearchEstablishmentsPage(ctx, query, limit, 0)
	return hits.Rows, err
}

package store

import (
	"context"
	"fmt"
	"io"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// ImportUsage reads observed quantities (siret, year, service, quantity) and
// upserts them on (establishment, year, service), in one transaction. The
// catalog says which service codes exist for the year and which offers
// include them.
func (s *Store) ImportUsage(ctx context.Context, name string, in io.Reader, cat *tariff.Catalog, actor string) (ImportResult, error) {
	res := ImportResult{File: name}
	if cat == nil {
		return res, fmt.Errorf("import %s: a deliberation catalog is required to check service codes", name)
	}
	f, err := openCSV(name, in, []string{"siret", "year", "service", "quantity"}, nil)
	if err != nil {
		return res, err
	}
	known, err := s.establishmentOffers(ctx)
	if err != nil {
		return res, err
	}
	type row struct {
		estID   int64
		year    int
		service string
		qty     decimal.Decimal
	}
	var rows []row
	seen := map[string]int{}
	err = f.each(func(line int, get func(string) string) {
		res.Rows++
		est, okEst := f.knownEstablishment(line, get("siret"), known)
		year, okYear := f.integer(line, "year", get("year"), 1900, 2999)
		code := get("service")
		okSvc := false
		var svc tariff.Service
		if okYear {
			d, err := cat.For(year)
			switch {
			case err != nil:
				f.fail(line, "year", err.Error())
			case code == "":
				f.fail(line, "service", "is required")
			default:
				var found bool
				svc, found = d.Service(code)
				switch {
				case !found:
					f.fail(line, "service", fmt.Sprintf("unknown service code %q", code))
				case okEst && !svc.In(tariff.Offer(est.offer)):
					f.fail(line, "service", fmt.Sprintf("%s is not part of the %s offer of %s", code, est.offer, est.siret))
				default:
					okSvc = true
				}
			}
		}
		qty, okQty := f.quantity(line, "quantity", get("quantity"), svc)
		if !(okEst && okYear && okQty && okSvc) {
			return
		}
		if f.repeated(seen, fmt.Sprintf("%s/%d/%s", est.siret, year, code), line, "service", "%s %d %s is already on line %d", est.siret, year, code) {
			return
		}
		rows = append(rows, row{est.id, year, code, qty})
	})
	if err != nil {
		return res, err
	}
	if err := f.done(); err != nil {
		return res, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		stored := map[string]decimal.Decimal{}
		rs, err := tx.QueryxContext(ctx, `SELECT establishment_id, year, service, quantity FROM usage_quantities`)
		if err != nil {
			return err
		}
		for rs.Next() {
			var id int64
			var y int
			var svc, q string
			if err := rs.Scan(&id, &y, &svc, &q); err != nil {
				rs.Close()
				return err
			}
			stored[fmt.Sprintf("%d/%d/%s", id, y, svc)] = mustDecimal(q)
		}
		rs.Close()
		now := s.timestamp()
		writes := s.newBatcher(tx, `INSERT INTO usage_quantities (establishment_id, year, service, quantity, updated_at)`,
			`ON CONFLICT (establishment_id, year, service) DO UPDATE SET quantity = excluded.quantity, updated_at = excluded.updated_at`)
		for _, r := range rows {
			old, ok := stored[fmt.Sprintf("%d/%d/%s", r.estID, r.year, r.service)]
			switch {
			case !ok:
				res.Added++
			case old.Equal(r.qty):
				res.Unchanged++
				continue
			default:
				res.Changed++
			}
			if err := writes.add(ctx, r.estID, r.year, r.service, r.qty.String(), now); err != nil {
				return fmt.Errorf("store usage: %w", err)
			}
		}
		return writes.flush(ctx)
	})
	if err != nil {
		return ImportResult{File: name, Rows: res.Rows}, fmt.Errorf("import %s: %w", name, err)
	}
	if res.Added > 0 {
		s.analyze(ctx, "usage_quantities")
	}
	return res, nil
}

// quantity reads a quantity of a service, as its unit kind says (see
// tariff.Service.ParseQuantity: a count takes digits only, a measure a
// decimal comma or point) and within tariff.MaxQuantity. Without a service
// (unknown code or year) it reads any number, to report what else is wrong.
func (f *csvFile) quantity(line int, field, raw string, svc tariff.Service) (decimal.Decimal, bool) {
	if svc.Code == "" {
		return f.decimal(line, field, raw)
	}
	q, err := svc.ParseQuantity(raw)
	if err != nil {
		f.fail(line, field, err.Error())
		return decimal.Decimal{}, false
	}
	return q, true
}

// knownEstablishment checks a SIRET column names an establishment of the books.
func (f *csvFile) knownEstablishment(line int, raw string, known map[string]establishmentKey) (establishmentKey, bool) {
	if raw == "" {
		f.fail(line, "siret", "is required")
		return establishmentKey{}, false
	}
	siret, err := invoice.ValidateSIRET(raw)
	if err != nil {
		f.fail(line, "siret", err.Error())
		return establishmentKey{}, false
	}
	e, ok := known[siret]
	if !ok {
		f.fail(line, "siret", fmt.Sprintf("no establishment %s in the books (import establishments first)", raw))
	}
	return e, ok
}

type establishmentKey struct {
	id    int64
	siret string
	offer string
}

func (s *Store) establishmentOffers(ctx context.Context) (map[string]establishmentKey, error) {
	rows, err := s.db.QueryxContext(ctx, `SELECT id, siret, offer FROM establishments`)
	if err != nil {
		return nil, fmt.Errorf("read establishments: %w", err)
	}
	defer rows.Close()
	out := map[string]establishmentKey{}
	for rows.Next() {
		var k establishmentKey
		if err := rows.Scan(&k.id, &k.siret, &k.offer); err != nil {
			return nil, err
		}
		out[k.siret] = k
	}
	return out, rows.Err()
}

// Usage reads the observed quantities of an establishment for a year.
func (s *Store) Usage(ctx context.Context, establishmentID int64, year int) (map[string]decimal.Decimal, error) {
	rows, err := s.db.QueryxContext(ctx, s.rebind(`SELECT service, quantity FROM usage_quantities WHERE establishment_id = ? AND year = ?`), establishmentID, year)
	if err != nil {
		return nil, fmt.Errorf("read usage of #%d for %d: %w", establishmentID, year, err)
	}
	defer rows.Close()
	out := map[string]decimal.Decimal{}
	for rows.Next() {
		var svc, q string
		if err := rows.Scan(&svc, &q); err != nil {
			return nil, err
		}
		out[svc] = mustDecimal(q)
	}
	return out, rows.Err()
}

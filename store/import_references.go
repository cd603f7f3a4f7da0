package store

import (
	"context"
	"fmt"
	"io"

	"github.com/chorusbill/chorusbill/document"
	"github.com/jmoiron/sqlx"
)

// ImportReferences reads the buyer references an establishment gave for a
// year (siret, year, code_service, engagement) and upserts them on
// (establishment, year), in one transaction.
func (s *Store) ImportReferences(ctx context.Context, name string, in io.Reader, actor string) (ImportResult, error) {
	res := ImportResult{File: name}
	f, err := openCSV(name, in, []string{"siret", "year", "code_service", "engagement"}, nil)
	if err != nil {
		return res, err
	}
	known, err := s.establishmentOffers(ctx)
	if err != nil {
		return res, err
	}
	type row struct {
		estID     int64
		year      int
		code, eng string
	}
	var rows []row
	seen := map[string]int{}
	err = f.each(func(line int, get func(string) string) {
		res.Rows++
		est, okEst := f.knownEstablishment(line, get("siret"), known)
		year, okYear := f.integer(line, "year", get("year"), 2000, 2999)
		code, eng := get("code_service"), get("engagement")
		ok := okEst && okYear
		if code == "" && eng == "" {
			f.fail(line, "code_service", "code_service and engagement are both empty")
			ok = false
		}
		okCode := f.fits(line, "code_service", code, document.FieldCodeService)
		okEng := f.fits(line, "engagement", eng, document.FieldEngagement)
		ok = ok && okCode && okEng
		if !ok {
			return
		}
		if f.repeated(seen, fmt.Sprintf("%s/%d", est.siret, year), line, "siret", "references of %s for %d are already on line %d", est.siret, year) {
			return
		}
		rows = append(rows, row{est.id, year, code, eng})
	})
	if err != nil {
		return res, err
	}
	if err := f.done(); err != nil {
		return res, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		for _, r := range rows {
			var old References
			err := tx.GetContext(ctx, &old, s.rebind(`SELECT code_service, engagement FROM buyer_references WHERE establishment_id = ? AND year = ?`), r.estID, r.year)
			switch {
			case err == nil && old.CodeService == r.code && old.Engagement == r.eng:
				res.Unchanged++
				continue
			case err == nil:
				res.Changed++
			default:
				res.Added++
			}
			if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO buyer_references (establishment_id, year, code_service, engagement, updated_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (establishment_id, year)
				DO UPDATE SET code_service = excluded.code_service, engagement = excluded.engagement, updated_at = excluded.updated_at`),
				r.estID, r.year, r.code, r.eng, now); err != nil {
				return fmt.Errorf("store references: %w", err)
			}
			if err := s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "establishment", EntityID: r.estID, Action: "references",
				Reason: fmt.Sprintf("%d: code service %q, engagement %q (%s)", r.year, r.code, r.eng, name)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{File: name, Rows: res.Rows}, fmt.Errorf("import %s: %w", name, err)
	}
	if res.Added > 0 {
		s.analyze(ctx, "buyer_references")
	}
	return res, nil
}

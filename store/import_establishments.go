package store

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/tariff"
	"github.com/jmoiron/sqlx"
)

// establishmentRequired are the required columns of an establishments file;
// any number of headcount_YYYY columns follow (at least one).
func establishmentRequired() []string { return []string{"siret", "name", "offer", "existing"} }

func establishmentOptional() []string {
	return []string{"address_line1", "address_line2", "postcode", "city", "convention_received",
		"termination_received", "on_chorus", "late_payment_regime", "payment_term_days"}
}

var headcountColumn = regexp.MustCompile(`^headcount_(\d{4})$`)

// ImportEstablishments reads an establishments file and upserts it on the
// SIRET, in one transaction. Any bad row rejects the whole file with every
// problem listed (*ImportError) and the books unchanged. The catalog, when
// given, refuses a headcount the offer has no tariff for.
func (s *Store) ImportEstablishments(ctx context.Context, name string, in io.Reader, cat *tariff.Catalog, actor string) (ImportResult, error) {
	res := ImportResult{File: name}
	f, err := openCSV(name, in, establishmentRequired(), establishmentOptional())
	if err != nil {
		return res, err
	}
	var years []int
	for col := range f.columns {
		if m := headcountColumn.FindStringSubmatch(col); m != nil {
			y, _ := strconv.Atoi(m[1])
			years = append(years, y)
		}
	}
	sort.Ints(years)
	if len(years) == 0 {
		f.fail(1, "headcount_YYYY", "at least one headcount column (e.g. headcount_2025) is required")
		return res, f.done()
	}
	var records []Establishment
	seen := map[string]int{}
	err = f.each(func(line int, get func(string) string) {
		res.Rows++
		e, ok := parseEstablishment(f, line, get, years, cat)
		if !ok {
			return
		}
		if f.repeated(seen, e.SIRET, line, "siret", "%s is already on line %d", e.SIRET) {
			return
		}
		records = append(records, e)
	})
	if err != nil {
		return res, err
	}
	if err := f.done(); err != nil {
		return res, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.upsertEstablishments(ctx, tx, records, &res, actor)
	})
	if err != nil {
		return ImportResult{File: name, Rows: res.Rows}, fmt.Errorf("import %s: %w", name, err)
	}
	if res.Added > 0 {
		s.analyze(ctx, "establishments", "headcounts")
	}
	return res, nil
}

// analyze refreshes the planner's statistics of tables a bulk import just
// filled. Until autovacuum gets to them, PostgreSQL plans with the figures
// of the empty tables: the run that follows an import of 100,000
// establishments read the headcounts of a batch by scanning the whole table
// (1,462 such reads took 57 s of the run). A failure only costs speed.
func (s *Store) analyze(ctx context.Context, tables ...string) {
	if s.dialect != Postgres {
		return
	}
	for _, t := range tables {
		s.db.ExecContext(ctx, "ANALYZE "+t)
	}
}

func parseEstablishment(f *csvFile, line int, get func(string) string, years []int, cat *tariff.Catalog) (Establishment, bool) {
	ok := true
	check := func(good bool) { ok = ok && good }
	e := Establishment{Name: get("name"), AddressLine1: get("address_line1"), AddressLine2: get("address_line2"),
		Postcode: get("postcode"), City: get("city"), Headcounts: map[int]int{}}
	siret, err := invoice.ValidateSIRET(get("siret"))
	if err != nil {
		f.fail(line, "siret", err.Error())
		ok = false
	}
	e.SIRET = siret
	if e.Name == "" {
		f.fail(line, "name", "is required")
		ok = false
	}
	for _, c := range []struct {
		column, value string
		field         document.Field
	}{
		{"name", e.Name, document.FieldPartyName},
		{"address_line1", e.AddressLine1, document.FieldAddressLine},
		{"address_line2", e.AddressLine2, document.FieldAddressLine},
		{"city", e.City, document.FieldCity},
	} {
		check(f.fits(line, c.column, c.value, c.field))
	}
	offer, err := tariff.ParseOffer(get("offer"))
	if err != nil {
		f.fail(line, "offer", err.Error())
		ok = false
	}
	e.Offer = string(offer)
	var good bool
	e.Existing, good = f.boolean(line, "existing", get("existing"), false)
	check(good)
	e.ConventionReceived, good = f.date(line, "convention_received", get("convention_received"), !e.Existing && good)
	check(good)
	if e.Existing && e.ConventionReceived != nil {
		f.fail(line, "convention_received", "an existing user (existing=oui) has no convention received date")
		ok = false
	}
	e.TerminationReceived, good = f.date(line, "termination_received", get("termination_received"), false)
	check(good)
	if good && e.TerminationReceived != nil && e.ConventionReceived != nil && e.TerminationReceived.Before(*e.ConventionReceived) {
		f.fail(line, "termination_received", "is before the convention was received")
		ok = false
	}
	e.OnChorus, good = f.boolean(line, "on_chorus", get("on_chorus"), true)
	check(good)
	e.LatePaymentRegime = get("late_payment_regime")
	if e.LatePaymentRegime == "" {
		e.LatePaymentRegime = string(invoice.RegimeLegal)
	}
	if r, err := invoice.ParseRegime(e.LatePaymentRegime); err != nil {
		f.fail(line, "late_payment_regime", err.Error())
		ok = false
	} else {
		e.LatePaymentRegime = string(r)
		e.PaymentTermDays, good = paymentTerm(f, line, get("payment_term_days"), r)
		check(good)
	}
	for _, y := range years {
		col := fmt.Sprintf("headcount_%d", y)
		v := get(col)
		if v == "" {
			continue
		}
		n, good := f.integer(line, col, v, 0, 10_000_000)
		if !good {
			ok = false
			continue
		}
		e.Headcounts[y] = n
		if cat != nil && offer != "" {
			if d, err := cat.For(y); err == nil {
				if b, err := d.Offers[offer].Bracket(n); err == nil && b.Refused != "" {
					f.fail(line, col, fmt.Sprintf("%s with %d employees: %s", offer, n, b.Refused))
					ok = false
				}
			}
		}
	}
	return e, ok
}

// paymentTerm reads an establishment's own payment term: empty is the
// deliberation's (nil); otherwise a whole number of days the law allows it
// under its late-payment regime (invoice.CheckPaymentTerm).
func paymentTerm(f *csvFile, line int, s string, r invoice.Regime) (*int, bool) {
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		f.fail(line, "payment_term_days", fmt.Sprintf("%q is not a whole number of days", s))
		return nil, false
	}
	if err := invoice.CheckPaymentTerm(n, r); err != nil {
		f.fail(line, "payment_term_days", err.Error())
		return nil, false
	}
	return &n, true
}

type storedEstablishment struct {
	Establishment
	headcounts map[int]int
}

func (s *Store) upsertEstablishments(ctx context.Context, tx *sqlx.Tx, records []Establishment, res *ImportResult, actor string) error {
	existing := map[string]storedEstablishment{}
	rows, err := tx.QueryxContext(ctx, `SELECT `+establishmentColumns+` FROM establishments e`)
	if err != nil {
		return fmt.Errorf("read establishments: %w", err)
	}
	for rows.Next() {
		var e Establishment
		if err := rows.StructScan(&e); err != nil {
			rows.Close()
			return err
		}
		existing[e.SIRET] = storedEstablishment{Establishment: e, headcounts: map[int]int{}}
	}
	rows.Close()
	hrows, err := tx.QueryxContext(ctx, `SELECT e.siret, h.year, h.headcount FROM headcounts h JOIN establishments e ON e.id = h.establishment_id`)
	if err != nil {
		return fmt.Errorf("read headcounts: %w", err)
	}
	for hrows.Next() {
		var siret string
		var y, n int
		if err := hrows.Scan(&siret, &y, &n); err != nil {
			hrows.Close()
			return err
		}
		existing[siret].headcounts[y] = n
	}
	hrows.Close()

	now := s.timestamp()
	var changed []Establishment
	inserts := s.newBatcher(tx, `INSERT INTO establishments (siret, name, address_line1, address_line2, postcode, city, offer,
		existing_user, convention_received, termination_received, on_chorus, late_payment_regime, payment_term_days, created_at, updated_at)`, "")
	for _, e := range records {
		old, ok := existing[e.SIRET]
		switch {
		case !ok:
			res.Added++
			if err := inserts.add(ctx, e.SIRET, e.Name, e.AddressLine1, e.AddressLine2, e.Postcode, e.City, e.Offer,
				e.Existing, dateArg(e.ConventionReceived), dateArg(e.TerminationReceived), e.OnChorus, e.LatePaymentRegime, e.PaymentTermDays, now, now); err != nil {
				return fmt.Errorf("add establishments: %w", err)
			}
		case sameEstablishment(old, e):
			res.Unchanged++
		default:
			res.Changed++
			e.ID = old.ID
			changed = append(changed, e)
		}
	}
	if err := inserts.flush(ctx); err != nil {
		return fmt.Errorf("add establishments: %w", err)
	}
	for _, e := range changed {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE establishments SET name = ?, address_line1 = ?, address_line2 = ?, postcode = ?,
			city = ?, offer = ?, existing_user = ?, convention_received = ?, termination_received = ?, on_chorus = ?,
			late_payment_regime = ?, payment_term_days = ?, updated_at = ? WHERE id = ?`),
			e.Name, e.AddressLine1, e.AddressLine2, e.Postcode, e.City, e.Offer, e.Existing, dateArg(e.ConventionReceived),
			dateArg(e.TerminationReceived), e.OnChorus, e.LatePaymentRegime, e.PaymentTermDays, now, e.ID); err != nil {
			return fmt.Errorf("update establishment %s: %w", e.SIRET, err)
		}
		if err := s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "establishment", EntityID: e.ID, Action: "import", Reason: "modifié par l'import de " + res.File}); err != nil {
			return err
		}
	}
	ids, err := s.establishmentIDs(ctx, tx)
	if err != nil {
		return err
	}
	hc := s.newBatcher(tx, `INSERT INTO headcounts (establishment_id, year, headcount)`,
		`ON CONFLICT (establishment_id, year) DO UPDATE SET headcount = excluded.headcount`)
	for _, e := range records {
		old := existing[e.SIRET]
		for y, n := range e.Headcounts {
			if prev, ok := old.headcounts[y]; !ok || prev != n {
				if err := hc.add(ctx, ids[e.SIRET], y, n); err != nil {
					return fmt.Errorf("store headcounts: %w", err)
				}
			}
		}
	}
	if err := hc.flush(ctx); err != nil {
		return fmt.Errorf("store headcounts: %w", err)
	}
	return nil
}

// sameEstablishment compares what a file says with what the books hold; a
// headcount absent from the file leaves the stored one alone.
func sameEstablishment(old storedEstablishment, e Establishment) bool {
	if old.Name != e.Name || old.AddressLine1 != e.AddressLine1 || old.AddressLine2 != e.AddressLine2 ||
		old.Postcode != e.Postcode || old.City != e.City || old.Offer != e.Offer || old.Existing != e.Existing ||
		old.OnChorus != e.OnChorus || old.LatePaymentRegime != e.LatePaymentRegime || !sameTerm(old.PaymentTermDays, e.PaymentTermDays) ||
		!sameDate(old.ConventionReceived, e.ConventionReceived) || !sameDate(old.TerminationReceived, e.TerminationReceived) {
		return false
	}
	for y, n := range e.Headcounts {
		if prev, ok := old.headcounts[y]; !ok || prev != n {
			return false
		}
	}
	return true
}

func sameTerm(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly)
}

// dateArg binds an optional civil date.
func dateArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *nullDate(*t)
}

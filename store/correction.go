package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Corrections: what is owed for an establishment, year and kind, computed
// from today's facts, against what is invoiced (its invoices minus their
// credit notes). The worker finds the differences; the books keep each
// one found, applied at once or proposed to a human, and finalise the
// credit note or complementary invoice that settles it together with the
// record of why.

// CorrectionState is where a correction stands.
type CorrectionState string

// Correction states.
const (
	// CorrectionProposed waits for a human: the invoices it corrects had
	// left (delivered, paid, in a Chorus Pro workflow).
	CorrectionProposed CorrectionState = "proposed"
	// CorrectionApplied was issued: its credit note and/or complementary
	// invoice exist.
	CorrectionApplied CorrectionState = "applied"
	// CorrectionDismissed was refused by a human: the same difference on
	// the same invoices is not proposed again.
	CorrectionDismissed CorrectionState = "dismissed"
	// CorrectionSuperseded was proposed, then the facts or the invoices
	// changed again: a newer proposal (or none) replaces it.
	CorrectionSuperseded CorrectionState = "superseded"
)

// ErrCorrectionDecided refuses to act on a correction already applied,
// dismissed or superseded — or a difference already corrected by another
// worker at the same moment.
var ErrCorrectionDecided = errors.New("correction already decided")

// Correction is a difference between what is owed and what is invoiced for
// an establishment, year and kind.
type Correction struct {
	ID              int64
	EstablishmentID int64
	Year            int
	Kind            invoice.Kind
	// Basis names the documents counted as invoiced (their ids, in order):
	// a state of the books is corrected once.
	Basis string
	// InvoiceID is the invoice corrected: the year's invoice of its kind.
	InvoiceID int64
	// Owed and Invoiced are HT; OwedTTC and InvoicedTTC the same with VAT.
	Owed, Invoiced, OwedTTC, InvoicedTTC decimal.Decimal
	// Reason says, in French, which fact changed and what it changes.
	Reason       string
	State        CorrectionState
	CreditNoteID *int64
	ComplementID *int64
	CreatedAt    time.Time
	DecidedAt    *time.Time
	DecidedBy    string
	Comment      string
	// Read with the lists: the buyer and the invoice corrected.
	EstablishmentName, SIRET, InvoiceNumber, InvoiceState string
}

// Difference is owed minus invoiced, HT: negative when too much was billed.
func (c Correction) Difference() decimal.Decimal { return c.Owed.Sub(c.Invoiced) }

type correctionRow struct {
	ID              int64      `db:"id"`
	EstablishmentID int64      `db:"establishment_id"`
	Year            int        `db:"year"`
	Kind            string     `db:"kind"`
	Basis           string     `db:"basis"`
	InvoiceID       int64      `db:"invoice_id"`
	Owed            int64      `db:"owed_ht_cents"`
	Invoiced        int64      `db:"invoiced_ht_cents"`
	OwedTTC         int64      `db:"owed_ttc_cents"`
	InvoicedTTC     int64      `db:"invoiced_ttc_cents"`
	Reason          string     `db:"reason"`
	State           string     `db:"state"`
	CreditNoteID    *int64     `db:"credit_note_id"`
	ComplementID    *int64     `db:"complement_id"`
	CreatedAt       time.Time  `db:"created_at"`
	DecidedAt       *time.Time `db:"decided_at"`
	DecidedBy       string     `db:"decided_by"`
	Comment         string     `db:"comment"`
	Name            string     `db:"est_name"`
	SIRET           string     `db:"est_siret"`
	Number          string     `db:"inv_number"`
	InvState        string     `db:"inv_state"`
}

func (r correctionRow) correction() Correction {
	return Correction{ID: r.ID, EstablishmentID: r.EstablishmentID, Year: r.Year, Kind: invoice.Kind(r.Kind), Basis: r.Basis,
		InvoiceID: r.InvoiceID, Owed: fromCents(r.Owed), Invoiced: fromCents(r.Invoiced), OwedTTC: fromCents(r.OwedTTC),
		InvoicedTTC: fromCents(r.InvoicedTTC), Reason: r.Reason, State: CorrectionState(r.State), CreditNoteID: r.CreditNoteID,
		ComplementID: r.ComplementID, CreatedAt: r.CreatedAt.UTC(), DecidedAt: utcPtr(r.DecidedAt), DecidedBy: r.DecidedBy,
		Comment: r.Comment, EstablishmentName: r.Name, SIRET: r.SIRET, InvoiceNumber: r.Number, InvoiceState: r.InvState}
}

const correctionSelect = `SELECT c.id, c.establishment_id, c.year, c.kind, c.basis, c.invoice_id, c.owed_ht_cents, c.invoiced_ht_cents,
	c.owed_ttc_cents, c.invoiced_ttc_cents, c.reason, c.state, c.credit_note_id, c.complement_id, c.created_at, c.decided_at,
	c.decided_by, c.comment, e.name AS est_name, e.siret AS est_siret, i.number AS inv_number, i.state AS inv_state
	FROM corrections c JOIN establishments e ON e.id = c.establishment_id JOIN invoices i ON i.id = c.invoice_id`

func correctionArgs(c Correction) ([]any, error) {
	var cents [4]int64
	for i, a := range []decimal.Decimal{c.Owed, c.Invoiced, c.OwedTTC, c.InvoicedTTC} {
		v, err := toCents(a)
		if err != nil {
			return nil, fmt.Errorf("correction of establishment #%d: %w", c.EstablishmentID, err)
		}
		cents[i] = v
	}
	return []any{c.EstablishmentID, c.Year, string(c.Kind), c.Basis, c.InvoiceID, cents[0], cents[1], cents[2], cents[3], c.Reason}, nil
}

// Billed lists what is invoiced for an establishment, year and kind: its
// invoices of that kind in any state (the year's invoice, a replacement,
// complementary invoices, those cancelled) and the credit notes that
// correct any of them, with their lines, in finalisation order. Summing the
// invoices and subtracting the credit notes gives what is invoiced: a
// cancelled invoice and the credit note cancelling it make zero.
func (s *Store) Billed(ctx context.Context, establishmentID int64, year int, kind invoice.Kind) ([]Invoice, error) {
	var rows []invoiceRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT `+invoiceColumns+` FROM invoices
		WHERE establishment_id = ? AND year = ? AND (kind = ? OR (kind = ? AND original_invoice_id IN
			(SELECT id FROM invoices WHERE establishment_id = ? AND year = ? AND kind = ?)))
		ORDER BY id`), establishmentID, year, string(kind), string(invoice.KindCreditNote), establishmentID, year, string(kind))
	if err != nil {
		return nil, fmt.Errorf("invoiced %s %d of establishment #%d: %w", kind, year, establishmentID, err)
	}
	out := make([]Invoice, len(rows))
	for i, r := range rows {
		out[i] = r.invoice()
		if out[i].Lines, err = s.lines(ctx, s.db, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InvoicedEstablishments lists the establishments that have an invoice of
// a year and kind (in any state), by id: those a correction pass checks.
func (s *Store) InvoicedEstablishments(ctx context.Context, year int, kind invoice.Kind) ([]int64, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, s.rebind(`SELECT DISTINCT establishment_id FROM invoices WHERE year = ? AND kind = ? ORDER BY establishment_id`),
		year, string(kind)); err != nil {
		return nil, fmt.Errorf("establishments invoiced %s %d: %w", kind, year, err)
	}
	return ids, nil
}

// ProposeCorrection records a difference for a human to confirm. Pending
// proposals of the same establishment, year and kind that say something
// else are superseded. A difference already recorded on the same basis
// towards the same owed amount is returned as it is (created false) —
// dismissed, it stays dismissed.
func (s *Store) ProposeCorrection(ctx context.Context, c Correction) (Correction, bool, error) {
	args, err := correctionArgs(c)
	if err != nil {
		return Correction{}, false, err
	}
	var created bool
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE corrections SET state = ?, decided_at = ?, decided_by = 'chorusbill'
			WHERE establishment_id = ? AND year = ? AND kind = ? AND state = ? AND NOT (basis = ? AND owed_ht_cents = ?)`),
			string(CorrectionSuperseded), now, c.EstablishmentID, c.Year, string(c.Kind), string(CorrectionProposed), c.Basis, args[5]); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO corrections (establishment_id, year, kind, basis, invoice_id,
			owed_ht_cents, invoiced_ht_cents, owed_ttc_cents, invoiced_ttc_cents, reason, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (establishment_id, year, kind, basis, owed_ht_cents) DO NOTHING`), append(args, string(CorrectionProposed), now)...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		return nil
	})
	if err != nil {
		return Correction{}, false, fmt.Errorf("propose correction of %s %d for establishment #%d: %w", c.Kind, c.Year, c.EstablishmentID, err)
	}
	got, err := s.correctionWhere(ctx, "c.establishment_id = ? AND c.year = ? AND c.kind = ? AND c.basis = ? AND c.owed_ht_cents = ?",
		c.EstablishmentID, c.Year, string(c.Kind), c.Basis, args[5])
	return got, created, err
}

// SupersedeCorrections closes the pending proposals of an establishment,
// year and kind whose difference is gone (owed = invoiced again).
func (s *Store) SupersedeCorrections(ctx context.Context, establishmentID int64, year int, kind invoice.Kind) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE corrections SET state = ?, decided_at = ?, decided_by = 'chorusbill'
		WHERE establishment_id = ? AND year = ? AND kind = ? AND state = ?`),
		string(CorrectionSuperseded), s.timestamp(), establishmentID, year, string(kind), string(CorrectionProposed))
	if err != nil {
		return fmt.Errorf("supersede corrections of %s %d for establishment #%d: %w", kind, year, establishmentID, err)
	}
	return nil
}

// ApplyCorrection finalises the documents that settle a difference — a
// credit note, a complementary invoice, or both — and records the
// correction as applied, in one transaction: numbers are taken only with
// the record of why, and gap-free. c.ID zero records a new correction
// (applied at once); a refused insert means another worker corrected the
// same basis (ErrCorrectionDecided). A non-zero c.ID applies that
// proposal, which must still be pending (else ErrCorrectionDecided).
// It returns the correction and the documents, in the drafts' order.
func (s *Store) ApplyCorrection(ctx context.Context, c Correction, drafts []Draft, actor, comment string) (Correction, []Invoice, error) {
	if len(drafts) == 0 {
		return Correction{}, nil, fmt.Errorf("apply correction: nothing to issue")
	}
	for _, d := range drafts {
		if err := validateDraft(d); err != nil {
			return Correction{}, nil, err
		}
		if d.OriginalInvoiceID == nil {
			return Correction{}, nil, fmt.Errorf("apply correction: a %s must name the invoice it corrects", d.Kind)
		}
	}
	args, err := correctionArgs(c)
	if err != nil {
		return Correction{}, nil, err
	}
	ids := make([]int64, len(drafts))
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.timestamp()
		if c.ID == 0 {
			err := tx.GetContext(ctx, &c.ID, s.rebind(`INSERT INTO corrections (establishment_id, year, kind, basis, invoice_id,
				owed_ht_cents, invoiced_ht_cents, owed_ttc_cents, invoiced_ttc_cents, reason, state, created_at, decided_at, decided_by, comment)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), append(args, string(CorrectionApplied), now, now, actor, comment)...)
			if isUniqueViolation(err) {
				return ErrCorrectionDecided
			}
			if err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, s.rebind(`UPDATE corrections SET state = ?, decided_at = ?, decided_by = ?, comment = ?
				WHERE id = ? AND state = ?`), string(CorrectionApplied), now, actor, comment, c.ID, string(CorrectionProposed))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return ErrCorrectionDecided
			}
		}
		for i, d := range drafts {
			series, err := invoice.Series(d.Kind, d.IssueDate.Year())
			if err != nil {
				return err
			}
			seq, err := s.takeNumbers(ctx, tx, series, 1)
			if err != nil {
				return err
			}
			number, err := invoice.Number(series, seq)
			if err != nil {
				return err
			}
			if ids[i], err = s.insertInvoice(ctx, tx, d, invoice.ComputeTotals(d.Lines), series, seq, number); err != nil {
				return err
			}
			if err := s.insertLines(ctx, tx, ids[i], d.Lines); err != nil {
				return err
			}
			if err := s.insertStatement(ctx, tx, ids[i], d.Statement); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, auditEvent{Actor: d.Actor, Entity: "invoice", EntityID: ids[i], Action: "finalise",
				From: string(invoice.StateDraft), To: string(invoice.StateFinalised), Reason: number + " — correction #" + fmt.Sprint(c.ID)}); err != nil {
				return err
			}
			col := "complement_id"
			if d.Kind == invoice.KindCreditNote {
				col = "credit_note_id"
			}
			if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE corrections SET `+col+` = ? WHERE id = ?`), ids[i], c.ID); err != nil {
				return err
			}
		}
		why := c.Reason
		if comment != "" {
			why += " — commentaire : " + comment
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "correction", EntityID: c.ID, Action: "apply",
			From: string(CorrectionProposed), To: string(CorrectionApplied), Reason: why})
	})
	if errors.Is(err, ErrCorrectionDecided) {
		return Correction{}, nil, fmt.Errorf("correction of %s %d for establishment #%d: %w", c.Kind, c.Year, c.EstablishmentID, err)
	}
	if err != nil {
		return Correction{}, nil, fmt.Errorf("apply correction of %s %d for establishment #%d: %w", c.Kind, c.Year, c.EstablishmentID, err)
	}
	invs := make([]Invoice, len(ids))
	for i, id := range ids {
		if invs[i], err = s.InvoiceByID(ctx, id); err != nil {
			return Correction{}, nil, err
		}
	}
	got, err := s.CorrectionByID(ctx, c.ID)
	return got, invs, err
}

// DismissCorrection refuses a pending proposal, with the human's comment,
// audited. A correction no longer pending is ErrCorrectionDecided.
func (s *Store) DismissCorrection(ctx context.Context, id int64, actor, comment string) (Correction, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE corrections SET state = ?, decided_at = ?, decided_by = ?, comment = ?
			WHERE id = ? AND state = ?`), string(CorrectionDismissed), s.timestamp(), actor, comment, id, string(CorrectionProposed))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrCorrectionDecided
		}
		return s.audit(ctx, tx, auditEvent{Actor: actor, Entity: "correction", EntityID: id, Action: "dismiss",
			From: string(CorrectionProposed), To: string(CorrectionDismissed), Reason: comment})
	})
	if err != nil {
		return Correction{}, fmt.Errorf("dismiss correction #%d: %w", id, err)
	}
	return s.CorrectionByID(ctx, id)
}

// CorrectionByID reads one correction with its buyer and invoice.
func (s *Store) CorrectionByID(ctx context.Context, id int64) (Correction, error) {
	return s.correctionWhere(ctx, "c.id = ?", id)
}

func (s *Store) correctionWhere(ctx context.Context, where string, args ...any) (Correction, error) {
	var r correctionRow
	err := s.db.GetContext(ctx, &r, s.rebind(correctionSelect+` WHERE `+where), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Correction{}, fmt.Errorf("correction: %w", ErrNotFound)
	}
	if err != nil {
		return Correction{}, fmt.Errorf("read correction: %w", err)
	}
	return r.correction(), nil
}

// Corrections lists corrections in any of the states (all when none),
// newest first.
func (s *Store) Corrections(ctx context.Context, states ...CorrectionState) ([]Correction, error) {
	q := correctionSelect
	var args []any
	if len(states) > 0 {
		q += ` WHERE c.state IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	q += ` ORDER BY c.id DESC LIMIT 5000`
	var rows []correctionRow
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list corrections: %w", err)
	}
	out := make([]Correction, len(rows))
	for i, r := range rows {
		out[i] = r.correction()
	}
	return out, nil
}

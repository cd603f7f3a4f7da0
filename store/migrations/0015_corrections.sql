-- Corrections: what is owed, computed from today's facts, against what is
-- invoiced (invoices minus credit notes).

-- A complementary invoice bills what an invoice of the year billed short:
-- a contribution or overage that names the invoice it completes
-- (original_invoice_id) is not the year's one invoice of its kind.
DROP INDEX invoices_once_per_year;
CREATE UNIQUE INDEX invoices_once_per_year
    ON invoices (establishment_id, year, kind)
    WHERE kind IN ('contribution', 'overage') AND state <> 'cancelled' AND original_invoice_id IS NULL;
CREATE INDEX invoices_original ON invoices (original_invoice_id) WHERE original_invoice_id IS NOT NULL;

-- One row per difference found between owed and invoiced for an
-- establishment, year and kind, on a given state of its invoices (basis:
-- the ids of the documents counted). Applied at once when its invoices had
-- not left; proposed, for a human to confirm or dismiss, otherwise.
CREATE TABLE corrections (
    id                  {{ID}},
    establishment_id    BIGINT NOT NULL REFERENCES establishments (id),
    year                INTEGER NOT NULL,
    kind                TEXT NOT NULL,
    basis               TEXT NOT NULL,
    invoice_id          BIGINT NOT NULL REFERENCES invoices (id),
    owed_ht_cents       BIGINT NOT NULL,
    invoiced_ht_cents   BIGINT NOT NULL,
    owed_ttc_cents      BIGINT NOT NULL,
    invoiced_ttc_cents  BIGINT NOT NULL,
    reason              TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('proposed', 'applied', 'dismissed', 'superseded')),
    credit_note_id      BIGINT REFERENCES invoices (id),
    complement_id       BIGINT REFERENCES invoices (id),
    created_at          {{TIMESTAMP}} NOT NULL,
    decided_at          {{TIMESTAMP}},
    decided_by          TEXT NOT NULL DEFAULT '',
    comment             TEXT NOT NULL DEFAULT ''
);
-- A state of the books is corrected once, towards one owed amount: two
-- workers checking it at once apply (or propose) one correction.
CREATE UNIQUE INDEX corrections_once ON corrections (establishment_id, year, kind, basis, owed_ht_cents);
CREATE INDEX corrections_state ON corrections (state);

-- The usage statement (justificatif) of an overage invoice: every service
-- observed over the year, within its allowance or not, as finalised with the
-- invoice, so that its documents can be rendered again identically.
CREATE TABLE invoice_statement_rows (
    invoice_id    BIGINT NOT NULL REFERENCES invoices (id),
    position      INTEGER NOT NULL,
    code          TEXT NOT NULL,
    label         TEXT NOT NULL,
    unit          TEXT NOT NULL,
    observed      TEXT NOT NULL,
    allowance     TEXT NOT NULL,
    excess        TEXT NOT NULL,
    block_size    TEXT NOT NULL,
    blocks        BIGINT NOT NULL,
    unit_price    TEXT NOT NULL,
    amount_cents  BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

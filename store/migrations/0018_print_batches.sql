-- The print batches of postal invoices: which invoices each batch held, so
-- that marking a batch as mailed applies to exactly the invoices printed in
-- it, never to invoices the operator did not download. One file serves both
-- engines.
CREATE TABLE print_batches (
    id          {{ID}},
    created_at  {{TIMESTAMP}} NOT NULL,
    actor       TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    invoices    INTEGER NOT NULL CHECK (invoices > 0)
);

CREATE TABLE print_batch_invoices (
    batch_id    BIGINT NOT NULL REFERENCES print_batches (id),
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (batch_id, invoice_id)
);
CREATE INDEX print_batch_invoices_invoice ON print_batch_invoices (invoice_id);

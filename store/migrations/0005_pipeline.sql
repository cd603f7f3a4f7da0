-- What the queued pipeline needs from the books.

-- Every establishment a run looked at, with what came of it: the run's
-- progress and summary are counted here, so a task delivered twice counts once.
CREATE TABLE run_items (
    run_id            BIGINT NOT NULL REFERENCES billing_runs (id),
    establishment_id  BIGINT NOT NULL REFERENCES establishments (id),
    outcome           TEXT NOT NULL,
    invoice_id        BIGINT REFERENCES invoices (id),
    detail            TEXT NOT NULL DEFAULT '',
    updated_at        {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (run_id, establishment_id)
);

-- One run per year and kind, its invoices dated issue_date.
CREATE UNIQUE INDEX billing_runs_once ON billing_runs (year, kind);
ALTER TABLE billing_runs ADD COLUMN issue_date DATE;

-- A buyer-rejected invoice is cancelled by a credit note and replaced by a
-- new invoice: the once-per-year key ignores cancelled invoices, and the
-- replacement says which invoice it replaces.
DROP INDEX invoices_once_per_year;
CREATE UNIQUE INDEX invoices_once_per_year
    ON invoices (establishment_id, year, kind)
    WHERE kind IN ('contribution', 'overage') AND state <> 'cancelled';
ALTER TABLE invoices ADD COLUMN replaces_invoice_id BIGINT REFERENCES invoices (id);

-- An interest invoice bills the lateness of one payment of one invoice: at
-- most one per payment.
ALTER TABLE invoices ADD COLUMN interest_payment_id BIGINT REFERENCES payments (id);
CREATE UNIQUE INDEX invoices_interest_once ON invoices (interest_payment_id) WHERE interest_payment_id IS NOT NULL;
-- A credit note that cancels a whole invoice says so: at most one does.
ALTER TABLE invoices ADD COLUMN cancels_invoice_id BIGINT REFERENCES invoices (id);
CREATE UNIQUE INDEX invoices_cancelled_once ON invoices (cancels_invoice_id) WHERE cancels_invoice_id IS NOT NULL;
-- A rejected invoice is replaced at most once.
CREATE UNIQUE INDEX invoices_replaced_once ON invoices (replaces_invoice_id) WHERE replaces_invoice_id IS NOT NULL;

-- Why an invoice waits or was rejected, for the finance team's work lists.
ALTER TABLE invoices ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN paid_on DATE;

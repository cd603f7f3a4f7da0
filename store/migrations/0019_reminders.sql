-- Reminders (relances) of overdue invoices (issue 16).

-- One row per reminder letter sent: the step (1 for the first reminder),
-- the days after the due date it stood for when sent (the configured
-- steps may change later), the day it went out, who recorded it, and the
-- credited and paid amounts the letter stated (so that it can be printed
-- again as it was sent). A step goes out once per invoice.
CREATE TABLE reminders (
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    step        INTEGER NOT NULL CHECK (step >= 1),
    days        INTEGER NOT NULL CHECK (days >= 1),
    sent_on     DATE NOT NULL,
    credited_cents  BIGINT NOT NULL CHECK (credited_cents >= 0),
    paid_cents      BIGINT NOT NULL CHECK (paid_cents >= 0),
    actor       TEXT NOT NULL,
    at          {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (invoice_id, step)
);

-- Reminders paused for an invoice by finance (a dispute, a payment
-- announced…): one row while paused; resuming deletes it. Both are in the
-- audit trail.
CREATE TABLE reminder_pauses (
    invoice_id  BIGINT PRIMARY KEY REFERENCES invoices (id),
    paused_by   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          {{TIMESTAMP}} NOT NULL
);

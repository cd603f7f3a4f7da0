-- Reminders (relances) of overdue invoices (issue 16).

-- One row per reminder letter sent: the step (1 for the first reminder),
-- the days after the due date it stood for when sent (the configured
-- steps may change later), the day it went out, and who recorded it. A
-- step goes out once per invoice.
CREATE TABLE reminders (
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    step        INTEGER NOT NULL CHECK (step >= 1),
    days        INTEGER NOT NULL CHECK (days >= 1),
    sent_on     DATE NOT NULL,
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

-- The books. One schema for PostgreSQL and SQLite: {{ID}}, {{BLOB}} and
-- {{TIMESTAMP}} are replaced per engine by the migration runner. Money is
-- stored in integer cents (exact and summable in SQL on both engines);
-- quantities, unit prices and rates as decimal strings (exact, never floats).

CREATE TABLE establishments (
    id                    {{ID}},
    siret                 TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    address_line1         TEXT NOT NULL DEFAULT '',
    address_line2         TEXT NOT NULL DEFAULT '',
    postcode              TEXT NOT NULL DEFAULT '',
    city                  TEXT NOT NULL DEFAULT '',
    offer                 TEXT NOT NULL CHECK (offer IN ('bouquet', 'teletransmission')),
    existing_user         BOOLEAN NOT NULL DEFAULT FALSE,
    convention_received   DATE,
    termination_received  DATE,
    on_chorus             BOOLEAN NOT NULL DEFAULT TRUE,
    late_payment_regime   TEXT NOT NULL DEFAULT 'legal' CHECK (late_payment_regime IN ('legal', 'procurement')),
    created_at            {{TIMESTAMP}} NOT NULL,
    updated_at            {{TIMESTAMP}} NOT NULL,
    CHECK (existing_user OR convention_received IS NOT NULL)
);

CREATE TABLE headcounts (
    establishment_id  BIGINT NOT NULL REFERENCES establishments (id),
    year              INTEGER NOT NULL,
    headcount         INTEGER NOT NULL CHECK (headcount >= 0),
    PRIMARY KEY (establishment_id, year)
);

CREATE TABLE buyer_references (
    establishment_id  BIGINT NOT NULL REFERENCES establishments (id),
    year              INTEGER NOT NULL,
    code_service      TEXT NOT NULL DEFAULT '',
    engagement        TEXT NOT NULL DEFAULT '',
    updated_at        {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (establishment_id, year)
);

CREATE TABLE usage_quantities (
    establishment_id  BIGINT NOT NULL REFERENCES establishments (id),
    year              INTEGER NOT NULL,
    service           TEXT NOT NULL,
    quantity          TEXT NOT NULL,
    updated_at        {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (establishment_id, year, service)
);

-- One row per numbering series, locked by the transaction that takes a number.
CREATE TABLE invoice_counters (
    series  TEXT PRIMARY KEY,
    last    BIGINT NOT NULL CHECK (last >= 0)
);

CREATE TABLE billing_runs (
    id           {{ID}},
    year         INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    started_at   {{TIMESTAMP}} NOT NULL,
    finished_at  {{TIMESTAMP}},
    enqueued     INTEGER NOT NULL DEFAULT 0,
    issued       INTEGER NOT NULL DEFAULT 0,
    free         INTEGER NOT NULL DEFAULT 0,
    nothing_due  INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE invoices (
    id                   {{ID}},
    kind                 TEXT NOT NULL CHECK (kind IN ('contribution', 'overage', 'interest', 'credit_note')),
    series               TEXT NOT NULL,
    seq                  BIGINT NOT NULL,
    number               TEXT NOT NULL UNIQUE,
    year                 INTEGER NOT NULL,
    establishment_id     BIGINT NOT NULL REFERENCES establishments (id),
    run_id               BIGINT REFERENCES billing_runs (id),
    issue_date           DATE NOT NULL,
    due_date             DATE NOT NULL,
    period_start         DATE,
    period_end           DATE,
    total_ht_cents       BIGINT NOT NULL,
    total_vat_cents      BIGINT NOT NULL,
    total_ttc_cents      BIGINT NOT NULL,
    state                TEXT NOT NULL,
    channel              TEXT NOT NULL DEFAULT '',
    code_service         TEXT NOT NULL DEFAULT '',
    engagement           TEXT NOT NULL DEFAULT '',
    chorus_flow_number   TEXT NOT NULL DEFAULT '',
    chorus_invoice_id    BIGINT,
    chorus_status        TEXT NOT NULL DEFAULT '',
    original_invoice_id  BIGINT REFERENCES invoices (id),
    late_payment_regime  TEXT NOT NULL DEFAULT 'legal',
    note                 TEXT NOT NULL DEFAULT '',
    finalised_at         {{TIMESTAMP}} NOT NULL,
    updated_at           {{TIMESTAMP}} NOT NULL,
    UNIQUE (series, seq)
);

-- An establishment is billed at most once per year for its contribution and
-- for its overage: enforced here, not only by code.
CREATE UNIQUE INDEX invoices_once_per_year
    ON invoices (establishment_id, year, kind)
    WHERE kind IN ('contribution', 'overage');
CREATE INDEX invoices_state ON invoices (state);
CREATE INDEX invoices_year ON invoices (year, kind);

CREATE TABLE invoice_lines (
    invoice_id      BIGINT NOT NULL REFERENCES invoices (id),
    position        INTEGER NOT NULL,
    code            TEXT NOT NULL,
    label           TEXT NOT NULL,
    quantity        TEXT NOT NULL,
    unit            TEXT NOT NULL,
    unit_price      TEXT NOT NULL,
    base_quantity   TEXT NOT NULL,
    amount_cents    BIGINT NOT NULL,
    vat_category    TEXT NOT NULL,
    vat_rate        TEXT NOT NULL,
    vat_mention     TEXT NOT NULL DEFAULT '',
    usage_observed  TEXT,
    usage_allowance TEXT,
    usage_excess    TEXT,
    usage_block     TEXT,
    usage_blocks    BIGINT,
    PRIMARY KEY (invoice_id, position)
);

CREATE TABLE documents (
    id          {{ID}},
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    format      TEXT NOT NULL,
    content     {{BLOB}},
    path        TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    created_at  {{TIMESTAMP}} NOT NULL,
    UNIQUE (invoice_id, format)
);

CREATE TABLE payments (
    id            {{ID}},
    invoice_id    BIGINT NOT NULL REFERENCES invoices (id),
    paid_on       DATE NOT NULL,
    amount_cents  BIGINT NOT NULL CHECK (amount_cents > 0),
    source        TEXT NOT NULL,
    reference     TEXT NOT NULL DEFAULT '',
    created_at    {{TIMESTAMP}} NOT NULL,
    UNIQUE (invoice_id, paid_on, amount_cents, reference)
);

-- Append-only: every state change of an invoice (and every operator action),
-- written in the transaction that makes the change.
CREATE TABLE audit_events (
    id          {{ID}},
    at          {{TIMESTAMP}} NOT NULL,
    actor       TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL DEFAULT '',
    to_state    TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id);

-- What chorusbill keeps of Chorus Pro itself, beside the invoices (issue 15).

-- The bulk tracking's high-water mark: every status change Chorus Pro dated
-- before cursor_at has been applied to the books. One row.
CREATE TABLE chorus_sweep (
    one        INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1),
    cursor_at  {{TIMESTAMP}} NOT NULL,
    swept_at   {{TIMESTAMP}} NOT NULL,
    pages      INTEGER NOT NULL DEFAULT 0,
    found      INTEGER NOT NULL DEFAULT 0
);

-- Buyers' directory entries (structures/v1/rechercher and consulter, and
-- their services once needed), kept for a while: a yearly run looks each
-- buyer up once for all its invoices and all the workers, not once per
-- invoice and per worker. data is the JSON of chorus.Buyer.
CREATE TABLE chorus_buyers (
    siret       TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    fetched_at  {{TIMESTAMP}} NOT NULL
);

-- Deliveries paused because Chorus Pro refused the configuration (PISTE
-- application not subscribed: 403; credentials refused: 401): every
-- deposit would fail the same way, and none is the invoice's fault. One
-- row while paused; tried_at is the last call that tried again.
CREATE TABLE chorus_pause (
    one       INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1),
    reason    TEXT NOT NULL,
    since     {{TIMESTAMP}} NOT NULL,
    tried_at  {{TIMESTAMP}} NOT NULL
);

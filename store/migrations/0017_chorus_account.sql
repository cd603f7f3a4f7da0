-- What the books know of the Chorus Pro technical account: the day its
-- password expires (it lasts 424 days, and an expired one fails every call),
-- when that was last read, and from where (Chorus Pro's
-- dateExpirationMotPasseCompteTech, read by the worker's daily check). One
-- row, replaced at each check; the dashboard and the metrics warn from it.
-- One file serves both engines: DATE and the timestamp token are common.
CREATE TABLE chorus_account (
    one         INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1),
    expires_on  DATE NOT NULL,
    checked_at  {{TIMESTAMP}} NOT NULL,
    source      TEXT NOT NULL
);

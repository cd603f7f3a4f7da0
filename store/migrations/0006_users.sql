-- The dashboard's local users and their sessions.
--
-- Sessions are kept server-side: a cookie carries only a random token, the
-- books keep its SHA-256, so disabling a user or changing a password ends
-- that user's sessions at once, every dashboard instance sees the same
-- sessions, and a stolen database holds no usable token.
CREATE TABLE users (
    id             {{ID}},
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('viewer', 'operator')),
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     {{TIMESTAMP}} NOT NULL,
    updated_at     {{TIMESTAMP}} NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    created_at    {{TIMESTAMP}} NOT NULL,
    last_seen_at  {{TIMESTAMP}} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

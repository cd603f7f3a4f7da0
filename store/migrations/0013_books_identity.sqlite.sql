-- The identity of these books: see 0013_books_identity.postgres.sql. SQLite
-- has no UUID function: a version 4 UUID is spelt from randomblob (the
-- version nibble 4, the variant nibble one of 8, 9, a, b).
CREATE TABLE books_identity (
    one  INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1),
    uuid TEXT NOT NULL
);
INSERT INTO books_identity (one, uuid) VALUES (1,
    lower(hex(randomblob(4))) || '-' ||
    lower(hex(randomblob(2))) || '-4' ||
    substr(lower(hex(randomblob(2))), 2) || '-' ||
    substr('89ab', 1 + (abs(random()) % 4), 1) ||
    substr(lower(hex(randomblob(2))), 2) || '-' ||
    lower(hex(randomblob(6))));

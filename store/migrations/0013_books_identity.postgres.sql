-- The identity of these books: a UUID drawn once, when the books are made
-- (or when this step upgrades them). Every queued task carries it, and a
-- worker refuses a task of other books: two deployments sharing one Redis
-- database must not run each other's tasks, whose bare row ids would name
-- rows of the wrong books. One row, never changed; a copy of the database
-- (a restored backup) carries the same identity.
CREATE TABLE books_identity (
    one  INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1),
    uuid TEXT NOT NULL
);
INSERT INTO books_identity (one, uuid) VALUES (1, gen_random_uuid()::text);

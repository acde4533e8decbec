-- no-transaction
--
-- Account ids are never given out twice. Without AUTOINCREMENT, SQLite
-- reuses the largest id after that account is deleted, and a browser's
-- device cookie signed for the deleted account (`accounts::device`) would
-- then count as a trusted browser of the next one. The table is made again
-- with AUTOINCREMENT (SQLite's documented way to change a table:
-- foreign-key enforcement off, so that dropping the old table does not
-- cascade into sessions and the other tables that refer to it).
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE users_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    email             TEXT    NOT NULL,
    email_key         TEXT    NOT NULL,
    password_hash     TEXT    NOT NULL,
    display_name      TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at        INTEGER NOT NULL DEFAULT (unixepoch()),
    email_key_version INTEGER NOT NULL DEFAULT 1,
    email_verified_at INTEGER,
    CHECK (email_key = lower(email_key))
) STRICT;

INSERT INTO users_new (id, email, email_key, password_hash, display_name, created_at,
                       updated_at, email_key_version, email_verified_at)
SELECT id, email, email_key, password_hash, display_name, created_at,
       updated_at, email_key_version, email_verified_at
FROM users;

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_email_key ON users (email_key);

COMMIT;

PRAGMA foreign_keys = ON;

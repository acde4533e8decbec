-- People who have an account.
--
-- `email` is kept as the user typed it (trimmed) for display and mail.
-- `email_key` is its lower-cased form, made by the application with full
-- Unicode case folding (SQLite's lower() folds only ASCII); the unique index
-- on it makes addresses unique regardless of case.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at    INTEGER NOT NULL DEFAULT (unixepoch()),
    CHECK (email_key = lower(email_key))
) STRICT;

CREATE UNIQUE INDEX users_email_key ON users (email_key);

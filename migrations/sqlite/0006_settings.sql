-- What the settings page shows of each session (the browser's user agent
-- and IP when it signed in), and when its user last entered their
-- password in it: changing the email, ending sessions and deleting the
-- account need that to be recent ("sudo mode").
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;

-- One-time links gain a third purpose, `email_change`: the link mailed to
-- a new address, whose use makes it the account's address. `email` is
-- then the new address. SQLite cannot alter a CHECK, so the table is made
-- again with the same rows.
CREATE TABLE email_tokens_new (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('verify', 'reset', 'email_change')),
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;

INSERT INTO email_tokens_new SELECT * FROM email_tokens;
DROP TABLE email_tokens;
ALTER TABLE email_tokens_new RENAME TO email_tokens;

CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose, created_at);
CREATE INDEX email_tokens_expires_at ON email_tokens (expires_at);

-- One-time links gain two purposes: `login`, a link mailed on request from
-- the log-in page, whose use signs that browser in (valid 15 minutes); and
-- `link_identity`, the proof that an account's owner wants to sign in to
-- it through an external provider whose identity claims its address
-- (valid 15 minutes, and only in the browser that signed in there). SQLite cannot alter a CHECK, so the table is made again with
-- the same rows.
CREATE TABLE email_tokens_new (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE,
    purpose     TEXT    NOT NULL
        CHECK (purpose IN ('verify', 'reset', 'email_change', 'email_change_cancel', 'login',
                           'link_identity')),
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

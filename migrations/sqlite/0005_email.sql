-- When the user proved the address is theirs (a verification link used,
-- or a password reset through a link mailed to it); NULL until then.
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;

-- One-time links mailed to a user: `verify` (the address is theirs) and
-- `reset` (choose a new password). Only the SHA-256 of the 256-bit token
-- is kept. `email` is the address the link went to: a verification only
-- counts while it is still the account's address.
CREATE TABLE email_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('verify', 'reset')),
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;

CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose, created_at);
CREATE INDEX email_tokens_expires_at ON email_tokens (expires_at);

-- Mail waiting to be sent, written in the same transaction as the action
-- that causes it. A sender claims due rows (`claimed_until`), delivers
-- them over SMTP and marks them sent; a failure is retried with back-off
-- (`next_attempt_at`) until `failed_at`.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_created_at ON outbox (created_at);

-- Sign-ups waiting for their address to be confirmed (SIGNUP_MODE =
-- verify-first): the account is made only when the mailed link is used.
-- The password is kept as its argon2id hash, the link as its SHA-256.
CREATE TABLE pending_signups (
    id            INTEGER PRIMARY KEY,
    token_hash    BLOB    NOT NULL UNIQUE,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX pending_signups_email_key ON pending_signups (email_key, created_at);
CREATE INDEX pending_signups_expires_at ON pending_signups (expires_at);

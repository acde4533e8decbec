-- A second factor: an authenticator app (TOTP) and recovery codes, and the
-- log-ins waiting for that factor.
--
-- The TOTP secret is sealed (AES-256-GCM with the server's seal key, which
-- is not in this database, bound to the account's id), so a copy of the
-- database alone cannot produce codes. `enabled_at` is NULL while the
-- person is still setting it up; such a set-up belongs to the session
-- that started it (`setup_session_id`), and only that session sees its
-- secret or turns it on. `last_step` is the newest 30-second step whose
-- code was accepted: a code is accepted once.
CREATE TABLE totp_secrets (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret    BLOB    NOT NULL,
    created_at       INTEGER NOT NULL,
    setup_session_id INTEGER,
    enabled_at       INTEGER,
    last_step        INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Each code works once; only its SHA-256 is kept (the codes carry 120 bits,
-- so a plain hash is enough, ASVS 5.0 6.5.2).
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BLOB    NOT NULL CHECK (length(code_hash) = 32),
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    UNIQUE (user_id, code_hash)
) STRICT;

-- A log-in whose password was right and that waits for the second factor:
-- bound to the browser by a cookie holding the token (only its SHA-256 is
-- kept), short-lived, and removed when it signs in.
CREATE TABLE pending_logins (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    persistent INTEGER NOT NULL CHECK (persistent IN (0, 1)),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX pending_logins_user ON pending_logins (user_id);
CREATE INDEX pending_logins_expires_at ON pending_logins (expires_at);

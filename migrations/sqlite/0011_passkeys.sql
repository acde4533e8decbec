-- Passkeys (WebAuthn): log-in without a password, and sudo mode.
--
-- Each account that adds a passkey gets a random user handle, which the
-- authenticator keeps with the credential and gives back at log-in: it
-- names the account without its id or address.
CREATE TABLE passkey_handles (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle  BLOB    NOT NULL UNIQUE CHECK (length(handle) = 16)
) STRICT;

-- A registered passkey: its credential id (unique across the site), the
-- name its owner gave it, and the public key with its signature counter
-- as webauthn-rs keeps them (JSON). Nothing here signs anything.
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BLOB    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    credential    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) STRICT;

CREATE INDEX passkeys_user ON passkeys (user_id);

-- A ceremony between its two requests: the challenge the browser must
-- sign and what it is for, named by a random token the browser holds
-- (only its SHA-256 is kept). Single use, five minutes. A registration or
-- a sudo check belongs to the session that started it (`session_id`);
-- a log-in to nobody yet.
CREATE TABLE passkey_ceremonies (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('register', 'log-in', 'sudo')),
    session_id INTEGER NOT NULL DEFAULT 0,
    state      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX passkey_ceremonies_expires_at ON passkey_ceremonies (expires_at);

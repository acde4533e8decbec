-- Signing in through external OpenID Connect providers.

-- An identity at a provider (`provider` is its short name in
-- OIDC_PROVIDERS, `subject` the provider's `sub` for the person) that
-- signs in to an account. `email` is the address the provider gave when
-- it was linked, for the settings page.
CREATE TABLE external_identities (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    UNIQUE (provider, subject)
) STRICT;

CREATE INDEX external_identities_user ON external_identities (user_id);

-- A sign-in sent to a provider and not back yet: found by the SHA-256 of
-- its `state`, and only with the cookie of the browser that started it
-- (`browser_hash`, its SHA-256). Used once; lives 10 minutes. `user_id` is
-- the signed-in account that asked to link the identity, if one did, or
-- (`confirm` = 1) to confirm it is them by signing in there again.
CREATE TABLE external_requests (
    id            INTEGER PRIMARY KEY,
    state_hash    BLOB    NOT NULL UNIQUE,
    browser_hash  BLOB    NOT NULL,
    provider      TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    user_id       INTEGER REFERENCES users (id) ON DELETE CASCADE,
    confirm       INTEGER NOT NULL DEFAULT 0 CHECK (confirm IN (0, 1)),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX external_requests_expires_at ON external_requests (expires_at);

-- An identity back from its provider that is not linked to an account
-- yet, held for the browser whose cookie's SHA-256 is `token_hash`: a new
-- person accepting their name and address, or (`user_id`) the owner of the
-- account whose address it claims proving that the account is theirs;
-- `proof_hash` is the SHA-256 of the link mailed for that proof, which
-- works for this identity only. Lives 30 minutes.
CREATE TABLE pending_identities (
    id             INTEGER PRIMARY KEY,
    token_hash     BLOB    NOT NULL UNIQUE,
    provider       TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    email_verified INTEGER NOT NULL CHECK (email_verified IN (0, 1)),
    display_name   TEXT    NOT NULL,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    proof_hash     BLOB,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX pending_identities_expires_at ON pending_identities (expires_at);

-- Whether a sign-in through a linked provider still asks for the account's
-- second factor (1, the default), or the person chose in settings to
-- trust the provider's sign-in for both (0).
ALTER TABLE users ADD COLUMN external_second_factor INTEGER NOT NULL DEFAULT 1
    CHECK (external_second_factor IN (0, 1));

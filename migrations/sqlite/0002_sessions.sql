-- Signed-in browsers. The cookie holds a random token; only its SHA-256
-- is stored here. A session ends at `expires_at` (absolute lifetime) or
-- after the configured idle time since `last_seen_at`, whichever is first.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    persistent   INTEGER NOT NULL CHECK (persistent IN (0, 1)),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Consecutive failed log-ins per email address, whether or not an account
-- has it (so the answers reveal nothing about which addresses exist).
-- Cleared by a successful log-in.
CREATE TABLE login_failures (
    email_key       TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
) STRICT;

-- Token buckets for request rates (e.g. "ip:203.0.113.7"), kept in the
-- database so that every server instance shares them.
CREATE TABLE rate_buckets (
    key          TEXT    PRIMARY KEY,
    tokens       REAL    NOT NULL,
    updated_at   REAL    NOT NULL,
    last_allowed INTEGER NOT NULL
) STRICT;

-- Security-relevant events, shown to users as "Recent activity".
-- Never holds passwords or tokens.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL DEFAULT (unixepoch()),
    kind       TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    ip         TEXT    NOT NULL,
    user_agent TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_events_user_id ON audit_events (user_id, id);

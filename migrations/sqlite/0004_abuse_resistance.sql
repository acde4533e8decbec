-- Log-in attempts, counted before the password is checked, per subject:
-- `address:<email key>` for browsers that have not signed in to the
-- account before (whether or not the address has an account),
-- `device:<user id>:<nonce>` for a browser with a device cookie.
-- `failures` is the number of consecutive attempts not yet followed by a
-- success; `reported_at` is when the last refusal was audited, so that a
-- flood of refused attempts is recorded once per window.
CREATE TABLE login_attempts (
    key             TEXT    PRIMARY KEY CHECK (length(key) <= 400),
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    reported_at     INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX login_attempts_last_failure_at ON login_attempts (last_failure_at);

INSERT INTO login_attempts (key, failures, last_failure_at)
SELECT 'address:' || email_key, failures, last_failure_at
FROM login_failures
WHERE length(email_key) <= 254;

DROP TABLE login_failures;

-- Consecutive refusals of each bucket: the first one is audited, the rest
-- of the window is not.
ALTER TABLE rate_buckets ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
CREATE INDEX rate_buckets_updated_at ON rate_buckets (updated_at);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);

-- Keys the server makes for itself once, shared by every instance through
-- the database (the device-cookie signing key).
CREATE TABLE server_keys (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- Email keys are re-made by the application at start-up (NFC, Unicode case
-- folding, IDNA domains): see `server::db::rekey_emails`. Rows made under
-- the old rule are marked until then.
ALTER TABLE users ADD COLUMN email_key_version INTEGER NOT NULL DEFAULT 1;

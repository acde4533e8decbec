-- Who did what the audit trail records: the account's own browser ('user',
-- every earlier event) or the site's operator through the admin command
-- line ('operator'). The same change as migrations/sqlite/0008.
ALTER TABLE audit_events ADD COLUMN actor TEXT NOT NULL DEFAULT 'user'
    CHECK (actor IN ('user', 'operator'));

-- One-time links gain a fifth purpose, `login`: a link mailed on request
-- from the log-in page, whose use signs that browser in (valid 15
-- minutes). The same change as migrations/sqlite/0012.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify', 'reset', 'email_change', 'email_change_cancel', 'login'));

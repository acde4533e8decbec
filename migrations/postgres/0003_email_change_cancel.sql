-- One-time links gain a fourth purpose, `email_change_cancel`: the link in
-- the notice to an account's current address when a change of address is
-- asked for, whose use cancels the change. The same change as
-- migrations/sqlite/0009.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify', 'reset', 'email_change', 'email_change_cancel'));

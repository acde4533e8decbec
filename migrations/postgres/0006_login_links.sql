-- One-time links gain two purposes: `login`, a link mailed on request from
-- the log-in page, whose use signs that browser in (valid 15 minutes); and
-- `link_identity`, the proof that an account's owner wants to sign in to
-- it through an external provider whose identity claims its address
-- (valid 15 minutes, and only in the browser that signed in there). The
-- same change as migrations/sqlite/0012.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify', 'reset', 'email_change', 'email_change_cancel', 'login',
                       'link_identity'));

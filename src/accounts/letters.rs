//! The mail the product sends: each message's subject and text, and its
//! HTML made from the same lines. Messages carry the product's name and
//! links on the public origin, and never a secret other than their
//! one-time link. The outbox ([`super::mail`]) keeps and sends them.

pub mod second_factor;
mod settled;
mod sign_in;

pub use settled::without_link_tokens;

use super::email::mask_address;
use crate::brand::SITE_NAME;

/// What a mail is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    VerifyEmail,
    ResetPassword,
    PasswordChanged,
    SignUpAttempted,
    ConfirmEmailChange,
    EmailChanged,
    EmailChangeRequested,
    AccountDeleted,
    SecondFactorChanged,
    LoginLink,
    LinkIdentity,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::PasswordChanged => "password_changed",
            Self::SignUpAttempted => "sign_up_attempted",
            Self::ConfirmEmailChange => "confirm_email_change",
            Self::EmailChanged => "email_changed",
            Self::EmailChangeRequested => "email_change_requested",
            Self::AccountDeleted => "account_deleted",
            Self::SecondFactorChanged => "second_factor_changed",
            Self::LoginLink => "login_link",
            Self::LinkIdentity => "link_identity",
        }
    }

    /// Whether this mail tells the owner that their account changed. Such
    /// notices follow the owner's own action (or an intruder's, which is
    /// why they matter), so the budgets for unsolicited mail never drop
    /// them.
    pub fn is_security_notice(self) -> bool {
        matches!(
            self,
            Self::PasswordChanged
                | Self::EmailChanged
                | Self::EmailChangeRequested
                | Self::AccountDeleted
                | Self::SecondFactorChanged
        )
    }
}

/// One message, ready for the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub kind: Kind,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Writes messages addressed to users; links point at `origin`.
#[derive(Clone, Debug)]
pub struct Letters {
    origin: String,
}

impl Letters {
    /// `origin` is the public origin (`APP_ORIGIN`), without a trailing `/`.
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.trim_end_matches('/').to_owned(),
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The link that proves `to` belongs to the account (valid 24 hours).
    pub fn verify_email(&self, to: &str, token: &str) -> Mail {
        let link = format!("{}/verify-email?token={token}", self.origin);
        let subject = format!("Confirm your email address for {SITE_NAME}");
        let lines = [
            format!("Please confirm that {to} is the email address of your {SITE_NAME} account."),
            "Open this link within 24 hours, then press \"Confirm my email address\":".to_owned(),
        ];
        let after = "If you did not create an account, you can ignore this message.";
        self.letter(Kind::VerifyEmail, to, subject, &lines, Some(&link), after)
    }

    /// The link that starts an account for `to` (valid 24 hours), when
    /// accounts start only once their address is confirmed.
    pub fn confirm_sign_up(&self, to: &str, token: &str) -> Mail {
        let link = format!("{}/verify-email?token={token}", self.origin);
        let subject = format!("Confirm your email address for {SITE_NAME}");
        let lines = [
            format!("Someone, hopefully you, signed up for {SITE_NAME} with {to}."),
            "To start your account, open this link within 24 hours, then press \"Confirm my \
             email address\":"
                .to_owned(),
        ];
        let after = "If you did not sign up, ignore this message: no account is made.";
        self.letter(Kind::VerifyEmail, to, subject, &lines, Some(&link), after)
    }

    /// The notice to an owner that someone tried to sign up with their
    /// address.
    pub fn sign_up_attempted(&self, to: &str) -> Mail {
        let subject = format!("Someone tried to sign up for {SITE_NAME} with your address");
        let lines = [format!(
            "Someone tried to sign up for {SITE_NAME} with {to}, which already has an account. \
             No new account was made and yours is unchanged."
        )];
        let after = format!(
            "If it was you, log in at {0}/login; if you forgot your password, choose a new one \
             at {0}/forgot-password. If it was not you, there is nothing to do.",
            self.origin
        );
        self.letter(Kind::SignUpAttempted, to, subject, &lines, None, &after)
    }

    /// The link to choose a new password (valid 1 hour).
    pub fn reset_password(&self, to: &str, token: &str) -> Mail {
        let link = format!("{}/reset-password?token={token}", self.origin);
        let subject = format!("Reset your {SITE_NAME} password");
        let lines = [
            format!(
                "Someone, hopefully you, asked to reset the password of the {SITE_NAME} account \
                 for {to}."
            ),
            "To choose a new password, open this link within 1 hour:".to_owned(),
        ];
        let after = "If you did not ask for this, ignore this message: your password stays as it \
                     is, and nobody can use this link without access to your mail.";
        self.letter(Kind::ResetPassword, to, subject, &lines, Some(&link), after)
    }

    /// The notice that the password changed, sent to the account's address.
    pub fn password_changed(&self, to: &str, at: &str) -> Mail {
        let subject = format!("Your {SITE_NAME} password was changed");
        let lines = [format!(
            "The password of your {SITE_NAME} account ({to}) was changed on {at}. Every other \
             browser signed in to it was signed out."
        )];
        let after = format!(
            "If this was you, there is nothing to do. If it was not, reset your password now at \
             {}/forgot-password and check the recent activity on your profile.",
            self.origin
        );
        self.letter(Kind::PasswordChanged, to, subject, &lines, None, &after)
    }

    /// The link that makes `to` the account's new address (valid 24
    /// hours), sent to that new address; it names the account that asked
    /// (`account`, its current address), partly hidden.
    pub fn confirm_email_change(&self, to: &str, token: &str, account: &str) -> Mail {
        let link = format!("{}/confirm-email?token={token}", self.origin);
        let subject = format!("Confirm your new email address for {SITE_NAME}");
        let lines = [
            format!(
                "Someone signed in to the {SITE_NAME} account {}, hopefully you, asked to use \
                 {to} as its email address.",
                mask_address(account)
            ),
            "To make the change, open this link within 24 hours, then press \"Use this email \
             address\":"
                .to_owned(),
        ];
        let after = "If you did not ask for this, ignore this message: nothing changes.";
        self.letter(
            Kind::ConfirmEmailChange,
            to,
            subject,
            &lines,
            Some(&link),
            after,
        )
    }

    /// The notice to the account's address that someone signed in to it
    /// asked to move it to `new_email` (partly hidden), with the link that
    /// cancels the change (valid as long as the change's own link).
    pub fn email_change_requested(&self, to: &str, new_email: &str, at: &str, token: &str) -> Mail {
        let link = format!("{}/cancel-email-change?token={token}", self.origin);
        let subject = format!("A change of your {SITE_NAME} email address was asked for");
        let lines = [
            format!(
                "On {at}, someone signed in to your {SITE_NAME} account ({to}) asked to change \
                 its email address to {}. It changes only if the link mailed there is opened \
                 within 24 hours.",
                mask_address(new_email)
            ),
            "If this was not you, cancel the change: open this link, then press \"Cancel the \
             change\":"
                .to_owned(),
        ];
        let after = format!(
            "If this was you, there is nothing to do. If it was not, someone knows your password \
             or is signed in as you: log in at {}/login, change your password, which also signs \
             out every other browser, and check the recent activity on your profile.",
            self.origin
        );
        self.letter(
            Kind::EmailChangeRequested,
            to,
            subject,
            &lines,
            Some(&link),
            &after,
        )
    }

    /// The notice to the old address that the account now uses another
    /// one, partly hidden (`n•••@example.org`).
    pub fn email_changed(&self, to: &str, new_email: &str, at: &str) -> Mail {
        let subject = format!("Your {SITE_NAME} email address was changed");
        let lines = [format!(
            "The email address of your {SITE_NAME} account was changed from {to} to {} on {at}. \
             Mail about the account now goes there.",
            mask_address(new_email)
        )];
        let after = format!(
            "If this was you, there is nothing to do. If it was not, someone else may control \
             your account: reply to this message or contact the site's operators at {}.",
            self.origin
        );
        self.letter(Kind::EmailChanged, to, subject, &lines, None, &after)
    }

    /// The farewell: the account and its data are gone.
    pub fn account_deleted(&self, to: &str, at: &str) -> Mail {
        let subject = format!("Your {SITE_NAME} account was deleted");
        let lines = [format!(
            "Your {SITE_NAME} account ({to}) was deleted on {at}, with its sessions and its \
             activity. We keep nothing that names you, and this address can sign up again."
        )];
        let after = format!(
            "If you did not delete it, someone signed in as you did: sign up again at {}/signup \
             and choose a new password.",
            self.origin
        );
        self.letter(Kind::AccountDeleted, to, subject, &lines, None, &after)
    }

    fn letter(
        &self,
        kind: Kind,
        to: &str,
        subject: String,
        lines: &[String],
        link: Option<&str>,
        after: &str,
    ) -> Mail {
        let mut text = String::from("Hello,\n\n");
        let mut html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
             </head><body style=\"font-family: system-ui, sans-serif; line-height: 1.5; \
             color: #1f2430; max-width: 36rem;\"><p>Hello,</p>",
            escape(&subject)
        );
        for line in lines {
            text.push_str(line);
            text.push_str("\n\n");
            html.push_str(&format!("<p>{}</p>", escape(line)));
        }
        if let Some(link) = link {
            text.push_str(link);
            text.push_str("\n\n");
            html.push_str(&format!(
                "<p><a href=\"{0}\" style=\"color: #3447c4;\">{0}</a></p>",
                escape(link)
            ));
        }
        text.push_str(after);
        text.push_str(&format!("\n\n{SITE_NAME}\n{}\n", self.origin));
        html.push_str(&format!(
            "<p>{}</p><p style=\"color: #5b6270;\">{SITE_NAME}<br>{}</p></body></html>",
            escape(after),
            escape(&self.origin)
        ));
        Mail {
            kind,
            to: to.to_owned(),
            subject,
            text,
            html,
        }
    }
}

/// Text made safe to place in HTML, in element content and quoted
/// attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settled_mail_keeps_no_link_token() {
        let letters = Letters::new("https://accounts.example.com");
        let token = "AbC-_9".repeat(7);
        for mail in [
            letters.verify_email("ada@example.com", &token),
            letters.reset_password("ada@example.com", &token),
            letters.confirm_email_change("ada@example.com", &token, "bob@example.com"),
            letters.confirm_sign_up("ada@example.com", &token),
            letters.email_change_requested("ada@example.com", "bob@example.com", "today", &token),
            letters.login_link("ada@example.com", &token),
            letters.link_identity("ada@example.com", "Acme ID", &token),
        ] {
            for body in [&mail.text, &mail.html] {
                assert!(body.contains(&token));
                let kept = without_link_tokens(body);
                assert!(!kept.contains(&token[..8]), "{kept}");
                assert!(kept.contains("?token=removed"), "{kept}");
            }
        }
    }

    #[test]
    fn links_are_on_the_public_origin_and_carry_only_the_token() {
        let letters = Letters::new("https://accounts.example.com/");
        let mail = letters.reset_password("ada@example.com", "TOKEN123");
        let link = "https://accounts.example.com/reset-password?token=TOKEN123";
        assert!(mail.text.contains(link), "{}", mail.text);
        assert!(mail.html.contains(&format!("href=\"{link}\"")));
        assert!(mail.subject.contains(SITE_NAME));
        assert_eq!(mail.to, "ada@example.com");
        let verify = letters.verify_email("ada@example.com", "T");
        assert!(verify
            .text
            .contains("https://accounts.example.com/verify-email?token=T"));
    }

    #[test]
    fn what_users_typed_cannot_become_markup() {
        let letters = Letters::new("https://accounts.example.com");
        let mail = letters.password_changed("<b>x</b>@example.com", "2026-01-01 10:00 UTC");
        assert!(!mail.html.contains("<b>x</b>"));
        assert!(mail.html.contains("&lt;b&gt;x&lt;/b&gt;@example.com"));
        assert_eq!(escape("\"'&"), "&quot;&#39;&amp;");
    }

    #[test]
    fn a_changed_address_is_told_only_in_part() {
        let letters = Letters::new("https://accounts.example.com");
        let mail = letters.email_changed("old@example.com", "new@example.org", "today");
        assert!(mail.text.contains("n•••@example.org"));
        assert!(!mail.text.contains("new@example.org"));
        let link = letters.confirm_email_change("new@example.org", "T", "ada@example.com");
        assert!(link.text.contains(&mask_address("ada@example.com")));
        assert!(!link.text.contains("ada@example.com"));
        assert!(link
            .text
            .contains("https://accounts.example.com/confirm-email?token=T"));
    }
}

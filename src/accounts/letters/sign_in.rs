//! The links that sign a browser in: without a password, mailed on request
//! from the log-in page; and the one that proves an account is its
//! owner's before an external provider's identity is linked to it.

use super::{Kind, Letters, Mail};
use crate::brand::SITE_NAME;

impl Letters {
    /// The link that signs in to the account at `to` (valid 15 minutes,
    /// once).
    pub fn login_link(&self, to: &str, token: &str) -> Mail {
        let link = format!("{}/login-link?token={token}", self.origin);
        let subject = format!("Your {SITE_NAME} sign-in link");
        let lines = [
            format!(
                "Someone, hopefully you, asked for a link to sign in to the {SITE_NAME} account \
                 for {to}."
            ),
            "To sign in, open this link within 15 minutes, then press \"Sign in\". It works \
             once:"
                .to_owned(),
        ];
        let after = "If you did not ask for this, ignore this message: nobody can use this link \
                     without access to your mail. Never forward it.";
        self.letter(Kind::LoginLink, to, subject, &lines, Some(&link), after)
    }
}

impl Letters {
    /// The link that proves the account at `to` is the person's before
    /// signing in with `provider` (its label) is linked to it (valid 15
    /// minutes, once, in the browser that signed in there).
    pub fn link_identity(&self, to: &str, provider: &str, token: &str) -> Mail {
        let link = format!("{}/external-sign-in?token={token}", self.origin);
        let subject = format!("Link {provider} to your {SITE_NAME} account");
        let lines = [
            format!(
                "Someone, hopefully you, signed in with {provider} using {to}, the address of \
                 your {SITE_NAME} account, and asked to link the two."
            ),
            format!(
                "To link them, open this link within 15 minutes in the same browser, then press \
                 \"Link and sign in\". From then on, {provider} signs in to your account:"
            ),
        ];
        let after = format!(
            "If you did not ask for this, ignore this message: nothing is linked, and whoever \
             asked cannot use the link without your mail. Someone may have an account at \
             {provider} with your address."
        );
        self.letter(Kind::LinkIdentity, to, subject, &lines, Some(&link), &after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_link_goes_to_its_page_and_says_how_long_it_works() {
        let letters = Letters::new("https://accounts.example.com/");
        let mail = letters.login_link("ada@example.com", "TOKEN123");
        let link = "https://accounts.example.com/login-link?token=TOKEN123";
        assert!(mail.text.contains(link), "{}", mail.text);
        assert!(mail.html.contains(&format!("href=\"{link}\"")));
        assert!(mail.text.contains("15 minutes"));
        assert_eq!(
            (mail.kind, mail.to.as_str()),
            (Kind::LoginLink, "ada@example.com")
        );
    }
}

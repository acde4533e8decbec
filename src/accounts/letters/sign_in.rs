//! The link that signs a browser in without a password, mailed on request
//! from the log-in page.

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

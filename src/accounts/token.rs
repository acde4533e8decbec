//! Session tokens: 256 random bits in the cookie, only their SHA-256 in the
//! database, so a leaked database cannot be replayed as cookies.

use std::fmt;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

/// Bytes of randomness in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// The secret a browser holds. Deliberately not `Debug`-printable, so that
/// it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// A new token from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).expect("operating system randomness");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Reads a token from a cookie value; anything not shaped like one of
    /// ours is ignored rather than looked up.
    pub fn parse(value: &str) -> Option<Self> {
        let decoded = URL_SAFE_NO_PAD.decode(value).ok()?;
        (decoded.len() == TOKEN_BYTES).then(|| Self(value.to_owned()))
    }

    /// The cookie value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores and looks up.
    pub fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 43);
        assert!(a
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn only_well_formed_tokens_parse() {
        let token = SessionToken::generate();
        assert_eq!(SessionToken::parse(token.as_str()), Some(token));
        assert_eq!(SessionToken::parse(""), None);
        assert_eq!(SessionToken::parse("short"), None);
        assert_eq!(SessionToken::parse(&"A".repeat(44)), None);
        assert_eq!(
            SessionToken::parse("not base64 at all, really not!!!!!!!!!!!!!!"),
            None
        );
    }

    #[test]
    fn the_digest_is_sha256_and_never_the_token() {
        let token = SessionToken::generate();
        let digest = token.digest();
        assert_eq!(digest.len(), 32);
        assert_ne!(digest, token.as_str().as_bytes());
        assert_eq!(digest, token.digest());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let token = SessionToken::generate();
        assert!(!format!("{token:?}").contains(token.as_str()));
    }
}

//! Sealing secrets the server must read back (the TOTP secret): AES-256-GCM
//! under the server's seal key, which is kept outside the database
//! (`SEAL_KEY`, or a key file beside an SQLite database), so a copy of the
//! database alone reveals none of them.
//!
//! Each sealed value is bound to what it belongs to (the account id) as
//! associated data: a sealed secret copied onto another account's row does
//! not open there.

use std::{fmt, sync::Arc};

use aes_gcm::{
    aead::{Aead, Payload},
    Aes256Gcm, KeyInit, Nonce,
};

/// Bytes of a seal key.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// The server's seal key. Cheap to clone; never printed.
#[derive(Clone)]
pub struct SealKey(Arc<Aes256Gcm>);

impl SealKey {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self(Arc::new(Aes256Gcm::new(key.into())))
    }

    /// A new random key.
    pub fn generate_bytes() -> [u8; KEY_BYTES] {
        let mut key = [0; KEY_BYTES];
        getrandom::fill(&mut key).expect("the operating system's random numbers");
        key
    }

    /// Reads a key written as 64 hexadecimal digits (`openssl rand -hex 32`).
    pub fn parse_hex(text: &str) -> Option<[u8; KEY_BYTES]> {
        let text = text.trim();
        if text.len() != 2 * KEY_BYTES || !text.is_ascii() {
            return None;
        }
        let mut key = [0; KEY_BYTES];
        for (byte, pair) in key.iter_mut().zip(text.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(key)
    }

    /// Seals `secret` for `owner`: a random nonce followed by the
    /// ciphertext and its tag.
    pub fn seal(&self, secret: &[u8], owner: &[u8]) -> Vec<u8> {
        let mut nonce = [0; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the operating system's random numbers");
        let sealed = self
            .0
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: owner,
                },
            )
            .expect("AES-GCM seals any message of this size");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The secret `sealed` holds, if it was sealed with this key for
    /// `owner` and is unaltered.
    pub fn open(&self, sealed: &[u8], owner: &[u8]) -> Option<Vec<u8>> {
        let (nonce, sealed) = sealed.split_at_checked(NONCE_BYTES)?;
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        self.0
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: owner,
                },
            )
            .ok()
    }
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_owner() {
        let key = SealKey::new(&SealKey::generate_bytes());
        let sealed = key.seal(b"twenty bytes secret!", b"7");
        assert!(!sealed
            .windows(20)
            .any(|window| window == b"twenty bytes secret!"));
        assert_eq!(
            key.open(&sealed, b"7").as_deref(),
            Some(&b"twenty bytes secret!"[..])
        );
        assert_eq!(key.open(&sealed, b"8"), None, "another account's row");
        let other = SealKey::new(&SealKey::generate_bytes());
        assert_eq!(other.open(&sealed, b"7"), None, "another key");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(&altered, b"7"), None, "an altered value");
        assert_eq!(key.open(&sealed[..5], b"7"), None, "a truncated value");
        assert_ne!(
            key.seal(b"same", b"7"),
            key.seal(b"same", b"7"),
            "a fresh nonce"
        );
    }

    #[test]
    fn keys_are_read_from_hex() {
        let hex = "00ff".repeat(16);
        let key = SealKey::parse_hex(&hex).unwrap();
        assert_eq!(key[0], 0);
        assert_eq!(key[1], 0xff);
        assert!(SealKey::parse_hex("00ff").is_none());
        assert!(SealKey::parse_hex(&"zz".repeat(32)).is_none());
        assert!(SealKey::parse_hex(&"é".repeat(32)).is_none());
    }
}

//! Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device
//! Cookies"): a browser that has signed in to an account carries a signed
//! cookie naming that account, and its log-in attempts on that account are
//! counted on their own. Failures made anywhere else never hold it back, so
//! a stranger guessing passwords cannot lock the owner out of their own
//! browser; strangers stay under the address's limit.
//!
//! The cookie holds up to [`MAX_ENTRIES`] entries, newest first, one per
//! account signed in from this browser: `USER_ID.NONCE.MAC`, where NONCE is
//! 128 random bits and MAC is HMAC-SHA-256 over the account and nonce under
//! a server key. The key is made once and kept in the database, so every
//! instance of the server shares it; no setting is needed. Nothing but the
//! failure count of a device is stored server-side.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sqlx::AnyPool;

/// Accounts remembered per browser.
pub const MAX_ENTRIES: usize = 5;

/// How long a browser stays trusted after its last sign-in.
pub const LIFETIME_DAYS: u64 = 365;

const NONCE_BYTES: usize = 16;
const KEY_NAME: &str = "device_cookie_hmac";

/// One account this browser has signed in to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub user_id: i64,
    pub nonce: String,
}

/// Signs and checks device cookies.
#[derive(Clone)]
pub struct DeviceKeys {
    key: [u8; 32],
}

impl DeviceKeys {
    /// Loads the server key, creating it on first use. Instances starting
    /// at once agree: the first insert wins and everyone reads it back.
    pub async fn load(db: &AnyPool) -> Result<Self, sqlx::Error> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).expect("operating system randomness");
        sqlx::query("INSERT INTO server_keys (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(KEY_NAME)
            .bind(fresh.as_slice())
            .execute(db)
            .await?;
        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
            .bind(KEY_NAME)
            .fetch_one(db)
            .await?;
        let key = stored
            .try_into()
            .map_err(|_| sqlx::Error::Protocol("device cookie key has the wrong length".into()))?;
        Ok(Self { key })
    }

    #[cfg(test)]
    fn with_key(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// A stable stand-in for `value` that only this server can compute,
    /// for counters that must not store what they count (an address).
    /// `label` keeps the uses apart.
    pub fn pseudonym(&self, label: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("{label}|{value}").as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn mac(&self, user_id: i64, nonce: &str) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("device-cookie-v1|{user_id}|{nonce}").as_bytes());
        mac
    }

    /// The entries of a cookie value whose signatures check out; anything
    /// else in it is ignored.
    pub fn read(&self, cookie: &str) -> Vec<Device> {
        cookie
            .split('~')
            .take(MAX_ENTRIES)
            .filter_map(|entry| {
                let mut parts = entry.splitn(3, '.');
                let user_id: i64 = parts.next()?.parse().ok()?;
                let nonce = parts.next()?;
                let signature = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
                let nonce_ok = URL_SAFE_NO_PAD
                    .decode(nonce)
                    .is_ok_and(|bytes| bytes.len() == NONCE_BYTES);
                (nonce_ok && self.mac(user_id, nonce).verify_slice(&signature).is_ok()).then(|| {
                    Device {
                        user_id,
                        nonce: nonce.to_owned(),
                    }
                })
            })
            .collect()
    }

    /// The cookie value after `user_id` signed in from a browser that
    /// carried `devices`: that account's entry first (its existing one, or
    /// a new one), then the others, at most [`MAX_ENTRIES`].
    pub fn after_sign_in(&self, devices: &[Device], user_id: i64) -> String {
        let own = devices
            .iter()
            .find(|device| device.user_id == user_id)
            .cloned()
            .unwrap_or_else(|| {
                let mut nonce = [0u8; NONCE_BYTES];
                getrandom::fill(&mut nonce).expect("operating system randomness");
                Device {
                    user_id,
                    nonce: URL_SAFE_NO_PAD.encode(nonce),
                }
            });
        let entries: Vec<&Device> = std::iter::once(&own)
            .chain(devices.iter().filter(|device| device.user_id != user_id))
            .collect();
        self.write(&entries)
    }

    /// The cookie value once account `user_id` is deleted: the other
    /// accounts' entries; empty when none is left.
    pub fn without(&self, devices: &[Device], user_id: i64) -> String {
        let entries: Vec<&Device> = devices
            .iter()
            .filter(|device| device.user_id != user_id)
            .collect();
        self.write(&entries)
    }

    fn write(&self, entries: &[&Device]) -> String {
        entries
            .iter()
            .take(MAX_ENTRIES)
            .map(|device| {
                let signature = self
                    .mac(device.user_id, &device.nonce)
                    .finalize()
                    .into_bytes();
                format!(
                    "{}.{}.{}",
                    device.user_id,
                    device.nonce,
                    URL_SAFE_NO_PAD.encode(signature)
                )
            })
            .collect::<Vec<_>>()
            .join("~")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_entry_reads_back_and_a_tampered_one_does_not() {
        let keys = DeviceKeys::with_key([7; 32]);
        let cookie = keys.after_sign_in(&[], 42);
        let devices = keys.read(&cookie);
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].user_id, 42);

        // Another account's id with the same nonce and signature.
        let forged = cookie.replacen("42.", "43.", 1);
        assert!(keys.read(&forged).is_empty());
        // Another server's key.
        assert!(DeviceKeys::with_key([8; 32]).read(&cookie).is_empty());
        assert!(keys.read("").is_empty());
        assert!(keys.read("42.x.y").is_empty());
    }

    #[test]
    fn signing_in_again_keeps_the_entry_and_other_accounts() {
        let keys = DeviceKeys::with_key([1; 32]);
        let first = keys.read(&keys.after_sign_in(&[], 1));
        let both = keys.read(&keys.after_sign_in(&first, 2));
        assert_eq!(both.iter().map(|d| d.user_id).collect::<Vec<_>>(), [2, 1]);
        let again = keys.read(&keys.after_sign_in(&both, 1));
        assert_eq!(again[0], first[0], "the same nonce: the same device");
        assert_eq!(again.len(), 2);
    }

    #[test]
    fn at_most_five_accounts_are_remembered() {
        let keys = DeviceKeys::with_key([1; 32]);
        let mut devices = Vec::new();
        for user_id in 1..=7 {
            devices = keys.read(&keys.after_sign_in(&devices, user_id));
        }
        assert_eq!(
            devices.iter().map(|d| d.user_id).collect::<Vec<_>>(),
            [7, 6, 5, 4, 3]
        );
    }
}

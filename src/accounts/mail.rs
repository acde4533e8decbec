//! The outbox the product's mail goes through (the messages themselves
//! are in [`super::letters`]).
//!
//! An action that causes a mail writes it to the `outbox` table in the
//! same transaction as its own changes, so a mail exists exactly when its
//! cause happened. A sender (`server::mailer`) delivers the outbox over
//! SMTP; without one configured, mail stays there and shows on the local
//! mailbox page.

use std::sync::Arc;

use sqlx::AnyConnection;
use tokio::sync::Notify;

pub use super::letters::{escape, without_link_tokens, Kind, Letters, Mail};
use super::{buckets, device::DeviceKeys, limits::RateLimits, sql::Backend};

/// Unsolicited mails any one inbox may be sent per hour, whatever causes
/// them: the forms that mail someone (sign-up, reset, email change) each
/// have their own limits, and this one bounds them together, so that a
/// stranger cycling through them cannot flood an inbox. Sub-addresses
/// count as their inbox (`ada+1@…` is `ada@…`). Beyond it a mail is not
/// written (and logged); the action itself still succeeds, so the answer
/// tells nothing. Security notices are never held back.
pub const MAILS_PER_RECIPIENT_PER_HOUR: u32 = 10;

/// Where the accounts put mail: the letters they write, and a bell that
/// wakes this server's sender when a mail is committed.
#[derive(Clone)]
pub struct Outbox {
    pub letters: Letters,
    bell: Arc<Notify>,
    /// Counts mail per recipient under a pseudonym, so that the count
    /// outlives the account (and its rows) without naming the address.
    keys: DeviceKeys,
    /// Unsolicited mails per hour: per client network, and in all.
    per_network: u32,
    in_all: u32,
}

impl Outbox {
    pub fn new(letters: Letters, keys: DeviceKeys, limits: &RateLimits) -> Self {
        Self {
            letters,
            bell: Arc::new(Notify::new()),
            keys,
            per_network: limits.mail_per_network_per_hour,
            in_all: limits.mail_per_hour,
        }
    }

    /// What the sender waits on.
    pub fn bell(&self) -> Arc<Notify> {
        self.bell.clone()
    }

    /// Tells the sender that mail was committed.
    pub fn ring(&self) {
        self.bell.notify_one();
    }

    /// Puts `mail` in the outbox, inside the caller's transaction, due
    /// now; returns whether it was written. A security notice always is.
    /// Unsolicited mail is not once its inbox had
    /// [`MAILS_PER_RECIPIENT_PER_HOUR`] this hour, once the client network
    /// that caused it (`network`, as [`buckets::network_key`] names it;
    /// none for a signed-in user's own request) had its allowance, or once
    /// the whole site had its allowance.
    pub async fn enqueue(
        &self,
        db: &mut AnyConnection,
        user_id: Option<i64>,
        mail: &Mail,
        now: i64,
        network: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        if !mail.kind.is_security_notice() {
            let recipient = self.keys.pseudonym("mail-recipient-v1", &inbox(&mail.to));
            let mut budgets = vec![(
                format!("mail:{recipient}"),
                MAILS_PER_RECIPIENT_PER_HOUR,
                "its inbox",
            )];
            if let Some(network) = network {
                budgets.push((
                    format!("mail-network:{network}"),
                    self.per_network,
                    "the client network that caused it",
                ));
            }
            budgets.push(("mail-site".to_owned(), self.in_all, "the site"));
            for (key, per_hour, whose) in budgets {
                let capacity = f64::from(per_hour.max(1));
                let backend = Backend::of_connection(db);
                let (_, allowed, _) = buckets::take_token(
                    &mut *db,
                    backend,
                    &key,
                    capacity,
                    capacity / 3600.0,
                    now as f64,
                )
                .await?;
                if !allowed {
                    tracing::warn!(
                        kind = mail.kind.code(),
                        user_id,
                        "mail: not written, {whose} had its {per_hour} unsolicited mails \
                         this hour"
                    );
                    return Ok(false);
                }
            }
        }
        sqlx::query(
            "INSERT INTO outbox (user_id, kind, recipient, subject, text_body, html_body, \
             created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(user_id)
        .bind(mail.kind.code())
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(&mail.html)
        .bind(now)
        .bind(now)
        .execute(db)
        .await?;
        Ok(true)
    }
}

/// The inbox an address reaches, as the per-recipient cap counts it: in
/// lower case and without a `+tag` (`Ada+news@Example.com` reaches
/// `ada@example.com`).
fn inbox(address: &str) -> String {
    let address = address.to_lowercase();
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split_once('+').map_or(local, |(inbox, _)| inbox);
            format!("{local}@{domain}")
        }
        None => address,
    }
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("letters", &self.letters)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_addresses_reach_their_inbox() {
        assert_eq!(inbox("ada@example.com"), "ada@example.com");
        assert_eq!(inbox("Ada+1@Example.com"), "ada@example.com");
        assert_eq!(inbox("ada+a+b@example.com"), "ada@example.com");
        assert_eq!(inbox("+x@example.com"), "@example.com");
        assert_eq!(inbox("\"a@b\"+x@example.com"), "\"a@b\"@example.com");
        assert_ne!(inbox("ada1@example.com"), inbox("ada@example.com"));
    }
}

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

pub use super::letters::{escape, mask_address, Kind, Letters, Mail};
use super::{buckets, device::DeviceKeys, sql::Backend};

/// Mails any one address may be sent per hour, whatever causes them: the
/// forms that mail someone (sign-up, reset, email change, deletion) each
/// have their own limits, and this one bounds them together, so that a
/// stranger cycling through them cannot flood an inbox. Beyond it a mail is
/// not written (and logged); the action itself still succeeds, so the
/// answer tells nothing.
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
}

impl Outbox {
    pub fn new(letters: Letters, keys: DeviceKeys) -> Self {
        Self {
            letters,
            bell: Arc::new(Notify::new()),
            keys,
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
    /// now; returns whether it was written, which it is not when its
    /// recipient had [`MAILS_PER_RECIPIENT_PER_HOUR`] this hour.
    pub async fn enqueue(
        &self,
        db: &mut AnyConnection,
        user_id: Option<i64>,
        mail: &Mail,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let recipient = self
            .keys
            .pseudonym("mail-recipient-v1", &mail.to.to_lowercase());
        let capacity = f64::from(MAILS_PER_RECIPIENT_PER_HOUR);
        let backend = Backend::of_connection(db);
        let (_, allowed, _) = buckets::take_token(
            &mut *db,
            backend,
            &format!("mail:{recipient}"),
            capacity,
            capacity / 3600.0,
            now as f64,
        )
        .await?;
        if !allowed {
            tracing::warn!(
                kind = mail.kind.code(),
                user_id,
                "mail: not written, its recipient was sent {MAILS_PER_RECIPIENT_PER_HOUR} \
                 mails in the last hour"
            );
            return Ok(false);
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

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("letters", &self.letters)
            .finish_non_exhaustive()
    }
}

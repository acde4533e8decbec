//! The sender: delivers the outbox over SMTP.
//!
//! It claims due mail a few rows at a time (a claim lasts [`CLAIM_SECS`],
//! so a sender that dies mid-send gives its rows back), sends each one and
//! marks it sent. A failure is retried with exponential back-off, from
//! `MAIL_RETRY_SECONDS` (30) up to [`MAX_RETRY_SECS`] apart, until the mail is
//! [`GIVE_UP_SECS`] old; then it is marked failed and logged.
//!
//! Mail committed before a crash is delivered after the restart: rows stay
//! in the outbox until they are marked sent, and a starting sender retries
//! what was waiting for a retry at once. The one window for a duplicate is
//! between the SMTP server's acceptance and the row's update, a few
//! milliseconds; each message has a stable `Message-ID` derived from its
//! row, by which mail systems recognise a repeat.

use std::{sync::Arc, time::Duration};

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sqlx::{FromRow, SqlitePool};
use tokio::{sync::Notify, task::JoinHandle};

use super::config::SmtpUrl;
use crate::accounts::mail;

/// How long a claimed mail is reserved for the sender that claimed it.
pub const CLAIM_SECS: i64 = 120;
/// The default wait before the first retry; it doubles with each failure.
pub const FIRST_RETRY_SECS: u64 = 30;
/// The longest wait between two attempts.
pub const MAX_RETRY_SECS: i64 = 60 * 60;
/// A mail still not delivered this long after it was written is failed.
pub const GIVE_UP_SECS: i64 = 24 * 60 * 60;
/// How often the sender looks for due mail when nothing rings.
const POLL: Duration = Duration::from_secs(5);
/// Mails claimed at once.
const BATCH: i64 = 10;
/// Longest wait for the SMTP server on any one step.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(FromRow)]
struct Due {
    id: i64,
    kind: String,
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    created_at: i64,
    attempts: i64,
}

/// Why a mail was not delivered.
enum Failure {
    /// It can never be sent as it is (a malformed address).
    Permanent(String),
    /// The server may take it later.
    Temporary(String),
}

/// The SMTP side of the sender.
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of `Message-ID`s.
    domain: String,
    /// The wait before the first retry.
    first_retry: i64,
}

impl Sender {
    /// A sender for `smtp` (validated with the configuration) as `from`,
    /// first retrying a failed mail after `first_retry`.
    pub fn new(smtp: &SmtpUrl, from: &str, first_retry: Duration) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.0)
            .map_err(|_| "SMTP_URL is not a mail server URL".to_owned())?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|_| format!("MAIL_FROM {from:?} is not an address"))?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            domain,
            first_retry: i64::try_from(first_retry.as_secs()).unwrap_or(MAX_RETRY_SECS),
        })
    }

    async fn send(&self, mail: &Due) -> Result<(), Failure> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|_| Failure::Permanent("the recipient is not a mail address".to_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(format!("<outbox-{}@{}>", mail.id, self.domain)))
            .multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                mail.html_body.clone(),
            ))
            .map_err(|error| Failure::Permanent(format!("could not build the message: {error}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(Failure::Permanent(error.to_string())),
            Err(error) => Err(Failure::Temporary(error.to_string())),
        }
    }
}

/// Runs the sender for as long as the server runs: it wakes when `bell`
/// rings (mail committed here) and every few seconds (retries, and mail
/// committed by other instances).
pub fn spawn(db: SqlitePool, sender: Sender, bell: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = retry_waiting_now(&db, now()).await {
            tracing::error!("mail: could not schedule waiting mail: {error}");
        }
        loop {
            match deliver_due(&db, &sender, now()).await {
                // There may be more.
                Ok(claimed) if claimed == BATCH => continue,
                Ok(_) => {}
                Err(error) => tracing::error!("mail: could not read the outbox: {error}"),
            }
            tokio::select! {
                () = bell.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// A starting sender retries the mail waiting for a retry at once: the
/// restart may well have been to fix the mail settings.
async fn retry_waiting_now(db: &SqlitePool, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = ?1 \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at > ?1 \
           AND claimed_until <= ?1",
    )
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Claims up to a batch of due mail and tries each; returns how many were
/// claimed.
pub async fn deliver_due(db: &SqlitePool, sender: &Sender, now: i64) -> Result<i64, sqlx::Error> {
    let due = sqlx::query_as::<_, Due>(
        "UPDATE outbox SET claimed_until = ?2 \
         WHERE id IN (SELECT id FROM outbox \
                      WHERE sent_at IS NULL AND failed_at IS NULL \
                        AND next_attempt_at <= ?1 AND claimed_until <= ?1 \
                      ORDER BY id LIMIT ?3) \
         RETURNING id, kind, recipient, subject, text_body, html_body, created_at, attempts",
    )
    .bind(now)
    .bind(now + CLAIM_SECS)
    .bind(BATCH)
    .fetch_all(db)
    .await?;
    let claimed = i64::try_from(due.len()).unwrap_or(BATCH);
    for mail in due {
        let outcome = sender.send(&mail).await;
        record(db, &mail, outcome, sender.first_retry, self::now()).await?;
    }
    Ok(claimed)
}

async fn record(
    db: &SqlitePool,
    mail: &Due,
    outcome: Result<(), Failure>,
    first_retry: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    let attempts = mail.attempts + 1;
    let query = match outcome {
        Ok(()) => sqlx::query(
            "UPDATE outbox SET sent_at = ?, attempts = ?, claimed_until = 0, last_error = NULL \
             WHERE id = ?",
        )
        .bind(now)
        .bind(attempts)
        .bind(mail.id),
        Err(failure) => {
            let (permanent, error) = match failure {
                Failure::Permanent(error) => (true, error),
                Failure::Temporary(error) => (false, error),
            };
            let error: String = error.chars().take(500).collect();
            let next = now + retry_delay(attempts, first_retry);
            if permanent || next - mail.created_at > GIVE_UP_SECS {
                tracing::error!(
                    mail = mail.id,
                    attempts,
                    "mail: giving up on mail {} after {attempts} attempts: {error}",
                    mail.id
                );
                sqlx::query(
                    "UPDATE outbox SET failed_at = ?, attempts = ?, claimed_until = 0, \
                     last_error = ? WHERE id = ?",
                )
                .bind(now)
                .bind(attempts)
                .bind(error)
                .bind(mail.id)
            } else {
                tracing::warn!(
                    mail = mail.id,
                    attempts,
                    "mail: mail {} not delivered, retrying in {} s: {error}",
                    mail.id,
                    next - now
                );
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = ?, attempts = ?, claimed_until = 0, \
                     last_error = ? WHERE id = ?",
                )
                .bind(next)
                .bind(attempts)
                .bind(error)
                .bind(mail.id)
            }
        }
    };
    query.execute(db).await?;
    // The farewell to a deleted account is the last row that names it:
    // once it is settled, it goes too.
    if mail.kind == mail::Kind::AccountDeleted.code() {
        sqlx::query(
            "DELETE FROM outbox WHERE id = ? AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)",
        )
        .bind(mail.id)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// The wait after the `attempts`-th failed attempt, `first` after the
/// first.
pub fn retry_delay(attempts: i64, first: i64) -> i64 {
    let doublings = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    first
        .max(1)
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_SECS)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay(1, 30), 30);
        assert_eq!(retry_delay(2, 30), 60);
        assert_eq!(retry_delay(3, 30), 120);
        assert_eq!(retry_delay(8, 30), 3600);
        assert_eq!(retry_delay(1000, 30), 3600);
    }

    #[test]
    fn a_day_of_retries_is_about_thirty_attempts() {
        let mut elapsed = 0;
        let mut attempts = 0;
        while elapsed <= GIVE_UP_SECS {
            attempts += 1;
            elapsed += retry_delay(attempts, 30);
        }
        assert!((25..=35).contains(&attempts), "{attempts}");
    }
}

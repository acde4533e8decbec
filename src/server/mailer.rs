//! The sender: delivers the outbox over SMTP.
//!
//! It claims due mail one row at a time (a claim lasts [`CLAIM_SECS`],
//! so a sender that dies mid-send gives its row back), sends it and marks
//! it sent. A send that takes longer than [`SEND_LIMIT`] is abandoned and
//! retried, so a claim never runs out while its sender still works on it,
//! and a sender that nevertheless lost its claim does not record over the
//! sender that took the row next. A failure is retried with exponential back-off, from
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
use sqlx::{AnyPool, FromRow};

use tokio::{sync::Notify, task::JoinHandle};

use crate::{
    accounts::{mail, sql::Backend},
    context::config::SmtpUrl,
    time::now,
};

/// How long a claimed mail is reserved for the sender that claimed it.
pub const CLAIM_SECS: i64 = 120;
const _: () = assert!(SEND_LIMIT.as_secs() * 2 <= CLAIM_SECS as u64);
/// The longest wait between two attempts.
pub const MAX_RETRY_SECS: i64 = 60 * 60;
/// A mail still not delivered this long after it was written is failed.
pub const GIVE_UP_SECS: i64 = 24 * 60 * 60;
/// How often the sender looks for due mail when nothing rings.
const POLL: Duration = Duration::from_secs(5);
/// The longest one delivery attempt may take: well inside its claim.
pub const SEND_LIMIT: Duration = Duration::from_secs(60);
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
pub fn spawn(db: AnyPool, sender: Sender, bell: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = retry_waiting_now(&db, now()).await {
            tracing::error!("mail: could not schedule waiting mail: {error}");
        }
        loop {
            match deliver_due(&db, &sender, now()).await {
                // There may be more.
                Ok(true) => continue,
                Ok(false) => {}
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
async fn retry_waiting_now(db: &AnyPool, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at > $1 \
           AND claimed_until <= $1",
    )
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Claims the oldest due mail, if any, and tries to deliver it; returns
/// whether there was one.
pub async fn deliver_due(db: &AnyPool, sender: &Sender, now: i64) -> Result<bool, sqlx::Error> {
    let claim = now + CLAIM_SECS;
    // The claim re-checks `claimed_until`, so two senders never both
    // claim one mail. On PostgreSQL, a sender also passes over the rows
    // another has locked (SKIP LOCKED) and takes the next due mail instead
    // of waiting to find this one gone; SQLite runs one write at a time.
    macro_rules! claim_sql {
        ($lock:literal) => {
            concat!(
                "UPDATE outbox SET claimed_until = $2 \
                 WHERE id = (SELECT id FROM outbox \
                             WHERE sent_at IS NULL AND failed_at IS NULL \
                               AND next_attempt_at <= $1 AND claimed_until <= $1 \
                             ORDER BY id LIMIT 1",
                $lock,
                ") \
                   AND claimed_until <= $1 \
                 RETURNING id, kind, recipient, subject, text_body, html_body, created_at, attempts"
            )
        };
    }
    let sql = match Backend::of(db) {
        Backend::Sqlite => claim_sql!(""),
        Backend::Postgres => claim_sql!(" FOR UPDATE SKIP LOCKED"),
    };
    let due = sqlx::query_as::<_, Due>(sql)
        .bind(now)
        .bind(claim)
        .fetch_optional(db)
        .await?;
    let Some(mail) = due else {
        return Ok(false);
    };
    let outcome = match tokio::time::timeout(SEND_LIMIT, sender.send(&mail)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure::Temporary(format!(
            "the mail server took longer than {} s",
            SEND_LIMIT.as_secs()
        ))),
    };
    // The outcome is the mail server's; failing to write it down must not
    // stop the mail after it (the claim runs out and it is tried again).
    if let Err(error) = record(
        db,
        &mail,
        claim,
        outcome,
        sender.first_retry,
        crate::time::now(),
    )
    .await
    {
        tracing::error!(
            mail = mail.id,
            "mail: could not record the outcome of mail {}: {error}",
            mail.id
        );
    }
    Ok(true)
}

/// Writes down what became of `mail`, unless its claim (`claim`) was lost
/// to another sender meanwhile.
async fn record(
    db: &AnyPool,
    mail: &Due,
    claim: i64,
    outcome: Result<(), Failure>,
    first_retry: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    let attempts = mail.attempts + 1;
    if outcome.is_ok() {
        metrics::counter!("mail_sent_total").increment(1);
    }
    let query = match outcome {
        // Settled mail keeps its text for the operator's `mail list`, but
        // not the tokens of its links: delivered, they live in the inbox
        // only; given up on, they are of no use to anyone.
        Ok(()) => sqlx::query(
            "UPDATE outbox SET sent_at = $1, attempts = $2, claimed_until = 0, last_error = NULL, \
             text_body = $5, html_body = $6 WHERE id = $3 AND claimed_until = $4",
        )
        .bind(now)
        .bind(attempts)
        .bind(mail.id)
        .bind(claim)
        .bind(mail::without_link_tokens(&mail.text_body))
        .bind(mail::without_link_tokens(&mail.html_body)),
        Err(failure) => {
            let (permanent, error) = match failure {
                Failure::Permanent(error) => (true, error),
                Failure::Temporary(error) => (false, error),
            };
            let error: String = error.chars().take(500).collect();
            let next = now + retry_delay(attempts, first_retry);
            if permanent || next - mail.created_at > GIVE_UP_SECS {
                metrics::counter!("mail_send_failures_total", "outcome" => "given_up").increment(1);
                tracing::error!(
                    mail = mail.id,
                    attempts,
                    "mail: giving up on mail {} after {attempts} attempts: {error}",
                    mail.id
                );
                sqlx::query(
                    "UPDATE outbox SET failed_at = $1, attempts = $2, claimed_until = 0, \
                     last_error = $3, text_body = $6, html_body = $7 \
                     WHERE id = $4 AND claimed_until = $5",
                )
                .bind(now)
                .bind(attempts)
                .bind(error)
                .bind(mail.id)
                .bind(claim)
                .bind(mail::without_link_tokens(&mail.text_body))
                .bind(mail::without_link_tokens(&mail.html_body))
            } else {
                metrics::counter!("mail_send_failures_total", "outcome" => "retrying").increment(1);
                tracing::warn!(
                    mail = mail.id,
                    attempts,
                    "mail: mail {} not delivered, retrying in {} s: {error}",
                    mail.id,
                    next - now
                );
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $1, attempts = $2, claimed_until = 0, \
                     last_error = $3 WHERE id = $4 AND claimed_until = $5",
                )
                .bind(next)
                .bind(attempts)
                .bind(error)
                .bind(mail.id)
                .bind(claim)
            }
        }
    };
    if query.execute(db).await?.rows_affected() == 0 {
        tracing::warn!(
            mail = mail.id,
            "mail: the claim on mail {} ran out before its outcome was written",
            mail.id
        );
        return Ok(());
    }
    // The farewell to a deleted account is the last row that names it:
    // once it is settled, it goes too.
    if mail.kind == mail::Kind::AccountDeleted.code() {
        sqlx::query(
            "DELETE FROM outbox WHERE id = $1 AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)",
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

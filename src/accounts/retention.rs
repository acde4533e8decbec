//! Retention: every table that requests can grow is trimmed by a periodic
//! task, so storage stays bounded however long the product runs and
//! whatever strangers send it.
//!
//! | table | kept until |
//! |---|---|
//! | `sessions` | the session expires (idle timeout or absolute lifetime) |
//! | `audit_events` | `AUDIT_RETENTION_DAYS` old (default 365) |
//! | `login_attempts` | `LOGIN_ATTEMPT_RETENTION_DAYS` after the last counted failure (default 30) |
//! | `rate_buckets` | the bucket would be full again (a full bucket and no bucket are the same), at least an hour |
//! | `email_tokens`, `pending_signups` | the link expires |
//! | `outbox` | 7 days after the mail was written, sent or not |

use std::time::Duration;

use sqlx::AnyPool;

use super::{RateLimits, SessionPolicy};

/// How long things are kept and how often the task runs.
#[derive(Clone, Copy, Debug)]
pub struct RetentionPolicy {
    /// Time between two sweeps; one also runs at start-up.
    pub interval: Duration,
    pub audit_days: u32,
    /// A subject's failure count is forgotten this long after its last
    /// counted failure. Until then the consecutive-failure cap holds.
    pub attempt_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10 * 60),
            audit_days: 365,
            attempt_days: 30,
        }
    }
}

/// Rows deleted by one sweep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub audit_events: u64,
    pub login_attempts: u64,
    pub rate_buckets: u64,
    /// Expired links, and the sign-ups waiting for them.
    pub email_tokens: u64,
    pub mails: u64,
}

/// Mail is kept this long after it was written, sent or not (for the
/// local mailbox and operators), then deleted.
pub const MAIL_RETENTION_DAYS: i64 = 7;

const DAY_SECS: i64 = 24 * 60 * 60;

/// Deletes everything past its retention as of `now` (Unix seconds).
pub async fn sweep(
    db: &AnyPool,
    policy: &RetentionPolicy,
    sessions: &SessionPolicy,
    limits: &RateLimits,
    now: i64,
) -> Result<Swept, sqlx::Error> {
    let idle = i64::try_from(sessions.idle_timeout.as_secs()).unwrap_or(i64::MAX / 2);
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(now - idle)
        .execute(db)
        .await?
        .rows_affected()
        + sqlx::query("DELETE FROM pending_logins WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected()
        + sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected()
        + sqlx::query("DELETE FROM external_requests WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected()
        + sqlx::query("DELETE FROM pending_identities WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected();
    let audit_events = sqlx::query("DELETE FROM audit_events WHERE at < $1")
        .bind(now - i64::from(policy.audit_days) * DAY_SECS)
        .execute(db)
        .await?
        .rows_affected();
    let login_attempts = sqlx::query("DELETE FROM login_attempts WHERE last_failure_at < $1")
        .bind(now - i64::from(policy.attempt_days) * DAY_SECS)
        .execute(db)
        .await?
        .rows_affected();
    // A bucket untouched for as long as the slowest one takes to refill
    // from empty is full, and so no different from a missing one.
    // The per-recipient mail count refills in an hour.
    let refill_secs = [limits.auth_bucket(), limits.profile_bucket()]
        .iter()
        .map(|bucket| f64::from(bucket.burst.max(1)) * 60.0 / f64::from(bucket.per_minute.max(1)))
        .fold(3600.0, f64::max);
    let rate_buckets = sqlx::query("DELETE FROM rate_buckets WHERE updated_at < $1")
        .bind(now as f64 - refill_secs.ceil())
        .execute(db)
        .await?
        .rows_affected();
    // An expired link reads the same as a used one, so neither is kept.
    let email_tokens = sqlx::query("DELETE FROM email_tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?
        .rows_affected()
        + sqlx::query("DELETE FROM pending_signups WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected();
    // Mail still unsent by then is long past the sender's 24 hours of
    // retries, or was never going to be sent (no SMTP_URL): it goes too.
    let mails = sqlx::query("DELETE FROM outbox WHERE created_at < $1")
        .bind(now - MAIL_RETENTION_DAYS * DAY_SECS)
        .execute(db)
        .await?
        .rows_affected();
    Ok(Swept {
        email_tokens,
        mails,
        sessions,
        audit_events,
        login_attempts,
        rate_buckets,
    })
}

/// Sweeps now and then every `policy.interval`, for as long as the server
/// runs. A failed sweep is logged and tried again at the next interval.
pub fn spawn(
    db: AnyPool,
    policy: RetentionPolicy,
    sessions: SessionPolicy,
    limits: RateLimits,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(policy.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sweep(&db, &policy, &sessions, &limits, crate::time::now()).await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(
                        target: "retention",
                        sessions = swept.sessions,
                        audit_events = swept.audit_events,
                        login_attempts = swept.login_attempts,
                        rate_buckets = swept.rate_buckets,
                        email_tokens = swept.email_tokens,
                        mails = swept.mails,
                        "deleted rows past their retention"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!("retention: {error}"),
            }
        }
    })
}

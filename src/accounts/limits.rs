//! Brute-force and abuse limits, stored in the database so that every
//! instance of the server behind a load balancer enforces the same ones.
//!
//! - Per client network: a token bucket on the authentication endpoints.
//!   IPv4 clients are bucketed by address, IPv6 clients by their /64
//!   prefix, which is what one host or home network is given.
//! - Per log-in subject: a browser that has never signed in to the account
//!   is counted against the account's address (known or not); a browser
//!   that has (it carries a device cookie, see [`super::device`]) is
//!   counted on its own. After a few free failures each subject backs off
//!   exponentially; after [`MAX_CONSECUTIVE_FAILURES`] nothing more is
//!   checked for it until a success, a password reset or retention.
//! - Per account: a token bucket on profile changes.
//!
//! Every check counts in the same atomic statement that decides, before any
//! password hashing: parallel requests cannot slip past a limit, and a
//! flood costs a database round trip, not an argon2 computation.

use std::time::Duration;

use sqlx::AnyPool;

use super::sql::Backend;

use crate::error::AppError;

/// The limits, all configurable.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    /// Requests a client network may make at once on the auth endpoints.
    pub ip_burst: u32,
    /// Requests per minute a client network regains.
    pub ip_per_minute: u32,
    /// Consecutive failed log-ins allowed on an address, from browsers
    /// that have not signed in to it before, before back-off starts.
    pub free_failures: u32,
    /// Consecutive failed log-ins allowed from one trusted browser (one
    /// device cookie) before its own back-off starts.
    pub device_free_failures: u32,
    /// The first back-off; it doubles with each further failure.
    pub backoff_base: Duration,
    /// The longest back-off between two attempts.
    pub backoff_max: Duration,
    /// Profile changes an account may make at once.
    pub profile_burst: u32,
    /// Profile changes per minute an account regains.
    pub profile_per_minute: u32,
    /// Unsolicited mails (links, sign-up notices) one client network may
    /// cause per hour.
    pub mail_per_network_per_hour: u32,
    /// Unsolicited mails the whole site may send per hour.
    pub mail_per_hour: u32,
}

/// Consecutive failures after which a subject is no longer evaluated
/// (NIST SP 800-63B-4 §3.2.2 allows at most 100).
pub const MAX_CONSECUTIVE_FAILURES: i64 = 100;

/// The largest back-off exponent: 2^30 seconds is decades already.
const MAX_DOUBLINGS: i64 = 30;

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            ip_burst: 20,
            ip_per_minute: 20,
            free_failures: 5,
            device_free_failures: 5,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15 * 60),
            profile_burst: 10,
            profile_per_minute: 1,
            mail_per_network_per_hour: 20,
            mail_per_hour: 1000,
        }
    }
}

/// A request that a limit refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Seconds until the next attempt may go ahead (at least 1).
    pub retry_after: u64,
    /// The subject reached [`MAX_CONSECUTIVE_FAILURES`]: waiting does not
    /// help.
    pub capped: bool,
    /// The first refusal since the limit was last reached: the one worth
    /// an audit event. Later refusals in the same window are not recorded,
    /// so a flood cannot grow the audit trail.
    pub first_in_window: bool,
}

/// Whom a log-in attempt is counted against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// Browsers without a device cookie for the account: the address.
    Address(String),
    /// One trusted browser: the account and its device cookie's nonce.
    Device { user_id: i64, nonce: String },
    /// Codes for the account's second factor, from any browser: wrong
    /// codes count here too, so that many browsers (device cookies) do
    /// not add up to many guesses. A password reset keeps this count.
    SecondFactor { user_id: i64 },
}

impl Subject {
    fn key(&self) -> String {
        match self {
            Self::Address(email_key) => format!("address:{email_key}"),
            Self::Device { user_id, nonce } => format!("device:{user_id}:{nonce}"),
            Self::SecondFactor { user_id } => format!("second-factor:{user_id}"),
        }
    }
}

impl RateLimits {
    fn free_failures_of(&self, subject: &Subject) -> i64 {
        i64::from(match subject {
            Subject::Address(_) | Subject::SecondFactor { .. } => self.free_failures,
            Subject::Device { .. } => self.device_free_failures,
        })
    }

    /// The back-off after `failures` consecutive failures with `free` of
    /// them free, in seconds (0 while within the free allowance).
    fn backoff(&self, failures: i64, free: i64) -> u64 {
        let over = failures - free;
        if over < 0 {
            return 0;
        }
        self.backoff_base
            .as_secs()
            .saturating_mul(1u64 << over.min(MAX_DOUBLINGS))
            .min(self.backoff_max.as_secs())
    }

    /// Seconds to wait after `failures` consecutive failures, the last at
    /// `last_failure_at`, as seen at `now`; 0 when an attempt may go ahead.
    pub fn account_wait(&self, failures: i64, last_failure_at: i64, now: i64) -> u64 {
        if failures >= MAX_CONSECUTIVE_FAILURES {
            return self.backoff_max.as_secs().max(1);
        }
        let backoff = self.backoff(failures, i64::from(self.free_failures));
        let elapsed = u64::try_from(now - last_failure_at).unwrap_or(0);
        backoff.saturating_sub(elapsed)
    }

    /// Reserves one log-in attempt for `subject`: counts it as a failure
    /// now, before the password is checked, if the subject's allowance and
    /// back-off allow an attempt at all. Decision and count are one UPSERT,
    /// so of many parallel attempts only those the limit allows get through.
    /// A successful log-in then [`clears`](Self::clear) the count.
    pub async fn reserve_attempt(
        &self,
        db: &AnyPool,
        subject: &Subject,
        now: i64,
    ) -> Result<(), LimitError> {
        let key = subject.key();
        let free = self.free_failures_of(subject);
        // The existing row's columns are named with the table, as
        // PostgreSQL requires in an UPSERT (SQLite accepts both).
        macro_rules! reserve_sql {
            ($least:literal) => {
                concat!(
                    "INSERT INTO login_attempts (key, failures, last_failure_at) VALUES ($1, 1, $2) \
                     ON CONFLICT (key) DO UPDATE SET failures = login_attempts.failures + 1, \
                       last_failure_at = $2 \
                     WHERE login_attempts.failures < $3 \
                        OR (login_attempts.failures < $6 \
                            AND $2 - login_attempts.last_failure_at >= ",
                    $least,
                    "($5, $4 * (1 << CAST(",
                    $least,
                    "(login_attempts.failures - $3, $7) AS INTEGER)))) \
                     RETURNING failures"
                )
            };
        }
        let sql = match Backend::of(db) {
            Backend::Sqlite => reserve_sql!("min"),
            Backend::Postgres => reserve_sql!("LEAST"),
        };
        let reserved: Option<i64> = sqlx::query_scalar(sql)
            .bind(&key)
            .bind(now)
            .bind(free)
            .bind(i64::try_from(self.backoff_base.as_secs()).unwrap_or(i64::MAX / 4))
            .bind(i64::try_from(self.backoff_max.as_secs()).unwrap_or(i64::MAX / 4))
            .bind(MAX_CONSECUTIVE_FAILURES)
            .bind(MAX_DOUBLINGS)
            .fetch_optional(db)
            .await
            .map_err(|error| LimitError::Internal(internal("reserve attempt", error)))?;
        if reserved.is_some() {
            return Ok(());
        }
        // Refused: work out the wait, and whether this is the first refusal
        // since the last counted failure (the one to record).
        let (failures, last_failure_at): (i64, i64) =
            sqlx::query_as("SELECT failures, last_failure_at FROM login_attempts WHERE key = $1")
                .bind(&key)
                .fetch_one(db)
                .await
                .map_err(|error| LimitError::Internal(internal("read attempts", error)))?;
        let first_in_window: Option<i64> = sqlx::query_scalar(
            "UPDATE login_attempts SET reported_at = $2 \
             WHERE key = $1 AND reported_at < last_failure_at RETURNING 1",
        )
        .bind(&key)
        .bind(now)
        .fetch_optional(db)
        .await
        .map_err(|error| LimitError::Internal(internal("mark refusal", error)))?;
        let capped = failures >= MAX_CONSECUTIVE_FAILURES;
        let retry_after = if capped {
            self.backoff_max.as_secs()
        } else {
            let elapsed = u64::try_from(now - last_failure_at).unwrap_or(0);
            self.backoff(failures, free).saturating_sub(elapsed)
        };
        Err(LimitError::Refused(Refused {
            retry_after: retry_after.max(1),
            capped,
            first_in_window: first_in_window.is_some(),
        }))
    }

    /// Gives back an attempt that was reserved but never checked (the
    /// hashing queue was full).
    pub async fn release_attempt(&self, db: &AnyPool, subject: &Subject) {
        let released =
            sqlx::query("UPDATE login_attempts SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END \
                 WHERE key = $1")
                .bind(subject.key())
                .execute(db)
                .await;
        if let Err(error) = released {
            internal("release attempt", error);
        }
    }

    /// Forgets the failures of these subjects: after a successful log-in,
    /// or a sign-up for the address.
    pub async fn clear(&self, db: &AnyPool, subjects: &[Subject]) -> Result<(), AppError> {
        for subject in subjects {
            sqlx::query("DELETE FROM login_attempts WHERE key = $1")
                .bind(subject.key())
                .execute(db)
                .await
                .map_err(|error| internal("clear attempts", error))?;
        }
        Ok(())
    }

    /// Forgets every failure counted on an account: on its address and on
    /// each of its trusted browsers. After a password reset, the owner is
    /// back in whatever anyone tried before.
    pub async fn clear_account(
        &self,
        db: &AnyPool,
        email_key: &str,
        user_id: i64,
    ) -> Result<(), AppError> {
        sqlx::query("DELETE FROM login_attempts WHERE key = $1 OR key LIKE $2")
            .bind(Subject::Address(email_key.to_owned()).key())
            .bind(format!("device:{user_id}:%"))
            .execute(db)
            .await
            .map_err(|error| internal("clear account attempts", error))?;
        Ok(())
    }
}

/// Why a limit did not let a request through.
#[derive(Debug)]
pub enum LimitError {
    Refused(Refused),
    Internal(AppError),
}

/// Logs an unexpected database failure and hides it from the client.
pub(super) fn internal(action: &str, error: sqlx::Error) -> AppError {
    tracing::error!("limits: {action}: {error}");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_starts_after_the_free_failures_and_doubles() {
        let limits = RateLimits::default();
        assert_eq!(limits.account_wait(4, 1000, 1000), 0);
        assert_eq!(limits.account_wait(5, 1000, 1000), 1);
        assert_eq!(limits.account_wait(6, 1000, 1000), 2);
        assert_eq!(limits.account_wait(9, 1000, 1000), 16);
        assert_eq!(limits.account_wait(9, 1000, 1010), 6, "time served counts");
        assert_eq!(limits.account_wait(9, 1000, 1100), 0);
        assert_eq!(limits.account_wait(60, 1000, 1000), 900, "capped");
    }

    #[test]
    fn after_100_failures_nothing_is_evaluated() {
        let limits = RateLimits::default();
        assert_eq!(limits.account_wait(100, 0, 1_000_000_000), 900);
    }

    #[test]
    fn subjects_have_distinct_keys() {
        assert_eq!(
            Subject::Address("ada@example.com".into()).key(),
            "address:ada@example.com"
        );
        assert_eq!(
            Subject::Device {
                user_id: 7,
                nonce: "abc".into()
            }
            .key(),
            "device:7:abc"
        );
    }
}

//! Brute-force limits, stored in the database so that every instance of
//! the server behind a load balancer enforces the same ones.
//!
//! - Per client IP: a token bucket on the authentication endpoints.
//! - Per email address: after a few free failures, exponential back-off
//!   between attempts; after 100 consecutive failures (NIST SP 800-63B
//!   §3.2.2) no more passwords are checked for that address.
//!
//! Both are checked before any password hashing, so a flood costs us a
//! database round trip, not an argon2 computation.

use std::time::Duration;

use sqlx::SqlitePool;

use crate::error::AppError;

/// The limits, all configurable.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    /// Requests a client IP may make at once on the auth endpoints.
    pub ip_burst: u32,
    /// Requests per minute a client IP regains.
    pub ip_per_minute: u32,
    /// Consecutive failed log-ins allowed before back-off starts.
    pub free_failures: u32,
    /// The first back-off; it doubles with each further failure.
    pub backoff_base: Duration,
    /// The longest back-off between two attempts.
    pub backoff_max: Duration,
}

/// Consecutive failures after which an address is no longer evaluated.
pub const MAX_CONSECUTIVE_FAILURES: i64 = 100;

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            ip_burst: 20,
            ip_per_minute: 20,
            free_failures: 5,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15 * 60),
        }
    }
}

impl RateLimits {
    /// Seconds to wait after `failures` consecutive failures, the last at
    /// `last_failure_at`, as seen at `now`; 0 when an attempt may go ahead.
    pub fn account_wait(&self, failures: i64, last_failure_at: i64, now: i64) -> u64 {
        if failures >= MAX_CONSECUTIVE_FAILURES {
            return self.backoff_max.as_secs().max(1);
        }
        let over = failures - i64::from(self.free_failures);
        if over < 0 {
            return 0;
        }
        let backoff = self
            .backoff_base
            .as_secs()
            .saturating_mul(1u64 << over.min(40))
            .min(self.backoff_max.as_secs());
        let elapsed = u64::try_from(now - last_failure_at).unwrap_or(0);
        backoff.saturating_sub(elapsed)
    }

    /// Takes one request from `key`'s bucket; `Err(TooManyAttempts)` when
    /// it is empty. One UPSERT, so concurrent requests cannot both take the
    /// last token.
    pub async fn take(&self, db: &SqlitePool, key: &str, now: f64) -> Result<(), AppError> {
        let capacity = f64::from(self.ip_burst.max(1));
        let per_second = f64::from(self.ip_per_minute.max(1)) / 60.0;
        let (tokens, allowed): (f64, bool) = sqlx::query_as(
            "INSERT INTO rate_buckets (key, tokens, updated_at, last_allowed) VALUES (?1, ?2 - 1, ?3, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               tokens = CASE WHEN min(?2, tokens + (?3 - updated_at) * ?4) >= 1 \
                             THEN min(?2, tokens + (?3 - updated_at) * ?4) - 1 \
                             ELSE min(?2, tokens + (?3 - updated_at) * ?4) END, \
               last_allowed = min(?2, tokens + (?3 - updated_at) * ?4) >= 1, \
               updated_at = ?3 \
             RETURNING tokens, last_allowed",
        )
        .bind(key)
        .bind(capacity)
        .bind(now)
        .bind(per_second)
        .fetch_one(db)
        .await
        .map_err(|error| {
            tracing::error!("rate limit: {error}");
            AppError::Internal
        })?;
        if allowed {
            Ok(())
        } else {
            // Round up and never promise less than a second.
            let retry_after = ((1.0 - tokens) / per_second).ceil().max(1.0) as u64;
            Err(AppError::TooManyAttempts { retry_after })
        }
    }
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
}

//! Log-in: an email and password checked against the same limits and with
//! the same work whether or not the account exists, then a new session.

use super::{
    audit, email,
    limits::{LimitError, Subject},
    second_step::LoggedIn,
    signup::length_problems,
    sql::internal,
    Accounts, Browser, Client, Event,
};
use crate::{error::AppError, time::now, validation::Problem};

impl Accounts {
    /// Checks an email and password and starts a new session, or, for an
    /// account with a second factor, a pending log-in that waits for it
    /// (see [`super::second_step`]). Unknown email and wrong password give
    /// the same error after the same work.
    ///
    /// The attempt is counted before the password is checked, against the
    /// browser's device cookie when it has signed in to this account
    /// before, else against the address (see [`limits`]).
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        remember: bool,
        client: &Client,
        browser: &Browser,
    ) -> Result<LoggedIn, AppError> {
        let result = self
            .check_log_in(email, password, remember, client, browser)
            .await;
        metrics::counter!("login_attempts_total", "outcome" => log_in_outcome(&result))
            .increment(1);
        result
    }

    async fn check_log_in(
        &self,
        email: &str,
        password: &str,
        remember: bool,
        client: &Client,
        browser: &Browser,
    ) -> Result<LoggedIn, AppError> {
        let email = email.trim();
        let mut problems = Vec::new();
        if email.is_empty() {
            problems.push(Problem::EmailMissing);
        }
        if password.is_empty() {
            problems.push(Problem::PasswordMissing);
        }
        problems.extend(length_problems(email, password, None));
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        self.take_client_token(client).await?;
        // An address that is not even well-formed matches no account; it
        // is still counted, so it is answered exactly like any other. A NUL
        // cannot be stored in PostgreSQL text, so it is kept out of the key.
        let key = email::key_for_log_in(email)
            .unwrap_or_else(|| email.to_lowercase().replace('\0', "\u{fffd}"));
        // Whether a second factor follows is read along, so that every
        // known address costs the same one query.
        let found: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT u.id, u.password_hash, t.user_id FROM users u \
             LEFT JOIN totp_secrets t ON t.user_id = u.id AND t.enabled_at IS NOT NULL \
             WHERE u.email_key = $1",
        )
        .bind(&key)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find user", error))?;
        let (user_id, stored, second_factor) = match found {
            Some((id, stored, factor)) => (Some(id), Some(stored), factor.is_some()),
            None => (None, None, false),
        };
        let subject = self.log_in_subject(user_id, key, browser);
        // With a second factor to come, the count of failures stays until
        // the whole log-in succeeds.
        let last_step = !second_factor;
        if !self
            .check_password(subject, user_id, stored, password, client, last_step)
            .await?
        {
            return Err(AppError::InvalidCredentials);
        }
        let Some(user_id) = user_id else {
            return Err(AppError::InvalidCredentials);
        };
        let logged_in = self
            .after_password(user_id, second_factor, remember, client, browser)
            .await?;
        if let LoggedIn::SignedIn(_) = logged_in {
            audit::record(&self.db, Event::LogIn, Some(user_id), client).await;
        }
        Ok(logged_in)
    }

    /// Whom a password attempt on the account `user_id` (if the address
    /// `email_key` has one) counts against: this browser when its device
    /// cookie has signed in to the account before, else the address.
    pub(super) fn log_in_subject(
        &self,
        user_id: Option<i64>,
        email_key: String,
        browser: &Browser,
    ) -> Subject {
        let devices = browser
            .device_cookie
            .as_deref()
            .map(|cookie| self.devices.read(cookie))
            .unwrap_or_default();
        match devices
            .into_iter()
            .find(|device| Some(device.user_id) == user_id)
        {
            Some(device) => Subject::Device {
                user_id: device.user_id,
                nonce: device.nonce,
            },
            None => Subject::Address(email_key),
        }
    }

    /// Checks a password against `stored` (the account's hash, or none for
    /// an unknown address, which costs the same work and fails). The
    /// attempt is counted against `subject` before anything is hashed; a
    /// success clears its count when `clear_on_success` (else only gives
    /// this attempt back), a failure is audited.
    pub(super) async fn check_password(
        &self,
        subject: Subject,
        user_id: Option<i64>,
        stored: Option<String>,
        password: &str,
        client: &Client,
        clear_on_success: bool,
    ) -> Result<bool, AppError> {
        match self.limits.reserve_attempt(&self.db, &subject, now()).await {
            Ok(()) => {}
            Err(LimitError::Refused(refused)) => {
                self.record_refusal(refused, user_id, client).await;
                return Err(AppError::LogInLocked {
                    retry_after: refused.retry_after,
                    capped: refused.capped,
                });
            }
            Err(LimitError::Internal(error)) => return Err(error),
        }
        let verified = match self.hasher.verify_typed(password, stored).await {
            Ok(verified) => verified && user_id.is_some(),
            Err(error) => {
                // Not checked after all: the attempt does not count.
                self.limits.release_attempt(&self.db, &subject).await;
                return Err(error);
            }
        };
        if verified && clear_on_success {
            self.limits.clear(&self.db, &[subject]).await?;
        } else if verified {
            // The right password, with a second factor to come: this
            // attempt does not count, and earlier failures stay counted.
            self.limits.release_attempt(&self.db, &subject).await;
        } else {
            audit::record(&self.db, Event::LogInFailed, user_id, client).await;
        }
        Ok(verified)
    }
}

/// Every outcome [`log_in_outcome`] names, so that each series exists
/// (at zero) from the start and a dashboard's rate of it is never empty.
pub const LOG_IN_OUTCOMES: [&str; 7] = [
    "success",
    "second_factor",
    "bad_credentials",
    "rate_limited",
    "queue_full",
    "invalid",
    "error",
];

/// How a log-in ended, as the `login_attempts_total` metric counts it.
fn log_in_outcome(result: &Result<LoggedIn, AppError>) -> &'static str {
    match result {
        Ok(LoggedIn::SignedIn(_)) => "success",
        Ok(LoggedIn::SecondFactor(_)) => "second_factor",
        Err(AppError::InvalidCredentials) => "bad_credentials",
        Err(AppError::LogInLocked { .. } | AppError::TooManyAttempts { .. }) => "rate_limited",
        Err(AppError::Busy { .. }) => "queue_full",
        Err(AppError::Invalid(_)) => "invalid",
        Err(_) => "error",
    }
}

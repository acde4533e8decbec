//! Accounts: the only way the product creates users, checks passwords and
//! manages sessions. Plain Rust and SQL, no Leptos types: server functions
//! call [`Accounts`] and translate the result for the web.
//!
//! Security reasoning lives next to the code it concerns: the password
//! policy in [`password`], hashing in [`hashing`], tokens in [`session`].

pub mod audit;
pub mod hashing;
pub mod limits;
pub mod password;
pub mod session;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{FromRow, SqlitePool};

use crate::{
    error::AppError,
    validation::{check_display_name, check_email, Problem},
};
pub use audit::{Client, Event};
pub use hashing::PasswordHasher;
pub use limits::RateLimits;
pub use session::SessionToken;

/// A person with an account, as the product shows them.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// How long sessions last.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after log-in, however active.
    pub lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(3 * 24 * 60 * 60),
            lifetime: Duration::from_secs(30 * 24 * 60 * 60),
        }
    }
}

/// A session that was just created: the token goes into the cookie.
#[derive(Debug)]
pub struct NewSession {
    pub token: SessionToken,
    /// "Remember me": the cookie outlives the browser until `max_age`.
    pub persistent: bool,
    pub max_age: Duration,
}

/// How often at most a session's `last_seen_at` is written, so that page
/// views do not each cost a database write.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// How many events "Recent activity" shows.
pub const RECENT_ACTIVITY: i64 = 10;

#[derive(Clone)]
pub struct Accounts {
    db: SqlitePool,
    hasher: PasswordHasher,
    sessions: SessionPolicy,
    limits: RateLimits,
}

impl Accounts {
    pub fn new(
        db: SqlitePool,
        hasher: PasswordHasher,
        sessions: SessionPolicy,
        limits: RateLimits,
    ) -> Self {
        Self {
            db,
            hasher,
            sessions,
            limits,
        }
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.sessions
    }

    /// Creates an account and signs it in. Every field is checked and every
    /// problem reported at once, so the user fixes the form in one go.
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
        client: &Client,
    ) -> Result<(User, NewSession), AppError> {
        self.take_client_token(client).await?;
        let mut problems = Vec::new();
        let email = check_email(email).map_err(|p| problems.push(p)).ok();
        let password = password::check_new(password, email.as_deref().unwrap_or_default())
            .map_err(|p| problems.push(p))
            .ok();
        let display_name = check_display_name(display_name)
            .map_err(|p| problems.push(p))
            .ok();
        let (Some(email), Some(password), Some(display_name)) = (email, password, display_name)
        else {
            return Err(AppError::Invalid(problems));
        };

        let email_key = email_key(&email);
        if self.find_user_id(&email_key).await?.is_some() {
            return Err(AppError::invalid(Problem::EmailTaken));
        }
        let password_hash = self.hasher.hash(password.as_bytes().to_vec()).await?;
        let inserted = sqlx::query_as::<_, User>(
            "INSERT INTO users (email, email_key, password_hash, display_name) \
             VALUES (?, ?, ?, ?) RETURNING id, email, display_name, created_at",
        )
        .bind(&email)
        .bind(&email_key)
        .bind(&password_hash)
        .bind(&display_name)
        .fetch_one(&self.db)
        .await;
        let user = match inserted {
            Ok(user) => user,
            // Two sign-ups with the same email at once: the index lets one in.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Err(AppError::invalid(Problem::EmailTaken))
            }
            Err(error) => return Err(internal("create user", error)),
        };
        let session = self.start_session(user.id, false).await?;
        audit::record(&self.db, Event::SignUp, Some(user.id), client).await;
        Ok((user, session))
    }

    /// Checks an email and password and starts a new session. Unknown email
    /// and wrong password give the same error after the same work.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        remember: bool,
        client: &Client,
    ) -> Result<(User, NewSession), AppError> {
        self.take_client_token(client).await?;
        let email = email.trim();
        let mut problems = Vec::new();
        if email.is_empty() {
            problems.push(Problem::EmailMissing);
        }
        if password.is_empty() {
            problems.push(Problem::PasswordMissing);
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let key = email_key(email);
        let found: Option<(i64, String)> =
            sqlx::query_as("SELECT id, password_hash FROM users WHERE email_key = ?")
                .bind(&key)
                .fetch_optional(&self.db)
                .await
                .map_err(|error| internal("find user", error))?;
        let (user_id, stored) = found.unzip();

        // Back-off per address, known or not, before any hashing.
        let failures: Option<(i64, i64)> = sqlx::query_as(
            "SELECT failures, last_failure_at FROM login_failures WHERE email_key = ?",
        )
        .bind(&key)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("read failures", error))?;
        if let Some((failures, last_failure_at)) = failures {
            let wait = self.limits.account_wait(failures, last_failure_at, now());
            if wait > 0 {
                audit::record(&self.db, Event::RateLimited, user_id, client).await;
                return Err(AppError::TooManyAttempts { retry_after: wait });
            }
        }

        // Sign-up never accepts an over-long password, so it cannot match.
        let verified = match password::normalise(password) {
            Ok(password) => self.hasher.verify(password.into_bytes(), stored).await?,
            Err(_) => false,
        };
        let Some(user_id) = user_id.filter(|_| verified) else {
            self.count_failure(&key).await?;
            audit::record(&self.db, Event::LogInFailed, user_id, client).await;
            return Err(AppError::InvalidCredentials);
        };
        sqlx::query("DELETE FROM login_failures WHERE email_key = ?")
            .bind(&key)
            .execute(&self.db)
            .await
            .map_err(|error| internal("clear failures", error))?;
        let user = self.user(user_id).await?;
        let session = self.start_session(user.id, remember).await?;
        audit::record(&self.db, Event::LogIn, Some(user.id), client).await;
        Ok((user, session))
    }

    /// The user's latest security events, newest first.
    pub async fn recent_activity(&self, user_id: i64) -> Result<Vec<audit::Entry>, AppError> {
        audit::recent(&self.db, user_id, RECENT_ACTIVITY)
            .await
            .map_err(|error| internal("read activity", error))
    }

    /// Records an event for the callers that act outside this module.
    pub async fn record(&self, event: Event, user_id: Option<i64>, client: &Client) {
        audit::record(&self.db, event, user_id, client).await;
    }

    async fn take_client_token(&self, client: &Client) -> Result<(), AppError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |elapsed| elapsed.as_secs_f64());
        let taken = self
            .limits
            .take(&self.db, &format!("ip:{}", client.ip), now)
            .await;
        if taken.is_err() {
            audit::record(&self.db, Event::RateLimited, None, client).await;
        }
        taken
    }

    async fn count_failure(&self, email_key: &str) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO login_failures (email_key, failures, last_failure_at) VALUES (?1, 1, ?2) \
             ON CONFLICT (email_key) DO UPDATE SET failures = failures + 1, last_failure_at = ?2",
        )
        .bind(email_key)
        .bind(now())
        .execute(&self.db)
        .await
        .map_err(|error| internal("count failure", error))?;
        Ok(())
    }

    /// Ends the session; the token is worthless afterwards.
    pub async fn log_out(&self, token: &SessionToken) -> Result<(), AppError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token.digest())
            .execute(&self.db)
            .await
            .map_err(|error| internal("delete session", error))?;
        Ok(())
    }

    /// The user a session token belongs to, if the session is still live.
    pub async fn user_for_session(&self, token: &SessionToken) -> Result<Option<User>, AppError> {
        let now = now();
        let idle_cutoff = now - secs(self.sessions.idle_timeout);
        let row: Option<(i64, i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT s.id, s.last_seen_at, u.id, u.email, u.display_name, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ?",
        )
        .bind(token.digest())
        .bind(now)
        .bind(idle_cutoff)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find session", error))?;
        let Some((session_id, last_seen_at, id, email, display_name, created_at)) = row else {
            return Ok(None);
        };
        if now - last_seen_at >= TOUCH_INTERVAL_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
                .bind(now)
                .bind(session_id)
                .execute(&self.db)
                .await
                .map_err(|error| internal("touch session", error))?;
        }
        Ok(Some(User {
            id,
            email,
            display_name,
            created_at,
        }))
    }

    /// Changes what the user is called across the product.
    pub async fn update_display_name(
        &self,
        user_id: i64,
        display_name: &str,
        client: &Client,
    ) -> Result<User, AppError> {
        let display_name = check_display_name(display_name).map_err(AppError::invalid)?;
        let user = sqlx::query_as::<_, User>(
            "UPDATE users SET display_name = ?, updated_at = unixepoch() \
             WHERE id = ? RETURNING id, email, display_name, created_at",
        )
        .bind(display_name)
        .bind(user_id)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("update display name", error))?
        .ok_or(AppError::NotSignedIn)?;
        audit::record(&self.db, Event::ProfileChanged, Some(user_id), client).await;
        Ok(user)
    }

    async fn user(&self, id: i64) -> Result<User, AppError> {
        sqlx::query_as::<_, User>(
            "SELECT id, email, display_name, created_at FROM users WHERE id = ?",
        )
        .bind(id)
        .fetch_one(&self.db)
        .await
        .map_err(|error| internal("load user", error))
    }

    async fn find_user_id(&self, email_key: &str) -> Result<Option<i64>, AppError> {
        sqlx::query_scalar("SELECT id FROM users WHERE email_key = ?")
            .bind(email_key)
            .fetch_optional(&self.db)
            .await
            .map_err(|error| internal("find user", error))
    }

    /// A fresh token for every log-in, so a token planted before log-in
    /// (session fixation) is never promoted. Expired sessions are swept
    /// here too, keeping the table small without a background job.
    async fn start_session(&self, user_id: i64, persistent: bool) -> Result<NewSession, AppError> {
        let now = now();
        let idle_cutoff = now - secs(self.sessions.idle_timeout);
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?")
            .bind(now)
            .bind(idle_cutoff)
            .execute(&self.db)
            .await
            .map_err(|error| internal("sweep sessions", error))?;

        let token = SessionToken::generate();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, persistent, created_at, last_seen_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token.digest())
        .bind(user_id)
        .bind(persistent)
        .bind(now)
        .bind(now)
        .bind(now + secs(self.sessions.lifetime))
        .execute(&self.db)
        .await
        .map_err(|error| internal("create session", error))?;
        Ok(NewSession {
            token,
            persistent,
            max_age: self.sessions.lifetime,
        })
    }
}

/// The form of an email address that uniqueness and log-in compare:
/// trimmed and lower-cased with Unicode case folding.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(secs)
        .unwrap_or_default()
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2)
}

/// Logs an unexpected database failure and hides it from the client.
fn internal(action: &str, error: sqlx::Error) -> AppError {
    tracing::error!("accounts: {action}: {error}");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_keys_fold_case_including_unicode() {
        assert_eq!(email_key("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(email_key("ÉLODIE@exemple.fr"), "élodie@exemple.fr");
    }

    #[test]
    fn default_sessions_idle_out_before_they_expire() {
        let policy = SessionPolicy::default();
        assert!(policy.idle_timeout < policy.lifetime);
    }
}

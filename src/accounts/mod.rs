//! Accounts: the only way the product creates users, checks passwords and
//! manages sessions. Plain Rust and SQL, no Leptos types: server functions
//! call [`Accounts`] and translate the result for the web.
//!
//! Security reasoning lives next to the code it concerns: the password
//! policy in [`password`], hashing in [`hashing`], tokens in [`session`].

pub mod admin;
pub mod audit;
pub mod device;
pub mod email;
pub mod hashing;
pub mod limits;
pub mod links;
pub mod mail;
pub mod password;
pub mod retention;
pub mod session;
pub mod settings;

use std::{
    net::IpAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use sqlx::{AnyPool, FromRow};

use crate::{
    error::AppError,
    server::db::Backend,
    validation::{
        check_display_name, Problem, DISPLAY_NAME_MAX_CHARS, EMAIL_MAX_CHARS, PASSWORD_MAX_BYTES,
    },
};
pub use audit::{Client, Event};
pub use device::DeviceKeys;
pub use hashing::PasswordHasher;
pub use limits::{network_key, RateLimits};
use limits::{LimitError, Refused, Subject};
pub use session::SessionToken;

/// A person with an account, as the product shows them.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When the user proved the address is theirs, if they have.
    pub email_verified_at: Option<i64>,
}

/// A live session and its user, as one query finds them.
#[derive(FromRow)]
struct LiveSession {
    session_id: i64,
    last_seen_at: i64,
    authenticated_at: i64,
    #[sqlx(flatten)]
    user: User,
}

/// The signed-in user of a request, and which of their sessions it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub user: User,
    pub session_id: i64,
    /// When the user last entered their password in this session (Unix
    /// seconds): the start of its sudo mode.
    pub authenticated_at: i64,
}

/// How long sessions last.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after log-in, however active.
    pub lifetime: Duration,
    /// How long after entering their password a user may do what needs
    /// it entered recently (change the email, end sessions, delete the
    /// account) without entering it again.
    pub sudo: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(3 * 24 * 60 * 60),
            lifetime: Duration::from_secs(30 * 24 * 60 * 60),
            sudo: Duration::from_secs(10 * 60),
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

/// What the browser presented along with a sign-up or log-in.
#[derive(Clone, Debug, Default)]
pub struct Browser {
    /// The session its cookie named, if any: a new sign-in ends it.
    pub session: Option<SessionToken>,
    /// Its device cookie, if any (see [`device`]).
    pub device_cookie: Option<String>,
}

/// How sign-up treats a new address (`SIGNUP_MODE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignUpMode {
    /// The account starts at once and is signed in; the address is
    /// verified later by mail. Sign-up says when an address is taken.
    #[default]
    Open,
    /// The account starts only when the link mailed to the address is
    /// used. Sign-up answers "check your inbox" alike for every address,
    /// so it does not tell which ones are registered; an address that has
    /// an account gets a notice instead of a link.
    VerifyFirst,
}

/// What a sign-up did.
#[derive(Debug)]
pub enum SignedUp {
    /// The account was made and this browser signed in.
    SignedIn(Box<SignedIn>),
    /// A link was mailed (or, for an address that has an account, a
    /// notice): the same answer either way.
    CheckInbox,
}

/// A browser that has just signed in.
#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    pub session: NewSession,
    /// The browser's new device cookie value.
    pub device_cookie: String,
}

/// How often at most a session's `last_seen_at` is written, so that page
/// views do not each cost a database write.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// How many events "Recent activity" shows.
pub const RECENT_ACTIVITY: i64 = 10;

/// The advisory lock that account-changing transactions hold on
/// PostgreSQL (see `Accounts::begin`).
const ACCOUNT_WRITE_LOCK: i64 = 0x6c65_7074_6f73_0001;

#[derive(Clone)]
pub struct Accounts {
    db: AnyPool,
    hasher: PasswordHasher,
    sessions: SessionPolicy,
    limits: RateLimits,
    devices: DeviceKeys,
    outbox: mail::Outbox,
    signup_mode: SignUpMode,
}

impl Accounts {
    pub fn new(
        db: AnyPool,
        hasher: PasswordHasher,
        sessions: SessionPolicy,
        limits: RateLimits,
        devices: DeviceKeys,
        outbox: mail::Outbox,
    ) -> Self {
        Self {
            db,
            hasher,
            sessions,
            limits,
            devices,
            outbox,
            signup_mode: SignUpMode::Open,
        }
    }

    /// The same accounts, signing up in `mode`.
    pub fn with_signup_mode(mut self, mode: SignUpMode) -> Self {
        self.signup_mode = mode;
        self
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.sessions
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// Signs up. Every field is checked and every problem reported at
    /// once, so the user fixes the form in one go. Then, in the open mode,
    /// the account is made and signed in; in the verify-first mode, a link
    /// that starts it is mailed (see [`SignUpMode`]).
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedUp, AppError> {
        let started = tokio::time::Instant::now();
        // Bounded before anything is written, so nothing oversized is kept.
        let too_long = length_problems(email, password, Some(display_name));
        if !too_long.is_empty() {
            return Err(AppError::Invalid(too_long));
        }
        self.take_client_token(client).await?;
        let mut problems = Vec::new();
        let email = email::normalise(email).map_err(|p| problems.push(p)).ok();
        let password = password::check_new(
            password,
            email.as_ref().map_or("", |email| email.email.as_str()),
        )
        .map_err(|p| problems.push(p))
        .ok();
        let display_name = check_display_name(display_name)
            .map_err(|p| problems.push(p))
            .ok();
        let (Some(email), Some(password), Some(display_name)) = (email, password, display_name)
        else {
            return Err(AppError::Invalid(problems));
        };
        match self.signup_mode {
            SignUpMode::Open => self
                .open_account(email, password, display_name, client, browser)
                .await
                .map(|signed_in| SignedUp::SignedIn(Box::new(signed_in))),
            SignUpMode::VerifyFirst => {
                let mailed = self.mail_sign_up_link(email, password, display_name).await;
                tokio::time::sleep_until(started + links::UNIFORM_ANSWER).await;
                mailed.map(|()| SignedUp::CheckInbox)
            }
        }
    }

    /// Makes the account at once and signs it in, with a verification link
    /// in the outbox.
    async fn open_account(
        &self,
        email: email::Normalised,
        password: password::AcceptedPassword,
        display_name: String,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedIn, AppError> {
        let user = self
            .create_account(&email, &password, &display_name, None)
            .await?;
        let signed_in = self.sign_in(user, false, client, browser).await?;
        audit::record(&self.db, Event::SignUp, Some(signed_in.user.id), client).await;
        Ok(signed_in)
    }

    /// Writes a new account, its password hashed, and (unless its address
    /// was proven at `verified_at`) the mail that verifies the address:
    /// one never exists without the other. Failed log-ins counted on the
    /// address before it had an account are forgotten: they are not the
    /// new owner's. Sign-up and the operator's `users create` both come
    /// here.
    pub(crate) async fn create_account(
        &self,
        email: &email::Normalised,
        password: &password::AcceptedPassword,
        display_name: &str,
        verified_at: Option<i64>,
    ) -> Result<User, AppError> {
        if self.find_user_id(&email.key).await?.is_some() {
            return Err(AppError::invalid(Problem::EmailTaken));
        }
        let password_hash = self.hasher.hash(password.as_bytes().to_vec()).await?;
        let mut tx = self.begin().await?;
        let user = insert_user(
            &mut tx,
            (&email.email, &email.key),
            &password_hash,
            display_name,
            verified_at,
        )
        .await?;
        if verified_at.is_none() {
            links::mail_link(
                &mut tx,
                &self.outbox,
                links::Purpose::Verify,
                user.id,
                &user.email,
                now(),
            )
            .await
            .map_err(|error| internal("mail verification link", error))?;
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit sign-up", error))?;
        self.outbox.ring();
        self.limits
            .clear(&self.db, &[Subject::Address(email.key.clone())])
            .await?;
        Ok(user)
    }

    /// Checks an email and password and starts a new session. Unknown email
    /// and wrong password give the same error after the same work.
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
    ) -> Result<SignedIn, AppError> {
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
    ) -> Result<SignedIn, AppError> {
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
        let found: Option<(i64, String)> =
            sqlx::query_as("SELECT id, password_hash FROM users WHERE email_key = $1")
                .bind(&key)
                .fetch_optional(&self.db)
                .await
                .map_err(|error| internal("find user", error))?;
        let (user_id, stored) = found.unzip();
        let subject = self.log_in_subject(user_id, key, browser);
        if !self
            .check_password(subject, user_id, stored, password, client)
            .await?
        {
            return Err(AppError::InvalidCredentials);
        }
        let Some(user_id) = user_id else {
            return Err(AppError::InvalidCredentials);
        };
        let user = self.user(user_id).await?;
        let signed_in = self.sign_in(user, remember, client, browser).await?;
        audit::record(&self.db, Event::LogIn, Some(user_id), client).await;
        Ok(signed_in)
    }

    /// Whom a password attempt on the account `user_id` (if the address
    /// `email_key` has one) counts against: this browser when its device
    /// cookie has signed in to the account before, else the address.
    fn log_in_subject(
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
    /// success clears its count, a failure is audited.
    async fn check_password(
        &self,
        subject: Subject,
        user_id: Option<i64>,
        stored: Option<String>,
        password: &str,
        client: &Client,
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
        let password = password::normalise(password).unwrap_or_default();
        let verified = match self.hasher.verify(password.into_bytes(), stored).await {
            Ok(verified) => verified && user_id.is_some(),
            Err(error) => {
                // Not checked after all: the attempt does not count.
                self.limits.release_attempt(&self.db, &subject).await;
                return Err(error);
            }
        };
        if verified {
            self.limits.clear(&self.db, &[subject]).await?;
        } else {
            audit::record(&self.db, Event::LogInFailed, user_id, client).await;
        }
        Ok(verified)
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

    /// Takes a token from the client network's bucket for the
    /// authentication endpoints.
    async fn take_client_token(&self, client: &Client) -> Result<(), AppError> {
        let key = client
            .ip
            .parse::<IpAddr>()
            .map_or_else(|_| "ip:unknown".to_owned(), network_key);
        let bucket = self.limits.auth_bucket();
        self.take(&key, bucket, None, client).await
    }

    async fn take(
        &self,
        key: &str,
        bucket: limits::Bucket,
        user_id: Option<i64>,
        client: &Client,
    ) -> Result<(), AppError> {
        match self.limits.take(&self.db, key, bucket, now_precise()).await {
            Ok(()) => Ok(()),
            Err(LimitError::Refused(refused)) => {
                self.record_refusal(refused, user_id, client).await;
                Err(AppError::TooManyAttempts {
                    retry_after: refused.retry_after,
                })
            }
            Err(LimitError::Internal(error)) => Err(error),
        }
    }

    /// One audit event per window of refusals, not one per request.
    async fn record_refusal(&self, refused: Refused, user_id: Option<i64>, client: &Client) {
        if refused.first_in_window {
            audit::record(&self.db, Event::RateLimited, user_id, client).await;
        }
    }

    /// Ends the session; the token is worthless afterwards.
    pub async fn log_out(&self, token: &SessionToken) -> Result<(), AppError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token.digest())
            .execute(&self.db)
            .await
            .map_err(|error| internal("delete session", error))?;
        Ok(())
    }

    /// The user a session token belongs to, if the session is still live.
    pub async fn user_for_session(
        &self,
        token: &SessionToken,
    ) -> Result<Option<Current>, AppError> {
        let now = now();
        let idle_cutoff = now - secs(self.sessions.idle_timeout);
        let row = sqlx::query_as::<_, LiveSession>(
            "SELECT s.id AS session_id, s.last_seen_at, s.authenticated_at, u.id, u.email, \
             u.display_name, \
             u.created_at, u.email_verified_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
        )
        .bind(token.digest())
        .bind(now)
        .bind(idle_cutoff)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find session", error))?;
        let Some(LiveSession {
            session_id,
            last_seen_at,
            authenticated_at,
            user,
        }) = row
        else {
            return Ok(None);
        };
        if now - last_seen_at >= TOUCH_INTERVAL_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(session_id)
                .execute(&self.db)
                .await
                .map_err(|error| internal("touch session", error))?;
        }
        Ok(Some(Current {
            user,
            session_id,
            authenticated_at,
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
        let bucket = self.limits.profile_bucket();
        self.take(&format!("profile:{user_id}"), bucket, Some(user_id), client)
            .await?;
        let user = sqlx::query_as::<_, User>(
            "UPDATE users SET display_name = $1, updated_at = $3 \
             WHERE id = $2 RETURNING id, email, display_name, created_at, email_verified_at",
        )
        .bind(display_name)
        .bind(user_id)
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("update display name", error))?
        .ok_or(AppError::NotSignedIn)?;
        audit::record(&self.db, Event::ProfileChanged, Some(user_id), client).await;
        Ok(user)
    }

    /// Starts a transaction that holds the write lock from its first
    /// statement, so that account changes happen one at a time, as if alone.
    /// Every transaction here reads and then writes.
    ///
    /// SQLite: `BEGIN IMMEDIATE`. A deferred transaction would take the lock
    /// only at its first write and fail at once (SQLITE_BUSY_SNAPSHOT, which
    /// the busy timeout does not wait out) when another connection wrote in
    /// between. PostgreSQL: a transaction-scoped advisory lock, the same one
    /// on every instance, released at commit or rollback. Log-ins, rate
    /// limits and page views do not take it: they are single statements.
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
        match Backend::of(&self.db) {
            Backend::Sqlite => self
                .db
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(|error| internal("begin", error)),
            Backend::Postgres => {
                let mut tx = self
                    .db
                    .begin()
                    .await
                    .map_err(|error| internal("begin", error))?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(ACCOUNT_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| internal("take the write lock", error))?;
                Ok(tx)
            }
        }
    }

    async fn user(&self, id: i64) -> Result<User, AppError> {
        sqlx::query_as::<_, User>(
            "SELECT id, email, display_name, created_at, email_verified_at FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.db)
        .await
        .map_err(|error| internal("load user", error))
    }

    async fn find_user_id(&self, email_key: &str) -> Result<Option<i64>, AppError> {
        sqlx::query_scalar("SELECT id FROM users WHERE email_key = $1")
            .bind(email_key)
            .fetch_optional(&self.db)
            .await
            .map_err(|error| internal("find user", error))
    }

    /// Starts a session for `user` in `browser`: ends the session its
    /// cookie named (whoever it belonged to: a new sign-in replaces it),
    /// and extends its device cookie with this account.
    async fn sign_in(
        &self,
        user: User,
        persistent: bool,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedIn, AppError> {
        if let Some(previous) = &browser.session {
            self.log_out(previous).await?;
        }
        let session = self.start_session(user.id, persistent, client).await?;
        let devices = browser
            .device_cookie
            .as_deref()
            .map(|cookie| self.devices.read(cookie))
            .unwrap_or_default();
        let device_cookie = self.devices.after_sign_in(&devices, user.id);
        Ok(SignedIn {
            user,
            session,
            device_cookie,
        })
    }

    /// A fresh token for every log-in, so a token planted before log-in
    /// (session fixation) is never promoted.
    /// The session remembers the browser's IP and user agent for the
    /// settings page's list, and counts as a fresh authentication.
    async fn start_session(
        &self,
        user_id: i64,
        persistent: bool,
        client: &Client,
    ) -> Result<NewSession, AppError> {
        let now = now();
        let token = SessionToken::generate();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, persistent, created_at, last_seen_at, \
             expires_at, ip, user_agent, authenticated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token.digest())
        .bind(user_id)
        .bind(i64::from(persistent))
        .bind(now)
        .bind(now)
        .bind(now + secs(self.sessions.lifetime))
        .bind(&client.ip)
        .bind(&client.user_agent)
        .bind(now)
        .execute(&self.db)
        .await
        .map_err(|error| internal("create session", error))?;
        metrics::counter!("sessions_created_total").increment(1);
        Ok(NewSession {
            token,
            persistent,
            max_age: self.sessions.lifetime,
        })
    }
}

/// Writes a new account (its address and the address's key, as
/// [`email::normalise`] makes them; its password already hashed) inside
/// `tx`; `verified_at` is when its address was proven, if it has been. An
/// address already taken is [`Problem::EmailTaken`], however the race
/// with another sign-up went.
async fn insert_user(
    tx: &mut sqlx::AnyConnection,
    (email, email_key): (&str, &str),
    password_hash: &str,
    display_name: &str,
    verified_at: Option<i64>,
) -> Result<User, AppError> {
    let inserted = sqlx::query_as::<_, User>(
        "INSERT INTO users (email, email_key, password_hash, display_name, email_key_version, \
         email_verified_at) VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, email, display_name, created_at, email_verified_at",
    )
    .bind(email)
    .bind(email_key)
    .bind(password_hash)
    .bind(display_name)
    .bind(crate::server::db::EMAIL_KEY_VERSION)
    .bind(verified_at)
    .fetch_one(&mut *tx)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(AppError::invalid(Problem::EmailTaken))
        }
        Err(error) => Err(internal("create user", error)),
    }
}

/// Every outcome [`log_in_outcome`] names, so that each series exists
/// (at zero) from the start and a dashboard's rate of it is never empty.
pub const LOG_IN_OUTCOMES: [&str; 6] = [
    "success",
    "bad_credentials",
    "rate_limited",
    "queue_full",
    "invalid",
    "error",
];

/// How a log-in ended, as the `login_attempts_total` metric counts it.
fn log_in_outcome(result: &Result<SignedIn, AppError>) -> &'static str {
    match result {
        Ok(_) => "success",
        Err(AppError::InvalidCredentials) => "bad_credentials",
        Err(AppError::LogInLocked { .. } | AppError::TooManyAttempts { .. }) => "rate_limited",
        Err(AppError::Busy { .. }) => "queue_full",
        Err(AppError::Invalid(_)) => "invalid",
        Err(_) => "error",
    }
}

/// Problems with the size of what was typed, checked before anything is
/// written or hashed.
fn length_problems(email: &str, password: &str, display_name: Option<&str>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if email.trim().chars().count() > EMAIL_MAX_CHARS {
        problems.push(Problem::EmailTooLong);
    }
    if password.len() > PASSWORD_MAX_BYTES {
        problems.push(Problem::PasswordTooLong);
    }
    if let Some(chars) = display_name
        .map(|name| name.trim().chars().count())
        .filter(|&chars| chars > DISPLAY_NAME_MAX_CHARS)
    {
        problems.push(Problem::DisplayNameTooLong { chars });
    }
    problems
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(secs)
        .unwrap_or_default()
}

/// Unix time with sub-second precision, for token buckets.
fn now_precise() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
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
    fn lengths_are_checked_before_anything_else() {
        let huge_email = format!("{}@example.com", "a".repeat(60_000));
        assert_eq!(
            length_problems(&huge_email, "x", None),
            [Problem::EmailTooLong]
        );
        assert_eq!(
            length_problems("ada@example.com", &"x".repeat(1025), Some(&"n".repeat(51))),
            [
                Problem::PasswordTooLong,
                Problem::DisplayNameTooLong { chars: 51 }
            ]
        );
        assert!(length_problems("ada@example.com", "short", Some("Ada")).is_empty());
    }

    #[test]
    fn default_sessions_idle_out_before_they_expire() {
        let policy = SessionPolicy::default();
        assert!(policy.idle_timeout < policy.lifetime);
    }
}

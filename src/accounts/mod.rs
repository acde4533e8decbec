//! Accounts: the only way the product creates users, checks passwords and
//! manages sessions. Plain Rust and SQL, no Leptos types: server functions
//! call [`Accounts`] and translate the result for the web.
//!
//! This file holds the types the domain speaks and the [`Accounts`] value
//! itself. What a person does is one file each, an `impl Accounts` block:
//! [`signup`], [`login`], [`sessions`], [`profile`], [`recovery`] (reset
//! and verification), [`settings`] (sudo mode, password and email
//! change), [`two_factor`] (the authenticator app and recovery codes in
//! settings) with [`second_step`] (the code a log-in then asks for) and
//! [`deletion`]; [`passkeys`] in settings with [`passkey_login`] (their
//! log-in and sudo mode); what the operator reads is in [`admin`], and
//! what they change in [`operator`]. They stand on the pieces below them,
//! which know nothing of [`Accounts`]: one-time [`links`], the [`mail`]
//! outbox and its [`letters`], rate [`limits`] and token [`buckets`],
//! [`device`] cookies, [`audit`] events, [`email`] addresses, data
//! [`retention`], the second factor's [`totp`] codes, [`recovery_codes`]
//! and [`seal`], passkey [`ceremonies`], and the [`sql`] dialects.
//!
//! Security reasoning lives next to the code it concerns: the password
//! policy in [`password`], hashing in [`hashing`], tokens in [`token`].

pub mod admin;
pub mod audit;
pub mod buckets;
pub mod ceremonies;
pub mod deletion;
pub mod device;
pub mod email;
pub mod email_change;
pub mod external;
pub mod hashing;
pub mod letters;
pub mod limits;
pub mod links;
pub mod login;
pub mod login_link;
mod lookup;
pub mod mail;
pub mod operator;
pub mod passkey_login;
pub mod passkeys;
pub mod password;
pub mod profile;
pub mod recovery;
pub mod recovery_codes;
pub mod retention;
pub mod seal;
pub mod second_step;
pub mod sessions;
pub mod settings;
pub mod signup;
pub mod sql;
pub mod token;
pub mod totp;
pub mod two_factor;

use std::{net::IpAddr, time::Duration};

use sqlx::{AnyPool, FromRow};

use crate::{error::AppError, time::now_precise};
pub use audit::{Client, Event};
pub use buckets::network_key;
pub use device::DeviceKeys;
pub use hashing::PasswordHasher;
pub use limits::RateLimits;
use limits::{LimitError, Refused};
pub use seal::SealKey;
use sql::internal;
pub use token::SessionToken;

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

/// A session renewed when its user entered their password: a new token
/// (for the cookie) on a new row; the old token no longer works.
#[derive(Debug)]
pub struct Renewed {
    pub session: NewSession,
    pub session_id: i64,
}

/// How a request passed the sudo check: the session to carry on with,
/// and the new session when the password it carried renewed it.
#[derive(Debug)]
pub(crate) struct Sudo {
    pub session_id: i64,
    pub renewed: Option<NewSession>,
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

/// What a verification link did.
#[derive(Debug)]
pub struct Verified {
    /// The account whose address is verified.
    pub user: User,
    /// The browser's new sign-in, when the link started the account.
    pub signed_in: Option<SignedIn>,
}

/// How many events "Recent activity" shows.
pub const RECENT_ACTIVITY: i64 = 10;

#[derive(Clone)]
pub struct Accounts {
    db: AnyPool,
    hasher: PasswordHasher,
    sessions: SessionPolicy,
    limits: RateLimits,
    devices: DeviceKeys,
    outbox: mail::Outbox,
    signup_mode: SignUpMode,
    /// Seals the TOTP secrets (see [`seal`]).
    seal: SealKey,
    /// The WebAuthn relying party, when the site's origin allows passkeys
    /// (see [`passkeys`]).
    passkeys: Option<std::sync::Arc<webauthn_rs::Webauthn>>,
    /// The external OpenID Connect providers (see [`external`]).
    providers: external::Providers,
}

impl Accounts {
    pub fn new(
        db: AnyPool,
        hasher: PasswordHasher,
        sessions: SessionPolicy,
        limits: RateLimits,
        devices: DeviceKeys,
        outbox: mail::Outbox,
        seal: SealKey,
    ) -> Self {
        Self {
            db,
            hasher,
            sessions,
            limits,
            devices,
            outbox,
            signup_mode: SignUpMode::Open,
            seal,
            passkeys: None,
            providers: external::Providers::default(),
        }
    }

    /// The same accounts, signing in through `providers` too.
    pub fn with_providers(mut self, providers: external::Providers) -> Self {
        self.providers = providers;
        self
    }

    /// The configured external providers.
    pub fn providers(&self) -> &external::Providers {
        &self.providers
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

    /// Takes a token from the client network's own bucket for passkey
    /// log-in ceremonies, as large as the log-in one. The log-in page
    /// starts one on every view (for the email field's autofill), so they
    /// do not draw on the attempts that log-ins and sign-ups have.
    async fn take_ceremony_token(&self, client: &Client) -> Result<(), AppError> {
        let key = client
            .ip
            .parse::<IpAddr>()
            .map_or_else(|_| "ip:unknown".to_owned(), network_key);
        let bucket = self.limits.auth_bucket();
        self.take(&format!("passkey-{key}"), bucket, None, client)
            .await
    }

    async fn take(
        &self,
        key: &str,
        bucket: buckets::Bucket,
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

    /// Starts a transaction that holds the write lock (see
    /// [`sql::begin_write`]).
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
        sql::begin_write(&self.db).await
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sessions_idle_out_before_they_expire() {
        let policy = SessionPolicy::default();
        assert!(policy.idle_timeout < policy.lifetime);
    }
}

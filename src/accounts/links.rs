//! One-time links by mail: the store behind verifying an address, resetting
//! a password, changing the email address and signing in without a
//! password.
//!
//! A link carries 256 random bits; the database keeps only their SHA-256,
//! with what the link is for, the address it went to, and when it expires.
//! Using a link marks it used in the same statement that checks it, so a
//! link works once even when it is opened twice at the same moment.
//! Opening a link's page (a GET, as mail scanners do) changes nothing: the
//! page has a button that posts.

use std::time::Duration;

use sqlx::AnyConnection;

use super::{mail, sql::internal, token::SessionToken};
use crate::error::AppError;

/// What a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The address belongs to the account (valid 24 hours).
    Verify,
    /// Choose a new password (valid 1 hour).
    Reset,
    /// Make the address the link went to the account's new one (valid 24
    /// hours).
    EmailChange,
    /// Cancel the pending change of address: sent to the account's current
    /// address when a change is asked for (valid 24 hours, as long as the
    /// change's own link).
    CancelEmailChange,
    /// Sign this browser in to the account (valid 15 minutes).
    LogIn,
    /// Prove the account is the person's, so that the identity they
    /// brought from an external provider is linked to it (valid 15
    /// minutes, in the browser that holds that identity).
    LinkIdentity,
}

impl Purpose {
    pub(super) fn code(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::EmailChange => "email_change",
            Self::CancelEmailChange => "email_change_cancel",
            Self::LogIn => "login",
            Self::LinkIdentity => "link_identity",
        }
    }

    pub(super) fn lifetime(self) -> Duration {
        match self {
            Self::Verify | Self::EmailChange | Self::CancelEmailChange => {
                Duration::from_secs(24 * 60 * 60)
            }
            Self::Reset => Duration::from_secs(60 * 60),
            Self::LogIn | Self::LinkIdentity => Duration::from_secs(15 * 60),
        }
    }
}

/// At most this many links of one purpose are mailed to an account per
/// hour, so that nobody can flood someone's inbox through these forms.
pub const LINKS_PER_HOUR: i64 = 3;

/// The least time a "forgot password" or sign-in link answer takes,
/// whether or not the address has an account, so that its timing does not
/// tell either.
pub const UNIFORM_ANSWER: Duration = Duration::from_millis(300);

/// Makes a link of `purpose` for account `user_id`, going to the address
/// `to`, inside the caller's transaction; returns its token.
pub(super) async fn make_link(
    tx: &mut AnyConnection,
    purpose: Purpose,
    user_id: i64,
    to: &str,
    now: i64,
) -> Result<SessionToken, sqlx::Error> {
    let token = SessionToken::generate();
    sqlx::query(
        "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.digest())
    .bind(purpose.code())
    .bind(user_id)
    .bind(to)
    .bind(now)
    .bind(now + i64::try_from(purpose.lifetime().as_secs()).unwrap_or(0))
    .execute(&mut *tx)
    .await?;
    Ok(token)
}

/// Makes a link of `purpose` for account `user_id` and puts its mail to
/// `to` in the outbox, inside the caller's transaction: `letter` writes
/// the mail around the link's token. `network` is the client network that
/// asked, when a stranger could have (see [`mail::Outbox::enqueue`]).
#[allow(clippy::too_many_arguments)]
pub async fn mail_link(
    tx: &mut AnyConnection,
    outbox: &mail::Outbox,
    purpose: Purpose,
    user_id: i64,
    to: &str,
    now: i64,
    network: Option<&str>,
    letter: impl FnOnce(&mail::Letters, &str) -> mail::Mail,
) -> Result<(), sqlx::Error> {
    let token = make_link(tx, purpose, user_id, to, now).await?;
    let letter = letter(&outbox.letters, token.as_str());
    outbox
        .enqueue(tx, Some(user_id), &letter, now, network)
        .await?;
    Ok(())
}

/// Uses up a live link of `purpose`: checked and marked used in one
/// statement, so it works once even when posted twice at the same moment.
/// Returns the account and the address the link went to.
pub(super) async fn use_link(
    tx: &mut AnyConnection,
    token: &SessionToken,
    purpose: Purpose,
    now: i64,
) -> Result<(i64, String), AppError> {
    sqlx::query_as(
        "UPDATE email_tokens SET used_at = $3 \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
         RETURNING user_id, email",
    )
    .bind(token.digest())
    .bind(purpose.code())
    .bind(now)
    .fetch_optional(tx)
    .await
    .map_err(|error| internal("use link", error))?
    .ok_or(AppError::LinkInvalid)
}

/// Spends the account's unused reset, sign-in and email-change links (and
/// the links that would cancel those changes), when its password changes:
/// a link asked for before then, perhaps by someone who had the old
/// password, a session or the mailbox, must not outlive it. Verification
/// links stay: they only prove the account's own address.
pub(super) async fn spend_account_links(
    tx: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE email_tokens SET used_at = $1 \
         WHERE user_id = $2 AND purpose IN ('reset', 'login', 'link_identity', 'email_change', \
         'email_change_cancel') \
         AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Spends the account's unused email-change links, with the links that
/// would cancel them: when sessions of the account are ended (a change
/// asked for from a session that someone wanted gone must not be finished
/// by mail afterwards), and when the change is cancelled.
pub(super) async fn spend_email_change_links<'e, E>(
    db: E,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE email_tokens SET used_at = $1 \
         WHERE user_id = $2 AND purpose IN ('email_change', 'email_change_cancel') \
         AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Links of `purpose` mailed to `user_id` in the last hour.
pub(super) async fn links_in_last_hour(
    tx: &mut AnyConnection,
    purpose: Purpose,
    user_id: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM email_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3",
    )
    .bind(user_id)
    .bind(purpose.code())
    .bind(now - 3600)
    .fetch_one(tx)
    .await
}

/// Refuses with 429, and says for how long, when `user_id` was mailed
/// [`LINKS_PER_HOUR`] links of `purpose` in the last hour: for a signed-in
/// user asking for a link, where saying so reveals nothing.
pub(super) async fn within_link_limit(
    tx: &mut AnyConnection,
    purpose: Purpose,
    user_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let recent = links_in_last_hour(tx, purpose, user_id, now)
        .await
        .map_err(|error| internal("count links", error))?;
    if recent < LINKS_PER_HOUR {
        return Ok(());
    }
    let oldest: i64 = sqlx::query_scalar(
        "SELECT min(created_at) FROM (SELECT created_at FROM email_tokens \
         WHERE user_id = $1 AND purpose = $2 AND created_at > $3 \
         ORDER BY created_at DESC LIMIT $4) AS latest",
    )
    .bind(user_id)
    .bind(purpose.code())
    .bind(now - 3600)
    .bind(LINKS_PER_HOUR)
    .fetch_one(&mut *tx)
    .await
    .map_err(|error| internal("read links", error))?;
    Err(AppError::TooManyAttempts {
        retry_after: u64::try_from(oldest + 3600 - now).unwrap_or(1).max(1),
    })
}

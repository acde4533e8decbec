//! One-time links by mail: verifying an address and resetting a password.
//!
//! A link carries 256 random bits; the database keeps only their SHA-256,
//! with what the link is for, the address it went to, and when it expires.
//! Using a link marks it used in the same statement that checks it, so a
//! link works once even when it is opened twice at the same moment.
//! Opening a link's page (a GET, as mail scanners do) changes nothing: the
//! page has a button that posts.

use std::time::Duration;

use sqlx::AnyConnection;

use super::{
    audit, email::Normalised, internal, mail, now, password, Accounts, Browser, Client, Event,
    SessionToken, SignedIn, User,
};
use crate::{
    error::AppError,
    validation::{Problem, EMAIL_MAX_CHARS, PASSWORD_MAX_BYTES},
};

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
}

impl Purpose {
    pub(super) fn code(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::EmailChange => "email_change",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Self::Verify | Self::EmailChange => Duration::from_secs(24 * 60 * 60),
            Self::Reset => Duration::from_secs(60 * 60),
        }
    }
}

/// At most this many links of one purpose are mailed to an account per
/// hour, so that nobody can flood someone's inbox through these forms.
pub const LINKS_PER_HOUR: i64 = 3;

/// The least time a "forgot password" answer takes, whether or not the
/// address has an account, so that its timing does not tell either.
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
/// `to` in the outbox, inside the caller's transaction.
pub async fn mail_link(
    tx: &mut AnyConnection,
    outbox: &mail::Outbox,
    purpose: Purpose,
    user_id: i64,
    to: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let token = make_link(tx, purpose, user_id, to, now).await?;
    let letter = match purpose {
        Purpose::Verify => outbox.letters.verify_email(to, token.as_str()),
        Purpose::Reset => outbox.letters.reset_password(to, token.as_str()),
        Purpose::EmailChange => outbox.letters.confirm_email_change(to, token.as_str()),
    };
    outbox.enqueue(tx, Some(user_id), &letter, now).await?;
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

/// Spends the account's unused reset and email-change links, when its
/// password changes: a link asked for before then, perhaps by someone
/// who had the old password or a session, must not outlive it.
/// Verification links stay: they only prove the account's own address.
pub(super) async fn spend_account_links(
    tx: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE email_tokens SET used_at = $1 \
         WHERE user_id = $2 AND purpose IN ('reset', 'email_change') AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(tx)
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

impl Accounts {
    /// "Forgot password": mails a reset link if `email` has an account.
    /// The answer is the same either way, after the same time; the link is
    /// not mailed when the account has had [`LINKS_PER_HOUR`] this hour.
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: &Client,
    ) -> Result<(), AppError> {
        let started = tokio::time::Instant::now();
        let email = email.trim();
        if email.is_empty() {
            return Err(AppError::invalid(Problem::EmailMissing));
        }
        if email.chars().count() > EMAIL_MAX_CHARS {
            return Err(AppError::invalid(Problem::EmailTooLong));
        }
        self.take_client_token(client).await?;
        let mailed = self.mail_reset_link(email).await;
        // Recorded inside the uniform time, so that the extra write for a
        // known address does not show in the answer's timing.
        if let Ok(Some(user_id)) = mailed {
            audit::record(
                &self.db,
                Event::PasswordResetRequested,
                Some(user_id),
                client,
            )
            .await;
        }
        tokio::time::sleep_until(started + UNIFORM_ANSWER).await;
        mailed.map(|_| ())
    }

    /// Mails a reset link to the account of `email`, if there is one and
    /// it may have another this hour; returns the account mailed.
    async fn mail_reset_link(&self, email: &str) -> Result<Option<i64>, AppError> {
        let Some(key) = super::email::key_for_log_in(email) else {
            return Ok(None);
        };
        let now = now();
        let mut tx = self.begin().await?;
        let user = sqlx::query_as::<_, User>(
            "SELECT id, email, display_name, created_at, email_verified_at \
             FROM users WHERE email_key = $1",
        )
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("find user", error))?;
        let Some(user) = user else {
            return Ok(None);
        };
        let recent = links_in_last_hour(&mut tx, Purpose::Reset, user.id, now)
            .await
            .map_err(|error| internal("count links", error))?;
        if recent >= LINKS_PER_HOUR {
            return Ok(None);
        }
        mail_link(
            &mut tx,
            &self.outbox,
            Purpose::Reset,
            user.id,
            &user.email,
            now,
        )
        .await
        .map_err(|error| internal("mail reset link", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit reset link", error))?;
        self.outbox.ring();
        Ok(Some(user.id))
    }

    /// Whether `token` is a live link that starts an account (a
    /// verify-first sign-up), whose page then asks for the password.
    pub async fn link_starts_account(&self, token: &str) -> Result<bool, AppError> {
        let Some(token) = SessionToken::parse(token) else {
            return Ok(false);
        };
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM pending_signups WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token.digest())
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find sign-up link", error))?;
        Ok(pending.is_some())
    }

    /// Whether `token` is a live link for `purpose`. Reads only: opening a
    /// link's page must not use it up.
    pub async fn link_is_live(&self, token: &str, purpose: Purpose) -> Result<bool, AppError> {
        let Some(token) = SessionToken::parse(token) else {
            return Ok(false);
        };
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM email_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
             UNION ALL SELECT 1 FROM pending_signups \
             WHERE $2 = 'verify' AND token_hash = $1 AND expires_at > $3 LIMIT 1",
        )
        .bind(token.digest())
        .bind(purpose.code())
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find link", error))?;
        Ok(live.is_some())
    }

    /// Sets a new password through a reset link, then signs this browser
    /// in. Every other session of the account ends, its failed-log-in
    /// locks clear, the address counts as verified (the link reached it),
    /// and a notice goes to the address.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        confirm: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedIn, AppError> {
        if new_password.len() > PASSWORD_MAX_BYTES || confirm.len() > PASSWORD_MAX_BYTES {
            return Err(AppError::invalid(Problem::PasswordTooLong));
        }
        let token = SessionToken::parse(token).ok_or(AppError::LinkInvalid)?;
        self.take_client_token(client).await?;
        let now = now();
        let user = sqlx::query_as::<_, User>(
            "SELECT u.id, u.email, u.display_name, u.created_at, u.email_verified_at \
             FROM email_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.purpose = 'reset' AND t.used_at IS NULL \
               AND t.expires_at > $2",
        )
        .bind(token.digest())
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find reset link", error))?
        .ok_or(AppError::LinkInvalid)?;

        let mut problems = Vec::new();
        let password = password::check_new(new_password, &user.email)
            .map_err(|problem| problems.push(problem))
            .ok();
        if !new_password.is_empty() && new_password != confirm {
            problems.push(Problem::PasswordsDiffer);
        }
        let Some(password) = password.filter(|_| problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let password_hash = self.hasher.hash(password.as_bytes().to_vec()).await?;

        let mut tx = self.begin().await?;
        let (user_id, sent_to) = use_link(&mut tx, &token, Purpose::Reset, now).await?;
        let user = sqlx::query_as::<_, User>(
            "UPDATE users SET password_hash = $1, updated_at = $3, \
             email_verified_at = CASE WHEN email = $2 THEN coalesce(email_verified_at, $3) \
                                      ELSE email_verified_at END \
             WHERE id = $4 RETURNING id, email, display_name, created_at, email_verified_at",
        )
        .bind(&password_hash)
        .bind(&sent_to)
        .bind(now)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| internal("set password", error))?;
        spend_account_links(&mut tx, user_id, now)
            .await
            .map_err(|error| internal("spend links", error))?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("end sessions", error))?;
        let email_key: String = sqlx::query_scalar("SELECT email_key FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(|error| internal("read email key", error))?;
        let notice = self
            .outbox
            .letters
            .password_changed(&user.email, &crate::server::web::utc_date_time(now));
        self.outbox
            .enqueue(&mut tx, Some(user_id), &notice, now)
            .await
            .map_err(|error| internal("mail notice", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit reset", error))?;
        self.outbox.ring();

        // Whoever was failing to log in, the owner is back in.
        self.limits
            .clear_account(&self.db, &email_key, user_id)
            .await?;
        audit::record(&self.db, Event::PasswordReset, Some(user_id), client).await;
        self.sign_in(user, false, client, browser).await
    }

    /// Mails a new verification link to a signed-in user whose address is
    /// not verified yet; 429 after [`LINKS_PER_HOUR`] in an hour.
    pub async fn resend_verification(&self, user: &User) -> Result<(), AppError> {
        if user.email_verified_at.is_some() {
            return Ok(());
        }
        let now = now();
        let mut tx = self.begin().await?;
        within_link_limit(&mut tx, Purpose::Verify, user.id, now).await?;
        mail_link(
            &mut tx,
            &self.outbox,
            Purpose::Verify,
            user.id,
            &user.email,
            now,
        )
        .await
        .map_err(|error| internal("mail verification link", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit verification link", error))?;
        self.outbox.ring();
        Ok(())
    }

    /// Uses a verification link: marks the address it went to as verified,
    /// if it is still the account's; or, for a link that starts an account
    /// (verify-first sign-up), makes the account and signs this browser in.
    ///
    /// A link that starts an account also needs the password chosen at
    /// sign-up (`password`): whoever signed up with someone else's address
    /// knows the password, and its owner, confirming in good faith, must
    /// not start an account that stranger can log in to.
    pub async fn verify_email(
        &self,
        token: &str,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Verified, AppError> {
        let token = SessionToken::parse(token).ok_or(AppError::LinkInvalid)?;
        let now = now();
        let chosen_hash: Option<String> = sqlx::query_scalar(
            "SELECT password_hash FROM pending_signups WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token.digest())
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find sign-up link", error))?;
        if let Some(chosen_hash) = chosen_hash {
            let password = password.unwrap_or_default();
            if password.is_empty() {
                return Err(AppError::invalid(Problem::SignUpPasswordMissing));
            }
            if password.len() > PASSWORD_MAX_BYTES {
                return Err(AppError::invalid(Problem::SignUpPasswordIncorrect));
            }
            self.take_client_token(client).await?;
            let matches = self
                .hasher
                .verify(password.as_bytes().to_vec(), Some(chosen_hash))
                .await?;
            if !matches {
                return Err(AppError::invalid(Problem::SignUpPasswordIncorrect));
            }
        }
        let mut tx = self.begin().await?;
        let pending = sqlx::query_as::<_, PendingSignUp>(
            "DELETE FROM pending_signups WHERE token_hash = $1 AND expires_at > $2 \
             RETURNING email, email_key, password_hash, display_name",
        )
        .bind(token.digest())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("use sign-up link", error))?;
        if let Some(pending) = pending {
            return self.start_pending(tx, pending, now, client, browser).await;
        }
        let (user_id, sent_to) = use_link(&mut tx, &token, Purpose::Verify, now).await?;
        let user = sqlx::query_as::<_, User>(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, $1) \
             WHERE id = $2 AND email = $3 \
             RETURNING id, email, display_name, created_at, email_verified_at",
        )
        .bind(now)
        .bind(user_id)
        .bind(&sent_to)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("verify email", error))?
        // The account's address changed since: this link proves nothing.
        .ok_or(AppError::LinkInvalid)?;
        tx.commit()
            .await
            .map_err(|error| internal("commit verification", error))?;
        audit::record(&self.db, Event::EmailVerified, Some(user_id), client).await;
        Ok(Verified {
            user,
            signed_in: None,
        })
    }

    /// Makes the account a verify-first sign-up asked for, verified, and
    /// signs this browser in.
    async fn start_pending(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        pending: PendingSignUp,
        now: i64,
        client: &Client,
        browser: &Browser,
    ) -> Result<Verified, AppError> {
        let inserted = super::insert_user(
            &mut tx,
            (&pending.email, &pending.email_key),
            &pending.password_hash,
            &pending.display_name,
            Some(now),
        )
        .await;
        let user = match inserted {
            Ok(user) => user,
            // The address got an account through another link meanwhile.
            Err(AppError::Invalid(_)) => return Err(AppError::LinkInvalid),
            Err(error) => return Err(error),
        };
        // Other links for the same address are spent.
        sqlx::query("DELETE FROM pending_signups WHERE email_key = $1")
            .bind(&pending.email_key)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("spend sign-up links", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit sign-up", error))?;
        self.limits
            .clear_account(&self.db, &pending.email_key, user.id)
            .await?;
        audit::record(&self.db, Event::SignUp, Some(user.id), client).await;
        audit::record(&self.db, Event::EmailVerified, Some(user.id), client).await;
        let signed_in = self.sign_in(user.clone(), false, client, browser).await?;
        Ok(Verified {
            user,
            signed_in: Some(signed_in),
        })
    }

    /// Verify-first sign-up: mails a link that starts the account, or, if
    /// the address has one, a notice to its owner. Hashes the password in
    /// both cases, so the work is alike; at most [`LINKS_PER_HOUR`] mails
    /// per address per hour.
    pub(super) async fn mail_sign_up_link(
        &self,
        email: Normalised,
        password: password::AcceptedPassword,
        display_name: String,
    ) -> Result<(), AppError> {
        let password_hash = self.hasher.hash(password.as_bytes().to_vec()).await?;
        let now = now();
        let mut tx = self.begin().await?;
        let owner = sqlx::query_as::<_, User>(
            "SELECT id, email, display_name, created_at, email_verified_at \
             FROM users WHERE email_key = $1",
        )
        .bind(&email.key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("find user", error))?;
        match owner {
            Some(owner) => {
                let notices: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM outbox \
                     WHERE user_id = $1 AND kind = 'sign_up_attempted' AND created_at > $2",
                )
                .bind(owner.id)
                .bind(now - 3600)
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| internal("count notices", error))?;
                if notices < LINKS_PER_HOUR {
                    let notice = self.outbox.letters.sign_up_attempted(&owner.email);
                    self.outbox
                        .enqueue(&mut tx, Some(owner.id), &notice, now)
                        .await
                        .map_err(|error| internal("mail notice", error))?;
                }
            }
            None => {
                let recent: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pending_signups WHERE email_key = $1 AND created_at > $2",
                )
                .bind(&email.key)
                .bind(now - 3600)
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| internal("count sign-up links", error))?;
                if recent < LINKS_PER_HOUR {
                    let token = SessionToken::generate();
                    sqlx::query(
                        "INSERT INTO pending_signups (token_hash, email, email_key, \
                         password_hash, display_name, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(token.digest())
                    .bind(&email.email)
                    .bind(&email.key)
                    .bind(&password_hash)
                    .bind(&display_name)
                    .bind(now)
                    .bind(now + i64::try_from(Purpose::Verify.lifetime().as_secs()).unwrap_or(0))
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| internal("keep sign-up", error))?;
                    let letter = self
                        .outbox
                        .letters
                        .confirm_sign_up(&email.email, token.as_str());
                    self.outbox
                        .enqueue(&mut tx, None, &letter, now)
                        .await
                        .map_err(|error| internal("mail sign-up link", error))?;
                }
            }
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit sign-up", error))?;
        self.outbox.ring();
        Ok(())
    }
}

/// A sign-up waiting for its link.
#[derive(sqlx::FromRow)]
struct PendingSignUp {
    email: String,
    email_key: String,
    password_hash: String,
    display_name: String,
}

/// What a verification link did.
#[derive(Debug)]
pub struct Verified {
    /// The account whose address is verified.
    pub user: User,
    /// The browser's new sign-in, when the link started the account.
    pub signed_in: Option<SignedIn>,
}

//! The second step of a log-in, for accounts with an authenticator app.
//!
//! The right password does not sign in: it leaves a pending log-in, a row
//! named by a random token that only this browser holds (in a cookie),
//! which lasts [`PENDING_SECONDS`]. No session exists until a code from
//! the app, or one of the recovery codes, completes it. Wrong codes count
//! against the same limits as wrong passwords (the account's address, or
//! this browser when it has signed in to the account before), and also
//! against the account itself, whatever the browser, so that many device
//! cookies do not add up to many guesses. The right password does not
//! clear these counts, nor does a password reset: only a full log-in does.

use super::{
    audit,
    letters::second_factor::SecondFactorChange,
    limits::{LimitError, Subject},
    recovery_codes,
    sql::internal,
    totp, Accounts, Browser, Client, Event, SessionToken, SignedIn,
};
use sqlx::AnyConnection;

use crate::{error::AppError, time::now, validation::Problem};

/// How long a log-in waits for its second factor.
pub const PENDING_SECONDS: i64 = 5 * 60;

/// How a right password ended.
#[derive(Debug)]
pub enum LoggedIn {
    /// The browser is signed in.
    SignedIn(Box<SignedIn>),
    /// The account has a second factor: the browser keeps this token (in a
    /// cookie) and sends a code with it.
    SecondFactor(SessionToken),
}

impl LoggedIn {
    /// The sign-in, when no second factor was asked for.
    pub fn signed_in(self) -> Option<SignedIn> {
        match self {
            Self::SignedIn(signed_in) => Some(*signed_in),
            Self::SecondFactor(_) => None,
        }
    }
}

/// What the person sent as their second factor.
#[derive(Clone, Copy, Debug)]
pub enum Factor<'a> {
    /// A code from their authenticator app.
    Code(&'a str),
    RecoveryCode(&'a str),
}

/// A finished second step.
#[derive(Debug)]
pub struct SecondStepDone {
    pub signed_in: SignedIn,
    /// How many recovery codes are left, when one was used.
    pub recovery_codes_left: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Pending {
    user_id: i64,
    persistent: i64,
    email_key: String,
}

impl Accounts {
    /// After the right password: signs in, or, for an account with a
    /// second factor (`second_factor`, which the caller has read), leaves
    /// a pending log-in for this browser.
    pub(super) async fn after_password(
        &self,
        user_id: i64,
        second_factor: bool,
        remember: bool,
        client: &Client,
        browser: &Browser,
    ) -> Result<LoggedIn, AppError> {
        if !second_factor {
            let user = self.user(user_id).await?;
            let signed_in = self.sign_in(user, remember, client, browser).await?;
            return Ok(LoggedIn::SignedIn(Box::new(signed_in)));
        }
        let now = now();
        let token = SessionToken::generate();
        sqlx::query(
            "INSERT INTO pending_logins (token_hash, user_id, persistent, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.digest())
        .bind(user_id)
        .bind(i64::from(remember))
        .bind(now)
        .bind(now + PENDING_SECONDS)
        .execute(&self.db)
        .await
        .map_err(|error| internal("start pending log-in", error))?;
        Ok(LoggedIn::SecondFactor(token))
    }

    /// Completes the log-in that `pending` (the browser's cookie) names
    /// with `factor`. The pending log-in ends when it succeeds.
    pub async fn finish_log_in(
        &self,
        pending: Option<&str>,
        factor: Factor<'_>,
        client: &Client,
        browser: &Browser,
    ) -> Result<SecondStepDone, AppError> {
        match factor {
            Factor::Code(code) if code.trim().is_empty() => {
                return Err(AppError::invalid(Problem::CodeMissing))
            }
            Factor::RecoveryCode(code) if code.trim().is_empty() => {
                return Err(AppError::invalid(Problem::RecoveryCodeMissing))
            }
            _ => {}
        }
        let expired = || AppError::invalid(Problem::LogInExpired);
        let token = pending.and_then(SessionToken::parse).ok_or_else(expired)?;
        self.take_client_token(client).await?;
        let now = now();
        let found = sqlx::query_as::<_, Pending>(
            "SELECT p.user_id, p.persistent, u.email_key FROM pending_logins p \
             JOIN users u ON u.id = p.user_id WHERE p.token_hash = $1 AND p.expires_at > $2",
        )
        .bind(token.digest())
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find pending log-in", error))?
        .ok_or_else(expired)?;
        let user_id = found.user_id;
        let subject = self.log_in_subject(Some(user_id), found.email_key, browser);
        let account = Subject::SecondFactor { user_id };
        for (index, counted) in [&subject, &account].into_iter().enumerate() {
            let refused = match self.limits.reserve_attempt(&self.db, counted, now).await {
                Ok(()) => continue,
                Err(LimitError::Refused(refused)) => refused,
                Err(LimitError::Internal(error)) => return Err(error),
            };
            if index == 1 {
                // The browser's attempt was counted, but nothing is checked.
                self.limits.release_attempt(&self.db, &subject).await;
            }
            self.record_refusal(refused, Some(user_id), client).await;
            return Err(AppError::LogInLocked {
                retry_after: refused.retry_after,
                capped: refused.capped,
            });
        }
        // The factor is spent and the pending log-in ended in one
        // transaction: of two requests that both passed, one signs in, and
        // a recovery code is never spent without a sign-in.
        let mut tx = self.begin().await?;
        let checked = match factor {
            Factor::Code(code) => self.accept_code(&mut tx, user_id, code, now).await,
            Factor::RecoveryCode(code) => recovery_codes::spend(&mut tx, user_id, code, now).await,
        };
        let accepted = match checked {
            Ok(accepted) => accepted,
            Err(error) => {
                // Not checked after all (the server's key does not open the
                // secret, or the database failed): the attempt does not count.
                drop(tx);
                self.limits.release_attempt(&self.db, &subject).await;
                self.limits.release_attempt(&self.db, &account).await;
                return Err(error);
            }
        };
        if !accepted {
            drop(tx);
            audit::record(&self.db, Event::SecondFactorFailed, Some(user_id), client).await;
            return Err(AppError::invalid(match factor {
                Factor::Code(_) => Problem::CodeIncorrect,
                Factor::RecoveryCode(_) => Problem::RecoveryCodeIncorrect,
            }));
        }
        let ended = sqlx::query("DELETE FROM pending_logins WHERE token_hash = $1")
            .bind(token.digest())
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("end pending log-in", error))?;
        if ended.rows_affected() == 0 {
            return Err(expired());
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit second step", error))?;
        self.limits.clear(&self.db, &[subject, account]).await?;
        let user = self.user(user_id).await?;
        let signed_in = self
            .sign_in(user, found.persistent != 0, client, browser)
            .await?;
        audit::record(&self.db, Event::LogIn, Some(user_id), client).await;
        let recovery_codes_left = match factor {
            Factor::RecoveryCode(_) => {
                Some(self.after_recovery_code(&signed_in, client, now).await?)
            }
            Factor::Code(_) => None,
        };
        Ok(SecondStepDone {
            signed_in,
            recovery_codes_left,
        })
    }

    /// Whether `code` is the app's code now, for a step after the last one
    /// accepted (which it then becomes: a replay is refused). An error when
    /// the account's secret does not open with this server's key.
    async fn accept_code(
        &self,
        tx: &mut AnyConnection,
        user_id: i64,
        code: &str,
        now: i64,
    ) -> Result<bool, AppError> {
        let sealed: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT sealed_secret FROM totp_secrets WHERE user_id = $1 AND enabled_at IS NOT NULL",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("read totp", error))?;
        let Some(sealed) = sealed else {
            return Ok(false);
        };
        let secret = self
            .open_secret(user_id, &sealed)
            .ok_or(AppError::Internal)?;
        let Some(step) = totp::check_code(&secret, code, now) else {
            return Ok(false);
        };
        let taken = sqlx::query(
            "UPDATE totp_secrets SET last_step = $1 WHERE user_id = $2 AND last_step < $1",
        )
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(|error| internal("accept code", error))?;
        Ok(taken.rows_affected() == 1)
    }

    /// Audits a used recovery code and mails the notice; returns how many
    /// are left.
    async fn after_recovery_code(
        &self,
        signed_in: &SignedIn,
        client: &Client,
        now: i64,
    ) -> Result<i64, AppError> {
        let user = &signed_in.user;
        let left = recovery_codes::left(&self.db, user.id).await?;
        let tx = self.begin().await?;
        self.commit_with_notice(
            tx,
            user,
            SecondFactorChange::CodeUsed { left },
            Event::RecoveryCodeUsed,
            client,
            now,
        )
        .await?;
        Ok(left)
    }
}

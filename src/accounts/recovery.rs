//! Getting back in and proving an address: "forgot password" and the reset
//! link it mails, and email verification (which also starts a verify-first
//! sign-up). Each answers alike for every address.

use super::{
    audit, email,
    letters::{Letters, Mail},
    links::{
        links_in_last_hour, mail_link, spend_account_links, use_link, within_link_limit, Purpose,
        LINKS_PER_HOUR, UNIFORM_ANSWER,
    },
    password,
    second_step::LoggedIn,
    signup::PendingSignUp,
    sql::internal,
    Accounts, Browser, Client, Event, SessionToken, User, Verified,
};
use crate::{
    error::AppError,
    time::{now, utc_date_time},
    validation::{Problem, EMAIL_MAX_CHARS, PASSWORD_MAX_BYTES},
};

impl Accounts {
    /// "Forgot password": mails a reset link if `email` has an account.
    /// The answer is the same either way, after the same time; the link is
    /// not mailed when the account has had [`LINKS_PER_HOUR`] this hour.
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: &Client,
    ) -> Result<(), AppError> {
        self.mail_link_on_request(
            email,
            client,
            Purpose::Reset,
            Event::PasswordResetRequested,
            Letters::reset_password,
        )
        .await
    }

    /// Mails a link of `purpose` (written by `letter`) to the account of
    /// `email`, asked for by someone who need not be signed in, and
    /// records `event` for the account. The answer is the same whether or
    /// not the address has an account, after the same time; the link is
    /// not mailed when the account has had [`LINKS_PER_HOUR`] of them this
    /// hour.
    pub(super) async fn mail_link_on_request(
        &self,
        email: &str,
        client: &Client,
        purpose: Purpose,
        event: Event,
        letter: fn(&Letters, &str, &str) -> Mail,
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
        let mailed = self.mail_account_link(email, client, purpose, letter).await;
        // Recorded inside the uniform time, so that the extra write for a
        // known address does not show in the answer's timing.
        if let Ok(Some(user_id)) = mailed {
            audit::record(&self.db, event, Some(user_id), client).await;
        }
        tokio::time::sleep_until(started + UNIFORM_ANSWER).await;
        mailed.map(|_| ())
    }

    /// Mails a link of `purpose` to the account of `email`, if there is
    /// one and it may have another this hour; returns the account mailed.
    async fn mail_account_link(
        &self,
        email: &str,
        client: &Client,
        purpose: Purpose,
        letter: fn(&Letters, &str, &str) -> Mail,
    ) -> Result<Option<i64>, AppError> {
        let Some(key) = email::key_for_log_in(email) else {
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
        let recent = links_in_last_hour(&mut tx, purpose, user.id, now)
            .await
            .map_err(|error| internal("count links", error))?;
        if recent >= LINKS_PER_HOUR {
            return Ok(None);
        }
        mail_link(
            &mut tx,
            &self.outbox,
            purpose,
            user.id,
            &user.email,
            now,
            Some(&client.network()),
            |letters, token| letter(letters, &user.email, token),
        )
        .await
        .map_err(|error| internal("mail link", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit link", error))?;
        self.outbox.ring();
        Ok(Some(user.id))
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
    /// in (or, for an account with a second factor, asks for it). Every other session of the account ends, its failed-log-in
    /// locks clear, the address counts as verified (the link reached it),
    /// and a notice goes to the address.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        confirm: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<LoggedIn, AppError> {
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
        for deletion in [
            "DELETE FROM sessions WHERE user_id = $1",
            // A log-in with the old password that waits for its code.
            "DELETE FROM pending_logins WHERE user_id = $1",
        ] {
            sqlx::query(deletion)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(|error| internal("end sessions", error))?;
        }
        let email_key: String = sqlx::query_scalar("SELECT email_key FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(|error| internal("read email key", error))?;
        let notice = self
            .outbox
            .letters
            .password_changed(&user.email, &utc_date_time(now));
        self.outbox
            .enqueue(&mut tx, Some(user_id), &notice, now, None)
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
        // A reset proves the inbox, not the second factor: an account
        // with one still asks for it.
        let second_factor = self.has_second_factor(user.id).await?;
        self.after_password(user.id, second_factor, false, client, browser)
            .await
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
            None,
            |letters, token| letters.verify_email(&user.email, token),
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
                .verify_typed(password, Some(chosen_hash))
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
}

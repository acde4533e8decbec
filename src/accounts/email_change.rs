//! Changing the email address: a link to the new address makes the change,
//! a notice to the current one can cancel it, and the settings list what
//! waits. Asking needs sudo mode (see [`super::settings`]); cancelling does
//! not, as it only keeps the account as it is.

use super::{
    audit, email, limits::Subject, links, sql::internal, Accounts, Browser, Client, Current, Event,
    NewSession, SessionToken, User,
};
use crate::{
    error::AppError,
    time::{now, utc_date_time},
    validation::{Problem, EMAIL_MAX_CHARS},
};

impl Accounts {
    /// Asks to change the address: a link valid 24 hours goes to the new
    /// one, and the change happens when it is used. An address that
    /// another account has gets the same answer, after the same time, and
    /// no mail, so this form tells nothing about who is registered.
    pub async fn request_email_change(
        &self,
        current: &Current,
        new_email: &str,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Option<NewSession>, AppError> {
        if new_email.trim().chars().count() > EMAIL_MAX_CHARS {
            return Err(AppError::invalid(Problem::EmailTooLong));
        }
        let new = email::normalise(new_email).map_err(AppError::invalid)?;
        let user_id = current.user.id;
        let own_key: String = sqlx::query_scalar("SELECT email_key FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.db)
            .await
            .map_err(|error| internal("read email key", error))?;
        if new.key == own_key {
            return Err(AppError::invalid(Problem::EmailUnchanged));
        }
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let started = tokio::time::Instant::now();
        let now = now();
        let mut tx = self.begin().await?;
        links::within_link_limit(&mut tx, links::Purpose::EmailChange, user_id, now).await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email_key = $1")
            .bind(&new.key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|error| internal("find user", error))?;
        // The link is made either way, so that the hourly limit counts
        // taken and free addresses alike; for a taken one it is never
        // mailed, and so never used.
        let token = links::make_link(
            &mut tx,
            links::Purpose::EmailChange,
            user_id,
            &new.email,
            now,
        )
        .await
        .map_err(|error| internal("make link", error))?;
        if taken.is_none() {
            let letter = self.outbox.letters.confirm_email_change(
                &new.email,
                token.as_str(),
                &current.user.email,
            );
            self.outbox
                .enqueue(
                    &mut tx,
                    Some(user_id),
                    &letter,
                    now,
                    Some(&client.network()),
                )
                .await
                .map_err(|error| internal("mail email change link", error))?;
        }
        // The account's own address hears of it either way, at once, with
        // a link that cancels it.
        links::mail_link(
            &mut tx,
            &self.outbox,
            links::Purpose::CancelEmailChange,
            user_id,
            &current.user.email,
            now,
            None,
            |letters, token| {
                letters.email_change_requested(
                    &current.user.email,
                    &new.email,
                    &utc_date_time(now),
                    token,
                )
            },
        )
        .await
        .map_err(|error| internal("mail email change notice", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit email change", error))?;
        self.outbox.ring();
        audit::record(&self.db, Event::EmailChangeRequested, Some(user_id), client).await;
        tokio::time::sleep_until(started + links::UNIFORM_ANSWER).await;
        Ok(sudo.renewed)
    }

    /// Uses an email-change link: the address it went to becomes the
    /// account's, verified. Every other link of the account is spent (they
    /// went to the old address) and the old address gets a notice. When
    /// another account took the address meanwhile, nothing changes (409).
    ///
    /// Every session of the account ends but `this_session`, the session
    /// of the browser that used the link when it is signed in to the
    /// account: whoever else held a session had it under the old address.
    pub async fn confirm_email_change(
        &self,
        token: &str,
        this_session: Option<&Current>,
        client: &Client,
    ) -> Result<User, AppError> {
        let token = SessionToken::parse(token).ok_or(AppError::LinkInvalid)?;
        let now = now();
        let mut tx = self.begin().await?;
        let (user_id, new_email) =
            links::use_link(&mut tx, &token, links::Purpose::EmailChange, now).await?;
        let new = email::normalise(&new_email).map_err(|_| AppError::LinkInvalid)?;
        let old: User = sqlx::query_as(
            "SELECT id, email, display_name, created_at, email_verified_at FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| internal("load user", error))?;
        let updated = sqlx::query_as::<_, User>(
            "UPDATE users SET email = $1, email_key = $2, email_key_version = $3, \
             email_verified_at = $4, updated_at = $5 WHERE id = $6 \
             RETURNING id, email, display_name, created_at, email_verified_at",
        )
        .bind(&new.email)
        .bind(&new.key)
        .bind(super::email::EMAIL_KEY_VERSION)
        .bind(now)
        .bind(now)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await;
        let user = match updated {
            Ok(user) => user,
            // Another account has the address now (it signed up, or
            // confirmed a change to it, since this link was mailed).
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Err(AppError::invalid(Problem::EmailTaken));
            }
            Err(error) => return Err(internal("change email", error)),
        };
        sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("spend links", error))?;
        let kept_session = this_session
            .filter(|current| current.user.id == user_id)
            .map_or(0, |current| current.session_id);
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(kept_session)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("end other sessions", error))?;
        let notice =
            self.outbox
                .letters
                .email_changed(&old.email, &user.email, &utc_date_time(now));
        self.outbox
            .enqueue(&mut tx, Some(user_id), &notice, now, None)
            .await
            .map_err(|error| internal("mail notice", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit email change", error))?;
        self.outbox.ring();
        // Failures counted on the new address before it was this account's
        // are not its owner's.
        self.limits
            .clear(&self.db, &[Subject::Address(new.key)])
            .await?;
        audit::record(&self.db, Event::EmailChanged, Some(user_id), client).await;
        Ok(user)
    }

    /// The account that asked for the change of address a live
    /// email-change link confirms, by its current address partly hidden
    /// (`a•••@example.com`), for the link's page to name it. Reads only.
    pub async fn email_change_asker(&self, token: &str) -> Result<Option<String>, AppError> {
        let Some(token) = SessionToken::parse(token) else {
            return Ok(None);
        };
        let account: Option<String> = sqlx::query_scalar(
            "SELECT users.email FROM email_tokens JOIN users ON users.id = email_tokens.user_id \
             WHERE token_hash = $1 AND purpose = 'email_change' AND used_at IS NULL \
             AND expires_at > $2",
        )
        .bind(token.digest())
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find email change link", error))?;
        Ok(account.as_deref().map(super::email::mask_address))
    }

    /// The changes of address the account asked for that wait for their
    /// link to be used: each new address once, newest first, with when its
    /// link expires.
    pub async fn pending_email_changes(
        &self,
        current: &Current,
    ) -> Result<Vec<PendingEmailChange>, AppError> {
        sqlx::query_as(
            "SELECT email, max(expires_at) AS expires_at FROM email_tokens \
             WHERE user_id = $1 AND purpose = 'email_change' AND used_at IS NULL \
             AND expires_at > $2 GROUP BY email ORDER BY max(expires_at) DESC, email",
        )
        .bind(current.user.id)
        .bind(now())
        .fetch_all(&self.db)
        .await
        .map_err(|error| internal("read pending email changes", error))
    }

    /// Cancels every pending change of address of the signed-in account:
    /// the links mailed to the new addresses stop working, and so do the
    /// links in the notices that would cancel them.
    pub async fn cancel_email_changes(
        &self,
        current: &Current,
        client: &Client,
    ) -> Result<(), AppError> {
        let user_id = current.user.id;
        links::spend_email_change_links(&self.db, user_id, now())
            .await
            .map_err(|error| internal("cancel email change", error))?;
        audit::record(&self.db, Event::EmailChangeCancelled, Some(user_id), client).await;
        Ok(())
    }

    /// Cancels the pending changes of address through the link in the
    /// notice to the account's address: no session needed, as the link
    /// proves the address. 410 for an unknown, used or expired link (the
    /// change was confirmed, cancelled or ran out).
    pub async fn cancel_email_change_by_link(
        &self,
        token: &str,
        client: &Client,
    ) -> Result<(), AppError> {
        let token = SessionToken::parse(token).ok_or(AppError::LinkInvalid)?;
        let now = now();
        let mut tx = self.begin().await?;
        let (user_id, _) =
            links::use_link(&mut tx, &token, links::Purpose::CancelEmailChange, now).await?;
        links::spend_email_change_links(&mut *tx, user_id, now)
            .await
            .map_err(|error| internal("cancel email change", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit cancelled email change", error))?;
        audit::record(&self.db, Event::EmailChangeCancelled, Some(user_id), client).await;
        Ok(())
    }
}

/// A change of address waiting for the link mailed to the new address.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingEmailChange {
    /// The new address.
    pub email: String,
    /// When the link stops working, in seconds since 1970.
    pub expires_at: i64,
}

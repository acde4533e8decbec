//! What the site's operator changes from the command line (`users
//! unlock`, `users verify`, `users create`, `users delete`, `sessions
//! revoke`, `mail retry`). Every change is audited with the operator as
//! its actor; the person sees it as the site's.

use super::{
    admin::{database, AdminError, NewAccount, UserSummary, Verification},
    audit, email,
    letters::second_factor::SecondFactorChange,
    links, mail, password,
    signup::length_problems,
    Accounts, Client, Event,
};
use crate::{time::now, validation::check_display_name};

impl Accounts {
    /// Forgets the failed log-ins counted on the account's address and on
    /// its trusted browsers, so that log-in is no longer paused; returns
    /// how many counts there were.
    pub async fn unlock(&self, email: &str, operator: &Client) -> Result<u64, AdminError> {
        let (user_id, email_key) = self.find(email).await?;
        let cleared = sqlx::query(
            "DELETE FROM login_attempts WHERE key = 'address:' || $1 \
             OR key LIKE 'device:' || $2 || ':%' OR key = 'second-factor:' || $2",
        )
        .bind(&email_key)
        .bind(user_id.to_string())
        .execute(&self.db)
        .await
        .map_err(database("clear login attempts"))?
        .rows_affected();
        audit::record(&self.db, Event::AccountUnlocked, Some(user_id), operator).await;
        Ok(cleared)
    }

    /// Removes the account's authenticator app, recovery codes and
    /// waiting log-ins, and mails the person a notice; whether it had a
    /// second factor. Audited either way.
    pub async fn reset_two_factor(
        &self,
        email: &str,
        operator: &Client,
    ) -> Result<bool, AdminError> {
        let (user_id, _) = self.find(email).await?;
        let user = self.user(user_id).await?;
        let now = now();
        let mut tx = self.begin().await.map_err(AdminError::from)?;
        let removed = super::two_factor::remove_second_factor(&mut tx, user_id).await?;
        sqlx::query("DELETE FROM login_attempts WHERE key = 'second-factor:' || $1")
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(database("clear code attempts"))?;
        if removed {
            self.notify(&mut tx, &user, SecondFactorChange::Reset, now)
                .await?;
        }
        tx.commit()
            .await
            .map_err(database("commit two-factor reset"))?;
        if removed {
            self.outbox.ring();
        }
        audit::record(&self.db, Event::TwoFactorReset, Some(user_id), operator).await;
        Ok(removed)
    }

    /// Marks the account's address as verified; its verification links
    /// stop working, and verification mail not yet sent is withdrawn, so
    /// the person is not asked to follow a link that no longer works.
    pub async fn verify(&self, email: &str, operator: &Client) -> Result<Verification, AdminError> {
        let (user_id, _) = self.find(email).await?;
        let now = now();
        let mut tx = self.begin().await.map_err(AdminError::from)?;
        let verified = sqlx::query(
            "UPDATE users SET email_verified_at = $1, updated_at = $1 \
             WHERE id = $2 AND email_verified_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(database("verify address"))?
        .rows_affected()
            > 0;
        sqlx::query(
            "UPDATE email_tokens SET used_at = $1 \
             WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(links::Purpose::Verify.code())
        .execute(&mut *tx)
        .await
        .map_err(database("retire verification links"))?;
        // A mail a sender has claimed may be on its way already; the rest
        // of the unsent verification mail is withdrawn.
        let withdrawn = sqlx::query(
            "DELETE FROM outbox WHERE user_id = $1 AND kind = $2 \
             AND sent_at IS NULL AND failed_at IS NULL AND claimed_until <= $3",
        )
        .bind(user_id)
        .bind(mail::Kind::VerifyEmail.code())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(database("withdraw verification mail"))?
        .rows_affected();
        tx.commit().await.map_err(database("commit verification"))?;
        if verified {
            audit::record(&self.db, Event::EmailVerified, Some(user_id), operator).await;
        }
        Ok(Verification {
            changed: verified,
            mail_withdrawn: withdrawn,
        })
    }

    /// Makes an account as a sign-up would (the same checks on the address,
    /// password and name), without signing anyone in. Unless the operator
    /// vouches for the address, a verification link is mailed to it.
    pub async fn create_user(
        &self,
        new: &NewAccount<'_>,
        operator: &Client,
    ) -> Result<UserSummary, AdminError> {
        let too_long = length_problems(new.email, new.password, Some(new.display_name));
        if !too_long.is_empty() {
            return Err(AdminError::Invalid(too_long));
        }
        let mut problems = Vec::new();
        let email = email::normalise(new.email)
            .map_err(|p| problems.push(p))
            .ok();
        let password = password::check_new(
            new.password,
            email.as_ref().map_or("", |email| email.email.as_str()),
        )
        .map_err(|p| problems.push(p))
        .ok();
        let display_name = check_display_name(new.display_name)
            .map_err(|p| problems.push(p))
            .ok();
        let (Some(email), Some(password), Some(display_name)) = (email, password, display_name)
        else {
            return Err(AdminError::Invalid(problems));
        };
        let verified_at = new.verified.then(now);
        let user = self
            .create_account(&email, &password, &display_name, verified_at, None)
            .await?;
        audit::record(&self.db, Event::SignUp, Some(user.id), operator).await;
        if new.verified {
            audit::record(&self.db, Event::EmailVerified, Some(user.id), operator).await;
        }
        self.summary(&user.email).await
    }

    /// Deletes the account and everything that names it, as the user's own
    /// deletion does, farewell mail included.
    pub async fn delete_user(&self, email: &str, operator: &Client) -> Result<(), AdminError> {
        let (user_id, email_key) = self.find(email).await?;
        let stored: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.db)
            .await
            .map_err(database("read address"))?;
        self.remove_account(user_id, &stored, &email_key).await?;
        audit::record(&self.db, Event::AccountDeleted, None, operator).await;
        Ok(())
    }

    /// Ends every session of the account, and spends its pending
    /// email-change links; returns how many sessions there were.
    pub async fn revoke_sessions(&self, email: &str, operator: &Client) -> Result<u64, AdminError> {
        let (user_id, _) = self.find(email).await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.db)
            .await
            .map_err(database("end sessions"))?
            .rows_affected();
        super::links::spend_email_change_links(&self.db, user_id, now())
            .await
            .map_err(database("spend email-change links"))?;
        audit::record(&self.db, Event::SessionsRevoked, Some(user_id), operator).await;
        Ok(ended)
    }

    /// Puts an undelivered mail back in line, due now, with a fresh count
    /// of attempts: for mail given up on once the cause (the SMTP settings,
    /// say) is fixed. The senders of running servers pick it up within
    /// seconds.
    pub async fn retry_mail(&self, id: i64, operator: &Client) -> Result<(), AdminError> {
        let now = now();
        let retried: Option<(Option<i64>,)> = sqlx::query_as(
            "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $1, \
             claimed_until = 0 WHERE id = $2 AND sent_at IS NULL RETURNING user_id",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&self.db)
        .await
        .map_err(database("retry mail"))?;
        let Some((user_id,)) = retried else {
            let sent: Option<Option<i64>> =
                sqlx::query_scalar("SELECT sent_at FROM outbox WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.db)
                    .await
                    .map_err(database("find mail"))?;
            return Err(match sent {
                Some(_) => AdminError::MailAlreadySent(id),
                None => AdminError::NoSuchMail(id),
            });
        };
        self.outbox.ring();
        audit::record(&self.db, Event::MailRetried, user_id, operator).await;
        Ok(())
    }
}

//! Sudo mode, and the password a signed-in user changes with it. (The
//! email address is in [`super::email_change`], sessions in
//! [`super::sessions`], deletion in [`super::deletion`].)
//!
//! Changing the email, ending sessions and deleting the account need a
//! recent authentication ("sudo mode"): the password entered in this
//! session within [`super::SessionPolicy::sudo`]. Outside it these answer
//! [`AppError::SudoRequired`] unless the request carries the password, which
//! is then checked as a log-in is: counted against the same limits, before
//! any hashing. Changing the password needs the current one, which is
//! itself such a check.
//!
//! Entering the password renews the session: the browser gets a new token
//! and the old one stops working, so a copy of the cookie taken earlier
//! never gains sudo mode or outlives a password change (ASVS 5.0 7.2.4).

use std::time::Duration;

use super::{
    audit, links, password, sql::internal, Accounts, Browser, Client, Current, Event, Renewed, Sudo,
};
use crate::{
    error::AppError,
    time::{now, secs, utc_date_time},
    validation::{Problem, PASSWORD_MAX_BYTES},
};

impl Accounts {
    /// Whether `current`'s session is in sudo mode now.
    pub fn in_sudo_mode(&self, current: &Current) -> bool {
        now() < current.authenticated_at + secs(self.sessions.sudo)
    }

    /// `/api/account/reauth`: the password entered again, which renews
    /// the session and starts sudo mode in the new one. Returns the new
    /// session, for the browser's cookie.
    pub async fn reauthenticate(
        &self,
        current: &Current,
        password: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<Renewed, AppError> {
        self.confirm_password(current, password, client, browser)
            .await?;
        let mut tx = self.begin().await?;
        let renewed = self.renew_session(&mut tx, current.session_id).await?;
        tx.commit()
            .await
            .map_err(|error| internal("commit renewal", error))?;
        audit::record(
            &self.db,
            Event::Reauthenticated,
            Some(current.user.id),
            client,
        )
        .await;
        Ok(renewed)
    }

    /// Passes in sudo mode; outside it, checks `password` when the request
    /// carried one (and renews the session), else asks for it: such
    /// answers are audited, and count against the client's bucket like
    /// a wrong password, so a stolen cookie cannot probe them for free.
    /// Returns the session to carry on with, renewed or not.
    pub(super) async fn require_sudo(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Sudo, AppError> {
        if self.in_sudo_mode(current) {
            return Ok(Sudo {
                session_id: current.session_id,
                renewed: None,
            });
        }
        match password.filter(|password| !password.is_empty()) {
            Some(password) => {
                let renewed = self
                    .reauthenticate(current, password, client, browser)
                    .await?;
                Ok(Sudo {
                    session_id: renewed.session_id,
                    renewed: Some(renewed.session),
                })
            }
            None => {
                self.take_client_token(client).await?;
                audit::record(&self.db, Event::SudoRequired, Some(current.user.id), client).await;
                Err(AppError::SudoRequired)
            }
        }
    }

    /// Checks the signed-in user's password as a log-in would: the
    /// client's bucket, the account's failure count (this browser's own,
    /// when it has signed in to the account before), then argon2.
    async fn confirm_password(
        &self,
        current: &Current,
        password: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<(), AppError> {
        if password.is_empty() {
            return Err(AppError::invalid(Problem::CurrentPasswordMissing));
        }
        if password.len() > PASSWORD_MAX_BYTES {
            // No account has a password this long.
            return Err(AppError::invalid(Problem::CurrentPasswordIncorrect));
        }
        self.take_client_token(client).await?;
        let (email_key, stored): (String, String) =
            sqlx::query_as("SELECT email_key, password_hash FROM users WHERE id = $1")
                .bind(current.user.id)
                .fetch_optional(&self.db)
                .await
                .map_err(|error| internal("find user", error))?
                .ok_or(AppError::NotSignedIn)?;
        let user_id = Some(current.user.id);
        let subject = self.log_in_subject(user_id, email_key, browser);
        if self
            .check_password(subject, user_id, Some(stored), password, client, true)
            .await?
        {
            Ok(())
        } else {
            Err(AppError::invalid(Problem::CurrentPasswordIncorrect))
        }
    }

    /// Changes the password, given the current one. Every other session of
    /// the account ends, this one is renewed (a new token, in sudo mode;
    /// returned for the browser's cookie), unused reset and email-change
    /// links are spent, and a notice goes to the address.
    pub async fn change_password(
        &self,
        current: &Current,
        current_password: &str,
        new_password: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<Renewed, AppError> {
        let mut problems = Vec::new();
        if current_password.is_empty() {
            problems.push(Problem::CurrentPasswordMissing);
        }
        let accepted = password::check_new(new_password, &current.user.email)
            .map_err(|problem| problems.push(problem))
            .ok();
        if accepted.is_some() && new_password == current_password {
            problems.push(Problem::PasswordUnchanged);
        }
        let Some(accepted) = accepted.filter(|_| problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        self.confirm_password(current, current_password, client, browser)
            .await?;
        let password_hash = self.hasher.hash(accepted.as_bytes().to_vec()).await?;
        let now = now();
        let user_id = current.user.id;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(&password_hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("set password", error))?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(current.session_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("end other sessions", error))?;
        // A log-in with the old password that waits for its code ends too.
        sqlx::query("DELETE FROM pending_logins WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("end pending log-ins", error))?;
        let renewed = self.renew_session(&mut tx, current.session_id).await?;
        links::spend_account_links(&mut tx, user_id, now)
            .await
            .map_err(|error| internal("spend links", error))?;
        let notice = self
            .outbox
            .letters
            .password_changed(&current.user.email, &utc_date_time(now));
        self.outbox
            .enqueue(&mut tx, Some(user_id), &notice, now, None)
            .await
            .map_err(|error| internal("mail notice", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit password change", error))?;
        self.outbox.ring();
        audit::record(&self.db, Event::PasswordChanged, Some(user_id), client).await;
        Ok(renewed)
    }

    /// How long sudo mode lasts.
    pub fn sudo_window(&self) -> Duration {
        self.sessions.sudo
    }
}

//! Deleting an account: by its owner (in sudo mode, with the address typed
//! again) or by the operator, through one cascade that leaves a farewell
//! mail and an audit line without the person in it.

use super::{audit, email, sql::internal, Accounts, Browser, Client, Current, Event};
use crate::{
    error::AppError,
    time::{now, utc_date_time},
    validation::{Problem, EMAIL_MAX_CHARS},
};

impl Accounts {
    /// Deletes the account, once the user typed its address to confirm.
    ///
    /// One transaction removes every row that names the account: the user,
    /// its sessions, links, mail not yet sent, failed-log-in counts on its
    /// address and its trusted browsers, its rate-limit bucket, and its
    /// audit events. Audit events are deleted rather than anonymised: they
    /// exist to show the owner their own activity, and an IP address and
    /// user agent kept without an owner would still be personal data with
    /// no purpose left. One event without any of that ("an account was
    /// deleted") stays, for counts. The farewell notice to the address
    /// waits in the outbox until it is sent, and is then deleted too.
    ///
    /// Returns this browser's device cookie without the account's entry
    /// (empty when none is left).
    pub async fn delete_account(
        &self,
        current: &Current,
        confirm_email: &str,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<String, AppError> {
        let user_id = current.user.id;
        let email_key: String = sqlx::query_scalar("SELECT email_key FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.db)
            .await
            .map_err(|error| internal("read email key", error))?;
        let typed = confirm_email.trim();
        let matches = typed.chars().count() <= EMAIL_MAX_CHARS
            && email::key_for_log_in(typed).is_some_and(|key| key == email_key);
        if !matches {
            return Err(AppError::invalid(Problem::ConfirmEmailDiffers));
        }
        self.require_sudo(current, password, client, browser)
            .await?;
        self.remove_account(user_id, &current.user.email, &email_key)
            .await?;
        let nobody = Client::new(String::new(), "");
        audit::record(&self.db, Event::AccountDeleted, None, &nobody).await;
        let devices = browser
            .device_cookie
            .as_deref()
            .map(|cookie| self.devices.read(cookie))
            .unwrap_or_default();
        Ok(self.devices.without(&devices, user_id))
    }

    /// Removes the account `user_id` (address `email`, key `email_key`)
    /// and every row that names it, and mails the farewell notice: the
    /// cascade [`Self::delete_account`] describes, for the user and for the
    /// operator's `users delete` alike.
    pub(super) async fn remove_account(
        &self,
        user_id: i64,
        email: &str,
        email_key: &str,
    ) -> Result<(), AppError> {
        let now = now();
        let mut tx = self.begin().await?;
        let user_key = user_id.to_string();
        let deletions = [
            (
                "login attempts",
                sqlx::query(
                    "DELETE FROM login_attempts WHERE key = 'address:' || $1 \
                     OR key LIKE 'device:' || $2 || ':%' OR key = 'second-factor:' || $2",
                )
                .bind(email_key)
                .bind(&user_key),
            ),
            (
                "rate buckets",
                sqlx::query("DELETE FROM rate_buckets WHERE key = 'profile:' || $1")
                    .bind(&user_key),
            ),
            (
                "pending sign-ups",
                sqlx::query("DELETE FROM pending_signups WHERE email_key = $1").bind(email_key),
            ),
            (
                "mail",
                sqlx::query("DELETE FROM outbox WHERE user_id = $1 OR recipient = $2")
                    .bind(user_id)
                    .bind(email),
            ),
            (
                "audit events",
                sqlx::query("DELETE FROM audit_events WHERE user_id = $1").bind(user_id),
            ),
            (
                "passkey ceremonies",
                sqlx::query(
                    "DELETE FROM passkey_ceremonies \
                     WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)",
                )
                .bind(user_id),
            ),
            (
                "sessions",
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id),
            ),
            (
                "passkeys",
                sqlx::query("DELETE FROM passkeys WHERE user_id = $1").bind(user_id),
            ),
            (
                "passkey handle",
                sqlx::query("DELETE FROM passkey_handles WHERE user_id = $1").bind(user_id),
            ),
        ];
        for (what, deletion) in deletions {
            deletion
                .execute(&mut *tx)
                .await
                .map_err(|error| internal(&format!("delete {what}"), error))?;
        }
        super::two_factor::remove_second_factor(&mut tx, user_id).await?;
        sqlx::query("DELETE FROM email_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("delete links", error))?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("delete user", error))?;
        let farewell = self
            .outbox
            .letters
            .account_deleted(email, &utc_date_time(now));
        self.outbox
            .enqueue(&mut tx, None, &farewell, now, None)
            .await
            .map_err(|error| internal("mail farewell", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit deletion", error))?;
        self.outbox.ring();
        Ok(())
    }
}

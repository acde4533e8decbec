//! What a signed-in user does to their own account: change the password
//! or the email address, see and end sessions, delete the account.
//!
//! Changing the email, ending sessions and deleting the account need a
//! recent authentication ("sudo mode"): the password entered in this
//! session within [`super::SessionPolicy::sudo`]. Outside it these answer
//! [`AppError::SudoRequired`] unless the request carries the password, which
//! is then checked as a log-in is: counted against the same limits, before
//! any hashing. Changing the password needs the current one, which is
//! itself such a check.

use std::time::Duration;

use super::{
    audit, email, internal, links, now, password, secs, Accounts, Browser, Client, Current, Event,
    User,
};
use crate::{
    error::AppError,
    validation::{Problem, EMAIL_MAX_CHARS, PASSWORD_MAX_BYTES},
};

/// One of the account's live sessions, as the settings page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: i64,
    /// Browser and operating system, from the user agent it signed in with.
    pub device: String,
    pub ip: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The session of the request that asked.
    pub current: bool,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    ip: String,
    user_agent: String,
    created_at: i64,
    last_seen_at: i64,
}

/// "Chrome 131 on Linux" from a user agent; "Unknown browser" when it says
/// nothing recognisable.
pub fn describe_device(user_agent: &str) -> String {
    const UNKNOWN: &str = "UNKNOWN";
    let Some(found) = woothee::parser::Parser::new().parse(user_agent) else {
        return "Unknown browser".to_owned();
    };
    let mut browser = match found.name {
        UNKNOWN => "Unknown browser".to_owned(),
        name => name.to_owned(),
    };
    let major = found.version.split('.').next().unwrap_or_default();
    if found.name != UNKNOWN && !major.is_empty() && major != UNKNOWN {
        browser = format!("{browser} {major}");
    }
    match found.os {
        UNKNOWN => browser,
        os => format!("{browser} on {os}"),
    }
}

impl Accounts {
    /// Whether `current`'s session is in sudo mode now.
    pub fn in_sudo_mode(&self, current: &Current) -> bool {
        now() < current.authenticated_at + secs(self.sessions.sudo)
    }

    /// `/api/account/reauth`: the password entered again, which starts
    /// sudo mode in this session.
    pub async fn reauthenticate(
        &self,
        current: &Current,
        password: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<(), AppError> {
        self.confirm_password(current, password, client, browser)
            .await?;
        self.start_sudo(current.session_id).await?;
        audit::record(
            &self.db,
            Event::Reauthenticated,
            Some(current.user.id),
            client,
        )
        .await;
        Ok(())
    }

    /// Passes in sudo mode; outside it, checks `password` when the request
    /// carried one, else asks for it.
    async fn require_sudo(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<(), AppError> {
        if self.in_sudo_mode(current) {
            return Ok(());
        }
        match password.filter(|password| !password.is_empty()) {
            Some(password) => {
                self.reauthenticate(current, password, client, browser)
                    .await
            }
            None => Err(AppError::SudoRequired),
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
            .check_password(subject, user_id, Some(stored), password, client)
            .await?
        {
            Ok(())
        } else {
            Err(AppError::invalid(Problem::CurrentPasswordIncorrect))
        }
    }

    async fn start_sudo(&self, session_id: i64) -> Result<(), AppError> {
        sqlx::query("UPDATE sessions SET authenticated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(session_id)
            .execute(&self.db)
            .await
            .map_err(|error| internal("start sudo mode", error))?;
        Ok(())
    }

    /// Changes the password, given the current one. Every other session of
    /// the account ends (this one stays, in sudo mode), unused reset and
    /// email-change links are spent, and a notice goes to the address.
    pub async fn change_password(
        &self,
        current: &Current,
        current_password: &str,
        new_password: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<(), AppError> {
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
        sqlx::query("UPDATE sessions SET authenticated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(current.session_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("start sudo mode", error))?;
        links::spend_account_links(&mut tx, user_id, now)
            .await
            .map_err(|error| internal("spend links", error))?;
        let notice = self
            .outbox
            .letters
            .password_changed(&current.user.email, &date_time(now));
        self.outbox
            .enqueue(&mut tx, Some(user_id), &notice, now)
            .await
            .map_err(|error| internal("mail notice", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit password change", error))?;
        self.outbox.ring();
        audit::record(&self.db, Event::PasswordChanged, Some(user_id), client).await;
        Ok(())
    }

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
    ) -> Result<(), AppError> {
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
        self.require_sudo(current, password, client, browser)
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
            let letter = self
                .outbox
                .letters
                .confirm_email_change(&new.email, token.as_str());
            self.outbox
                .enqueue(&mut tx, Some(user_id), &letter, now)
                .await
                .map_err(|error| internal("mail email change link", error))?;
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit email change", error))?;
        self.outbox.ring();
        audit::record(&self.db, Event::EmailChangeRequested, Some(user_id), client).await;
        tokio::time::sleep_until(started + links::UNIFORM_ANSWER).await;
        Ok(())
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
        let token = super::SessionToken::parse(token).ok_or(AppError::LinkInvalid)?;
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
        .bind(crate::server::db::EMAIL_KEY_VERSION)
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
        let notice = self
            .outbox
            .letters
            .email_changed(&old.email, &user.email, &date_time(now));
        self.outbox
            .enqueue(&mut tx, Some(user_id), &notice, now)
            .await
            .map_err(|error| internal("mail notice", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit email change", error))?;
        self.outbox.ring();
        // Failures counted on the new address before it was this account's
        // are not its owner's.
        self.limits
            .clear(&self.db, &[super::limits::Subject::Address(new.key)])
            .await?;
        audit::record(&self.db, Event::EmailChanged, Some(user_id), client).await;
        Ok(user)
    }

    /// The account's live sessions: this one first, then the most recently
    /// active.
    pub async fn sessions(&self, current: &Current) -> Result<Vec<SessionInfo>, AppError> {
        let now = now();
        let rows = sqlx::query_as::<_, SessionRow>(
            "SELECT id, ip, user_agent, created_at, last_seen_at FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3 \
             ORDER BY id = $4 DESC, last_seen_at DESC, id DESC",
        )
        .bind(current.user.id)
        .bind(now)
        .bind(now - secs(self.sessions.idle_timeout))
        .bind(current.session_id)
        .fetch_all(&self.db)
        .await
        .map_err(|error| internal("list sessions", error))?;
        Ok(rows
            .into_iter()
            .map(|row| SessionInfo {
                id: row.id,
                device: describe_device(&row.user_agent),
                ip: row.ip,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                current: row.id == current.session_id,
            })
            .collect())
    }

    /// Ends one session of the account; its browser is signed out at its
    /// next request. 404 for an id that is not one of the account's.
    pub async fn end_session(
        &self,
        current: &Current,
        session_id: i64,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<(), AppError> {
        self.require_sudo(current, password, client, browser)
            .await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(session_id)
            .bind(current.user.id)
            .execute(&self.db)
            .await
            .map_err(|error| internal("end session", error))?;
        if ended.rows_affected() == 0 {
            return Err(AppError::NotFound);
        }
        audit::record(&self.db, Event::SessionEnded, Some(current.user.id), client).await;
        Ok(())
    }

    /// Ends every session of the account but this one; returns how many.
    pub async fn end_other_sessions(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<u64, AppError> {
        self.require_sudo(current, password, client, browser)
            .await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(current.user.id)
            .bind(current.session_id)
            .execute(&self.db)
            .await
            .map_err(|error| internal("end other sessions", error))?;
        audit::record(
            &self.db,
            Event::OtherSessionsEnded,
            Some(current.user.id),
            client,
        )
        .await;
        Ok(ended.rows_affected())
    }

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
                     OR key LIKE 'device:' || $2 || ':%'",
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
                "sessions",
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id),
            ),
        ];
        for (what, deletion) in deletions {
            deletion
                .execute(&mut *tx)
                .await
                .map_err(|error| internal(&format!("delete {what}"), error))?;
        }
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
        let farewell = self.outbox.letters.account_deleted(email, &date_time(now));
        self.outbox
            .enqueue(&mut tx, None, &farewell, now)
            .await
            .map_err(|error| internal("mail farewell", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit deletion", error))?;
        self.outbox.ring();
        Ok(())
    }

    /// How long sudo mode lasts.
    pub fn sudo_window(&self) -> Duration {
        self.sessions.sudo
    }
}

fn date_time(unix_secs: i64) -> String {
    crate::server::web::utc_date_time(unix_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        assert_eq!(
            describe_device(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36"
            ),
            "Chrome 131 on Linux"
        );
        assert_eq!(
            describe_device(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
            ),
            "Firefox 133 on Windows 10"
        );
        assert_eq!(describe_device(""), "Unknown browser");
        // Tools are named as woothee knows them.
        assert_eq!(describe_device("curl/8.5.0"), "HTTP Library curl");
    }
}

//! Sessions: starting one at sign-in, ending one or all but this one, and
//! listing them for the settings page. Finding a request's session is
//! [`super::lookup`].
//!
//! A session's token is random and kept only as a digest ([`super::token`]);
//! a session ends after [`SessionPolicy::idle_timeout`] without a request
//! or [`SessionPolicy::lifetime`] after log-in, whichever comes first.

use super::{
    audit, links, sql::internal, Accounts, Browser, Client, Current, Event, NewSession, Renewed,
    SessionToken, SignedIn, User,
};
use crate::{
    error::AppError,
    time::{now, secs},
};

impl Accounts {
    /// Ends the session; the token is worthless afterwards.
    pub async fn log_out(&self, token: &SessionToken) -> Result<(), AppError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token.digest())
            .execute(&self.db)
            .await
            .map_err(|error| internal("delete session", error))?;
        Ok(())
    }

    /// Starts a session for `user` in `browser`: ends the session its
    /// cookie named (whoever it belonged to: a new sign-in replaces it),
    /// and extends its device cookie with this account.
    pub(super) async fn sign_in(
        &self,
        user: User,
        persistent: bool,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedIn, AppError> {
        if let Some(previous) = &browser.session {
            self.log_out(previous).await?;
        }
        let session = self.start_session(user.id, persistent, client).await?;
        let devices = browser
            .device_cookie
            .as_deref()
            .map(|cookie| self.devices.read(cookie))
            .unwrap_or_default();
        let device_cookie = self.devices.after_sign_in(&devices, user.id);
        Ok(SignedIn {
            user,
            session,
            device_cookie,
        })
    }

    /// A fresh token for every log-in, so a token planted before log-in
    /// (session fixation) is never promoted.
    /// The session remembers the browser's IP and user agent for the
    /// settings page's list, and counts as a fresh authentication.
    async fn start_session(
        &self,
        user_id: i64,
        persistent: bool,
        client: &Client,
    ) -> Result<NewSession, AppError> {
        let now = now();
        let token = SessionToken::generate();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, persistent, created_at, last_seen_at, \
             expires_at, ip, user_agent, authenticated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token.digest())
        .bind(user_id)
        .bind(i64::from(persistent))
        .bind(now)
        .bind(now)
        .bind(now + secs(self.sessions.lifetime))
        .bind(&client.ip)
        .bind(&client.user_agent)
        .bind(now)
        .execute(&self.db)
        .await
        .map_err(|error| internal("create session", error))?;
        metrics::counter!("sessions_created_total").increment(1);
        Ok(NewSession {
            token,
            persistent,
            max_age: self.sessions.lifetime,
        })
    }

    /// Renews session `session_id` inside `tx`, as entering the password
    /// does: a new row with a new token, in sudo mode from now, with the
    /// old one's browser, "remember me" and expiry; the old row is
    /// deleted, so its token (and any copy of the cookie) stops working.
    pub(super) async fn renew_session(
        &self,
        tx: &mut sqlx::AnyConnection,
        session_id: i64,
    ) -> Result<Renewed, AppError> {
        let now = now();
        let token = SessionToken::generate();
        let (new_id, persistent, expires_at): (i64, i64, i64) = sqlx::query_as(
            "INSERT INTO sessions (token_hash, user_id, persistent, created_at, last_seen_at, \
             expires_at, ip, user_agent, authenticated_at) \
             SELECT $1, user_id, persistent, created_at, $2, expires_at, ip, user_agent, $2 \
             FROM sessions WHERE id = $3 \
             RETURNING id, persistent, expires_at",
        )
        .bind(token.digest())
        .bind(now)
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("renew session", error))?
        .ok_or(AppError::NotSignedIn)?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("end renewed session", error))?;
        Ok(Renewed {
            session: NewSession {
                token,
                persistent: persistent != 0,
                max_age: std::time::Duration::from_secs(
                    u64::try_from(expires_at - now).unwrap_or(0),
                ),
            },
            session_id: new_id,
        })
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
    /// Returns the renewed session when the request carried the password.
    pub async fn end_session(
        &self,
        current: &Current,
        session_id: i64,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Option<NewSession>, AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
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
        links::spend_email_change_links(&self.db, current.user.id, now())
            .await
            .map_err(|error| internal("spend email-change links", error))?;
        audit::record(&self.db, Event::SessionEnded, Some(current.user.id), client).await;
        Ok(sudo.renewed)
    }

    /// Ends every session of the account but this one; returns how many,
    /// and the renewed session when the request carried the password.
    pub async fn end_other_sessions(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<(u64, Option<NewSession>), AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(current.user.id)
            .bind(sudo.session_id)
            .execute(&self.db)
            .await
            .map_err(|error| internal("end other sessions", error))?;
        links::spend_email_change_links(&self.db, current.user.id, now())
            .await
            .map_err(|error| internal("spend email-change links", error))?;
        audit::record(
            &self.db,
            Event::OtherSessionsEnded,
            Some(current.user.id),
            client,
        )
        .await;
        Ok((ended.rows_affected(), sudo.renewed))
    }
}

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

//! Finding the user of a request's session: once per request, for every
//! signed-in page and server function, so kept to one query (and, for
//! the pages that show the recent activity, one query for both).

use sqlx::FromRow;

use super::{audit, sql::internal, Accounts, Current, SessionToken, User, RECENT_ACTIVITY};
use crate::{
    error::AppError,
    time::{now, secs},
};

impl Accounts {
    /// The user a session token belongs to, if the session is still live.
    pub async fn user_for_session(
        &self,
        token: &SessionToken,
    ) -> Result<Option<Current>, AppError> {
        let now = now();
        let row = sqlx::query_as::<_, LiveSession>(concat!(
            session_and_user!(),
            " FROM sessions s JOIN users u ON u.id = s.user_id ",
            live_session!(),
        ))
        .bind(token.digest())
        .bind(now)
        .bind(now - secs(self.sessions.idle_timeout))
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find session", error))?;
        match row {
            Some(live) => self.touched(live, now).await.map(Some),
            None => Ok(None),
        }
    }

    /// [`Self::user_for_session`] and the user's latest
    /// [`RECENT_ACTIVITY`] events, newest first, in one query: for the
    /// pages that show them. Each query is a round trip to the database's
    /// thread; on a signed-in page these dominate the server's time.
    pub async fn user_and_activity_for_session(
        &self,
        token: &SessionToken,
    ) -> Result<Option<(Current, Vec<audit::Entry>)>, AppError> {
        let now = now();
        // One row per event (or one with no event), each carrying the
        // session and user. The ten newest events are those from the
        // tenth-newest id on, found through the (user_id, id) index.
        let rows = sqlx::query_as::<_, LiveSessionEvent>(concat!(
            session_and_user!(),
            ", a.at AS event_at, a.kind AS event_kind, a.ip AS event_ip, \
             a.user_agent AS event_user_agent, a.actor AS event_actor \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN audit_events a ON a.user_id = u.id AND a.id >= \
             (SELECT min(latest.id) FROM (SELECT id FROM audit_events \
             WHERE user_id = u.id ORDER BY id DESC LIMIT CAST($4 AS BIGINT)) AS latest) ",
            live_session!(),
            " ORDER BY a.id DESC",
        ))
        .bind(token.digest())
        .bind(now)
        .bind(now - secs(self.sessions.idle_timeout))
        .bind(RECENT_ACTIVITY)
        .fetch_all(&self.db)
        .await
        .map_err(|error| internal("find session", error))?;
        let mut rows = rows.into_iter();
        let Some(LiveSessionEvent { live, event }) = rows.next() else {
            return Ok(None);
        };
        let activity = std::iter::once(event)
            .chain(rows.map(|row| row.event))
            .filter_map(LoggedEvent::entry)
            .collect();
        let current = self.touched(live, now).await?;
        Ok(Some((current, activity)))
    }

    /// The session as found, after writing when it was last seen (at most
    /// once a [`TOUCH_INTERVAL_SECS`]).
    async fn touched(&self, live: LiveSession, now: i64) -> Result<Current, AppError> {
        let LiveSession {
            session_id,
            last_seen_at,
            authenticated_at,
            user,
        } = live;
        if now - last_seen_at >= TOUCH_INTERVAL_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(session_id)
                .execute(&self.db)
                .await
                .map_err(|error| internal("touch session", error))?;
        }
        Ok(Current {
            user,
            session_id,
            authenticated_at,
        })
    }
}

/// The columns of a [`LiveSession`].
macro_rules! session_and_user {
    () => {
        "SELECT s.id AS session_id, s.last_seen_at, s.authenticated_at, u.id, u.email, \
         u.display_name, u.created_at, u.email_verified_at"
    };
}
use session_and_user;

/// The condition that makes a session live: `$1` its token's digest, `$2`
/// now, `$3` the idle cut-off.
macro_rules! live_session {
    () => {
        "WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3"
    };
}
use live_session;

/// A live session and its user, as one query finds them.
#[derive(FromRow)]
struct LiveSession {
    session_id: i64,
    last_seen_at: i64,
    authenticated_at: i64,
    #[sqlx(flatten)]
    user: User,
}

/// A live session with one of its user's events, if they have any.
#[derive(FromRow)]
struct LiveSessionEvent {
    #[sqlx(flatten)]
    live: LiveSession,
    #[sqlx(flatten)]
    event: LoggedEvent,
}

/// The event columns of [`LiveSessionEvent`]: all empty for a user with
/// no events.
#[derive(FromRow)]
struct LoggedEvent {
    event_at: Option<i64>,
    event_kind: Option<String>,
    event_ip: Option<String>,
    event_user_agent: Option<String>,
    event_actor: Option<String>,
}

impl LoggedEvent {
    fn entry(self) -> Option<audit::Entry> {
        Some(audit::Entry {
            at: self.event_at?,
            kind: self.event_kind?,
            ip: self.event_ip?,
            user_agent: self.event_user_agent?,
            actor: self.event_actor?,
        })
    }
}

/// How often at most a session's `last_seen_at` is written, so that page
/// views do not each cost a database write.
const TOUCH_INTERVAL_SECS: i64 = 60;

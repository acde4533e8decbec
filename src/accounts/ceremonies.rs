//! A passkey ceremony between its two requests: the state webauthn-rs
//! keeps (the challenge the browser must sign, and what it may sign with)
//! is a row in the database, named by a random token that the browser
//! holds, so that any instance can finish what another one started. Each
//! is used once and lasts [`CEREMONY_SECONDS`]; a registration or a sudo
//! check belongs to the session that started it.

use serde::{de::DeserializeOwned, Serialize};
use sqlx::AnyPool;

use super::{sql::internal, SessionToken};
use crate::error::AppError;

/// How long the browser has to answer (the timeout its options carry).
pub const CEREMONY_SECONDS: i64 = 5 * 60;

/// What a ceremony is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Register,
    LogIn,
    Sudo,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::LogIn => "log-in",
            Self::Sudo => "sudo",
        }
    }
}

/// A started ceremony: the token the browser sends back, and the options
/// it passes to `navigator.credentials` (JSON).
#[derive(Debug)]
pub struct Ceremony {
    pub token: SessionToken,
    pub options: String,
}

/// Keeps `state` for `purpose`, started by `session_id` (0 for a
/// log-in), and returns the ceremony with its `options`.
pub async fn begin(
    db: &AnyPool,
    purpose: Purpose,
    session_id: i64,
    state: &impl Serialize,
    options: String,
    now: i64,
) -> Result<Ceremony, AppError> {
    let state =
        serde_json::to_string(state).map_err(|error| internal("keep ceremony state", error))?;
    let token = SessionToken::generate();
    sqlx::query(
        "INSERT INTO passkey_ceremonies (token_hash, purpose, session_id, state, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token.digest())
    .bind(purpose.code())
    .bind(session_id)
    .bind(state)
    .bind(now + CEREMONY_SECONDS)
    .execute(db)
    .await
    .map_err(|error| internal("start ceremony", error))?;
    Ok(Ceremony { token, options })
}

/// Ends the ceremony `token` names and returns its state, when it is for
/// `purpose`, belongs to `session_id` and has not expired; `None` else.
/// Whatever comes of it, the ceremony is over: of two answers to one
/// challenge only one is checked, and a wrong one spends it too.
pub async fn take<T: DeserializeOwned>(
    db: &AnyPool,
    token: &str,
    purpose: Purpose,
    session_id: i64,
    now: i64,
) -> Result<Option<T>, AppError> {
    let Some(token) = SessionToken::parse(token) else {
        return Ok(None);
    };
    let state: Option<(String, String, i64, i64)> = sqlx::query_as(
        "DELETE FROM passkey_ceremonies WHERE token_hash = $1 \
         RETURNING state, purpose, session_id, expires_at",
    )
    .bind(token.digest())
    .fetch_optional(db)
    .await
    .map_err(|error| internal("take ceremony", error))?;
    let Some((state, found_purpose, found_session, expires_at)) = state else {
        return Ok(None);
    };
    if found_purpose != purpose.code() || found_session != session_id || expires_at <= now {
        return Ok(None);
    }
    serde_json::from_str(&state)
        .map(Some)
        .map_err(|error| internal("read ceremony state", error))
}

//! `/api/account/*`: the signed-in user manages their own account.
//!
//! All answer 401 when not signed in. Changing the email, ending sessions
//! and deleting the account need the password entered in this session in
//! the last `SUDO_MINUTES` (10): outside that they answer 403
//! `"SudoRequired"`, unless the request carries it as `current_password`
//! (or `/api/account/reauth` came first). Wrong passwords count against the
//! same limits as log-ins, and so does each 403. Whenever the password is
//! entered, the session is renewed: the answer sets a new session cookie.

use leptos::prelude::*;

use crate::json::JsonAnswer;

use super::SessionView;
use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    validation::Field,
};

/// Where the settings forms come back to.
#[cfg(feature = "ssr")]
const SETTINGS: &str = "/settings";

/// `POST /api/account/reauth` with `password`: the signed-in user's
/// password, entered again, renews the session (a new session cookie; the
/// old token stops working) and starts sudo mode in it. 422 when it is
/// wrong or missing, 429 after too many wrong ones.
#[server(prefix = "/api/account", endpoint = "reauth", output = JsonAnswer)]
pub async fn reauthenticate(password: String) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::Reauthenticate, SETTINGS, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .reauthenticate(&current, &password, &request::client(), &request::browser())
        .await
    {
        Ok(renewed) => {
            request::set_session_cookie(&renewed.session);
            reply.success(SETTINGS);
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for Reauthenticate {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            password: fields.text(Field::Password.name()),
        }
    }
}

/// `POST /api/account/password` with `current_password` and
/// `new_password`: changes the password. Every other session of the
/// account ends, this one is renewed (a new session cookie); a notice is
/// mailed. 422 when the current
/// password is wrong, or the new one breaks the rules or equals the old.
#[server(prefix = "/api/account", endpoint = "password", output = JsonAnswer)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::ChangePassword, SETTINGS, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .change_password(
            &current,
            &current_password,
            &new_password,
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            request::set_session_cookie(&renewed.session);
            reply.success("/settings?changed=password");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for ChangePassword {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            current_password: fields.text(Field::CurrentPassword.name()),
            new_password: fields.text("new_password"),
        }
    }
}

/// `POST /api/account/sessions`: the account's live sessions, this
/// browser's first, as `[{"id", "device", "ip", "created", "last_seen",
/// "current"}]`.
#[server(prefix = "/api/account", endpoint = "sessions", output = JsonAnswer)]
pub async fn account_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let sessions = request::accounts()?.sessions(&current).await?;
    Ok(sessions
        .into_iter()
        .map(|session| SessionView {
            id: session.id,
            device: session.device,
            ip: session.ip,
            created: crate::time::rfc3339(session.created_at),
            last_seen: crate::time::rfc3339(session.last_seen_at),
            current: session.current,
        })
        .collect())
}

/// `POST /api/account/sessions/revoke` with `id` (and `current_password`
/// outside sudo mode): ends that session of the account; its browser is
/// signed out at its next request. 404 when the id is not one of the
/// account's sessions.
#[server(prefix = "/api/account", endpoint = "sessions/revoke", output = JsonAnswer)]
pub async fn end_session(id: String, current_password: Option<String>) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::EndSession,
        "/settings#sessions",
        vec![(Field::Session, id.clone())],
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    let Ok(session_id) = id.trim().parse::<i64>() else {
        return Err(reply.failure(AppError::NotFound));
    };
    match request::accounts()?
        .end_session(
            &current,
            session_id,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            reply.sudo_success(renewed, "/settings?ended=1#sessions");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for EndSession {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            id: fields.text(Field::Session.name()),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/sessions/revoke-others` (with `current_password`
/// outside sudo mode): ends every session of the account but this one;
/// returns how many ended.
#[server(prefix = "/api/account", endpoint = "sessions/revoke-others", output = JsonAnswer)]
pub async fn end_other_sessions(current_password: Option<String>) -> Result<u64, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::EndOtherSessions,
        "/settings#sessions",
        Vec::new(),
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .end_other_sessions(
            &current,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok((ended, renewed)) => {
            reply.sudo_success(renewed, "/settings?ended=others#sessions");
            Ok(ended)
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for EndOtherSessions {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/delete` with `confirm_email` (the account's address,
/// typed; and `current_password` outside sudo mode): deletes the account
/// and everything that names it, mails a last notice, and signs this
/// browser out. 422 when the typed address is not the account's.
#[server(prefix = "/api/account", endpoint = "delete", output = JsonAnswer)]
pub async fn delete_account(
    confirm_email: String,
    current_password: Option<String>,
) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::DeleteAccount,
        "/settings#delete",
        vec![(Field::ConfirmEmail, confirm_email.clone())],
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .delete_account(
            &current,
            &confirm_email,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(device_cookie) => {
            request::clear_session_cookie();
            request::set_device_cookie(&device_cookie);
            request::clear_site_data();
            reply.success("/?deleted=1");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for DeleteAccount {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            confirm_email: fields.text(Field::ConfirmEmail.name()),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

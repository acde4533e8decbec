//! Passkeys: `/api/auth/passkey/*` signs in with one, and
//! `/api/account/passkeys/*` adds, lists, renames and removes the
//! signed-in user's (adding, renaming and removing need sudo mode, which
//! `/api/account/sudo/passkey/*` gives with a passkey too).
//!
//! Each ceremony takes two calls: `…/start` answers `{"ceremony",
//! "options"}`, where `options` is the JSON of WebAuthn's options for the
//! browser (`PublicKeyCredential.parseCreationOptionsFromJSON` or
//! `parseRequestOptionsFromJSON`), and `…/finish` takes the `ceremony` and
//! the browser's answer as JSON (`credential.toJSON()`). A ceremony works
//! once, for five minutes. Creating and using a passkey needs JavaScript;
//! renaming and removing also take a plain form post (answered with a
//! redirect to `/settings#passkeys`, errors and values in the form-echo
//! cookie).

use leptos::prelude::*;

use crate::json::JsonAnswer;
use serde::{Deserialize, Serialize};

use crate::{
    api::{
        fields::{Fields, FromFields},
        Profile,
    },
    error::AppError,
    validation::Field,
};

/// Where the settings page's passkey section is: what a plain form post
/// that failed comes back to, and, saying what was done, one that worked.
#[cfg(feature = "ssr")]
const SECTION: &str = "/settings#passkeys";
#[cfg(feature = "ssr")]
const RENAMED: &str = "/settings?passkey=renamed#passkeys";
#[cfg(feature = "ssr")]
const REMOVED: &str = "/settings?passkey=removed#passkeys";

/// A started ceremony.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyCeremony {
    /// Sent back to `…/finish`.
    pub ceremony: String,
    /// WebAuthn's options, as JSON.
    pub options: String,
}

/// A passkey as settings lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    /// `2026-12-04 10:00 UTC`.
    pub added: String,
    pub last_used: Option<String>,
}

/// The signed-in user's passkeys, and whether this site can use them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyList {
    /// False when the site's address is not a name (see README).
    pub available: bool,
    pub passkeys: Vec<PasskeyView>,
}

#[cfg(feature = "ssr")]
impl From<crate::accounts::passkeys::PasskeyEntry> for PasskeyView {
    fn from(entry: crate::accounts::passkeys::PasskeyEntry) -> Self {
        use crate::time::utc_date_time;
        Self {
            id: entry.id,
            name: entry.name,
            added: utc_date_time(entry.created_at),
            last_used: entry.last_used_at.map(utc_date_time),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::accounts::ceremonies::Ceremony> for PasskeyCeremony {
    fn from(ceremony: crate::accounts::ceremonies::Ceremony) -> Self {
        Self {
            ceremony: ceremony.token.as_str().to_owned(),
            options: ceremony.options,
        }
    }
}

/// `POST /api/auth/passkey/start`: options that let the browser offer any
/// passkey of this site (the button, or the email field's autofill). 404
/// when the site's address does not allow passkeys; 429 after as many as
/// log-ins may make, counted apart from them (the log-in page starts one on
/// every view).
#[server(prefix = "/api/auth", endpoint = "passkey/start", output = JsonAnswer)]
pub async fn start_passkey_log_in() -> Result<PasskeyCeremony, AppError> {
    use crate::context::request;

    let accounts = request::accounts()?;
    let ceremony = accounts.start_passkey_log_in(&request::client()).await?;
    Ok(ceremony.into())
}

/// `POST /api/auth/passkey/finish` with `ceremony`, `credential` (the
/// browser's answer, JSON) and `remember` (any value means yes): signs in,
/// without a password or a code (a passkey is both), and returns the
/// profile as a log-in does. 422 `PasskeyNotAccepted` for a passkey the
/// site does not know or that does not verify, or an expired ceremony.
#[server(prefix = "/api/auth", endpoint = "passkey/finish", output = JsonAnswer)]
pub async fn finish_passkey_log_in(
    ceremony: String,
    credential: String,
    remember: Option<String>,
) -> Result<Profile, AppError> {
    use crate::context::request;

    let accounts = request::accounts()?;
    let remember = remember.is_some_and(|value| !value.is_empty());
    let signed_in = accounts
        .finish_passkey_log_in(
            &ceremony,
            &credential,
            remember,
            &request::client(),
            &request::browser(),
        )
        .await?;
    request::set_session_cookie(&signed_in.session);
    request::set_device_cookie(&signed_in.device_cookie);
    Ok(Profile::from(&signed_in.user))
}

/// `POST /api/account/passkeys`: `{"available", "passkeys": [{"id",
/// "name", "added", "last_used"}]}`. 401 signed out.
#[server(prefix = "/api/account", endpoint = "passkeys", output = JsonAnswer)]
pub async fn list_passkeys() -> Result<PasskeyList, AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let accounts = request::accounts()?;
    let passkeys = accounts.passkeys(current.user.id).await?;
    Ok(PasskeyList {
        available: accounts.passkeys_on(),
        passkeys: passkeys.into_iter().map(PasskeyView::from).collect(),
    })
}

/// `POST /api/account/passkeys/add/start` (`current_password` outside
/// sudo mode): options for `navigator.credentials.create`. 403
/// `"SudoRequired"`; 404 when the site cannot use passkeys.
#[server(prefix = "/api/account", endpoint = "passkeys/add/start", output = JsonAnswer)]
pub async fn start_adding_passkey(
    current_password: Option<String>,
) -> Result<PasskeyCeremony, AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let (ceremony, renewed) = request::accounts()?
        .start_passkey_registration(
            &current,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await?;
    renewed.inspect(request::set_session_cookie);
    Ok(ceremony.into())
}

/// `POST /api/account/passkeys/add/finish` with `ceremony`, `name` and
/// `credential` (the browser's answer, JSON): adds the passkey and returns
/// it; a notice is mailed. 422 `PasskeyNameInvalid`, `PasskeyNotAccepted`,
/// `PasskeyAlreadyAdded`.
#[server(prefix = "/api/account", endpoint = "passkeys/add/finish", output = JsonAnswer)]
pub async fn finish_adding_passkey(
    ceremony: String,
    name: String,
    credential: String,
) -> Result<PasskeyView, AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let added = request::accounts()?
        .finish_passkey_registration(&current, &ceremony, &name, &credential, &request::client())
        .await?;
    Ok(added.into())
}

/// `POST /api/account/passkeys/rename` with `id`, `name` and
/// `current_password` outside sudo mode. 404 for a passkey that is not
/// this account's; 422 `PasskeyNameInvalid`; 403 `"SudoRequired"`.
#[server(prefix = "/api/account", endpoint = "passkeys/rename", output = JsonAnswer)]
pub async fn rename_passkey(
    id: i64,
    name: String,
    current_password: Option<String>,
) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::RenamePasskey,
        SECTION,
        vec![
            (Field::Passkey, id.to_string()),
            (Field::PasskeyName, name.clone()),
        ],
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .rename_passkey(
            &current,
            id,
            &name,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            reply.sudo_success(renewed, RENAMED);
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for RenamePasskey {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            id: passkey_id(fields),
            name: fields.text(Field::PasskeyName.name()),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// The passkey a form is about (its hidden `id`); no passkey has id 0.
fn passkey_id(fields: &Fields) -> i64 {
    fields.text("id").parse().unwrap_or(0)
}

/// `POST /api/account/passkeys/remove` with `id` (`current_password`
/// outside sudo mode): the passkey no longer signs in; a notice is mailed.
/// 404 for a passkey that is not this account's; 403 `"SudoRequired"`.
#[server(prefix = "/api/account", endpoint = "passkeys/remove", output = JsonAnswer)]
pub async fn remove_passkey(id: i64, current_password: Option<String>) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::RemovePasskey,
        SECTION,
        vec![(Field::Passkey, id.to_string())],
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .remove_passkey(
            &current,
            id,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            reply.sudo_success(renewed, REMOVED);
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for RemovePasskey {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            id: passkey_id(fields),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/sudo/passkey/start`: options to confirm it is you
/// with one of your passkeys instead of the password. 422 `NoPasskey`.
#[server(prefix = "/api/account", endpoint = "sudo/passkey/start", output = JsonAnswer)]
pub async fn start_passkey_sudo() -> Result<PasskeyCeremony, AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let ceremony = request::accounts()?
        .start_passkey_sudo(&current, &request::client())
        .await?;
    Ok(ceremony.into())
}

/// `POST /api/account/sudo/passkey/finish` with `ceremony` and
/// `credential`: as entering the password, renews the session (a new
/// cookie) and starts sudo mode. 422 `PasskeyNotAccepted`.
#[server(prefix = "/api/account", endpoint = "sudo/passkey/finish", output = JsonAnswer)]
pub async fn finish_passkey_sudo(ceremony: String, credential: String) -> Result<(), AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let renewed = request::accounts()?
        .finish_passkey_sudo(&current, &ceremony, &credential, &request::client())
        .await?;
    request::set_session_cookie(&renewed.session);
    Ok(())
}

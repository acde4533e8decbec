//! `/api/account/identities*`: the signed-in account's sign-ins through
//! external providers, as settings show them: linking one, unlinking one,
//! and whether a linked provider's sign-in asks for the second factor.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    json::JsonAnswer,
    validation::Field,
};

/// The account's sign-ins through external providers, and the providers
/// it could link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIns {
    pub linked: Vec<LinkedSignIn>,
    /// Each configured provider, as `(name, label)`.
    pub providers: Vec<(String, String)>,
    /// Whether the account has a second factor (an authenticator app).
    pub has_second_factor: bool,
    /// Whether a sign-in through a linked provider asks for it (the
    /// default).
    pub provider_asks_code: bool,
}

/// One identity linked to the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedSignIn {
    pub id: i64,
    /// The provider's short name (`/auth/oidc/{name}/…`).
    pub name: String,
    /// The provider's label.
    pub provider: String,
    /// The address the provider gave when it was linked.
    pub email: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub added: String,
    pub last_used: Option<String>,
}

/// `POST /api/account/identities`: the signed-in account's linked
/// sign-ins, oldest first, and the configured providers. 401.
#[server(prefix = "/api/account", endpoint = "identities", output = JsonAnswer)]
pub async fn list_sign_ins() -> Result<SignIns, AppError> {
    use crate::{context::request, time::utc_date_time};

    let user = request::current_user().ok_or(AppError::NotSignedIn)?;
    let accounts = request::accounts()?;
    let linked = accounts
        .identities(user.id)
        .await?
        .into_iter()
        .map(|identity| LinkedSignIn {
            id: identity.id,
            name: identity.provider,
            provider: identity.label,
            email: identity.email,
            added: utc_date_time(identity.created_at),
            last_used: identity.last_used_at.map(utc_date_time),
        })
        .collect();
    Ok(SignIns {
        linked,
        providers: accounts.providers().labels(),
        has_second_factor: accounts.has_second_factor(user.id).await?,
        provider_asks_code: accounts.provider_asks_second_factor(user.id).await?,
    })
}

/// `POST /api/account/identities/link` with `provider` (its short name;
/// `current_password` outside sudo mode): starts linking that provider to
/// the signed-in account. Answers the provider's address to send the
/// browser to (a plain form post: 303 there); its callback links the
/// identity and goes back to settings. 404 for an unknown provider, 403
/// `"SudoRequired"`.
#[server(prefix = "/api/account", endpoint = "identities/link", output = JsonAnswer)]
pub async fn start_sign_in_link(
    provider: String,
    current_password: Option<String>,
) -> Result<String, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::StartSignInLink,
        SECTION,
        vec![(Field::Identity, provider.clone())],
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .start_identity_link(
            &current,
            &provider,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok((started, renewed)) => {
            request::set_external_request_cookie(&started.browser);
            reply.sudo_success(renewed, &started.url);
            Ok(started.url)
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for StartSignInLink {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            provider: fields.text("provider"),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/identities/unlink` with `identity` (its id;
/// `current_password` outside sudo mode): that provider no longer signs in
/// to the account; a notice is mailed. 422 `LastWayToSignIn` when it is
/// the account's only way in (no password, no passkey, no other linked
/// sign-in); 404 when it is not this account's; 403 `"SudoRequired"`.
#[server(prefix = "/api/account", endpoint = "identities/unlink", output = JsonAnswer)]
pub async fn unlink_sign_in(
    identity: i64,
    current_password: Option<String>,
) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::UnlinkSignIn,
        SECTION,
        vec![(Field::Identity, identity.to_string())],
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .unlink_identity(
            &current,
            identity,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            reply.sudo_success(renewed, "/settings?identity=unlinked#sign-ins");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for UnlinkSignIn {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            identity: fields.text(Field::Identity.name()).parse().unwrap_or(0),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/identities/second-factor` with `ask` (`1`: a
/// sign-in through a linked provider asks for the authenticator app's
/// code, the default; `0`: it does not, the provider's sign-in counting
/// for both steps) and `current_password` outside sudo mode. A notice is
/// mailed. 401, 403 `"SudoRequired"`.
#[server(prefix = "/api/account", endpoint = "identities/second-factor", output = JsonAnswer)]
pub async fn set_provider_code(
    ask: String,
    current_password: Option<String>,
) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::SetProviderCode, SECTION, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    let ask = ask != "0";
    match request::accounts()?
        .set_provider_second_factor(
            &current,
            ask,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            let location = if ask {
                "/settings?identity=code-on#sign-ins"
            } else {
                "/settings?identity=code-off#sign-ins"
            };
            reply.sudo_success(renewed, location);
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for SetProviderCode {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            ask: fields.text("ask"),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// The settings section of linked sign-ins.
#[cfg(feature = "ssr")]
const SECTION: &str = "/settings#sign-ins";

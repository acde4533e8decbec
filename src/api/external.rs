//! Signing in through external OpenID Connect providers: what the
//! `/external-sign-in` page does with an identity waiting in this browser
//! (`/api/auth/external/*`). The linked sign-ins in settings are
//! [`super::sign_ins`]; the trips to a provider and back are a form post
//! and redirects (`/auth/oidc/{name}/start` and `…/callback`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Profile;
use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    json::JsonAnswer,
    validation::Field,
};

/// The identity waiting in this browser, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingIdentity {
    /// The provider's label.
    pub provider: String,
    pub email: String,
    /// Whether the provider says the address is the person's.
    pub email_verified: bool,
    /// The name the provider gave, for the person to accept or change.
    pub display_name: String,
    /// The account that has the address, partly hidden, if one has.
    pub account: Option<String>,
    /// Whether this browser is signed in to that account.
    pub signed_in_to_account: bool,
}

/// `POST /api/auth/external/pending`: the identity waiting in this
/// browser (its `external` cookie) after a provider's sign-in, or `null`.
#[server(prefix = "/api/auth", endpoint = "external/pending", output = JsonAnswer)]
pub async fn pending_external_identity() -> Result<Option<WaitingIdentity>, AppError> {
    use crate::context::request;

    let Some(token) = request::pending_identity_token() else {
        return Ok(None);
    };
    let signed_in = request::current_user().map(|user| user.id);
    Ok(request::accounts()?
        .pending_identity(&token)
        .await?
        .map(|pending| WaitingIdentity {
            provider: pending.provider,
            email: pending.email,
            email_verified: pending.email_verified,
            display_name: pending.display_name,
            signed_in_to_account: pending
                .account
                .as_ref()
                .is_some_and(|(id, _)| Some(*id) == signed_in),
            account: pending.account.map(|(_, masked)| masked),
        }))
}

/// `POST /api/auth/external/create` with `display_name`: makes the
/// account the identity waiting in this browser asked for (no account
/// has its address) and signs in; returns the profile. The account has no
/// password until its owner sets one through "Forgot your password?".
/// 410 when nothing waits; 422 for the name.
#[server(prefix = "/api/auth", endpoint = "external/create", output = JsonAnswer)]
pub async fn create_external_account(display_name: String) -> Result<Profile, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::CreateExternalAccount,
        WAITING_PAGE,
        vec![(Field::DisplayName, display_name.clone())],
    );
    let token = request::pending_identity_token().unwrap_or_default();
    match request::accounts()?
        .create_from_identity(
            &token,
            &display_name,
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(signed_in) => {
            request::clear_pending_identity_cookie();
            Ok(reply.signed_in(&signed_in, "/profile"))
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for CreateExternalAccount {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            display_name: fields.text(Field::DisplayName.name()),
        }
    }
}

/// `POST /api/auth/external/link` (`current_password` outside sudo mode):
/// links the identity waiting in this browser to the signed-in account,
/// when it is the account that has the identity's address (signing in to
/// it proved it is the person's). 401 when not signed in; 403
/// `"SudoRequired"`; 410 when nothing waits for this account.
#[server(prefix = "/api/auth", endpoint = "external/link", output = JsonAnswer)]
pub async fn link_waiting_identity(current_password: Option<String>) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::LinkWaitingIdentity, WAITING_PAGE, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    let token = request::pending_identity_token().unwrap_or_default();
    match request::accounts()?
        .link_pending_identity(
            &token,
            &current,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            request::clear_pending_identity_cookie();
            reply.sudo_success(renewed, LINKED);
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for LinkWaitingIdentity {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/auth/external/proof`: mails the account that has the
/// waiting identity's address a link that links the two (valid 15
/// minutes, once, and only in this browser). 410 when nothing waits; 429
/// after 3 links in an hour.
#[server(prefix = "/api/auth", endpoint = "external/proof", output = JsonAnswer)]
pub async fn mail_identity_proof() -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::MailIdentityProof, WAITING_PAGE, Vec::new());
    let token = request::pending_identity_token().unwrap_or_default();
    match request::accounts()?
        .mail_identity_proof(&token, &request::client())
        .await
    {
        Ok(()) => {
            reply.success("/external-sign-in?sent=1");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for MailIdentityProof {
    fn from_fields(_: &Fields) -> Self {
        Self {}
    }
}

/// `POST /api/auth/external/proof/confirm` with `token` (from the mailed
/// link), in the browser holding the identity: links it to the account
/// and signs in as that account (its second factor still asked for: 401
/// `"SecondFactorRequired"`). 410 when the link is dead or this browser
/// holds no identity for the account.
#[server(prefix = "/api/auth", endpoint = "external/proof/confirm", output = JsonAnswer)]
pub async fn confirm_identity_proof(token: String) -> Result<Profile, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let waiting = request::pending_identity_token().unwrap_or_default();
    let result = request::accounts()?
        .confirm_identity_proof(&token, &waiting, &request::client(), &request::browser())
        .await;
    let reply = FormReply::new(
        super::FormId::ConfirmIdentityProof,
        &format!("/external-sign-in?token={}", request::encode_query(&token)),
        Vec::new(),
    );
    match result {
        Ok(logged_in) => {
            request::clear_pending_identity_cookie();
            reply.logged_in(logged_in, "/profile")
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for ConfirmIdentityProof {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            token: fields.text("token"),
        }
    }
}

/// Where the waiting identity's page is.
#[cfg(feature = "ssr")]
const WAITING_PAGE: &str = "/external-sign-in";
/// Where settings say an identity was linked.
#[cfg(feature = "ssr")]
const LINKED: &str = "/settings?identity=linked#sign-ins";

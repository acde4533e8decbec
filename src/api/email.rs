//! `/api/account/email*`: the signed-in user changes their email address
//! (in sudo mode, as in [`super::account`]), the new address confirms it by
//! its link, and the current address, or the settings, cancel it.

use leptos::prelude::*;

use crate::json::JsonAnswer;

use super::{PendingEmailChange, Profile};
use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    validation::Field,
};

/// `POST /api/account/email` with `new_email` (and `current_password`
/// outside sudo mode): mails a link to the new address; the change happens
/// when it is used. The answer is the same whether or not another account
/// has the address. 422 for a malformed address or the current one, 429
/// after 3 links in an hour.
#[server(prefix = "/api/account", endpoint = "email", output = JsonAnswer)]
pub async fn change_email(
    new_email: String,
    current_password: Option<String>,
) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::ChangeEmail,
        "/settings#email",
        vec![(Field::Email, new_email.clone())],
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .request_email_change(
            &current,
            &new_email,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            reply.sudo_success(renewed, "/settings?sent=email#email");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for ChangeEmail {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            new_email: fields.text("new_email"),
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/email/confirm` with `token` (from the link mailed to
/// the new address): makes it the account's address, verified, and mails
/// a notice to the old one. Needs no session. Returns the profile when
/// this browser is signed in to the account, else `null`. 410 for an
/// unknown, used or expired link; 409 when another account has the
/// address by now.
#[server(prefix = "/api/account", endpoint = "email/confirm", output = JsonAnswer)]
pub async fn confirm_email_change(token: String) -> Result<Option<Profile>, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::ConfirmEmailChange,
        &format!("/confirm-email?token={}", request::encode_query(&token)),
        Vec::new(),
    );
    match request::accounts()?
        .confirm_email_change(&token, request::current().as_ref(), &request::client())
        .await
    {
        Ok(user) => {
            reply.success("/confirm-email?changed=1");
            Ok(request::current_user()
                .filter(|signed_in| signed_in.id == user.id)
                .map(|_| Profile::from(&user)))
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for ConfirmEmailChange {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            token: fields.text("token"),
        }
    }
}

/// `POST /api/account/email/pending`: the changes of address waiting for
/// the link mailed to the new address, as `[{"email", "expires"}]` (each
/// new address once, newest first; `expires` is when its link stops
/// working, RFC 3339 in UTC).
#[server(prefix = "/api/account", endpoint = "email/pending", output = JsonAnswer)]
pub async fn pending_email_changes() -> Result<Vec<PendingEmailChange>, AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let pending = request::accounts()?.pending_email_changes(&current).await?;
    Ok(pending
        .into_iter()
        .map(|change| PendingEmailChange {
            email: change.email,
            expires: crate::time::rfc3339(change.expires_at),
        })
        .collect())
}

/// `POST /api/account/email/pending/cancel`: cancels every pending change
/// of address; the links mailed for them stop working. Needs no password:
/// it only keeps the account as it is.
#[server(prefix = "/api/account", endpoint = "email/pending/cancel", output = JsonAnswer)]
pub async fn cancel_email_changes() -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::CancelEmailChanges,
        "/settings#email",
        Vec::new(),
    );
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .cancel_email_changes(&current, &request::client())
        .await
    {
        Ok(()) => {
            reply.success("/settings?cancelled=email#email");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for CancelEmailChanges {
    fn from_fields(_fields: &Fields) -> Self {
        Self {}
    }
}

/// `POST /api/account/email/cancel` with `token` (from the link in the
/// notice mailed to the account's address when a change was asked for):
/// cancels every pending change of address. Needs no session. 410 for an
/// unknown, used or expired link: the change was confirmed, cancelled, or
/// ran out.
#[server(prefix = "/api/account", endpoint = "email/cancel", output = JsonAnswer)]
pub async fn cancel_email_change(token: String) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::CancelEmailChange,
        &format!(
            "/cancel-email-change?token={}",
            request::encode_query(&token)
        ),
        Vec::new(),
    );
    match request::accounts()?
        .cancel_email_change_by_link(&token, &request::client())
        .await
    {
        Ok(()) => {
            reply.success("/cancel-email-change?cancelled=1");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for CancelEmailChange {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            token: fields.text("token"),
        }
    }
}

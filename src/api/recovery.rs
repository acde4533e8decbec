//! `/api/auth/*` for getting back in and proving an address: forgot
//! password, reset password, verify email, and sending the verification
//! link again.

use leptos::prelude::*;

use crate::json::JsonAnswer;

use super::Profile;
use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    validation::Field,
};

/// `POST /api/auth/password-reset/request` with `email`. Mails a reset link (valid
/// 1 hour) if the address has an account. The answer is the same whether
/// or not it has one: 200 (a plain form post: 303 to
/// `/forgot-password?sent=1`), after the same time. 422 only for an empty
/// or over-long address; 429 when this network asks too often.
#[server(prefix = "/api/auth", endpoint = "password-reset/request", output = JsonAnswer)]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let result = request::accounts()?
        .request_password_reset(&email, &request::client())
        .await;
    let reply = FormReply::new(
        super::FormId::ForgotPassword,
        "/forgot-password",
        vec![(Field::Email, email)],
    );
    match result {
        Ok(()) => {
            reply.success("/forgot-password?sent=1");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for ForgotPassword {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            email: fields.text(Field::Email.name()),
        }
    }
}

/// `POST /api/auth/password-reset/confirm` with `token` (from the mailed
/// link), `password`, and optionally `password_confirm` (the page's second
/// entry; when sent, it must match). Sets the new password, ends every
/// session of the account, clears its failed-log-in locks, counts the
/// address as verified, mails a notice and signs this browser in; returns
/// the profile. An account with a second factor is not signed in: 401
/// `"SecondFactorRequired"`, as after a log-in's password. 410 when the link is unknown, used or expired; 422 when
/// the password breaks the rules or the two differ.
#[server(prefix = "/api/auth", endpoint = "password-reset/confirm", output = JsonAnswer)]
pub async fn reset_password(
    token: String,
    password: String,
    password_confirm: Option<String>,
) -> Result<Profile, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let result = request::accounts()?
        .reset_password(
            &token,
            &password,
            password_confirm.as_deref().unwrap_or(&password),
            &request::client(),
            &request::browser(),
        )
        .await;
    let reply = FormReply::new(
        super::FormId::ResetPassword,
        &format!("/reset-password?token={}", request::encode_query(&token)),
        Vec::new(),
    );
    match result {
        Ok(logged_in) => reply.logged_in(logged_in, "/profile"),
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for ResetPassword {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            token: fields.text("token"),
            password: fields.text(Field::Password.name()),
            password_confirm: fields.optional(Field::PasswordConfirm.name()),
        }
    }
}

/// `POST /api/auth/verify-email` with `token` (from the mailed link).
/// Marks the address verified; a link from a verify-first sign-up makes
/// the account and signs this browser in, given the `password` chosen at
/// sign-up (422 on the `password` field without it or when it differs). Returns the signed-in user's
/// profile, or `null` when this browser is not signed in to the account (a plain form post: 303 to
/// `/verify-email?verified=1`). 410 when the link is unknown, used or
/// expired.
#[server(prefix = "/api/auth", endpoint = "verify-email", output = JsonAnswer)]
pub async fn verify_email(
    token: String,
    password: Option<String>,
) -> Result<Option<Profile>, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let result = request::accounts()?
        .verify_email(
            &token,
            password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await;
    let reply = FormReply::new(
        super::FormId::VerifyEmail,
        &format!("/verify-email?token={}", request::encode_query(&token)),
        Vec::new(),
    );
    match result {
        Ok(verified) => match verified.signed_in {
            Some(signed_in) => Ok(Some(
                reply.signed_in(&signed_in, "/verify-email?verified=1"),
            )),
            None => {
                reply.success("/verify-email?verified=1");
                Ok(request::current_user()
                    .filter(|user| user.id == verified.user.id)
                    .map(|_| Profile::from(&verified.user)))
            }
        },
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for VerifyEmail {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            token: fields.text("token"),
            password: fields.optional(Field::Password.name()),
        }
    }
}

/// `POST /api/auth/verify-email/resend`: mails the signed-in user a new
/// verification link. 401 when not signed in; 429 after 3 links in an
/// hour.
#[server(prefix = "/api/auth", endpoint = "verify-email/resend", output = JsonAnswer)]
pub async fn resend_verification() -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::ResendVerification, "/profile", Vec::new());
    let Some(user) = request::current_user() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?.resend_verification(&user).await {
        Ok(()) => {
            reply.success("/profile?verification=sent");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for ResendVerification {
    fn from_fields(_: &Fields) -> Self {
        Self {}
    }
}

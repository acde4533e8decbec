//! `/api/auth/login-link/*`: signing in by a link mailed to the account's
//! address, without a password.

use leptos::prelude::*;

use crate::json::JsonAnswer;

use super::Profile;
use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    validation::Field,
};

/// `POST /api/auth/login-link/request` with `email`. Mails a sign-in link
/// (valid 15 minutes, once) if the address has an account. The answer is
/// the same whether or not it has one: 200 (a plain form post: 303 to
/// `/login-link?sent=1`), after the same time; no more than 3 links go to
/// an account in an hour. 422 only for an empty or over-long address; 429
/// when this network asks too often.
#[server(prefix = "/api/auth", endpoint = "login-link/request", output = JsonAnswer)]
pub async fn request_login_link(email: String) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let result = request::accounts()?
        .request_login_link(&email, &request::client())
        .await;
    let reply = FormReply::new(
        super::FormId::RequestLoginLink,
        "/login-link",
        vec![(Field::Email, email)],
    );
    match result {
        Ok(()) => {
            reply.success("/login-link?sent=1");
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for RequestLoginLink {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            email: fields.text(Field::Email.name()),
        }
    }
}

/// `POST /api/auth/login-link/confirm` with `token` (from the mailed link)
/// and `remember` (any value means yes). Signs this browser in to the
/// link's account, counts its address as verified, and returns the
/// profile. An account with a second factor is not signed in yet: 401
/// `"SecondFactorRequired"`, as after a log-in's password. 410 when the
/// link is unknown, used or expired, or the account's address changed
/// since it was sent.
#[server(prefix = "/api/auth", endpoint = "login-link/confirm", output = JsonAnswer)]
pub async fn log_in_with_link(
    token: String,
    remember: Option<String>,
) -> Result<Profile, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let remember = remember.is_some_and(|value| !value.is_empty());
    let result = request::accounts()?
        .log_in_with_link(&token, remember, &request::client(), &request::browser())
        .await;
    let reply = FormReply::new(
        super::FormId::LogInWithLink,
        &format!("/login-link?token={}", request::encode_query(&token)),
        Vec::new(),
    );
    match result {
        Ok(logged_in) => reply.logged_in(logged_in, "/profile"),
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for LogInWithLink {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            token: fields.text("token"),
            remember: fields.optional("remember"),
        }
    }
}

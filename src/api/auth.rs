//! `/api/auth/*`: sign up, log in, log out, and who is signed in.

use leptos::prelude::*;

use crate::json::JsonAnswer;

use super::Profile;
use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    validation::Field,
};

/// `POST /api/auth/signup` with `email`, `password`, `display_name`
/// (optional). With `SIGNUP_MODE=open` (the default): creates the account,
/// signs it in (session cookie) and returns the profile; 409 when the
/// email already has an account. With `verify-first`: mails a link that
/// starts the account and returns `null` (a plain form post: 303 to
/// `/signup?check=1`), alike for every address. 422 with every field
/// problem.
#[server(prefix = "/api/auth", endpoint = "signup", output = JsonAnswer)]
pub async fn sign_up(
    email: String,
    password: String,
    display_name: Option<String>,
) -> Result<Option<Profile>, AppError> {
    use crate::{accounts::SignedUp, api::reply::FormReply, context::request};

    let display_name = display_name.unwrap_or_default();
    let accounts = request::accounts()?;
    let result = accounts
        .sign_up(
            &email,
            &password,
            &display_name,
            &request::client(),
            &request::browser(),
        )
        .await;
    let reply = FormReply::new(
        crate::api::FormId::SignUp,
        "/signup",
        vec![(Field::Email, email), (Field::DisplayName, display_name)],
    );
    match result {
        Ok(SignedUp::SignedIn(signed_in)) => Ok(Some(reply.signed_in(&signed_in, "/profile"))),
        Ok(SignedUp::CheckInbox) => {
            reply.success("/signup?check=1");
            Ok(None)
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for SignUp {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            email: fields.text(Field::Email.name()),
            password: fields.text(Field::Password.name()),
            display_name: fields.optional(Field::DisplayName.name()),
        }
    }
}

/// `POST /api/auth/login` with `email`, `password`, `remember` (any value
/// means yes) and `next` (optional, a path on this site). Starts a new
/// session (ending the one this browser had) and returns the profile. 401
/// for an unknown email or a wrong password alike; 429 when the address or
/// this browser must wait; 503 when the server is too busy to check. For an
/// account with a second factor, the right password is not enough: 401
/// `"SecondFactorRequired"`, with a cookie for the pending log-in that
/// `/api/auth/login/second-factor` completes.
#[server(prefix = "/api/auth", endpoint = "login", output = JsonAnswer)]
pub async fn log_in(
    email: String,
    password: String,
    remember: Option<String>,
    next: Option<String>,
) -> Result<Profile, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let accounts = request::accounts()?;
    let remember = remember.is_some_and(|value| !value.is_empty());
    let result = accounts
        .log_in(
            &email,
            &password,
            remember,
            &request::client(),
            &request::browser(),
        )
        .await;
    let next = next
        .as_deref()
        .and_then(super::safe_next)
        .map(str::to_owned);
    let retry = match &next {
        Some(next) => format!("/login?next={}", request::encode_query(next)),
        None => "/login".to_owned(),
    };
    let reply = FormReply::new(
        crate::api::FormId::LogIn,
        &retry,
        vec![(Field::Email, email)],
    );
    match result {
        Ok(logged_in) => reply.logged_in(logged_in, next.as_deref().unwrap_or("/profile")),
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for LogIn {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            email: fields.text(Field::Email.name()),
            password: fields.text(Field::Password.name()),
            remember: fields.optional("remember"),
            next: fields.optional("next"),
        }
    }
}

/// `POST /api/auth/login/second-factor` with `code` (from the
/// authenticator app) or `recovery_code`, and `next` (optional): completes
/// the log-in this browser's pending-log-in cookie names, and returns the
/// profile as a log-in does. 422 for a wrong or used code
/// (`CodeIncorrect`, `RecoveryCodeIncorrect`) or when the log-in waited
/// over 5 minutes (`LogInExpired`); 429 after too many wrong ones (the
/// log-in limits).
#[server(prefix = "/api/auth", endpoint = "login/second-factor", output = JsonAnswer)]
pub async fn log_in_second_factor(
    code: Option<String>,
    recovery_code: Option<String>,
    next: Option<String>,
) -> Result<Profile, AppError> {
    use crate::{accounts::second_step::Factor, api::reply::FormReply, context::request};

    let next = next
        .as_deref()
        .and_then(super::safe_next)
        .map(str::to_owned);
    let factor = match &recovery_code {
        Some(code) => Factor::RecoveryCode(code),
        None => Factor::Code(code.as_deref().unwrap_or_default()),
    };
    let mut retry = match &next {
        Some(next) => format!("/login-code?next={}", request::encode_query(next)),
        None => "/login-code?".to_owned(),
    };
    if recovery_code.is_some() {
        retry.push_str("&recovery=1");
    }
    let reply = FormReply::new(crate::api::FormId::SecondFactor, &retry, Vec::new());
    let result = request::accounts()?
        .finish_log_in(
            request::pending_login_token().as_deref(),
            factor,
            &request::client(),
            &request::browser(),
        )
        .await;
    match result {
        Ok(done) => {
            request::clear_pending_login_cookie();
            // After a recovery code, the settings page says how many are
            // left and offers new ones.
            let location = match done.recovery_codes_left {
                Some(_) => "/settings?recovery=used#two-factor".to_owned(),
                None => next.unwrap_or_else(|| "/profile".to_owned()),
            };
            Ok(reply.signed_in(&done.signed_in, &location))
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for LogInSecondFactor {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            code: fields.optional(Field::Code.name()),
            recovery_code: fields.optional(Field::RecoveryCode.name()),
            next: fields.optional("next"),
        }
    }
}

/// `POST /api/auth/logout`: ends the current session on the server and
/// expires the cookie. Succeeds even when nobody was signed in.
#[server(prefix = "/api/auth", endpoint = "logout", output = JsonAnswer)]
pub async fn log_out() -> Result<(), AppError> {
    use crate::context::request;

    let accounts = request::accounts()?;
    if let Some(token) = request::session_token() {
        accounts.log_out(&token).await?;
        if let Some(user) = request::current_user() {
            accounts
                .record(
                    crate::accounts::Event::LogOut,
                    Some(user.id),
                    &request::client(),
                )
                .await;
        }
    }
    request::clear_session_cookie();
    // A provider's identity left waiting here is not for the next person.
    request::clear_pending_identity_cookie();
    request::clear_site_data();
    request::see_other_if_plain_form("/");
    Ok(())
}

impl FromFields for LogOut {
    fn from_fields(_: &Fields) -> Self {
        Self {}
    }
}

/// `POST /api/auth/me`: the signed-in user, or `null`.
#[server(prefix = "/api/auth", endpoint = "me", output = JsonAnswer)]
pub async fn current_user() -> Result<Option<Profile>, AppError> {
    Ok(crate::api::current_profile())
}

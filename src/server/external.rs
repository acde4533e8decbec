//! `POST /auth/oidc/{name}/start` (and `…/confirm`) and `GET
//! /auth/oidc/{name}/callback`: the browser's trip to an external OpenID
//! provider and back, as a plain form post and redirects, so it works the
//! same with JavaScript off. (The posts pass the site's cross-site check
//! like every other; nothing changes on a GET but the callback's own
//! trip, which only the browser that started it can finish.) What the trip
//! leads to is `accounts::external`; this module turns it into cookies and
//! the next page.

use axum::{
    extract::{Path, Query, Request, State},
    http::{
        header::{LOCATION, SET_COOKIE},
        HeaderValue, StatusCode,
    },
    response::{IntoResponse, Response},
    Extension,
};
use serde::Deserialize;

use crate::{
    accounts::{
        device::LIFETIME_DAYS,
        external::{
            flow::Callback,
            identities::{Outcome, PENDING_SECONDS},
            Failure, Trip,
        },
        second_step::{LoggedIn, PENDING_SECONDS as SECOND_STEP_SECONDS},
        Browser, Client, Current,
    },
    context::{
        request::{
            cookie_header, device_cookie_name, encode_query, external_request_cookie_name,
            pending_identity_cookie_name, pending_login_cookie_name, read_cookie,
            session_cookie_name, CurrentUser,
        },
        AppState,
    },
};

/// Sends the browser to provider `name` to sign in, with a cookie that
/// binds the trip to it. `?next=` is not taken: a provider's sign-in ends
/// on the profile, or on the page that asks for what is missing.
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Extension(client): Extension<Client>,
) -> Response {
    go(&state, &name, Trip::SignIn, &client).await
}

/// `POST /auth/oidc/{name}/confirm`: sends the signed-in person to provider
/// `name` to confirm it is them (sudo mode, as their password would); the
/// callback accepts only the identity linked to their account. Anonymous:
/// to the log-in page.
pub async fn confirm(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Extension(client): Extension<Client>,
    request: Request,
) -> Response {
    match signed_in(&request) {
        Some(current) => go(&state, &name, Trip::Confirm(current.user.id), &client).await,
        None => see_other("/login?next=/settings", &[]),
    }
}

fn signed_in(request: &Request) -> Option<&Current> {
    request
        .extensions()
        .get::<CurrentUser>()
        .and_then(|current| current.0.as_ref())
}

async fn go(state: &AppState, name: &str, trip: Trip, client: &Client) -> Response {
    let secure = state.config.secure_cookies();
    match state.accounts.start_external(name, trip, client).await {
        Ok(started) => {
            let cookie = cookie_header(
                external_request_cookie_name(secure),
                started.browser.as_str(),
                Some(crate::accounts::external::flow::REQUEST_SECONDS.unsigned_abs()),
                secure,
            );
            see_other(&started.url, &[cookie])
        }
        Err(crate::error::AppError::NotFound) => see_other("/login", &[]),
        Err(error) => see_other(&failed(Failure::from(error)), &[]),
    }
}

/// What a provider sends back, as its query. Anything else in it (`iss`,
/// `session_state`, an `error_description`) is not used.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Takes the provider's answer for this browser: signs in, asks for the
/// second factor, keeps a new identity for its page, links it (from
/// settings), or says why not. The trip's cookie goes either way.
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Extension(client): Extension<Client>,
    request: Request,
) -> Response {
    let secure = state.config.secure_cookies();
    // A query that is not a provider's answer reads as an empty one.
    let query = Query::<CallbackQuery>::try_from_uri(request.uri())
        .map(|Query(query)| query)
        .unwrap_or_default();
    let headers = request.headers();
    let browser = Browser {
        session: read_cookie(headers, session_cookie_name(secure))
            .and_then(crate::accounts::SessionToken::parse),
        device_cookie: read_cookie(headers, device_cookie_name(secure)).map(str::to_owned),
    };
    let trip = read_cookie(headers, external_request_cookie_name(secure));
    let signed_in = signed_in(&request);
    let outcome = state
        .accounts
        .finish_external(
            &name,
            &Callback {
                code: query.code,
                state: query.state,
                error: query.error,
            },
            trip,
            signed_in,
            &client,
            &browser,
        )
        .await;
    let mut cookies = vec![cookie_header(
        external_request_cookie_name(secure),
        "",
        Some(0),
        secure,
    )];
    let location = match outcome {
        Ok(Outcome::LoggedIn(LoggedIn::SignedIn(signed_in))) => {
            let session = &signed_in.session;
            cookies.push(cookie_header(
                session_cookie_name(secure),
                session.token.as_str(),
                session.persistent.then_some(session.max_age.as_secs()),
                secure,
            ));
            cookies.push(cookie_header(
                device_cookie_name(secure),
                &signed_in.device_cookie,
                Some(LIFETIME_DAYS * 24 * 60 * 60),
                secure,
            ));
            "/profile".to_owned()
        }
        Ok(Outcome::LoggedIn(LoggedIn::SecondFactor(token))) => {
            cookies.push(cookie_header(
                pending_login_cookie_name(secure),
                token.as_str(),
                Some(SECOND_STEP_SECONDS.unsigned_abs()),
                secure,
            ));
            format!("/login-code?next={}", encode_query("/profile"))
        }
        Ok(Outcome::Pending { token, .. }) => {
            cookies.push(cookie_header(
                pending_identity_cookie_name(secure),
                token.as_str(),
                Some(PENDING_SECONDS.unsigned_abs()),
                secure,
            ));
            "/external-sign-in".to_owned()
        }
        Ok(Outcome::Linked) => "/settings?identity=linked#sign-ins".to_owned(),
        Ok(Outcome::Confirmed(session)) => {
            cookies.push(cookie_header(
                session_cookie_name(secure),
                session.token.as_str(),
                session.persistent.then_some(session.max_age.as_secs()),
                secure,
            ));
            "/settings?identity=confirmed".to_owned()
        }
        Err(Failure::Taken) if signed_in.is_some() => {
            "/settings?identity=taken#sign-ins".to_owned()
        }
        Err(failure) => failed(failure),
    };
    see_other(&location, &cookies)
}

fn failed(failure: Failure) -> String {
    format!("/external-sign-in?failed={}", failure.code())
}

/// A 303 to `location`, setting `cookies`.
fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(LOCATION, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

//! Request middleware: who is signed in, which pages need it, and HTTP
//! status codes for server-function errors.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header::LOCATION, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

use super::AppState;
use crate::{
    accounts::{Client, SessionToken},
    api::profile::RecentActivity,
    api::safe_next,
    context::request::{
        encode_query, read_cookie, session_cookie_name, ActivityAlongside, CurrentUser,
    },
    error::AppError,
};

/// Pages only a signed-in user may see.
pub const PERSONAL_PAGES: [&str; 2] = ["/profile", "/settings"];

/// What shows the user's recent activity: the profile page, and the
/// server function it reads it through after in-app navigation. Their
/// session lookup reads the activity in the same query.
fn shows_activity(path: &str) -> bool {
    path == "/profile" || path == <RecentActivity as leptos::server_fn::ServerFn>::PATH
}

/// Resolves the session cookie to a user once per request and hands it to
/// pages and server functions through the request's extensions. An
/// anonymous request for a personal page is sent to the log-in page with
/// 303, carrying where it was going in `?next=`.
///
/// Files (`/pkg/app.wasm`, `/favicon.svg`: a dot in the last segment, which
/// no page or server function has) are served without a session lookup.
pub async fn resolve_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let is_file = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|segment| segment.contains('.'));
    if is_file {
        return next.run(request).await;
    }
    let cookie_name = session_cookie_name(state.config.secure_cookies());
    let token = read_cookie(request.headers(), cookie_name).and_then(SessionToken::parse);
    // An unreadable database makes the visitor anonymous for this request;
    // the accounts module has logged why.
    let (user, activity) = match token {
        Some(token) if shows_activity(request.uri().path()) => {
            match state.accounts.user_and_activity_for_session(&token).await {
                Ok(Some((user, activity))) => (Some(user), Some(activity)),
                Ok(None) | Err(_) => (None, None),
            }
        }
        Some(token) => (
            state
                .accounts
                .user_for_session(&token)
                .await
                .unwrap_or(None),
            None,
        ),
        None => (None, None),
    };

    let path = request.uri().path();
    if user.is_none() && request.method() == "GET" && PERSONAL_PAGES.contains(&path) {
        let target = request
            .uri()
            .path_and_query()
            .map_or(path, |value| value.as_str());
        let location = format!("/login?next={}", encode_query(target));
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, location);
        }
        return response;
    }

    let client = client(&request, &state.config.trusted_proxies);
    request.extensions_mut().insert(CurrentUser(user));
    if let Some(activity) = activity {
        request.extensions_mut().insert(ActivityAlongside(activity));
    }
    request.extensions_mut().insert(client);
    next.run(request).await
}

/// The client's IP address: the socket's peer, unless that peer is a
/// trusted proxy, in which case the address the proxy appended last to
/// `X-Forwarded-For`. Entries a client wrote itself come earlier in that
/// header and are ignored, so rotating them gains nothing.
fn client(request: &Request, trusted_proxies: &[IpAddr]) -> Client {
    // A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`: compared
    // and recorded as the IPv4 address they are.
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_canonical());
    let forwarded = || {
        request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .and_then(forwarded_address)
    };
    let ip = match peer {
        Some(peer) if trusted_proxies.contains(&peer) => forwarded().unwrap_or(peer),
        Some(peer) => peer,
        None => return Client::new("unknown".into(), ""),
    };
    let user_agent = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    Client::new(ip.to_string(), user_agent)
}

/// One `X-Forwarded-For` entry as proxies write it: `203.0.113.7`,
/// `203.0.113.7:41234`, `2001:db8::7`, `[2001:db8::7]` or
/// `[2001:db8::7]:41234`, possibly in quotes.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })
        .map(|ip: IpAddr| ip.to_canonical())
}

/// Sends an address with a trailing slash (`/signup/`) to the same address
/// without it, with 308, so that each page has one address. The browser
/// then always hydrates a page at the path its router and
/// `app::load_lazy_page` expect. GET and HEAD only, and never towards
/// another site (`//evil.example/`).
pub async fn without_trailing_slash(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if matches!(*request.method(), Method::GET | Method::HEAD) && path.len() > 1 {
        if let Some(target) = path
            .strip_suffix('/')
            .map(|path| path.trim_end_matches('/'))
            .and_then(safe_next)
        {
            let location = match request.uri().query() {
                Some(query) => format!("{target}?{query}"),
                None => target.to_owned(),
            };
            if let Ok(location) = HeaderValue::from_str(&location) {
                return (StatusCode::PERMANENT_REDIRECT, [(LOCATION, location)]).into_response();
            }
        }
    }
    next.run(request).await
}

/// Server functions answer every error with 500; this gives each error
/// the status it stands for (400, 401, 409, 413, 422…), so that clients
/// other than our own pages can act on the status alone. Plain form posts
/// that were already redirected keep their 303.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(retry_after) = error.retry_after() {
            parts
                .headers
                .insert(axum::http::header::RETRY_AFTER, retry_after.into());
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_entries_are_read_in_every_form_proxies_write() {
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        assert_eq!(forwarded_address(" 203.0.113.7"), ip("203.0.113.7"));
        assert_eq!(forwarded_address("203.0.113.7:41234"), ip("203.0.113.7"));
        assert_eq!(forwarded_address("2001:db8::7"), ip("2001:db8::7"));
        assert_eq!(forwarded_address("[2001:db8::7]"), ip("2001:db8::7"));
        assert_eq!(forwarded_address("[2001:db8::7]:41234"), ip("2001:db8::7"));
        assert_eq!(
            forwarded_address("\"[2001:db8::7]:443\""),
            ip("2001:db8::7")
        );
        assert_eq!(forwarded_address("::ffff:203.0.113.7"), ip("203.0.113.7"));
        assert_eq!(forwarded_address("unknown"), None);
        assert_eq!(forwarded_address(""), None);
    }
}

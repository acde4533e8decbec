//! Request-scoped helpers for server functions and pages: who is signed
//! in, where the request came from, the one place that writes cookies, and
//! how a plain (JavaScript-free) form post is told apart and redirected.

use axum::http::{
    header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE},
    request::Parts,
    HeaderValue, StatusCode,
};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::AppState;
use crate::{
    accounts::{
        audit::Entry, device, Accounts, Browser, Client, Current, NewSession, SessionToken, User,
    },
    error::AppError,
};

/// The user resolved from the session cookie for this request, put into the
/// request's extensions by `server::middleware::resolve_session`.
#[derive(Clone, Debug, Default)]
pub struct CurrentUser(pub Option<Current>);

/// The signed-in user's latest security events, when the session lookup
/// brought them along for a page that shows them
/// (`server::middleware::resolve_session`).
#[derive(Clone, Debug)]
pub struct ActivityAlongside(pub Vec<Entry>);

/// [`ActivityAlongside`] for this request, if its session lookup read it.
pub fn activity_alongside() -> Option<Vec<Entry>> {
    use_context::<Parts>()?
        .extensions
        .get::<ActivityAlongside>()
        .map(|activity| activity.0.clone())
}

/// Cookie names. With an https origin they carry the `__Host-` prefix, which
/// browsers accept only with `Secure`, `Path=/` and no `Domain`: no other
/// host or plain-http page can set or shadow them.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-session"
    } else {
        "session"
    }
}

/// The device cookie (see `accounts::device`): which accounts this browser
/// has signed in to.
pub fn device_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-device"
    } else {
        "device"
    }
}

pub fn accounts() -> Result<Accounts, AppError> {
    use_context::<AppState>()
        .map(|state| state.accounts.clone())
        .ok_or(AppError::Internal)
}

/// Whether cookies carry `Secure` and the `__Host-` prefix (an https
/// origin).
pub fn secure_cookies() -> bool {
    use_context::<AppState>().is_some_and(|state| state.config.secure_cookies())
}

/// Where this request came from (IP and user agent), resolved once by
/// `server::middleware::resolve_session`.
pub fn client() -> Client {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<Client>().cloned())
        .unwrap_or_else(|| Client::new("unknown".into(), ""))
}

pub fn current_user() -> Option<User> {
    current().map(|current| current.user)
}

/// The signed-in user of this request and which of their sessions it is.
pub fn current() -> Option<Current> {
    use_context::<Parts>()?
        .extensions
        .get::<CurrentUser>()?
        .0
        .clone()
}

/// Reads the value of cookie `name` from request headers.
pub fn read_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

pub fn session_token() -> Option<SessionToken> {
    let parts = use_context::<Parts>()?;
    SessionToken::parse(read_cookie(
        &parts.headers,
        session_cookie_name(secure_cookies()),
    )?)
}

/// What this browser presented that a sign-in must know about: its
/// current session and its device cookie.
pub fn browser() -> Browser {
    let device_cookie = use_context::<Parts>().and_then(|parts| {
        read_cookie(&parts.headers, device_cookie_name(secure_cookies())).map(str::to_owned)
    });
    Browser {
        session: session_token(),
        device_cookie,
    }
}

/// Remembers in this browser that it has signed in to the account (a
/// long-lived, signed, HttpOnly cookie that log-out keeps). An empty value
/// removes the cookie.
pub fn set_device_cookie(value: &str) {
    let max_age = if value.is_empty() {
        0
    } else {
        device::LIFETIME_DAYS * 24 * 60 * 60
    };
    set_cookie(device_cookie_name(secure_cookies()), value, Some(max_age));
}

/// `Set-Cookie` for a cookie that scripts cannot read and that other sites
/// do not send on their requests.
pub fn set_cookie(name: &str, value: &str, max_age: Option<u64>) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&cookie_header(name, value, max_age, secure_cookies()))
    {
        response.append_header(SET_COOKIE, value);
    }
}

/// The `Set-Cookie` value of every cookie the product sets: `HttpOnly`,
/// `SameSite=Lax` (sent on a top-level navigation from another site, as a
/// provider's redirect back is), for the whole site, `Secure` over https.
pub fn cookie_header(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = max_age
        .map(|secs| format!("; Max-Age={secs}"))
        .unwrap_or_default();
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{max_age}")
}

/// A trip to an external provider (see `accounts::external::flow`): only
/// the browser that started it holds this cookie, which its callback needs.
pub fn external_request_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-oidc"
    } else {
        "oidc"
    }
}

/// An identity back from an external provider, waiting in this browser
/// for its account (see `accounts::external::identities`).
pub fn pending_identity_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-external"
    } else {
        "external"
    }
}

/// The token of the identity waiting in this browser, if any.
pub fn pending_identity_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    read_cookie(
        &parts.headers,
        pending_identity_cookie_name(secure_cookies()),
    )
    .map(str::to_owned)
}

pub fn clear_pending_identity_cookie() {
    set_cookie(pending_identity_cookie_name(secure_cookies()), "", Some(0));
}

/// Hands the browser the cookie of the trip to a provider it starts.
pub fn set_external_request_cookie(token: &SessionToken) {
    let max_age = crate::accounts::external::flow::REQUEST_SECONDS.unsigned_abs();
    set_cookie(
        external_request_cookie_name(secure_cookies()),
        token.as_str(),
        Some(max_age),
    );
}

/// Hands the browser its new session. Without "Remember me" the cookie has
/// no `Max-Age`, so it ends with the browser session.
pub fn set_session_cookie(session: &NewSession) {
    let max_age = session.persistent.then_some(session.max_age.as_secs());
    set_cookie(
        session_cookie_name(secure_cookies()),
        session.token.as_str(),
        max_age,
    );
}

/// The log-in waiting for its second factor (see
/// `accounts::second_step`): only this browser holds its token.
pub fn pending_login_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-login"
    } else {
        "login"
    }
}

/// Hands the browser the token of its pending log-in, for as long as the
/// log-in waits.
pub fn set_pending_login_cookie(token: &SessionToken) {
    let max_age = crate::accounts::second_step::PENDING_SECONDS.unsigned_abs();
    set_cookie(
        pending_login_cookie_name(secure_cookies()),
        token.as_str(),
        Some(max_age),
    );
}

/// The token of this browser's pending log-in, as its cookie holds it.
pub fn pending_login_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    read_cookie(&parts.headers, pending_login_cookie_name(secure_cookies())).map(str::to_owned)
}

pub fn clear_pending_login_cookie() {
    set_cookie(pending_login_cookie_name(secure_cookies()), "", Some(0));
}

/// Recovery codes just made, sealed, for the page a JavaScript-free form
/// post goes on to (which shows them once). JavaScript gets them in the
/// answer instead.
fn fresh_codes_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-codes"
    } else {
        "codes"
    }
}

/// Leaves `codes` for the next page of a plain form post, for a minute.
pub fn leave_fresh_codes(accounts: &Accounts, codes: &[String]) {
    if let (true, Some(user)) = (plain_form_post(), current_user()) {
        set_cookie(
            fresh_codes_cookie_name(secure_cookies()),
            &accounts.seal_fresh_codes(user.id, codes),
            Some(crate::accounts::two_factor::FRESH_CODES_SECONDS.unsigned_abs()),
        );
    }
}

/// The codes a plain form post left, once.
pub fn take_fresh_codes(accounts: &Accounts) -> Option<Vec<String>> {
    let parts = use_context::<Parts>()?;
    let name = fresh_codes_cookie_name(secure_cookies());
    let sealed = read_cookie(&parts.headers, name)?;
    set_cookie(name, "", Some(0));
    accounts.open_fresh_codes(current_user()?.id, sealed)
}

pub fn clear_session_cookie() {
    set_cookie(session_cookie_name(secure_cookies()), "", Some(0));
}

/// Asks the browser to drop the cached personal pages and any storage of
/// this site. Sent on log-out. Not `"cookies"`: that would clear every
/// cookie of the registrable domain, sibling sites' on `*.example.com`
/// included (and this browser's device cookie); the session cookie is
/// expired explicitly instead.
pub fn clear_site_data() {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(
            axum::http::HeaderName::from_static("clear-site-data"),
            HeaderValue::from_static("\"cache\", \"storage\""),
        );
    }
}

/// True for a form posted by the browser itself (no JavaScript): it asks
/// for HTML, not for the JSON a server-function call expects.
pub fn plain_form_post() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Sends a plain form post on to `location` with 303 See Other, so that the
/// browser follows with a GET and a reload does not post again.
pub fn see_other_if_plain_form(location: &str) {
    if !plain_form_post() {
        return;
    }
    if let (Some(response), Ok(location)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(location),
    ) {
        response.set_status(StatusCode::SEE_OTHER);
        response.insert_header(LOCATION, location);
    }
}

/// Percent-encodes a value for a query string.
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query("/profile"), "/profile");
        assert_eq!(encode_query("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("xsession=1; session=abc; form=x"),
        );
        assert_eq!(read_cookie(&headers, "session"), Some("abc"));
        assert_eq!(read_cookie(&headers, "form"), Some("x"));
        assert_eq!(read_cookie(&headers, "other"), None);
    }
}

//! Request-scoped helpers for server functions: who is signed in, the one
//! place that writes cookies, and answers to plain (JavaScript-free) forms.

use axum::http::{
    header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE},
    request::Parts,
    HeaderValue, StatusCode,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::AppState;
use crate::{
    accounts::{device, Accounts, Browser, Client, Current, NewSession, SessionToken, User},
    api::{FormEcho, FormId, Profile},
    error::AppError,
    validation::{Field, DISPLAY_NAME_MAX_CHARS, EMAIL_MAX_CHARS},
};

/// The user resolved from the session cookie for this request, put into the
/// request's extensions by [`super::middleware::resolve_session`].
#[derive(Clone, Debug, Default)]
pub struct CurrentUser(pub Option<Current>);

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
fn device_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-device"
    } else {
        "device"
    }
}

fn echo_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-form"
    } else {
        "form"
    }
}

/// How long a form echo lives: just long enough to follow the redirect.
const ECHO_MAX_AGE_SECS: u64 = 60;

pub fn accounts() -> Result<Accounts, AppError> {
    use_context::<AppState>()
        .map(|state| state.accounts.clone())
        .ok_or(AppError::Internal)
}

fn secure_cookies() -> bool {
    use_context::<AppState>().is_some_and(|state| state.config.secure_cookies())
}

/// Where this request came from (IP and user agent), resolved once by
/// [`super::middleware::resolve_session`].
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
fn set_cookie(name: &str, value: &str, max_age: Option<u64>) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let secure = if secure_cookies() { "; Secure" } else { "" };
    let max_age = max_age
        .map(|secs| format!("; Max-Age={secs}"))
        .unwrap_or_default();
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{max_age}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(SET_COOKIE, value);
    }
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
fn plain_form_post() -> bool {
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

/// The answer to a form submission, for both kinds of client: JSON for
/// server-function calls, a 303 for plain form posts.
pub struct FormReply {
    form: FormId,
    retry: String,
    values: Vec<(Field, String)>,
}

impl FormReply {
    /// `retry` is the page that shows the form again; `values` are what the
    /// user typed that the form should keep (never passwords).
    pub fn new(form: FormId, retry: &str, values: Vec<(Field, String)>) -> Self {
        Self {
            form,
            retry: retry.to_owned(),
            values,
        }
    }

    pub fn success(self, location: &str) {
        see_other_if_plain_form(location);
    }

    /// Success for a form that signed the browser in: sets its session and
    /// device cookies, sends a plain form post on to `location`, and
    /// returns the profile for the JSON answer.
    pub fn signed_in(self, signed_in: &crate::accounts::SignedIn, location: &str) -> Profile {
        set_session_cookie(&signed_in.session);
        set_device_cookie(&signed_in.device_cookie);
        self.success(location);
        profile(&signed_in.user)
    }

    /// Returns the error for the JSON answer; a plain form post is sent back
    /// to the form, with the error and the values in a one-minute cookie.
    pub fn failure(self, error: AppError) -> AppError {
        if plain_form_post() {
            let values = self
                .values
                .into_iter()
                .map(|(field, value)| {
                    let limit = match field {
                        Field::DisplayName => DISPLAY_NAME_MAX_CHARS,
                        _ => EMAIL_MAX_CHARS,
                    };
                    // Longer input is wrong anyway; a bounded echo keeps
                    // the cookie small.
                    (field, value.chars().take(limit + 1).collect())
                })
                .collect();
            let echo = FormEcho {
                form: self.form,
                error: error.clone(),
                values,
            };
            if let Ok(json) = serde_json::to_vec(&echo) {
                set_cookie(
                    echo_cookie_name(secure_cookies()),
                    &URL_SAFE_NO_PAD.encode(json),
                    Some(ECHO_MAX_AGE_SECS),
                );
            }
            see_other_if_plain_form(&self.retry);
        }
        error
    }
}

/// Reads and clears the echo left by a failed plain form post for `form`.
pub fn take_form_echo(form: FormId) -> Option<FormEcho> {
    let parts = use_context::<Parts>()?;
    let name = echo_cookie_name(secure_cookies());
    let raw = read_cookie(&parts.headers, name)?;
    set_cookie(name, "", Some(0));
    let echo: FormEcho = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    (echo.form == form).then_some(echo)
}

/// The signed-in user of this request as the pages show them, if any.
pub fn current_profile() -> Option<Profile> {
    current_user().map(|user| profile(&user))
}

pub fn profile(user: &User) -> Profile {
    Profile {
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        member_since: utc_date(user.created_at),
        email_verified: user.email_verified_at.is_some(),
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

/// `YYYY-MM-DD HH:MM UTC` of a Unix time.
pub fn utc_date_time(unix_secs: i64) -> String {
    let minutes = unix_secs.rem_euclid(86_400) / 60;
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(unix_secs),
        minutes / 60,
        minutes % 60
    )
}

/// RFC 3339 of a Unix time, in UTC: `2026-11-22T23:59:59Z`.
pub fn rfc3339(unix_secs: i64) -> String {
    let seconds = unix_secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_date(unix_secs),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `YYYY-MM-DD` of a Unix time, in UTC (days-to-civil, H. Hinnant).
fn utc_date(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Whether `token` is a live one-time link for `purpose` (`reset`,
/// `email_change`, `sign_up` for a link that starts an account, else email
/// verification). An unreadable database counts as live (as not starting
/// an account): the form's post then says what is wrong.
pub async fn link_is_live(token: &str, purpose: &str) -> bool {
    use crate::accounts::links::Purpose;

    if purpose == "sign_up" {
        return match accounts() {
            Ok(accounts) => accounts.link_starts_account(token).await.unwrap_or(false),
            Err(_) => false,
        };
    }
    let purpose = match purpose {
        "reset" => Purpose::Reset,
        "email_change" => Purpose::EmailChange,
        _ => Purpose::Verify,
    };
    match accounts() {
        Ok(accounts) => accounts.link_is_live(token, purpose).await.unwrap_or(true),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_795_305_600), "2026-11-22");
        assert_eq!(utc_date(1_795_391_999), "2026-11-22");
        assert_eq!(utc_date_time(1_795_391_999), "2026-11-22 23:59 UTC");
        assert_eq!(rfc3339(1_795_391_999), "2026-11-22T23:59:59Z");
    }

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

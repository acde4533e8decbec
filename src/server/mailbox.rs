//! `/dev/mailbox`: the outbox as a local mailbox, for development.
//!
//! Mounted only on a server that is plainly a developer's own: no
//! `SMTP_URL` (so mail is never sent, and this is where the person running
//! the server reads it, links included), a loopback listening address, a
//! loopback `APP_ORIGIN` and no `TRUSTED_PROXY`. A reverse proxy or a TCP
//! forwarder on the same machine would make a loopback listener public,
//! and can rewrite `Host` and leave out forwarding headers, so what opens
//! the mailbox is a secret: the random key of this process
//! ([`AppState::mailbox_key`]), which only the start-up output shows
//! ([`address`]). Each request must carry it as `?key=…`, and must also
//! name a loopback host and carry no forwarding header. Anything else gets
//! the same 404 as any unknown page.

use axum::{
    extract::{Path, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::{self, Next},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use sqlx::FromRow;

use super::{document::FAVICON, AppState};
use crate::time::utc_date_time;
use crate::{accounts::mail::escape, brand::SITE_NAME};

/// The mailbox routes, open only to local requests that carry the key.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/dev/mailbox", get(list))
        .route("/dev/mailbox/{id}", get(show))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            local_requests_only,
        ))
}

/// The mailbox's address with its key, as the start-up output prints it.
pub fn address(state: &AppState) -> String {
    format!(
        "{}/dev/mailbox?key={}",
        state.config.public_origin, state.mailbox_key
    )
}

/// Whether `query` carries `key`, compared in constant time.
fn holds_key(query: Option<&str>, key: &str) -> bool {
    let given = query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("key="))
        .unwrap_or_default();
    given.len() == key.len()
        && given
            .bytes()
            .zip(key.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// Whether the mailbox page is offered for these settings.
pub fn offered(config: &super::Config) -> bool {
    config.smtp.is_none()
        && config.trusted_proxies.is_empty()
        && config.leptos_options.site_addr.ip().is_loopback()
        && config
            .public_origin
            .parse::<axum::http::Uri>()
            .ok()
            .and_then(|origin| origin.host().map(is_loopback_host))
            .unwrap_or(false)
}

/// Whether `host` (a URL or `Host` header host, without port) names this
/// machine.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a request came straight from a browser on this machine: it
/// names a loopback host and no proxy forwarded it.
fn is_local_request(headers: &HeaderMap) -> bool {
    let forwarded = [
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-real-ip",
    ]
    .iter()
    .any(|name| headers.contains_key(*name));
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| host.parse::<axum::http::uri::Authority>().ok());
    !forwarded && host.is_some_and(|host| is_loopback_host(host.host()))
}

async fn local_requests_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_local_request(request.headers()) && holds_key(request.uri().query(), &state.mailbox_key) {
        next.run(request).await
    } else {
        // The not-found page any unknown address gets.
        super::files::files_or_not_found(State(state), request).await
    }
}

#[derive(FromRow)]
struct Listed {
    id: i64,
    recipient: String,
    subject: String,
    created_at: i64,
}

#[derive(FromRow)]
struct Shown {
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    created_at: i64,
}

async fn list(State(state): State<AppState>) -> Response {
    let key = &state.mailbox_key;
    let mails = sqlx::query_as::<_, Listed>(
        "SELECT id, recipient, subject, created_at FROM outbox ORDER BY id DESC LIMIT 200",
    )
    .fetch_all(&state.db)
    .await;
    let Ok(mails) = mails else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The outbox cannot be read.",
        )
            .into_response();
    };
    let mut rows = String::new();
    for mail in &mails {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><a href=\"/dev/mailbox/{}?key={key}\">{}</a></td></tr>",
            escape(&utc_date_time(mail.created_at)),
            escape(&mail.recipient),
            mail.id,
            escape(&mail.subject)
        ));
    }
    let body = if mails.is_empty() {
        "<p>No mail yet. Sign up, or ask for a password reset, and it shows here.</p>".to_owned()
    } else {
        format!(
            "<table><thead><tr><th>Written</th><th>To</th><th>Subject</th></tr></thead>\
             <tbody>{rows}</tbody></table>"
        )
    };
    page("Mailbox", &body)
}

async fn show(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let all_mail = format!("<a href=\"/dev/mailbox?key={}\">", state.mailbox_key);
    let mail = sqlx::query_as::<_, Shown>(
        "SELECT recipient, subject, text_body, html_body, created_at FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await;
    let mail = match mail {
        Ok(Some(mail)) => mail,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                page_html(
                    "No such mail",
                    &format!("<p>There is no such mail. {all_mail}Back to the mailbox</a></p>"),
                ),
            )
                .into_response()
        }
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The outbox cannot be read.",
            )
                .into_response()
        }
    };
    let links: String = mail
        .text_body
        .split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(|link| format!("<li><a href=\"{0}\">{0}</a></li>", escape(link)))
        .collect();
    let links = if links.is_empty() {
        String::new()
    } else {
        format!("<h2>Links</h2><ul>{links}</ul>")
    };
    let body = format!(
        "<p>{all_mail}All mail</a></p>\
         <dl><dt>To</dt><dd>{}</dd><dt>Subject</dt><dd>{}</dd><dt>Written</dt><dd>{}</dd></dl>\
         {links}<h2>Text</h2><pre>{}</pre>\
         <h2>HTML</h2><iframe title=\"The HTML version\" sandbox srcdoc=\"{}\" \
         width=\"100%\" height=\"400\"></iframe>",
        escape(&mail.recipient),
        escape(&mail.subject),
        escape(&utc_date_time(mail.created_at)),
        escape(&mail.text_body),
        escape(&mail.html_body),
    );
    page(&mail.subject, &body)
}

fn page(title: &str, body: &str) -> Response {
    page_html(title, body).into_response()
}

fn page_html(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <link rel=\"icon\" type=\"image/svg+xml\" href=\"{FAVICON}\">\
         <title>{} · Mailbox · {SITE_NAME}</title></head><body><main>\
         <h1>{}</h1><p>Mail this server would send. It is kept here because no \
         <code>SMTP_URL</code> is set; this page exists only then, only for a browser \
         on this machine, and only at the address with the key the server printed when \
         it started.</p>{body}</main></body></html>",
        escape(title),
        escape(title),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    name.parse::<header::HeaderName>().unwrap(),
                    value.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn only_a_browser_on_this_machine_reads_the_mailbox() {
        for host in [
            "localhost:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "LOCALHOST",
        ] {
            assert!(is_local_request(&headers(&[("host", host)])), "{host}");
        }
        for host in ["example.com", "10.0.0.1:3000", "localhost.example.com", ""] {
            assert!(!is_local_request(&headers(&[("host", host)])), "{host}");
        }
        assert!(!is_local_request(&headers(&[])));
        let key = "k3y";
        assert!(holds_key(Some("key=k3y"), key));
        assert!(holds_key(Some("a=1&key=k3y"), key));
        for query in [
            None,
            Some(""),
            Some("key="),
            Some("key=k3"),
            Some("key=k3yy"),
            Some("kex=k3y"),
        ] {
            assert!(!holds_key(query, key), "{query:?}");
        }
        for forwarded in [
            "x-forwarded-for",
            "forwarded",
            "x-real-ip",
            "x-forwarded-host",
        ] {
            assert!(!is_local_request(&headers(&[
                ("host", "127.0.0.1:3000"),
                (forwarded, "203.0.113.7"),
            ])));
        }
    }
}

//! `/dev/mailbox`: the outbox as a local mailbox, for development.
//!
//! Mounted only while no `SMTP_URL` is set and the server listens on a
//! loopback address: then mail is never sent, and this is where the person
//! running the server reads it (verification and reset links included).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use sqlx::FromRow;

use super::{web::utc_date_time, AppState};
use crate::{accounts::mail::escape, app::SITE_NAME};

/// The mailbox routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dev/mailbox", get(list))
        .route("/dev/mailbox/{id}", get(show))
}

/// Whether the mailbox page is offered for these settings.
pub fn offered(config: &super::Config) -> bool {
    config.smtp.is_none() && config.leptos_options.site_addr.ip().is_loopback()
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
            "<tr><td>{}</td><td>{}</td><td><a href=\"/dev/mailbox/{}\">{}</a></td></tr>",
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
    let mail = sqlx::query_as::<_, Shown>(
        "SELECT recipient, subject, text_body, html_body, created_at FROM outbox WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await;
    let mail = match mail {
        Ok(Some(mail)) => mail,
        Ok(None) => return (
            StatusCode::NOT_FOUND,
            page_html(
                "No such mail",
                "<p>There is no such mail. <a href=\"/dev/mailbox\">Back to the mailbox</a></p>",
            ),
        )
            .into_response(),
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
        "<p><a href=\"/dev/mailbox\">All mail</a></p>\
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
         <title>{} · Mailbox · {SITE_NAME}</title></head><body><main>\
         <h1>{}</h1><p>Mail this server would send. It is kept here because no \
         <code>SMTP_URL</code> is set; this page exists only then, and only on a loopback \
         address.</p>{body}</main></body></html>",
        escape(title),
        escape(title),
    ))
}

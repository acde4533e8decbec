//! What a command prints: a table or lines for people, one JSON document
//! with `--json`, or a one-line failure.

use serde::Serialize;

use crate::{
    accounts::admin::{AdminError, MailSummary, UserDetails, UserSummary},
    context::ServeError,
    time::{rfc3339, utc_date_time},
};

/// Why a command failed: said on stderr, exit status 1.
#[derive(Debug)]
pub(super) struct Failure(pub(super) String);

impl From<AdminError> for Failure {
    fn from(error: AdminError) -> Self {
        Self(error.to_string())
    }
}

impl From<ServeError> for Failure {
    fn from(error: ServeError) -> Self {
        Self(error.to_string())
    }
}

/// `text` for people, or `value` as JSON.
pub(super) fn emit<T: Serialize + ?Sized>(
    json: bool,
    value: &T,
    text: impl FnOnce() -> String,
) -> String {
    if json {
        let mut out = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
        out.push('\n');
        out
    } else {
        text()
    }
}

pub(super) fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}

pub(super) fn date(unix_secs: Option<i64>) -> String {
    unix_secs.map_or_else(|| "-".to_owned(), utc_date_time)
}

/// When a log-in pause ends, to the second: pauses start at a second.
pub(super) fn pause_end(unix_secs: Option<i64>) -> String {
    unix_secs.map_or_else(
        || "-".to_owned(),
        |at| {
            let time = rfc3339(at);
            time.replacen('T', " ", 1).replace('Z', " UTC")
        },
    )
}

pub(super) fn users_table(users: &[UserSummary]) -> String {
    if users.is_empty() {
        return "no accounts\n".to_owned();
    }
    let mut text =
        String::from("ID\tEMAIL\tCREATED\tVERIFIED\tSESSIONS\tLAST SEEN\tLOCKED UNTIL\n");
    for user in users {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            user.id,
            user.email,
            utc_date_time(user.created_at),
            date(user.email_verified_at),
            user.sessions,
            date(user.last_seen_at),
            pause_end(user.locked_until),
        ));
    }
    text
}

pub(super) fn user_details(details: &UserDetails) -> String {
    let user = &details.user;
    let mut text = format!(
        "account {}\nemail: {}\nname: {}\ncreated: {}\nverified: {}\nfailed log-ins: {}\n\
         locked until: {}\nundelivered mail: {}\n",
        user.id,
        user.email,
        user.display_name,
        utc_date_time(user.created_at),
        date(user.email_verified_at),
        user.failed_log_ins,
        pause_end(user.locked_until),
        details.undelivered_mail,
    );
    text.push_str(&format!("sessions: {}\n", details.live_sessions.len()));
    for session in &details.live_sessions {
        text.push_str(&format!(
            "  {}\tsince {}\tlast seen {}\t{}\t{}\n",
            session.id,
            utc_date_time(session.created_at),
            utc_date_time(session.last_seen_at),
            session.ip,
            crate::accounts::sessions::describe_device(&session.user_agent),
        ));
    }
    text.push_str("recent events:\n");
    for event in &details.recent_events {
        let by = if event.actor == "operator" {
            "operator".to_owned()
        } else {
            event.ip.clone()
        };
        text.push_str(&format!(
            "  {}\t{}\t{}\n",
            utc_date_time(event.at),
            event.kind,
            by
        ));
    }
    text
}

pub(super) fn mail_table(mail: &[MailSummary]) -> String {
    if mail.is_empty() {
        return "no mail\n".to_owned();
    }
    let mut text = String::from("ID\tKIND\tTO\tCREATED\tSTATUS\tATTEMPTS\tLAST ERROR\n");
    for one in mail {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            one.id,
            one.kind,
            one.recipient,
            utc_date_time(one.created_at),
            one.status.name(),
            one.attempts,
            one.last_error.as_deref().unwrap_or("-"),
        ));
    }
    text
}

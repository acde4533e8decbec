//! The one error type that every layer speaks: the domain returns it, server
//! functions send it, and the browser shows it.
//!
//! Each variant has a fixed HTTP status and a safe message. Detail about
//! unexpected failures goes to the server log, never to the client.

use std::fmt;

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::Serialize;

use crate::{
    json::Json,
    validation::{Field, Problem},
};

mod wire;

/// Serialized by serde's derive; read back by `wire`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AppError {
    /// One or more fields need fixing (422; 409 when the email is taken).
    Invalid(Vec<Problem>),
    /// Unknown email or wrong password: deliberately the same answer (401).
    InvalidCredentials,
    /// The request needs a signed-in user (401).
    NotSignedIn,
    /// Another site made the browser send this request (403).
    Forbidden,
    /// The action needs the password entered within the last few minutes
    /// (403): send it along as `current_password`, or use
    /// `/api/account/reauth` first.
    SudoRequired,
    /// The password was right and the account has a second factor (401):
    /// the browser is not signed in yet, and sends the code to
    /// `/api/auth/login/second-factor`.
    SecondFactorRequired,
    /// No such thing for this account (404), such as a session id of
    /// another account: whether it exists elsewhere is not said.
    NotFound,
    /// Too many attempts from this client or on this account (429); the
    /// client may try again after this many seconds.
    TooManyAttempts { retry_after: u64 },
    /// Too many failed log-ins on this address from browsers that have not
    /// signed in to it before (429). `capped`: the consecutive-failure cap
    /// is reached and waiting does not help; the owner gets in from a
    /// browser they used before.
    LogInLocked { retry_after: u64, capped: bool },
    /// The server is at capacity for this kind of request (503); retry
    /// after this many seconds.
    Busy { retry_after: u64 },
    /// A one-time link (password reset, email verification) is unknown,
    /// used or expired (410); the page offers a new one.
    LinkInvalid,
    /// The request itself could not be read: wrong encoding, missing or
    /// malformed fields (400).
    BadRequest,
    /// The request body is larger than the server accepts (413).
    TooLarge,
    /// Something failed on our side (500). Details are in the server log.
    Internal,
}

impl AppError {
    /// The HTTP status code that carries this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(problems) if problems.contains(&Problem::EmailTaken) => 409,
            Self::Invalid(_) => 422,
            Self::InvalidCredentials | Self::NotSignedIn | Self::SecondFactorRequired => 401,
            Self::Forbidden | Self::SudoRequired => 403,
            Self::NotFound => 404,
            Self::TooManyAttempts { .. } | Self::LogInLocked { .. } => 429,
            Self::Busy { .. } => 503,
            Self::LinkInvalid => 410,
            Self::BadRequest => 400,
            Self::TooLarge => 413,
            Self::Internal => 500,
        }
    }

    /// The message for `field`, if this error is about it.
    pub fn field_message(&self, field: Field) -> Option<String> {
        match self {
            Self::Invalid(problems) => problems
                .iter()
                .find(|problem| problem.field() == field)
                .map(|problem| problem.message()),
            _ => None,
        }
    }

    /// Seconds the client should wait before retrying, for the
    /// `Retry-After` header.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after }
            | Self::LogInLocked { retry_after, .. }
            | Self::Busy { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// A single problem with a field.
    pub fn invalid(problem: Problem) -> Self {
        Self::Invalid(vec![problem])
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(problems) if problems.len() == 1 => f.write_str(&problems[0].message()),
            Self::Invalid(problems) => write!(
                f,
                "There are {} problems with what you entered: see the fields below.",
                problems.len()
            ),
            Self::InvalidCredentials => f.write_str(
                "That email and password do not match an account. Check both and try again.",
            ),
            Self::NotSignedIn => f.write_str("Please log in to continue."),
            Self::SudoRequired => f.write_str(
                "For your security, enter your password again to continue.",
            ),
            Self::SecondFactorRequired => {
                f.write_str("Enter the code from your app.")
            }
            Self::NotFound => f.write_str("There is no such session: it may have ended already."),
            Self::Forbidden => f.write_str(
                "This request did not come from this site, so it was refused. Reload the page and try again.",
            ),
            Self::TooManyAttempts { retry_after } => {
                write!(f, "Too many attempts, try again in {}.", wait(*retry_after))
            }
            Self::LogInLocked {
                capped: false,
                retry_after,
            } => write!(
                f,
                "Too many failed log-ins for this email address: try again in {}. If it is \
                 your account, you can log in now from a browser you have used with it before, \
                 or reset your password.",
                wait(*retry_after)
            ),
            Self::LogInLocked { capped: true, .. } => f.write_str(
                "Log-ins to this email address are locked after too many failed attempts. \
                 If it is your account, log in from a browser you have used with it before, \
                 or reset your password.",
            ),
            Self::Busy { .. } => f.write_str(
                "We are handling a lot of log-ins right now. Please try again in a moment.",
            ),
            Self::LinkInvalid => f.write_str(
                "This link has expired or was already used. Ask for a new one: it arrives in a \
                 minute.",
            ),
            Self::BadRequest => {
                f.write_str("The request could not be read. Please reload the page and try again.")
            }
            Self::TooLarge => f.write_str("What you sent is too large."),
            Self::Internal => {
                f.write_str("Something went wrong on our side. Please try again in a moment.")
            }
        }
    }
}

/// A wait as people say it, rounded up to the unit shown: "1 second",
/// "40 seconds", "3 minutes", "2 hours", "5 days".
fn wait(seconds: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let (size, unit) = UNITS
        .into_iter()
        .find(|(size, _)| seconds >= 2 * size)
        .unwrap_or((1, "second"));
    let count = seconds.div_ceil(size).max(1);
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = Json;

    /// Failures of the server-function machinery itself: reading the
    /// arguments is the client's fault; anything else is ours. On the
    /// browser side a failed request (offline, say) lands here as well.
    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => Self::BadRequest,
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(wait(0), "1 second");
        assert_eq!(wait(1), "1 second");
        assert_eq!(wait(45), "45 seconds");
        assert_eq!(wait(119), "119 seconds");
        assert_eq!(wait(120), "2 minutes");
        assert_eq!(wait(121), "3 minutes");
        assert_eq!(wait(7_200), "2 hours");
        assert_eq!(wait(3 * 86_400), "3 days");
    }

    #[test]
    fn one_problem_is_said_as_itself() {
        let one = AppError::invalid(Problem::EmailMissing).to_string();
        assert_eq!(one, Problem::EmailMissing.message());
        let two = AppError::Invalid(vec![Problem::EmailMissing, Problem::PasswordMissing]);
        assert!(two.to_string().starts_with("There are 2 problems"));
    }
}

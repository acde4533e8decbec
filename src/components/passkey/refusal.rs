//! Why a passkey ceremony did not end with a passkey, and what to tell
//! the person.

use crate::{error::AppError, validation::Problem};

/// Why a passkey ceremony did not end with a passkey.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The person closed the browser's dialog, or it timed out, or the page
    /// cancelled the request.
    Cancelled,
    /// This browser cannot use passkeys (or not this way).
    Unsupported,
    /// Creating: the authenticator already holds a passkey of this account.
    AlreadyAdded,
    /// The server refused (it says why).
    Server(AppError),
}

impl Refusal {
    /// What to tell the person.
    pub fn message(&self) -> String {
        match self {
            Self::Cancelled => {
                "No passkey was used: the request was cancelled or timed out. Try again.".to_owned()
            }
            Self::Unsupported => "This browser cannot use passkeys.".to_owned(),
            Self::AlreadyAdded => Problem::PasskeyAlreadyAdded.message(),
            Self::Server(error) => error.to_string(),
        }
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self::Server(error)
    }
}

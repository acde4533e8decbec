//! The fields of the product's forms, by which errors name what to fix.

use serde::{Deserialize, Serialize};

/// A form field that can be wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Email,
    Password,
    PasswordConfirm,
    DisplayName,
    /// The password the signed-in user already has, entered again.
    CurrentPassword,
    /// The account's address, typed to confirm its deletion.
    ConfirmEmail,
    /// Which session a form ends.
    Session,
    /// A code from an authenticator app.
    Code,
    /// One of the account's recovery codes.
    RecoveryCode,
    /// The name its owner gives a passkey.
    PasskeyName,
    /// A passkey, as the browser answers for it.
    Passkey,
    /// A sign-in through an external provider, linked to the account.
    Identity,
}

impl Field {
    /// The HTML `name`/`id` of the field.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Password => "password",
            Self::PasswordConfirm => "password_confirm",
            Self::DisplayName => "display_name",
            Self::CurrentPassword => "current_password",
            Self::ConfirmEmail => "confirm_email",
            Self::Session => "id",
            Self::Code => "code",
            Self::RecoveryCode => "recovery_code",
            Self::PasskeyName => "name",
            Self::Passkey => "credential",
            Self::Identity => "identity",
        }
    }
}

//! `/api/account/two-factor/*`: the signed-in user's authenticator app and
//! recovery codes. Starting, turning off and making new codes need sudo
//! mode (as changing the email does: `current_password` outside it).

use leptos::prelude::*;

use crate::json::JsonAnswer;
use serde::{Deserialize, Serialize};

use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    validation::Field,
};

/// Where the settings page's two-factor section is.
#[cfg(feature = "ssr")]
const SECTION: &str = "/settings#two-factor";

/// A started set-up: what the app needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpStarted {
    /// The secret in base32, for typing into the app.
    pub secret: String,
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, as SVG, made by the server.
    pub qr_svg: String,
}

/// Recovery codes, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// The account's second factor as the settings page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub totp_on: bool,
    /// A set-up waiting for its first code.
    pub setup: Option<TotpStarted>,
    pub recovery_codes_left: i64,
    /// Codes just made by a JavaScript-free form post, shown this once.
    pub fresh_codes: Option<Vec<String>>,
}

/// `POST /api/account/two-factor`: whether the app is on, a set-up waiting
/// for its code, and how many recovery codes are left. 401 signed out.
#[server(prefix = "/api/account", endpoint = "two-factor", output = JsonAnswer)]
pub async fn two_factor_status() -> Result<TwoFactorView, AppError> {
    use crate::context::request;

    let current = request::current().ok_or(AppError::NotSignedIn)?;
    let accounts = request::accounts()?;
    let status = accounts.two_factor_status(&current).await?;
    Ok(TwoFactorView {
        totp_on: status.totp_on,
        setup: status.setup.map(|setup| TotpStarted {
            secret: setup.secret,
            otpauth_uri: setup.otpauth_uri,
            qr_svg: setup.qr_svg,
        }),
        recovery_codes_left: status.recovery_codes_left,
        fresh_codes: request::take_fresh_codes(&accounts),
    })
}

/// `POST /api/account/two-factor/totp/start` (`current_password` outside
/// sudo mode): a new secret for an authenticator app, as `{"secret",
/// "otpauth_uri", "qr_svg"}`; it is not on until `…/totp/enable` gets a
/// code. 403 `"SudoRequired"`; 422 `TwoFactorAlreadyOn`.
#[server(prefix = "/api/account", endpoint = "two-factor/totp/start", output = JsonAnswer)]
pub async fn start_totp(current_password: Option<String>) -> Result<TotpStarted, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::StartTotp, SECTION, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .start_totp(
            &current,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok((setup, renewed)) => {
            reply.sudo_success(renewed, SECTION);
            Ok(TotpStarted {
                secret: setup.secret,
                otpauth_uri: setup.otpauth_uri,
                qr_svg: setup.qr_svg,
            })
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for StartTotp {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/two-factor/totp/enable` with `code` (from the app):
/// turns the app on and returns `{"recovery_codes": [10 codes]}`, shown
/// this once; a notice is mailed. 422 `CodeIncorrect`,
/// `TwoFactorNotStarted` (no set-up in the last 15 minutes).
#[server(prefix = "/api/account", endpoint = "two-factor/totp/enable", output = JsonAnswer)]
pub async fn enable_totp(code: String) -> Result<RecoveryCodes, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::EnableTotp, SECTION, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    let accounts = request::accounts()?;
    match accounts
        .enable_totp(&current, &code, &request::client())
        .await
    {
        Ok(recovery_codes) => {
            request::leave_fresh_codes(&accounts, &recovery_codes);
            reply.success(SECTION);
            Ok(RecoveryCodes { recovery_codes })
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for EnableTotp {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            code: fields.text(Field::Code.name()),
        }
    }
}

/// `POST /api/account/two-factor/disable` (`current_password` outside sudo
/// mode): turns the second factor off; the app's secret and the recovery
/// codes are removed and a notice is mailed. 403 `"SudoRequired"`.
#[server(prefix = "/api/account", endpoint = "two-factor/disable", output = JsonAnswer)]
pub async fn disable_two_factor(current_password: Option<String>) -> Result<(), AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::DisableTwoFactor, SECTION, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .disable_two_factor(
            &current,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok(renewed) => {
            reply.sudo_success(renewed, SECTION);
            Ok(())
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for DisableTwoFactor {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

/// `POST /api/account/two-factor/recovery-codes` (`current_password`
/// outside sudo mode): new recovery codes, `{"recovery_codes": [...]}`;
/// the old ones stop working and a notice is mailed. 403
/// `"SudoRequired"`; 422 `TwoFactorNotStarted` when the app is off.
#[server(prefix = "/api/account", endpoint = "two-factor/recovery-codes", output = JsonAnswer)]
pub async fn regenerate_recovery_codes(
    current_password: Option<String>,
) -> Result<RecoveryCodes, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(super::FormId::RegenerateRecoveryCodes, SECTION, Vec::new());
    let Some(current) = request::current() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    let accounts = request::accounts()?;
    match accounts
        .regenerate_recovery_codes(
            &current,
            current_password.as_deref(),
            &request::client(),
            &request::browser(),
        )
        .await
    {
        Ok((recovery_codes, renewed)) => {
            request::leave_fresh_codes(&accounts, &recovery_codes);
            reply.sudo_success(renewed, SECTION);
            Ok(RecoveryCodes { recovery_codes })
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for RegenerateRecoveryCodes {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            current_password: fields.optional(Field::CurrentPassword.name()),
        }
    }
}

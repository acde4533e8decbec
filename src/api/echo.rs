//! What a failed plain (JavaScript-free) form post leaves for the page it
//! returns to: the error and the values typed, in a one-minute cookie that
//! the server reads back, and clears, while rendering that page.

use serde::{Deserialize, Serialize};

use crate::validation::Field;

/// Which form a failed plain (JavaScript-free) submission came from. Only
/// the server reads it (from the cookie): the page carries the echo of its
/// own form alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(Serialize, Deserialize))]
pub enum FormId {
    SignUp,
    LogIn,
    SecondFactor,
    DisplayName,
    ForgotPassword,
    ResetPassword,
    VerifyEmail,
    ResendVerification,
    Reauthenticate,
    ChangePassword,
    ChangeEmail,
    ConfirmEmailChange,
    CancelEmailChange,
    CancelEmailChanges,
    EndSession,
    EndOtherSessions,
    DeleteAccount,
    StartTotp,
    EnableTotp,
    DisableTwoFactor,
    RegenerateRecoveryCodes,
    RenamePasskey,
    RemovePasskey,
    RequestLoginLink,
    LogInWithLink,
    CreateExternalAccount,
    LinkWaitingIdentity,
    MailIdentityProof,
    ConfirmIdentityProof,
    StartSignInLink,
    UnlinkSignIn,
    SetProviderCode,
}

/// What a plain form post left for the page it returns to: the error and
/// the values typed (never a password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormEcho {
    pub error: crate::error::AppError,
    pub values: Vec<(Field, String)>,
}

impl FormEcho {
    /// What a failed plain form post left for `form`, once. The server
    /// reads (and clears) it while rendering the page and sends it inside
    /// the page, so the browser hydrates the same form without asking
    /// again; on later in-app navigation there is never one.
    pub fn take(form: FormId) -> Option<Self> {
        crate::page_data::page_data(move || {
            #[cfg(feature = "ssr")]
            return take_form_echo(form);
            #[cfg(not(feature = "ssr"))]
            {
                let _ = form;
                None
            }
        })
    }

    pub fn value(&self, field: Field) -> Option<String> {
        self.values
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, value)| value.clone())
    }
}

#[cfg(feature = "ssr")]
mod cookie {
    use axum::http::request::Parts;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    use leptos::prelude::use_context;

    use serde::{Deserialize, Serialize};

    use super::{FormEcho, FormId};
    use crate::context::request::{read_cookie, secure_cookies, set_cookie};

    fn echo_cookie_name(secure: bool) -> &'static str {
        if secure {
            "__Host-form"
        } else {
            "form"
        }
    }

    /// How long a form echo lives: just long enough to follow the redirect.
    const ECHO_MAX_AGE_SECS: u64 = 60;

    /// What the cookie holds: the echo, and the form it is for.
    #[derive(Serialize, Deserialize)]
    struct Left {
        form: FormId,
        echo: FormEcho,
    }

    /// Reads and clears the echo left by a failed plain form post for `form`.
    pub fn take_form_echo(form: FormId) -> Option<FormEcho> {
        let parts = use_context::<Parts>()?;
        let name = echo_cookie_name(secure_cookies());
        let raw = read_cookie(&parts.headers, name)?;
        set_cookie(name, "", Some(0));
        let left: Left = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
        (left.form == form).then_some(left.echo)
    }

    /// Leaves `echo` of `form` for the page the browser is sent back to.
    pub fn leave_form_echo(form: FormId, echo: FormEcho) {
        if let Ok(json) = serde_json::to_vec(&Left { form, echo }) {
            set_cookie(
                echo_cookie_name(secure_cookies()),
                &URL_SAFE_NO_PAD.encode(json),
                Some(ECHO_MAX_AGE_SECS),
            );
        }
    }
}
#[cfg(feature = "ssr")]
pub use cookie::{leave_form_echo, take_form_echo};

//! The answer to a form submission, for both kinds of client: JSON for
//! server-function calls, a 303 for plain form posts (with what the user
//! typed left for the form, on failure).

use super::{
    echo::{leave_form_echo, FormEcho, FormId},
    Profile,
};
use crate::{
    accounts::{second_step::LoggedIn, NewSession, SignedIn},
    context::request::{
        encode_query, plain_form_post, see_other_if_plain_form, set_device_cookie,
        set_pending_login_cookie, set_session_cookie,
    },
    error::AppError,
    validation::{Field, DISPLAY_NAME_MAX_CHARS, EMAIL_MAX_CHARS},
};

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

    /// Success for an action that needs sudo mode: the browser gets the
    /// session the password renewed, if it did, then as [`Self::success`].
    pub fn sudo_success(self, renewed: Option<NewSession>, location: &str) {
        if let Some(session) = &renewed {
            set_session_cookie(session);
        }
        self.success(location);
    }

    /// Success for a form that signed the browser in: sets its session and
    /// device cookies, sends a plain form post on to `location`, and
    /// returns the profile for the JSON answer.
    pub fn signed_in(self, signed_in: &SignedIn, location: &str) -> Profile {
        set_session_cookie(&signed_in.session);
        set_device_cookie(&signed_in.device_cookie);
        self.success(location);
        Profile::from(&signed_in.user)
    }

    /// Success for a right password: signed in (as [`Self::signed_in`],
    /// then on to `location`), or, for an account with a second factor,
    /// the pending log-in's cookie and `SecondFactorRequired` (a plain form
    /// post goes on to the page that asks for the code, keeping `location`).
    pub fn logged_in(self, logged_in: LoggedIn, location: &str) -> Result<Profile, AppError> {
        match logged_in {
            LoggedIn::SignedIn(signed_in) => Ok(self.signed_in(&signed_in, location)),
            LoggedIn::SecondFactor(token) => {
                set_pending_login_cookie(&token);
                see_other_if_plain_form(&format!("/login-code?next={}", encode_query(location)));
                Err(AppError::SecondFactorRequired)
            }
        }
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
            leave_form_echo(
                self.form,
                FormEcho {
                    error: error.clone(),
                    values,
                },
            );
            see_other_if_plain_form(&self.retry);
        }
        error
    }
}

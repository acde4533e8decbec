//! `/signup`: create an account.
//!
//! A public page: for a visitor without cookies and without a query it is
//! rendered once per server process and kept (`server::page_cache`), so
//! what it shows them comes only from the path and the configuration.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{auth::SignUp, FormEcho, FormId},
    components::{
        account::AccountState,
        field::{field_error, form_error, ErrorSummary, PasswordField, SubmitButton, TextField},
        form::{form_action_then, ServerForm},
        head::PageHead,
    },
    validation::{Field, DISPLAY_NAME_MAX_CHARS, PASSWORD_MIN_CHARS},
};

#[component]
pub fn SignupPage() -> impl IntoView {
    let account = AccountState::expect();
    let navigate = use_navigate();
    let sign_up = form_action_then::<SignUp>(move |answer| {
        // `None`: verify-first sign-up, a link is on its way.
        if let Some(profile) = answer {
            account.set_user(Some(profile.clone()));
            navigate("/profile", Default::default());
        }
    });
    // Errors and values left by a JavaScript-free submission.
    let echo = FormEcho::take(FormId::SignUp);
    let error = form_error(
        move || sign_up.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let email = echo.as_ref().and_then(|echo| echo.value(Field::Email));
    let display_name = echo
        .as_ref()
        .and_then(|echo| echo.value(Field::DisplayName));
    // Verify-first sign-up: a link is on its way (`?check=1` after a post
    // without JavaScript).
    let checked_before = use_query_map().with_untracked(|query| query.get("check").is_some());
    let check_inbox = move || checked_before || matches!(sign_up.value().get(), Some(Ok(None)));

    view! {
        <PageHead title="Sign up" description="Create your account."/>
        <section class="container narrow">
            <h1>"Sign up"</h1>
            <p class="form-status" role="status">
                {move || check_inbox().then_some(
                    "Check your inbox: we have sent a link to that address. Open it within 24 \
                     hours to start your account."
                )}
            </p>
            <ServerForm action=sign_up class="card form">
                <ErrorSummary error/>
                <TextField
                    label="Email"
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    required=true
                    value=email
                    error=field_error(error, Field::Email)
                />
                <PasswordField
                    label="Password"
                    name="password"
                    autocomplete="new-password"
                    hint=PASSWORD_HINT
                    error=field_error(error, Field::Password)
                />
                <TextField
                    label="Display name (optional)"
                    name="display_name"
                    autocomplete="nickname"
                    maxlength=DISPLAY_NAME_MAX_CHARS
                    value=display_name
                    error=field_error(error, Field::DisplayName)
                />
                <SubmitButton label="Sign up" pending_label="Creating your account…" pending=sign_up.pending()/>
            </ServerForm>
            <p>"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

/// Says the rule before the user hits it (15 = `PASSWORD_MIN_CHARS`).
pub const PASSWORD_HINT: &str =
    "At least 15 characters. Spaces and any characters are welcome; a few unrelated words work well.";
const _: () = assert!(PASSWORD_MIN_CHARS == 15, "update PASSWORD_HINT");

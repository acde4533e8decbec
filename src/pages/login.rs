//! `/login`: sign in to an existing account.
//!
//! A public page: for a visitor without cookies and without a query it is
//! rendered once per server process and kept (`server::page_cache`), so
//! what it shows them comes only from the path and the configuration.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::{
    api::{auth::LogIn, safe_next, FormEcho, FormId, Profile},
    components::{
        account::AccountState,
        external::ProviderButtons,
        field::{field_error, form_error, ErrorSummary, PasswordField, SubmitButton, TextField},
        form::{form_action_settled, ServerForm},
        head::PageHead,
        passkey::PasskeySignIn,
    },
    error::AppError,
    validation::Field,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let account = AccountState::expect();
    // Errors and values left by a JavaScript-free submission.
    let echo = FormEcho::take(FormId::LogIn);
    let email = echo.as_ref().and_then(|echo| echo.value(Field::Email));
    // Where to go after logging in: `?next=` when it is a path on this site.
    // A post without JavaScript carries it in a hidden field; with
    // JavaScript it is read when the log-in succeeds, as the query may have
    // changed while the page stayed open.
    let query = use_query_map();
    let next = move || {
        query.with_untracked(|query| {
            query
                .get("next")
                .and_then(|next| safe_next(&next).map(str::to_owned))
        })
    };
    let hidden_next = next().map(|next| view! { <input type="hidden" name="next" value=next/> });
    let navigate = use_navigate();
    let search = use_location().search;
    let signed_in = {
        let navigate = navigate.clone();
        Callback::new(move |profile: Profile| {
            account.set_user(Some(profile));
            let target = next().unwrap_or_else(|| "/profile".to_owned());
            navigate(&target, Default::default());
        })
    };
    let log_in = form_action_settled::<LogIn>(move |answer| match answer {
        Ok(profile) => signed_in.run(profile.clone()),
        // The password was right and the account has a second factor: the
        // next page asks for it, keeping this page's `next`.
        Err(AppError::SecondFactorRequired) => navigate(
            &format!("/login-code?{}", search.get_untracked()),
            Default::default(),
        ),
        Err(_) => {}
    });
    let remember = NodeRef::new();
    let error = form_error(
        move || log_in.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );

    view! {
        <PageHead title="Log in" description="Log in to your account."/>
        <section class="container narrow">
            <h1>"Log in"</h1>
            <ServerForm action=log_in class="card form">
                <ErrorSummary error/>
                <TextField
                    label="Email"
                    name="email"
                    input_type="email"
                    autocomplete="username webauthn"
                    required=true
                    value=email
                    error=field_error(error, Field::Email)
                />
                <PasswordField
                    label="Password"
                    name="password"
                    autocomplete="current-password"
                    error=field_error(error, Field::Password)
                />
                <div class="field field--inline">
                    <input id="remember" name="remember" type="checkbox" value="true" node_ref=remember/>
                    <label for="remember">"Remember me"</label>
                </div>
                {hidden_next}
                <SubmitButton label="Log in" pending_label="Logging in…" pending=log_in.pending()/>
            </ServerForm>
            <PasskeySignIn remember signed_in/>
            <ProviderButtons/>
            <p><a href="/login-link">"Email me a sign-in link"</a></p>
            <p><a href="/forgot-password">"Forgot your password?"</a></p>
            <p>"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}

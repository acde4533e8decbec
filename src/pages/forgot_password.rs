//! `/forgot-password`: ask for a link to choose a new password.
//!
//! A public page: for a visitor without cookies and without a query it is
//! rendered once per server process and kept (`server::page_cache`), so
//! what it shows them comes only from the path and the configuration.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{recovery::ForgotPassword, FormEcho, FormId},
    components::{
        field::{field_error, form_error, ErrorSummary, SubmitButton, TextField},
        form::{form_action, ServerForm},
        head::PageHead,
    },
    validation::Field,
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let forgot = form_action::<ForgotPassword>();
    // Errors and values left by a JavaScript-free submission.
    let echo = FormEcho::take(FormId::ForgotPassword);
    let error = form_error(
        move || forgot.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let email = echo.as_ref().and_then(|echo| echo.value(Field::Email));
    // A post without JavaScript comes back as `?sent=1`.
    let sent_before = use_query_map().with_untracked(|query| query.get("sent").is_some());
    let sent = move || sent_before || matches!(forgot.value().get(), Some(Ok(())));

    view! {
        <PageHead title="Forgot your password?" description="Get a link to choose a new password."/>
        <section class="container narrow">
            <h1>"Forgot your password?"</h1>
            <p class="form-status" role="status">
                {move || sent().then_some(
                    "If an account exists for that address, we have sent a link to choose a new \
                     password. It works for 1 hour. If nothing arrives within a few minutes, \
                     check your spam folder or try again."
                )}
            </p>
            <ServerForm action=forgot class="card form">
                <ErrorSummary error/>
                <p>"Enter your account's email address and we will mail you a link to choose a new password."</p>
                <TextField
                    label="Email"
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    required=true
                    value=email
                    error=field_error(error, Field::Email)
                />
                <SubmitButton label="Send the link" pending_label="Sending…" pending=forgot.pending()/>
            </ServerForm>
            <p><a href="/login">"Back to log in"</a></p>
        </section>
    }
}

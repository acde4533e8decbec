//! `/login-link`: ask for a link that signs in without a password, and,
//! as `/login-link?token=…`, the page that link opens. Opening the link
//! changes nothing (mail scanners open links); its button signs in.
//!
//! A public page: for a visitor without cookies and without a query it is
//! rendered once per server process and kept (`server::page_cache`), so
//! what it shows them comes only from the path and the configuration.

use leptos::{either::Either, prelude::*};
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        links::{link_is_live, LinkKind},
        login_link::{LogInWithLink, RequestLoginLink},
        FormEcho, FormId,
    },
    components::{
        account::signed_in_to_profile,
        field::{field_error, form_error, ErrorSummary, SubmitButton, TextField},
        form::{form_action, form_action_settled, ServerForm},
        head::PageHead,
    },
    error::AppError,
    validation::Field,
};

#[component]
pub fn LoginLinkPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|query| query.get("token"));
    view! {
        <PageHead title="Sign in by email" description="Get a link that signs you in without your password."/>
        <section class="container narrow">
            <h1>"Sign in by email"</h1>
            {match token {
                Some(token) => Either::Left(view! { <UseLink token/> }),
                None => Either::Right(view! { <AskForLink/> }),
            }}
            <p><a href="/login">"Log in with your password"</a></p>
        </section>
    }
}

#[component]
fn AskForLink() -> impl IntoView {
    let request = form_action::<RequestLoginLink>();
    // Errors and values left by a JavaScript-free submission.
    let echo = FormEcho::take(FormId::RequestLoginLink);
    let error = form_error(
        move || request.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let email = echo.as_ref().and_then(|echo| echo.value(Field::Email));
    // A post without JavaScript comes back as `?sent=1`.
    let sent_before = use_query_map().with_untracked(|query| query.get("sent").is_some());
    let sent = move || sent_before || matches!(request.value().get(), Some(Ok(())));
    view! {
        <p class="form-status" role="status">
            {move || sent().then_some(
                "If an account exists for that address, we have sent it a link to sign in. It \
                 works once, for 15 minutes. If nothing arrives within a few minutes, check your \
                 spam folder or try again."
            )}
        </p>
        <ServerForm action=request class="card form">
            <ErrorSummary error/>
            <p>"Enter your account's email address and we will mail you a link that signs you in, without your password."</p>
            <TextField
                label="Email"
                name="email"
                input_type="email"
                autocomplete="email"
                required=true
                value=email
                error=field_error(error, Field::Email)
            />
            <SubmitButton label="Email me a sign-in link" pending_label="Sending…" pending=request.pending()/>
        </ServerForm>
    }
}

#[component]
fn UseLink(token: String) -> impl IntoView {
    let live = link_is_live(token.clone(), LinkKind::LogIn);
    view! {
        <Suspense>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    if live.await {
                        Either::Left(view! { <SignInForm token/> })
                    } else {
                        Either::Right(view! { <DeadLink/> })
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn SignInForm(token: String) -> impl IntoView {
    let sign_in = form_action_settled::<LogInWithLink>(signed_in_to_profile());
    let echo = FormEcho::take(FormId::LogInWithLink);
    let error = form_error(
        move || sign_in.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    // A memo, so that other errors do not render the form anew.
    let link_dead = Memo::new(move |_| matches!(error.get(), Some(AppError::LinkInvalid)));
    view! {
        {move || if link_dead.get() {
            Either::Right(view! { <DeadLink/> })
        } else {
            let token = token.clone();
            Either::Left(view! {
            <ServerForm action=sign_in class="card form">
                <ErrorSummary error/>
                <p>"Press the button to sign in to your account in this browser."</p>
                <input type="hidden" name="token" value=token/>
                <div class="field field--inline">
                    <input id="remember" name="remember" type="checkbox" value="true"/>
                    <label for="remember">"Remember me"</label>
                </div>
                <SubmitButton label="Sign in" pending_label="Signing in…" pending=sign_in.pending()/>
            </ServerForm>
            })
        }}
    }
}

/// What an unknown, used or expired link shows, with the way to a new one.
#[component]
fn DeadLink() -> impl IntoView {
    view! {
        <div class="card">
            <p role="alert">"This sign-in link has expired or was already used."</p>
            <p><a href="/login-link">"Ask for a new link"</a>", or log in with your password."</p>
        </div>
    }
}

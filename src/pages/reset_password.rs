//! `/reset-password?token=…`: choose a new password through a mailed link.
//! Opening the page changes nothing (mail scanners open links); the form
//! does.

use leptos::{either::Either, prelude::*};
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        links::{link_is_live, LinkKind},
        recovery::ResetPassword,
        FormEcho, FormId,
    },
    components::{
        account::signed_in_to_profile,
        field::{field_error, form_error, ErrorSummary, PasswordField, SubmitButton},
        form::{form_action_settled, ServerForm},
        head::PageHead,
    },
    error::AppError,
    pages::signup::PASSWORD_HINT,
    validation::Field,
};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = use_query_map()
        .with_untracked(|query| query.get("token"))
        .unwrap_or_default();
    let live = link_is_live(token.clone(), LinkKind::Reset);
    view! {
        <PageHead title="Choose a new password" description="Set a new password for your account."/>
        <section class="container narrow">
            <h1>"Choose a new password"</h1>
            <Suspense>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        if live.await {
                            Either::Left(view! { <ResetForm token/> })
                        } else {
                            Either::Right(view! { <DeadLink/> })
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn ResetForm(token: String) -> impl IntoView {
    let reset = form_action_settled::<ResetPassword>(signed_in_to_profile());
    let echo = FormEcho::take(FormId::ResetPassword);
    let error = form_error(
        move || reset.value().get(),
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
            <ServerForm action=reset class="card form">
                <ErrorSummary error/>
                <input type="hidden" name="token" value=token/>
                <PasswordField
                    label="New password"
                    name="password"
                    autocomplete="new-password"
                    hint=PASSWORD_HINT
                    error=field_error(error, Field::Password)
                />
                <PasswordField
                    label="New password again"
                    name="password_confirm"
                    autocomplete="new-password"
                    error=field_error(error, Field::PasswordConfirm)
                />
                <SubmitButton label="Set the new password" pending_label="Saving…" pending=reset.pending()/>
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
            <p role="alert">"This link has expired or was already used."</p>
            <p><a href="/forgot-password">"Ask for a new link"</a>" to choose a new password."</p>
        </div>
    }
}

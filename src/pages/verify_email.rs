//! `/verify-email?token=…`: confirm that an address is the user's, through
//! a mailed link. Opening the page changes nothing (mail scanners open
//! links); its button does.

use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{
        links::{link_is_live, LinkKind},
        recovery::VerifyEmail,
        FormEcho, FormId,
    },
    components::{
        account::AccountState,
        field::{field_error, form_error, ErrorSummary, PasswordField, SubmitButton},
        form::{form_action_then, ServerForm},
        head::PageHead,
    },
    error::AppError,
    validation::Field,
};

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.with_untracked(|query| query.get("token").unwrap_or_default());
    // Followed as the query changes: the form's success navigates here.
    let verified = move || query.with(|query| query.get("verified").is_some());
    let live = link_is_live(token.clone(), LinkKind::Verify);
    let starts_account = link_is_live(token.clone(), LinkKind::StartsAccount);
    view! {
        <PageHead title="Confirm your email address" description="Confirm the email address of your account."/>
        <section class="container narrow">
            <h1>"Confirm your email address"</h1>
            <Suspense>
                {move || {
                    let token = token.clone();
                    let verified = verified();
                    Suspend::new(async move {
                        if verified {
                            EitherOf3::A(view! { <Verified/> })
                        } else if live.await {
                            let starts_account = starts_account.await;
                            EitherOf3::B(view! { <ConfirmForm token starts_account/> })
                        } else {
                            EitherOf3::C(view! { <DeadLink/> })
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn ConfirmForm(token: String, starts_account: bool) -> impl IntoView {
    let account = AccountState::expect();
    let navigate = use_navigate();
    let verify = form_action_then::<VerifyEmail>(move |profile| {
        if profile.is_some() {
            account.set_user(profile.clone());
        }
        navigate("/verify-email?verified=1", Default::default());
    });
    let echo = FormEcho::take(FormId::VerifyEmail);
    let error = form_error(
        move || verify.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    // A memo, so that other errors do not render the form anew.
    let link_dead = Memo::new(move |_| matches!(error.get(), Some(AppError::LinkInvalid)));
    // A link that starts an account asks for the password chosen at
    // sign-up; in-app, where that is not known beforehand, once the server
    // asks for it.
    let password_error = field_error(error, Field::Password);
    let asks_password = Memo::new(move |_| starts_account || password_error.get().is_some());
    view! {
        {move || if link_dead.get() {
            Either::Right(view! { <DeadLink/> })
        } else {
            let token = token.clone();
            Either::Left(view! {
            <ServerForm action=verify class="card form">
                <ErrorSummary error/>
                {move || if asks_password.get() {
                    Either::Left(view! {
                        <p>"Enter the password you chose when you signed up, then press the button to start your account."</p>
                        <PasswordField
                            label="Password"
                            name="password"
                            autocomplete="current-password"
                            error=password_error
                        />
                    })
                } else {
                    Either::Right(view! {
                        <p>"Press the button to confirm that this email address is yours."</p>
                    })
                }}
                <input type="hidden" name="token" value=token/>
                <SubmitButton label="Confirm my email address" pending_label="Confirming…" pending=verify.pending()/>
            </ServerForm>
            })
        }}
    }
}

#[component]
fn Verified() -> impl IntoView {
    let account = AccountState::expect();
    let signed_in = move || account.user.with(Option::is_some);
    view! {
        <div class="card">
            <p role="status">"Your email address is confirmed. Thank you."</p>
            <p>
                {move || if signed_in() {
                    view! { <a href="/profile">"Go to your profile"</a> }.into_any()
                } else {
                    view! { <a href="/login">"Log in"</a> }.into_any()
                }}
            </p>
        </div>
    }
}

#[component]
fn DeadLink() -> impl IntoView {
    view! {
        <div class="card">
            <p role="alert">"This link has expired or was already used."</p>
            <p>"Log in and use “Send the link again” on your profile to get a new one."</p>
            <p><a href="/profile">"Go to your profile"</a></p>
        </div>
    }
}

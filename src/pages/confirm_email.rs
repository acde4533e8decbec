//! `/confirm-email?token=…`: make a new address the account's, through the
//! link mailed to it. Opening the page changes nothing (mail scanners open
//! links); its button does.

use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{
        email::ConfirmEmailChange,
        links::{email_change_asker, link_is_live, LinkKind},
        FormEcho, FormId,
    },
    components::{
        account::AccountState,
        field::{form_error, ErrorSummary, SubmitButton},
        form::{form_action_then, ServerForm},
        head::PageHead,
    },
    error::AppError,
};

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.with_untracked(|query| query.get("token").unwrap_or_default());
    // Followed as the query changes: the form's success navigates here.
    let changed = move || query.with(|query| query.get("changed").is_some());
    let live = link_is_live(token.clone(), LinkKind::EmailChange);
    let asker = email_change_asker(token.clone());
    view! {
        <PageHead title="Confirm your new email address" description="Make a new address your account's email address."/>
        <section class="container narrow">
            <h1>"Confirm your new email address"</h1>
            <Suspense>
                {move || {
                    let token = token.clone();
                    let changed = changed();
                    Suspend::new(async move {
                        if changed {
                            EitherOf3::A(view! { <Changed/> })
                        } else if live.await {
                            let asker = asker.await;
                            EitherOf3::B(view! { <ConfirmForm token asker/> })
                        } else {
                            EitherOf3::C(view! { <DeadLink/> })
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// `asker` is the account that asked, partly hidden (empty when unknown).
#[component]
fn ConfirmForm(token: String, asker: String) -> impl IntoView {
    let account = AccountState::expect();
    let navigate = use_navigate();
    let confirm = form_action_then::<ConfirmEmailChange>(move |profile| {
        if profile.is_some() {
            account.set_user(profile.clone());
        }
        navigate("/confirm-email?changed=1", Default::default());
    });
    let echo = FormEcho::take(FormId::ConfirmEmailChange);
    let error = form_error(
        move || confirm.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    // A memo, so that other errors do not render the form anew.
    let link_dead = Memo::new(move |_| matches!(error.get(), Some(AppError::LinkInvalid)));
    view! {
        {move || if link_dead.get() {
            Either::Right(view! { <DeadLink/> })
        } else {
            let token = token.clone();
            let asker = asker.clone();
            Either::Left(view! {
            <ServerForm action=confirm class="card form">
                <ErrorSummary error/>
                {(!asker.is_empty()).then(|| view! {
                    <p>"The account " <strong>{asker}</strong> " asked to use the address this link was sent to as its email address."</p>
                })}
                <p>"Press the button to make the address this link was sent to your account's email address. If you did not ask for this, leave this page: nothing changes."</p>
                <input type="hidden" name="token" value=token/>
                <SubmitButton label="Use this email address" pending_label="Changing…" pending=confirm.pending()/>
            </ServerForm>
            })
        }}
    }
}

#[component]
fn Changed() -> impl IntoView {
    let account = AccountState::expect();
    let signed_in = move || account.user.with(Option::is_some);
    view! {
        <div class="card">
            <p role="status">"Your email address is changed. From now on, log in with the new one."</p>
            <p>
                {move || if signed_in() {
                    view! { <a href="/settings">"Back to your settings"</a> }.into_any()
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
            <p>"To change your email address, ask for a new link in your settings."</p>
            <p><a href="/settings#email">"Go to your settings"</a></p>
        </div>
    }
}

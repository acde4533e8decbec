//! `/cancel-email-change?token=…`: stop a change of the account's address,
//! through the link in the notice mailed to the current address when the
//! change was asked for. Opening the page changes nothing (mail scanners
//! open links); its button does.

use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{
        email::CancelEmailChange,
        links::{link_is_live, LinkKind},
        FormEcho, FormId,
    },
    components::{
        field::{form_error, ErrorSummary, SubmitButton},
        form::{form_action_then, ServerForm},
        head::PageHead,
    },
    error::AppError,
};

#[component]
pub fn CancelEmailChangePage() -> impl IntoView {
    let query = use_query_map();
    let token = query.with_untracked(|query| query.get("token").unwrap_or_default());
    // Followed as the query changes: the form's success navigates here.
    let cancelled = move || query.with(|query| query.get("cancelled").is_some());
    let live = link_is_live(token.clone(), LinkKind::CancelEmailChange);
    view! {
        <PageHead title="Cancel the change of your email address" description="Keep your account's email address as it is."/>
        <section class="container narrow">
            <h1>"Cancel the change of your email address"</h1>
            <Suspense>
                {move || {
                    let token = token.clone();
                    let cancelled = cancelled();
                    Suspend::new(async move {
                        if cancelled {
                            EitherOf3::A(view! { <Cancelled/> })
                        } else if live.await {
                            EitherOf3::B(view! { <CancelForm token/> })
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
fn CancelForm(token: String) -> impl IntoView {
    let navigate = use_navigate();
    let cancel = form_action_then::<CancelEmailChange>(move |()| {
        navigate("/cancel-email-change?cancelled=1", Default::default());
    });
    let echo = FormEcho::take(FormId::CancelEmailChange);
    let error = form_error(
        move || cancel.value().get(),
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
            <ServerForm action=cancel class="card form">
                <ErrorSummary error/>
                <p>"Someone signed in to your account asked to change its email address. Press the button to cancel the change: your address stays as it is, and the link mailed to the new address stops working."</p>
                <input type="hidden" name="token" value=token/>
                <SubmitButton label="Cancel the change" pending_label="Cancelling…" pending=cancel.pending()/>
            </ServerForm>
            })
        }}
    }
}

#[component]
fn Cancelled() -> impl IntoView {
    view! {
        <div class="card">
            <p role="status">"The change is cancelled. Your email address stays as it was."</p>
            <p>"If you did not ask for the change, someone knows your password or is signed in as you. Log in, change your password (which signs out every other browser) and check the recent activity on your profile."</p>
            <p><a href="/login?next=/settings">"Log in to your settings"</a></p>
        </div>
    }
}

#[component]
fn DeadLink() -> impl IntoView {
    view! {
        <div class="card">
            <p role="alert">"This link has expired or was already used: the change it was for was confirmed, cancelled or has run out."</p>
            <p>"Your settings show your email address and any change still waiting."</p>
            <p><a href="/login?next=/settings">"Log in to your settings"</a></p>
        </div>
    }
}

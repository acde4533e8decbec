//! The settings page's email section: the address, a change asked for,
//! and the changes that wait for their link.

use leptos::prelude::*;

use super::parts::{readable, returned_with, Pending, SudoPassword};
use crate::{
    api::{
        email::{CancelEmailChanges, ChangeEmail},
        FormEcho, FormId, PendingEmailChange,
    },
    components::{
        account::AccountState,
        field::{field_error, form_error, ErrorSummary, SubmitButton, TextField},
        form::{form_action_then, FormAction, ServerForm},
    },
    error::AppError,
    validation::{Field, EMAIL_MAX_CHARS},
};

#[component]
pub(super) fn EmailSection() -> impl IntoView {
    let account = AccountState::expect();
    let pending = Pending::expect();
    let change = form_action_then::<ChangeEmail>(move |()| pending.refetch());
    let echo = FormEcho::take(FormId::ChangeEmail);
    let error = form_error(
        move || change.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let typed = echo.as_ref().and_then(|echo| echo.value(Field::Email));
    let sent_before = returned_with("sent").is_some();
    let sent = move || {
        matches!(change.value().get(), Some(Ok(())))
            || (sent_before && change.value().with(Option::is_none))
    };
    let cancel = form_action_then::<CancelEmailChanges>(move |()| pending.refetch());
    let cancel_echo = FormEcho::take(FormId::CancelEmailChanges);
    let cancel_error = form_error(
        move || cancel.value().get(),
        cancel_echo.map(|echo| echo.error),
    );
    let cancelled_before = returned_with("cancelled").is_some();
    let cancelled = move || {
        matches!(cancel.value().get(), Some(Ok(())))
            || (cancelled_before && cancel.value().with(Option::is_none))
    };
    view! {
        <h2 id="email">"Email address"</h2>
        <p class="form-status" role="status">
            {move || cancelled().then_some("The change of address was cancelled: the link mailed for it no longer works.")}
        </p>
        <Transition>
            {move || Suspend::new(async move {
                let waiting = pending.0.await.unwrap_or_default();
                (!waiting.is_empty()).then(|| view! {
                    <PendingChanges waiting cancel error=cancel_error/>
                })
            })}
        </Transition>
        <ServerForm action=change class="card form">
            <ErrorSummary error/>
            <p>"Your email address is " <strong>{move || account.detail(|profile| &profile.email)}</strong> "."</p>
            <p class="form-status" role="status">
                {move || sent().then_some("We sent a link to the new address. Open it within 24 hours to finish the change; until then, your address stays as it is.")}
            </p>
            <TextField
                label="New email address"
                name="new_email"
                input_type="email"
                autocomplete="email"
                maxlength=EMAIL_MAX_CHARS
                value=typed
                error=field_error(error, Field::Email)
            />
            <SudoPassword id="email-password".to_owned() error/>
            <SubmitButton label="Send a confirmation link" pending_label="Sending…" pending=change.pending()/>
        </ServerForm>
    }
}

/// The changes of address waiting for their link, and the button that
/// cancels them.
#[component]
fn PendingChanges(
    waiting: Vec<PendingEmailChange>,
    cancel: FormAction<CancelEmailChanges>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <ServerForm action=cancel class="card form pending-changes">
            <ErrorSummary error/>
            <p>"A change of address is waiting: it happens only when the link mailed to the new address is opened."</p>
            <ul>
                {waiting
                    .into_iter()
                    .map(|change| view! {
                        <li>
                            <strong>{change.email}</strong>
                            " · the link works until "
                            <time datetime=change.expires.clone()>{readable(&change.expires)}</time>
                        </li>
                    })
                    .collect_view()}
            </ul>
            <SubmitButton label="Cancel the change" pending_label="Cancelling…" pending=cancel.pending() class="button button--secondary"/>
        </ServerForm>
    }
}

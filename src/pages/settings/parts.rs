//! Pieces the settings page's sections share.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        email::pending_email_changes,
        passkeys::{list_passkeys, PasskeyList},
        sign_ins::{list_sign_ins, SignIns},
        PendingEmailChange,
    },
    components::{
        field::{field_error, FieldError},
        passkey::confirm_with_passkey,
    },
    error::AppError,
    json::Json,
    validation::Field,
};

/// The changes of address waiting for their link.
#[derive(Clone, Copy)]
pub(super) struct Pending(
    pub(super) Resource<Result<Vec<PendingEmailChange>, AppError>, crate::json::Json>,
);

impl Pending {
    /// Loads them, for the page's sections to share.
    pub(super) fn provide() {
        provide_context(Self(crate::page_data::resource(
            || (),
            |_| pending_email_changes(),
        )));
    }

    pub(super) fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Loads them again: asking for a change, cancelling, ending sessions
    /// and changing the password each change the list.
    pub(super) fn refetch(self) {
        self.0.refetch();
    }
}

/// The account's passkeys: listed by their section, and offered by every
/// password prompt as the other way to confirm it is you.
#[derive(Clone, Copy)]
pub(super) struct Passkeys(pub(super) Resource<Result<PasskeyList, AppError>, Json>);

impl Passkeys {
    pub(super) fn provide() {
        provide_context(Self(crate::page_data::resource(|| (), |_| list_passkeys())));
    }

    pub(super) fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Whether the account has a passkey this site can use (false until
    /// known).
    fn any(self) -> bool {
        self.0.with(
            |list| matches!(list, Some(Ok(list)) if list.available && !list.passkeys.is_empty()),
        )
    }
}

/// The account's sign-ins through external providers: listed by their
/// section, and offered by every password prompt as another way to confirm
/// it is you.
#[derive(Clone, Copy)]
pub(super) struct SignInList(pub(super) Resource<Result<SignIns, AppError>, Json>);

impl SignInList {
    pub(super) fn provide() {
        provide_context(Self(crate::page_data::resource(|| (), |_| list_sign_ins())));
    }

    pub(super) fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The providers linked to the account, as `(name, label)`, once each.
    fn linked(self) -> Vec<(String, String)> {
        let mut linked: Vec<(String, String)> = Vec::new();
        self.0.with(|list| {
            if let Some(Ok(list)) = list {
                for identity in &list.linked {
                    if !linked.iter().any(|(name, _)| *name == identity.name) {
                        linked.push((identity.name.clone(), identity.provider.clone()));
                    }
                }
            }
        });
        linked
    }
}

/// What a plain (JavaScript-free) form post that succeeded came back with:
/// `?changed=password`, `?sent=email`, `?ended=…`.
pub(super) fn returned_with(key: &'static str) -> Option<String> {
    use_query_map().with_untracked(|query| query.get(key))
}

/// The password field a form shows once the server asked for it (sudo
/// mode had lapsed), and after a wrong one. Several forms may show one at
/// once, so each has its own element `id`.
#[component]
pub(super) fn SudoPassword(
    id: String,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let asked = Memo::new(move |_| {
        error.with(|error| match error {
            Some(AppError::SudoRequired) => true,
            Some(error) => error.field_message(Field::CurrentPassword).is_some(),
            None => false,
        })
    });
    let message = field_error(error, Field::CurrentPassword);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || match message.get() {
            Some(_) => format!("{error_id} {hint_id}"),
            None => hint_id.clone(),
        }
    };
    // Offered once the page runs (and knows the account has a passkey):
    // the server's page and the first hydrated one stay the same.
    let passkeys = Passkeys::expect();
    let offer_passkey = RwSignal::new(false);
    Effect::new(move |_| offer_passkey.set(passkeys.any()));
    // Signing in at a linked provider again confirms it too: these buttons
    // post the form to that trip instead (the browser's own post, with or
    // without JavaScript; the provider brings it back to the settings page
    // in sudo mode).
    let sign_ins = SignInList::expect();
    let confirm_links = move || {
        sign_ins
            .linked()
            .into_iter()
            .map(|(name, label)| {
                view! {
                    <button
                        type="submit"
                        class="button button--quiet"
                        formaction=format!("/auth/oidc/{name}/confirm")
                        formnovalidate=true
                    >
                        "Confirm with " {label} " instead"
                    </button>
                }
            })
            .collect_view()
    };
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let use_passkey = move |_| {
        if busy.get_untracked() {
            return;
        }
        note.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = confirm_with_passkey().await;
            busy.set(false);
            match answer {
                // Sudo mode is on: the form's own button finishes the action.
                Ok(()) => resubmit(button),
                Err(refusal) => note.set(Some(refusal.message())),
            }
        });
    };
    view! {
        <Show when=move || asked.get()>
            <div class="field">
                <label for=id.clone()>"Your password"</label>
                <p class="field__hint" id=hint_id.clone()>
                    "For your security, enter your password again to continue. It is not asked again for the next few minutes."
                </p>
                <FieldError id=error_id.clone() message/>
                <input
                    id=id.clone()
                    name="current_password"
                    type="password"
                    autocomplete="current-password"
                    required
                    aria-invalid=move || message.get().map(|_| "true")
                    aria-describedby=described_by.clone()
                />
                <p class="field__hint" role="status">{move || note.get()}</p>
                {confirm_links}
                <button
                    type="button"
                    class="button button--quiet js-only"
                    node_ref=button
                    hidden=move || !offer_passkey.get()
                    disabled=move || busy.get()
                    aria-busy=move || busy.get().to_string()
                    on:click=use_passkey
                >
                    "Use a passkey instead"
                </button>
            </div>
        </Show>
    }
}

/// Submits again the form that holds `button`, as its submit button would.
fn resubmit(button: NodeRef<leptos::html::Button>) {
    use leptos::wasm_bindgen::JsCast;

    // (Gone if the page went while the device was asked.)
    let form = button
        .try_get_untracked()
        .flatten()
        .and_then(|button| button.closest("form").ok().flatten())
        .and_then(|form| form.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
    if let Some(form) = form {
        let _ = form.request_submit();
    }
}

/// `2026-11-24 09:30 UTC` from `2026-11-24T09:30:00Z`.
pub(super) fn readable(rfc3339: &str) -> String {
    let minutes = rfc3339.get(..16).unwrap_or(rfc3339);
    format!("{} UTC", minutes.replacen('T', " ", 1))
}

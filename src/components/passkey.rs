//! Passkeys in the browser: the log-in page's button and the email field's
//! autofill, and the ceremonies settings runs to add a passkey or to
//! confirm it is you with one.
//!
//! Each ceremony asks the server for WebAuthn's options (JSON), hands them
//! to the browser (`navigator.credentials`), and sends the browser's answer
//! back (`credential.toJSON()`): see `api::passkeys`. Passkeys need
//! JavaScript; without it the page says so and shows no button.

use leptos::{html, prelude::*};

use crate::{
    api::{
        passkeys::{
            finish_passkey_log_in, finish_passkey_sudo, start_passkey_log_in, start_passkey_sudo,
        },
        Profile,
    },
    error::AppError,
    validation::Problem,
};

mod refusal;
pub use refusal::Refusal;

/// Has the browser make a passkey with the server's `options`: returns
/// its answer as JSON, for the server to keep.
pub async fn create_passkey(options: &str) -> Result<String, Refusal> {
    #[cfg(feature = "hydrate")]
    return browser::ceremony(options, browser::Kind::Create, None).await;
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Err(Refusal::Unsupported)
    }
}

/// Confirms it is you with one of your passkeys instead of the password:
/// as entering it, this starts sudo mode (and renews the session).
pub async fn confirm_with_passkey() -> Result<(), Refusal> {
    let started = start_passkey_sudo().await?;
    let credential = use_passkey(&started.options, None).await?;
    Ok(finish_passkey_sudo(started.ceremony, credential).await?)
}

/// The log-in page's passkey controls: a "Sign in with a passkey" button,
/// and, where the browser offers it, the passkeys in the email field's
/// autofill (the field carries `autocomplete="username webauthn"`). Calls
/// `signed_in` with the profile once a passkey signed this browser in.
/// `remember` is the page's "Remember me" box.
#[component]
pub fn PasskeySignIn(
    remember: NodeRef<html::Input>,
    signed_in: Callback<Profile>,
) -> impl IntoView {
    let note = RwSignal::new(None::<String>);
    let available = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let flow = SignIn {
        busy,
        remember,
        signed_in,
        note,
        available,
        pending: StoredValue::new_local(None),
        round: StoredValue::new(0),
    };
    // Once hydrated (or shown by a navigation in the app): offer the
    // passkeys in the autofill, until the page goes.
    Effect::new(move |_| flow.offer_autofill());
    on_cleanup(move || flow.stop());
    view! {
        <p class="no-js-only muted">"Signing in with a passkey needs JavaScript."</p>
        <button
            type="button"
            id="passkey"
            class="button button--secondary js-only"
            hidden=move || !available.get()
            disabled=move || busy.get()
            aria-busy=move || busy.get().to_string()
            on:click=move |_| flow.with_button()
        >
            "Sign in with a passkey"
        </button>
        <p id="passkey-note" class="form-status" role="status">{move || note.get()}</p>
    }
}

/// What cancels a request (an `AbortController`), and what the request
/// carries to be cancelled (its `AbortSignal`).
#[cfg(feature = "hydrate")]
type Pending = browser::Cancel;
#[cfg(feature = "hydrate")]
type Waiting = wasm_bindgen::JsValue;
#[cfg(not(feature = "hydrate"))]
type Pending = ();
#[cfg(not(feature = "hydrate"))]
type Waiting = ();

/// Has the browser use a passkey with the server's `options`: returns its
/// answer as JSON. With `waiting`, the request waits in the autofill until
/// a passkey is picked there.
async fn use_passkey(options: &str, waiting: Option<Waiting>) -> Result<String, Refusal> {
    #[cfg(feature = "hydrate")]
    return browser::ceremony(options, browser::Kind::Get, waiting.as_ref()).await;
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (options, waiting);
        Err(Refusal::Unsupported)
    }
}

/// The state of the log-in page's passkey requests.
#[derive(Clone, Copy)]
struct SignIn {
    remember: NodeRef<html::Input>,
    signed_in: Callback<Profile>,
    note: RwSignal<Option<String>>,
    available: RwSignal<bool>,
    /// While the button's request runs (its button is disabled).
    busy: RwSignal<bool>,
    /// Cancels the request waiting in the autofill, if one is.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pending: StoredValue<Option<Pending>, LocalStorage>,
    /// Counts requests, so that a request that was replaced does nothing.
    round: StoredValue<u32>,
}

impl SignIn {
    /// A new request replaces any before it: returns its number.
    fn next_round(self) -> u32 {
        #[cfg(feature = "hydrate")]
        if let Some(cancel) = self.pending.write_value().take() {
            cancel.cancel();
        }
        self.round.update_value(|round| *round += 1);
        self.round.get_value()
    }

    /// Whether request `round` is still the page's: no newer one replaced
    /// it, and the page is still shown (its values are not disposed of).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn is_current(self, round: u32) -> bool {
        self.round.try_get_value() == Some(round)
    }

    /// When the page goes: its waiting request is cancelled (else the
    /// browser would refuse the next page's passkey requests), and nothing
    /// started here acts any more.
    fn stop(self) {
        self.next_round();
    }

    /// Offers the passkeys in the email field's autofill, renewed before
    /// the server's ceremony expires (five minutes).
    fn offer_autofill(self) {
        let round = self.next_round();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if !browser::autofill_available().await || !self.is_current(round) {
                return;
            }
            let Some(cancel) = browser::Cancel::new() else {
                return;
            };
            let signal = cancel.signal();
            self.pending.set_value(Some(cancel));
            set_timeout(
                move || {
                    if self.is_current(round) {
                        self.offer_autofill();
                    }
                },
                std::time::Duration::from_secs(240),
            );
            let answer = self.sign_in(round, Some(signal)).await;
            if self.is_current(round) {
                self.settle(answer, true);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = round;
    }

    /// The button: the browser's own dialog.
    fn with_button(self) {
        if self.busy.get_untracked() {
            return;
        }
        let round = self.next_round();
        self.note.set(None);
        self.busy.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let answer = self.sign_in(round, None).await;
            self.busy.set(false);
            if self.is_current(round) {
                self.settle(answer, false);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = round;
    }

    /// One ceremony: with `waiting`, a request that waits in the autofill.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    async fn sign_in(self, round: u32, waiting: Option<Waiting>) -> Result<Profile, Refusal> {
        let started = start_passkey_log_in().await?;
        let credential = use_passkey(&started.options, waiting).await?;
        if !self.is_current(round) {
            return Err(Refusal::Cancelled);
        }
        let remember = self
            .remember
            .get_untracked()
            .is_some_and(|input| input.checked());
        Ok(finish_passkey_log_in(
            started.ceremony,
            credential,
            remember.then(|| "true".to_owned()),
        )
        .await?)
    }

    /// After a request: signed in, or why not. The autofill, which the
    /// person may never have looked at, stays quiet unless the passkey
    /// picked there was refused; the button's request says what went wrong
    /// and offers the autofill again.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn settle(self, answer: Result<Profile, Refusal>, from_autofill: bool) {
        match answer {
            Ok(profile) => self.signed_in.run(profile),
            // This site's address cannot use passkeys (see README), or
            // this browser cannot.
            Err(Refusal::Server(AppError::NotFound) | Refusal::Unsupported) if from_autofill => {
                self.available.set(false)
            }
            Err(Refusal::Server(AppError::Invalid(problems))) if from_autofill => {
                if problems.contains(&Problem::PasskeyNotAccepted) {
                    self.note.set(Some(AppError::Invalid(problems).to_string()));
                }
            }
            Err(_) if from_autofill => {}
            Err(refusal) => {
                self.note.set(Some(refusal.message()));
                self.offer_autofill();
            }
        }
    }
}

/// The browser's side of a ceremony, through `navigator.credentials`.
#[cfg(feature = "hydrate")]
mod browser;

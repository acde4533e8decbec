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

/// Why a passkey ceremony did not end with a passkey.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The person closed the browser's dialog, or it timed out, or the page
    /// cancelled the request.
    Cancelled,
    /// This browser cannot use passkeys (or not this way).
    Unsupported,
    /// Creating: the authenticator already holds a passkey of this account.
    AlreadyAdded,
    /// The server refused (it says why).
    Server(AppError),
}

impl Refusal {
    /// What to tell the person.
    pub fn message(&self) -> String {
        match self {
            Self::Cancelled => {
                "No passkey was used: the request was cancelled or timed out. Try again.".to_owned()
            }
            Self::Unsupported => "This browser cannot use passkeys.".to_owned(),
            Self::AlreadyAdded => Problem::PasskeyAlreadyAdded.message(),
            Self::Server(error) => error.to_string(),
        }
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self::Server(error)
    }
}

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
    let flow = SignIn {
        remember,
        signed_in,
        note,
        available,
        pending: StoredValue::new_local(None),
        round: StoredValue::new(0),
    };
    // Once hydrated: offer the passkeys in the autofill.
    Effect::new(move |_| flow.offer_autofill());
    view! {
        <p class="no-js-only muted">"Signing in with a passkey needs JavaScript."</p>
        <button
            type="button"
            id="passkey"
            class="button button--secondary js-only"
            hidden=move || !available.get()
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

    /// Offers the passkeys in the email field's autofill, renewed before
    /// the server's ceremony expires (five minutes).
    fn offer_autofill(self) {
        let round = self.next_round();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if !browser::autofill_available().await {
                return;
            }
            let Some(cancel) = browser::Cancel::new() else {
                return;
            };
            let signal = cancel.signal();
            self.pending.set_value(Some(cancel));
            set_timeout(
                move || {
                    if self.round.get_value() == round {
                        self.offer_autofill();
                    }
                },
                std::time::Duration::from_secs(240),
            );
            let answer = self.sign_in(Some(signal)).await;
            if self.round.get_value() == round {
                self.settle(answer, true);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = round;
    }

    /// The button: the browser's own dialog.
    fn with_button(self) {
        let round = self.next_round();
        self.note.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let answer = self.sign_in(None).await;
            if self.round.get_value() == round {
                self.settle(answer, false);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = round;
    }

    /// One ceremony: with `waiting`, a request that waits in the autofill.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    async fn sign_in(self, waiting: Option<Waiting>) -> Result<Profile, Refusal> {
        let started = start_passkey_log_in().await?;
        let credential = use_passkey(&started.options, waiting).await?;
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
    /// person may never have looked at, stays quiet unless the server
    /// refused the passkey picked there; the button's request offers the
    /// autofill again afterwards.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn settle(self, answer: Result<Profile, Refusal>, from_autofill: bool) {
        match answer {
            Ok(profile) => self.signed_in.run(profile),
            // This site's address cannot use passkeys (see README), or
            // this browser cannot.
            Err(Refusal::Server(AppError::NotFound) | Refusal::Unsupported) if from_autofill => {
                self.available.set(false)
            }
            Err(Refusal::Cancelled) if from_autofill => {}
            Err(refusal) => {
                self.note.set(Some(refusal.message()));
                if !from_autofill {
                    self.offer_autofill();
                }
            }
        }
    }
}

/// The browser's side of a ceremony, through `navigator.credentials`.
#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Function, Object, Promise, Reflect, JSON};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::Refusal;

    /// Which ceremony.
    #[derive(Clone, Copy)]
    pub enum Kind {
        /// Create a passkey (`navigator.credentials.create`).
        Create,
        /// Use one (`navigator.credentials.get`).
        Get,
    }

    fn get(target: &JsValue, key: &str) -> JsValue {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    /// `target[method](argument)`, when `target` has such a method.
    fn call(target: &JsValue, method: &str, argument: &JsValue) -> Result<JsValue, JsValue> {
        let function = get(target, method);
        if !function.is_function() {
            return Err(JsValue::from_str("TypeError"));
        }
        function
            .unchecked_into::<Function>()
            .call1(target, argument)
    }

    fn credential_type() -> JsValue {
        get(&js_sys::global(), "PublicKeyCredential")
    }

    /// Whether the browser offers passkeys in the autofill of a field
    /// marked `webauthn`.
    pub async fn autofill_available() -> bool {
        let Ok(promise) = call(
            &credential_type(),
            "isConditionalMediationAvailable",
            &JsValue::UNDEFINED,
        ) else {
            return false;
        };
        JsFuture::from(promise.unchecked_into::<Promise>())
            .await
            .is_ok_and(|available| available.is_truthy())
    }

    /// Cancels a request (an `AbortController`).
    pub struct Cancel(JsValue);

    impl Cancel {
        pub fn new() -> Option<Self> {
            let constructor = get(&js_sys::global(), "AbortController");
            if !constructor.is_function() {
                return None;
            }
            Reflect::construct(
                constructor.unchecked_ref::<Function>(),
                &js_sys::Array::new(),
            )
            .ok()
            .map(Self)
        }

        /// What the request carries (its `AbortSignal`).
        pub fn signal(&self) -> JsValue {
            get(&self.0, "signal")
        }

        pub fn cancel(&self) {
            let _ = call(&self.0, "abort", &JsValue::UNDEFINED);
        }
    }

    /// Runs a ceremony with the server's `options` (WebAuthn's JSON):
    /// returns the browser's answer as JSON. With `signal`, the request
    /// waits in the autofill until a passkey is picked there.
    pub async fn ceremony(
        options: &str,
        kind: Kind,
        signal: Option<&JsValue>,
    ) -> Result<String, Refusal> {
        let (parse, method) = match kind {
            Kind::Create => ("parseCreationOptionsFromJSON", "create"),
            Kind::Get => ("parseRequestOptionsFromJSON", "get"),
        };
        let options = JSON::parse(options).map_err(|_| Refusal::Unsupported)?;
        let public_key =
            call(&credential_type(), parse, &options).map_err(|_| Refusal::Unsupported)?;
        let request = Object::new();
        let _ = Reflect::set(&request, &JsValue::from_str("publicKey"), &public_key);
        if let Some(signal) = signal {
            let _ = Reflect::set(&request, &"mediation".into(), &"conditional".into());
            let _ = Reflect::set(&request, &"signal".into(), signal);
        }
        let credentials = get(&get(&js_sys::global(), "navigator"), "credentials");
        let promise = call(&credentials, method, &request).map_err(|_| Refusal::Unsupported)?;
        let credential = JsFuture::from(promise.unchecked_into::<Promise>())
            .await
            .map_err(|error| {
                match get(&error, "name").as_string().as_deref() {
                    // The authenticator already holds one of the passkeys
                    // the server listed as this account's.
                    Some("InvalidStateError") => Refusal::AlreadyAdded,
                    Some("NotSupportedError") | Some("SecurityError") => Refusal::Unsupported,
                    _ => Refusal::Cancelled,
                }
            })?;
        let json =
            call(&credential, "toJSON", &JsValue::UNDEFINED).map_err(|_| Refusal::Unsupported)?;
        JSON::stringify(&json)
            .ok()
            .and_then(|json| json.as_string())
            .ok_or(Refusal::Unsupported)
    }
}

//! The browser's side of a passkey ceremony, through
//! `navigator.credentials` and WebAuthn's JSON helpers (reached with
//! `Reflect`: web-sys has no bindings for them yet).

use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::refusal::Refusal;

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
    let public_key = call(&credential_type(), parse, &options).map_err(|_| Refusal::Unsupported)?;
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
            match (kind, get(&error, "name").as_string().as_deref()) {
                // The authenticator already holds one of the passkeys
                // the server listed as this account's. (For a `get`,
                // the same name means another request is open.)
                (Kind::Create, Some("InvalidStateError")) => Refusal::AlreadyAdded,
                (_, Some("NotSupportedError" | "SecurityError")) => Refusal::Unsupported,
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

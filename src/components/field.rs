//! Labelled form inputs with their error messages, and the error summary.

use leptos::{html, prelude::*};

use crate::{error::AppError, validation::Field};

/// The error a form shows: that of its last submission with JavaScript, or
/// else the one echoed back from a submission without it.
pub fn form_error<T: 'static>(
    last: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
    echoed: Option<AppError>,
) -> Signal<Option<AppError>> {
    Signal::derive(move || match last() {
        Some(Err(error)) => Some(error),
        Some(Ok(_)) => None,
        None => echoed.clone(),
    })
}

/// The message `error` has for one field.
pub fn field_error(error: Signal<Option<AppError>>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|error| error.field_message(field)))
}

/// A labelled text-like input (`email`, `text`). An error is shown under the
/// label, linked with `aria-describedby` and marked `aria-invalid`.
#[component]
pub fn TextField(
    /// The visible label.
    label: &'static str,
    /// The form field name, also used as the element id.
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    /// The `autocomplete` token that lets browsers and password managers fill it.
    autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    /// The initial value (what the user typed before a round trip).
    #[prop(default = None)]
    value: Option<String>,
    #[prop(into, default = Signal::stored(None))] error: Signal<Option<String>>,
    /// Called with the value on every keystroke.
    #[prop(optional, into)]
    on_input: Option<Callback<String>>,
) -> impl IntoView {
    let described_by = described_by(name, hint.is_some(), error);
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <FieldNotes name hint error/>
            <input
                id=name
                name=name
                type=input_type
                autocomplete=autocomplete
                required=required
                maxlength=maxlength
                value=value
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
                on:input=move |event| {
                    if let Some(on_input) = on_input {
                        on_input.run(event_target_value(&event));
                    }
                }
            />
        </div>
    }
}

/// A one-time code input (an authenticator app's 6 digits, a recovery
/// code): never echoed back, filled by the browser from an SMS or an app
/// where it can (`one-time-code`), with the keyboard `inputmode` asks for.
#[component]
pub fn CodeField(
    label: &'static str,
    name: &'static str,
    /// `numeric` for the app's digits, `text` for a recovery code.
    inputmode: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into, default = Signal::stored(None))] error: Signal<Option<String>>,
) -> impl IntoView {
    let described_by = described_by(name, hint.is_some(), error);
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <FieldNotes name hint error/>
            <input
                id=name
                name=name
                type="text"
                inputmode=inputmode
                autocomplete="one-time-code"
                autocapitalize="none"
                spellcheck="false"
                required
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            />
        </div>
    }
}

/// A password input with a "Show" toggle. The toggle needs JavaScript, so it
/// stays hidden until the page has hydrated; paste and password managers
/// always work. The value is never echoed back by the server.
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    /// `new-password` on sign-up, `current-password` on log-in.
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into, default = Signal::stored(None))] error: Signal<Option<String>>,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let described_by = described_by(name, hint.is_some(), error);
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <FieldNotes name hint error/>
            <div class="password-input">
                <input
                    id=name
                    name=name
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                    aria-invalid=move || error.get().map(|_| "true")
                    aria-describedby=described_by
                />
                <button
                    type="button"
                    class="button button--quiet js-only"
                    aria-controls=name
                    aria-pressed=move || visible.get().to_string()
                    on:click=move |_| visible.update(|shown| *shown = !*shown)
                >
                    {move || if visible.get() { "Hide" } else { "Show" }}
                    <span class="visually-hidden">" password"</span>
                </button>
            </div>
        </div>
    }
}

/// The hint and the error of a field.
#[component]
fn FieldNotes(
    name: &'static str,
    hint: Option<&'static str>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        {hint.map(|text| view! { <p class="field__hint" id=format!("{name}-hint")>{text}</p> })}
        <FieldError id=format!("{name}-error") message=error/>
    }
}

/// A field's error message, when it has one: the element its input names
/// in `aria-describedby` (by `id`) while `aria-invalid`.
#[component]
pub fn FieldError(id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|text| {
            view! {
                <p class="field__error" id=id.clone()>
                    <span class="visually-hidden">"Error: "</span>
                    {text}
                </p>
            }
        })
    }
}

fn described_by(
    name: &'static str,
    has_hint: bool,
    error: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    move || {
        let ids: Vec<String> = [
            error.get().map(|_| format!("{name}-error")),
            has_hint.then(|| format!("{name}-hint")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// The error summary at the top of a form: announced by screen readers
/// (`role="alert"`) and focused when it appears, so keyboard users land on
/// it and can read what to fix.
#[component]
pub fn ErrorSummary(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let summary = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if error.get().is_some() {
            if let Some(element) = summary.get() {
                let _ = element.focus();
            }
        }
    });
    view! {
        <div class="error-summary" role="alert" tabindex="-1" node_ref=summary hidden=move || error.get().is_none()>
            {move || error.get().map(|error| view! { <p>{error.to_string()}</p> })}
        </div>
    }
}

/// A submit button that shows the request in flight and cannot be pressed
/// twice meanwhile.
#[component]
pub fn SubmitButton(
    label: &'static str,
    pending_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(default = "button")] class: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=class
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
        >
            {move || if pending.get() { pending_label } else { label }}
        </button>
    }
}

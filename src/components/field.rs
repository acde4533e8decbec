//! Labelled form inputs.

use leptos::prelude::*;

/// A labelled text-like input (`email`, `text`), with an optional hint that
/// is announced with the field.
#[component]
pub fn TextField(
    /// The visible label.
    label: &'static str,
    /// The form field name, also used as the element id.
    name: &'static str,
    /// The HTML input type.
    #[prop(default = "text")]
    input_type: &'static str,
    /// The `autocomplete` token that lets browsers and password managers fill it.
    autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{name}-hint");
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {hint.map(|text| view! { <p class="field__hint" id=hint_id.clone()>{text}</p> })}
            <input
                id=name
                name=name
                type=input_type
                autocomplete=autocomplete
                required=required
                aria-describedby=hint.map(|_| hint_id.clone())
            />
        </div>
    }
}

/// A password input with a "Show" toggle. The toggle needs JavaScript, so it
/// stays hidden until the page has hydrated; paste and password managers
/// always work.
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    /// `new-password` on sign-up, `current-password` on log-in.
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let hint_id = format!("{name}-hint");
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {hint.map(|text| view! { <p class="field__hint" id=hint_id.clone()>{text}</p> })}
            <div class="password-input">
                <input
                    id=name
                    name=name
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                    aria-describedby=hint.map(|_| hint_id.clone())
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

//! Reading a server function's arguments from the fields of the form that
//! submits it, in the browser: the same names the server reads from a
//! plain post. Each argument struct says how (`impl FromFields`), beside
//! its server function.

use leptos::{
    ev::SubmitEvent,
    wasm_bindgen::JsCast,
    web_sys::{FormData, HtmlFormElement},
};

/// The arguments of a server function, read from the fields of the form
/// that submits it (the same names the server reads from a plain post).
pub trait FromFields {
    fn from_fields(fields: &Fields) -> Self;
}

/// The fields of a submitted form, by name.
pub struct Fields(FormData);

impl Fields {
    /// The fields of the form `event` submits, if the browser can read them.
    pub fn submitted(event: &SubmitEvent) -> Option<Self> {
        let form = event.target()?.dyn_into::<HtmlFormElement>().ok()?;
        FormData::new_with_form(&form).ok().map(Self)
    }

    /// A field that may be left out (an unticked checkbox, say).
    pub fn optional(&self, name: &str) -> Option<String> {
        self.0.get(name).as_string()
    }

    /// A text field; empty when the form has no such field.
    pub fn text(&self, name: &str) -> String {
        self.optional(name).unwrap_or_default()
    }
}

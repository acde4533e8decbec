//! Leptos Accounts: sign-up, log-in, log-out and a profile, rendered on the
//! server, hydrated in the browser and navigated as a single-page app.
//!
//! The `ssr` feature builds the server (axum + SQLite); the `hydrate` feature
//! builds the browser bundle. `server`, `context`, `accounts` and `time` are
//! server-only; the rest is shared by both. docs/architecture.md has the
//! layers and which way imports point.

// The page's view is one deeply nested static type (that is what lets
// Leptos hydrate without a virtual DOM); the compiler needs more room for it.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod brand;
pub mod components;
pub mod error;
pub mod json;
pub mod page_data;
pub mod pages;
pub mod validation;

#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod context;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod time;

/// The browser entry point: hydrates the server-rendered page, then marks the
/// document so that people and tests can tell the page has become interactive.
///
/// `/signup` and `/profile` are lazy routes whose code arrives as a separate
/// WASM chunk: when the page is one of them, its chunk is loaded first, so
/// that the whole page can then hydrate in one synchronous pass (a smaller
/// bundle than hydrating asynchronously).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console help during development; the release
    // bundle leaves the hook (and its formatting code) out.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let path = leptos::prelude::location().pathname();
        app::load_lazy_page(path.as_deref().unwrap_or("/")).await;
        leptos::mount::hydrate_body(app::App);
        if let Some(root) = leptos::prelude::document().document_element() {
            // Styles use this to reveal controls that need JavaScript.
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
}

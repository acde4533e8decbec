//! The HTML document that every server-rendered page is poured into, with
//! its per-request Content Security Policy.

use std::sync::OnceLock;

use axum::http::{header::CONTENT_SECURITY_POLICY, HeaderValue};
use leptos::{nonce::use_nonce, prelude::*};
use leptos_axum::ResponseOptions;
use leptos_meta::MetaTags;

use super::security::content_security_policy;
use crate::app::App;
use crate::context::AppState;

/// leptos_axum mints a fresh nonce for every response and puts it on the
/// hydration scripts; the CSP header allows exactly those scripts.
pub fn shell() -> impl IntoView {
    if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
        let providers = use_context::<AppState>()
            .map(|state| state.accounts.providers().form_targets().to_owned())
            .unwrap_or_default();
        let mut policy = content_security_policy(&nonce, &providers);
        if cfg!(debug_assertions) {
            // `cargo leptos watch` reloads the page over a websocket.
            policy.push_str("; connect-src 'self' ws:");
        }
        if let Ok(value) = HeaderValue::from_str(&policy) {
            response.insert_header(CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                // Static, so it lives in the document rather than in the
                // app: the browser bundle needs no code for it. Inline, so
                // that a first visit makes no request (and pays no headers)
                // for it; /favicon.svg is the same image.
                <link rel="icon" type="image/svg+xml" href=FAVICON/>
                <DevelopmentReload/>
                <SiteAssets/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The script that reloads the page when `cargo leptos watch` rebuilds;
/// nothing otherwise (its check is made once, not per page).
#[component]
fn DevelopmentReload() -> impl IntoView {
    static WATCHING: OnceLock<bool> = OnceLock::new();
    let watching = *WATCHING.get_or_init(|| std::env::var_os("LEPTOS_WATCH").is_some());
    watching.then(|| {
        let options = expect_context::<AppState>().leptos_options.clone();
        view! { <AutoReload options/> }
    })
}

/// `public/favicon.svg` as a `data:` URL (allowed by the CSP's `img-src`).
pub const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
     viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%233b4fd8'/%3E\
     %3Ccircle cx='16' cy='12' r='5' fill='%23fff'/%3E%3Cpath d='M7 26c1.5-5 5-7.5 9-7.5s7.5 \
     2.5 9 7.5' fill='%23fff'/%3E%3C/svg%3E";

/// The stylesheet, the preloads and the hydration script of a page, as
/// `HashedStylesheet` and `HydrationScripts` write them, from the names
/// worked out at start-up (in the server's [`AppState`]).
#[component]
pub fn SiteAssets() -> impl IntoView {
    let state = expect_context::<AppState>();
    let assets = &state.assets;
    if let Some(split) = &assets.split {
        provide_context(split.clone());
    }
    let nonce = use_nonce();
    view! {
        <link rel="stylesheet" id="leptos" href=assets.stylesheet.clone()/>
        <link rel="modulepreload" href=assets.js.clone() crossorigin=nonce.clone()/>
        <link
            rel="preload"
            href=assets.wasm.clone()
            r#as="fetch"
            r#type="application/wasm"
            crossorigin=nonce.clone()
        />
        <script type="module" nonce=nonce>{assets.hydrate.clone()}</script>
    }
}

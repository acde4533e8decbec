//! `/`: what the product is, and the ways in.
//!
//! A public page: for a visitor without cookies and without a query it is
//! rendered once per server process and kept (`server::page_cache`), so
//! what it shows them comes only from the path and the configuration.

use leptos::prelude::*;

use crate::components::head::PageHead;

#[component]
pub fn HomePage() -> impl IntoView {
    // Where a deleted account's browser lands.
    let deleted = leptos_router::hooks::use_query_map()
        .with_untracked(|query| query.get("deleted").is_some());
    view! {
        <PageHead
            title="Home"
            description="Sign up, log in and manage your profile: accounts done properly, in Rust."
        />
        <section class="hero container">
            {deleted.then(|| view! {
                <p class="notice" role="status">"Your account was deleted. We mailed you a last message to confirm it."</p>
            })}
            <h1>"Accounts, done properly"</h1>
            <p class="lead">
                "Create an account, sign in and manage your profile. Pages arrive "
                "rendered from the server and keep working without JavaScript."
            </p>
            <p class="actions">
                <a href="/signup" class="button">"Create an account"</a>
                <a href="/login" class="button button--secondary">"Log in"</a>
            </p>
        </section>
    }
}

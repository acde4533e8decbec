//! The header with the site navigation, and the footer.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::SITE_NAME;

/// Site header: the product name and the main navigation. `<A>` marks the
/// link of the current page with `aria-current="page"`.
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="container site-header__inner">
                <A href="/" attr:class="brand">{SITE_NAME}</A>
                <nav aria-label="Main">
                    <ul class="nav-links">
                        <li><A href="/" exact=true>"Home"</A></li>
                        <li><A href="/signup">"Sign up"</A></li>
                        <li><A href="/login">"Log in"</A></li>
                    </ul>
                </nav>
            </div>
        </header>
    }
}

/// Site footer.
#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container">
                <p>
                    {SITE_NAME} " · Rust from the database to the browser: "
                    "Leptos, axum and SQLite."
                </p>
            </div>
        </footer>
    }
}

//! Shown for any path that is not a page. On the server the fallback handler
//! answers it with status 404.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <Title text="Page not found"/>
        <Meta name="robots" content="noindex"/>
        <section class="container narrow">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><A href="/">"Go to the home page"</A></p>
        </section>
    }
}

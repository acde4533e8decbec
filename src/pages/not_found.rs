//! Shown for any path that is not a page. On the server the fallback handler
//! answers it with status 404.

use leptos::prelude::*;

use crate::components::head::PageHead;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <PageHead
            title="Page not found"
            description="There is no page at this address."
            noindex=true
        />
        <section class="container narrow">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><a href="/">"Go to the home page"</a></p>
        </section>
    }
}

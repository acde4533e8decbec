//! `/`: what the product is, and the ways in.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home"/>
        <Meta
            name="description"
            content="Sign up, log in and manage your profile: accounts done properly, in Rust."
        />
        <section class="hero container">
            <h1>"Accounts, done properly"</h1>
            <p class="lead">
                "Create an account, sign in and manage your profile. Pages arrive "
                "rendered from the server and keep working without JavaScript."
            </p>
            <p class="actions">
                <A href="/signup" attr:class="button">"Create an account"</A>
                <A href="/login" attr:class="button button--secondary">"Log in"</A>
            </p>
        </section>
    }
}

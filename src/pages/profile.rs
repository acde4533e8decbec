//! `/profile`: the signed-in user's account.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Profile"/>
        <Meta name="description" content="Your account details."/>
        <section class="container narrow">
            <h1>"Profile"</h1>
            <p>"You are not signed in. " <A href="/login">"Log in"</A> " to see your profile."</p>
        </section>
    }
}

//! `/signup`: create an account.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

use crate::components::field::{PasswordField, TextField};

#[component]
pub fn SignupPage() -> impl IntoView {
    view! {
        <Title text="Sign up"/>
        <Meta name="description" content="Create your account."/>
        <section class="container narrow">
            <h1>"Sign up"</h1>
            <form class="card form" method="post" action="/api/auth/signup">
                <TextField
                    label="Email"
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    required=true
                />
                <PasswordField
                    label="Password"
                    name="password"
                    autocomplete="new-password"
                    hint="At least 15 characters. Spaces and any characters are welcome."
                />
                <TextField
                    label="Display name (optional)"
                    name="display_name"
                    autocomplete="nickname"
                />
                <button type="submit" class="button">"Sign up"</button>
            </form>
            <p>"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}

//! `/login`: sign in to an existing account.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

use crate::components::field::{PasswordField, TextField};

#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <Title text="Log in"/>
        <Meta name="description" content="Log in to your account."/>
        <section class="container narrow">
            <h1>"Log in"</h1>
            <form class="card form" method="post" action="/api/auth/login">
                <TextField
                    label="Email"
                    name="email"
                    input_type="email"
                    autocomplete="username"
                    required=true
                />
                <PasswordField label="Password" name="password" autocomplete="current-password"/>
                <div class="field field--inline">
                    <input id="remember" name="remember" type="checkbox" value="true"/>
                    <label for="remember">"Remember me"</label>
                </div>
                <button type="submit" class="button">"Log in"</button>
            </form>
            <p>"New here? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}

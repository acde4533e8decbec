//! The header with the site navigation, and the footer.

use leptos::{either::Either, prelude::*};
use leptos_router::{components::A, hooks::use_navigate};

use super::account::AccountState;
use crate::{api::auth::LogOut, app::SITE_NAME};

/// Site header: the product name and the main navigation, which shows the
/// signed-in user. `<A>` marks the current page with `aria-current="page"`.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let account = AccountState::expect();
    // What the nav calls the user; `None` when nobody is signed in.
    let name = Memo::new(move |_| {
        account
            .user
            .with(|user| user.as_ref().map(|profile| profile.name().to_owned()))
    });
    view! {
        <header class="site-header">
            <div class="container site-header__inner">
                <A href="/" attr:class="brand">{SITE_NAME}</A>
                <nav aria-label="Main">
                    <ul class="nav-links">
                        <li><A href="/" exact=true>"Home"</A></li>
                        {move || match name.get() {
                            Some(name) => Either::Left(view! {
                                <li><A href="/profile">{name}</A></li>
                                <li><LogOutButton/></li>
                            }),
                            None => Either::Right(view! {
                                <li><A href="/signup">"Sign up"</A></li>
                                <li><A href="/login">"Log in"</A></li>
                            }),
                        }}
                    </ul>
                </nav>
            </div>
        </header>
    }
}

/// Log-out is a POST form (never a link a crawler or prefetch could follow).
#[component]
fn LogOutButton() -> impl IntoView {
    let account = AccountState::expect();
    let log_out = ServerAction::<LogOut>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = log_out.value().get() {
            account.set_user(None);
            navigate("/", Default::default());
        }
    });
    view! {
        <ActionForm action=log_out attr:class="inline-form">
            <button type="submit" class="link-button" disabled=move || log_out.pending().get()>
                "Log out"
            </button>
        </ActionForm>
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

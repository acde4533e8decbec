//! The header with the site navigation, and the footer.

use leptos::{either::Either, prelude::*};
use leptos_router::hooks::{use_location, use_navigate};

use super::{
    account::AccountState,
    form::{form_action_then, ServerForm},
};
use crate::{api::auth::LogOut, brand::SITE_NAME};

/// Site header: the product name and the main navigation, which shows the
/// signed-in user and marks the current page.
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
                <a href="/" class="brand">{SITE_NAME}</a>
                <nav aria-label="Main">
                    <ul class="nav-links">
                        <li><NavLink href="/">"Home"</NavLink></li>
                        {move || match name.get() {
                            Some(name) => Either::Left(view! {
                                <li><NavLink href="/profile">{name}</NavLink></li>
                                <li><NavLink href="/settings">"Settings"</NavLink></li>
                                <li><LogOutButton/></li>
                            }),
                            None => Either::Right(view! {
                                <li><NavLink href="/signup">"Sign up"</NavLink></li>
                                <li><NavLink href="/login">"Log in"</NavLink></li>
                            }),
                        }}
                    </ul>
                </nav>
            </div>
        </header>
    }
}

/// A link of the main navigation, marked `aria-current="page"` while its
/// page is shown. (The router turns clicks on any same-site link into
/// in-app navigation; this only adds the marker.)
#[component]
fn NavLink(href: &'static str, children: Children) -> impl IntoView {
    let location = use_location();
    let current = move || {
        location
            .pathname
            .with(|path| path == href)
            .then_some("page")
    };
    view! { <a href=href aria-current=current>{children()}</a> }
}

/// Log-out is a POST form (never a link a crawler or prefetch could follow).
#[component]
fn LogOutButton() -> impl IntoView {
    let account = AccountState::expect();
    let navigate = use_navigate();
    let log_out = form_action_then::<LogOut>(move |()| {
        account.set_user(None);
        navigate("/", Default::default());
    });
    view! {
        <ServerForm action=log_out class="inline-form">
            <button type="submit" class="link-button" disabled=move || log_out.pending().get()>
                "Log out"
            </button>
        </ServerForm>
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

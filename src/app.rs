//! The application: the router and the route table. (The HTML document
//! around it is server-only: `server::document`.)

use leptos::prelude::*;
use leptos_router::{
    components::{FlatRoutes, Route, Router},
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

use crate::components::{
    account::AccountState,
    external::SignInProviders,
    layout::{SiteFooter, SiteHeader},
};
use crate::pages::{
    cancel_email_change::CancelEmailChangePage, confirm_email::ConfirmEmailPage,
    external_sign_in::ExternalSignInPage, forgot_password::ForgotPasswordPage, home::HomePage,
    login::LoginPage, login_code::LoginCodePage, login_link::LoginLinkPage,
    not_found::NotFoundPage, profile::ProfilePage, reset_password::ResetPasswordPage,
    settings::SettingsPage, signup::SignupPage, verify_email::VerifyEmailPage,
};

/// The application: layout around the routed page.
///
/// Routes render in `SsrMode::Async`: the server waits for the page's data
/// (the signed-in user, form errors) before sending HTML, so the first load
/// is complete without JavaScript.
#[component]
pub fn App() -> impl IntoView {
    // The server collects each page's title and meta tags into the head;
    // the browser needs no such context (see `components::head`).
    #[cfg(feature = "ssr")]
    leptos_meta::provide_meta_context();
    AccountState::provide();
    SignInProviders::provide();

    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <main id="main" tabindex="-1">
                <FlatRoutes fallback=NotFoundPage>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("signup") view={Lazy::<SignupRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("login-code") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("login-link") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("external-sign-in") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("profile") view={Lazy::<PersonalRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("settings") view={Lazy::<PersonalRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("forgot-password") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reset-password") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("verify-email") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("confirm-email") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("cancel-email-change") view={Lazy::<LinkRoute>::new()} ssr=SsrMode::Async/>
                </FlatRoutes>
            </main>
            <SiteFooter/>
        </Router>
    }
}

/// Loads the code of the page at `path` when it is one of the lazy routes
/// below, so that the page can then hydrate in one synchronous pass. Every
/// lazy route must be listed here: a first visit to an unlisted one could
/// not hydrate (the browser tests load each page first).
#[cfg(feature = "hydrate")]
pub async fn load_lazy_page(path: &str) {
    match path {
        "/signup" => SignupRoute::preload().await,
        "/profile" | "/settings" => PersonalRoute::preload().await,
        "/forgot-password"
        | "/login-code"
        | "/login-link"
        | "/external-sign-in"
        | "/reset-password"
        | "/verify-email"
        | "/confirm-email"
        | "/cancel-email-change" => LinkRoute::preload().await,
        _ => {}
    }
}

// Each lazy route is one more chunk and one more entry in the first
// download's loader, so pages that are visited together share one: the
// signed-in pages, and the pages of mailed links (with the form that asks
// for one).

/// `/signup`, loaded on demand: its code is not part of the first download
/// of other pages.
struct SignupRoute;

#[lazy_route]
impl LazyRoute for SignupRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SignupPage/> }.into_any()
    }
}

/// `/profile` and `/settings`, loaded on demand.
struct PersonalRoute;

#[lazy_route]
impl LazyRoute for PersonalRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        if current_path() == "/settings" {
            view! { <SettingsPage/> }.into_any()
        } else {
            view! { <ProfilePage/> }.into_any()
        }
    }
}

/// `/forgot-password`, `/login-link`, the pages mailed links open and the
/// second step of a log-in, loaded on demand.
struct LinkRoute;

#[lazy_route]
impl LazyRoute for LinkRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        match current_path().as_str() {
            "/reset-password" => view! { <ResetPasswordPage/> }.into_any(),
            "/verify-email" => view! { <VerifyEmailPage/> }.into_any(),
            "/confirm-email" => view! { <ConfirmEmailPage/> }.into_any(),
            "/cancel-email-change" => view! { <CancelEmailChangePage/> }.into_any(),
            "/login-code" => view! { <LoginCodePage/> }.into_any(),
            "/login-link" => view! { <LoginLinkPage/> }.into_any(),
            "/external-sign-in" => view! { <ExternalSignInPage/> }.into_any(),
            _ => view! { <ForgotPasswordPage/> }.into_any(),
        }
    }
}

/// The path of the page being shown.
fn current_path() -> String {
    leptos_router::hooks::use_location()
        .pathname
        .get_untracked()
}

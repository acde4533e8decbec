//! The application: the router and the route table. (The HTML document
//! around it is server-only: `server::document`.)

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

use crate::components::{
    account::AccountState,
    layout::{SiteFooter, SiteHeader},
};
use crate::pages::{
    forgot_password::ForgotPasswordPage, home::HomePage, login::LoginPage, not_found::NotFoundPage,
    profile::ProfilePage, reset_password::ResetPasswordPage, signup::SignupPage,
    verify_email::VerifyEmailPage,
};

/// The product's name, as shown in titles and the header.
pub const SITE_NAME: &str = "Leptos Accounts";

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

    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("signup") view={Lazy::<SignupRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("profile") view={Lazy::<ProfileRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reset-password") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("verify-email") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
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
        "/profile" => ProfileRoute::preload().await,
        "/forgot-password" => ForgotPasswordRoute::preload().await,
        "/reset-password" => ResetPasswordRoute::preload().await,
        "/verify-email" => VerifyEmailRoute::preload().await,
        _ => {}
    }
}

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

/// `/profile`, loaded on demand.
struct ProfileRoute;

#[lazy_route]
impl LazyRoute for ProfileRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ProfilePage/> }.into_any()
    }
}

/// `/forgot-password`, loaded on demand.
struct ForgotPasswordRoute;

#[lazy_route]
impl LazyRoute for ForgotPasswordRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ForgotPasswordPage/> }.into_any()
    }
}

/// `/reset-password`, loaded on demand.
struct ResetPasswordRoute;

#[lazy_route]
impl LazyRoute for ResetPasswordRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ResetPasswordPage/> }.into_any()
    }
}

/// `/verify-email`, loaded on demand.
struct VerifyEmailRoute;

#[lazy_route]
impl LazyRoute for VerifyEmailRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <VerifyEmailPage/> }.into_any()
    }
}

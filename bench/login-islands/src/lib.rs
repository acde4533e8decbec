//! The product's `/login` in islands mode: the server renders the layout
//! and the page; only the log-in form, an island, is hydrated in the
//! browser, and the islands router swaps each next page's HTML in.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

#[cfg(feature = "ssr")]
pub mod server;

/// The product's log-in answers: here always the wrong-password one.
#[server(endpoint = "auth/login", prefix = "/api")]
pub async fn log_in(email: String, password: String) -> Result<(), ServerFnError> {
    let _ = (email, password);
    Err(ServerFnError::ServerError(
        "That email and password do not match an account. Check both and try again.".into(),
    ))
}

/// The form, as on the product's `/login`: error summary, email, password
/// with its "Show" toggle, "Remember me", and a submit button that shows
/// the request in flight. It reads its fields from the submitted form, as
/// the product does, rather than with `ActionForm`.
#[island]
fn LogInForm() -> impl IntoView {
    let log_in =
        Action::new(|(email, password): &(String, String)| log_in(email.clone(), password.clone()));
    let error = move || {
        log_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let visible = RwSignal::new(false);
    // As the product's `hydrate()` does: the stylesheet then shows the
    // controls that need JavaScript.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        use leptos::{
            wasm_bindgen::JsCast,
            web_sys::{FormData, HtmlFormElement},
        };
        let Some(form) = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        let Ok(fields) = FormData::new_with_form(&form) else {
            return;
        };
        event.prevent_default();
        let field = |name: &str| fields.get(name).as_string().unwrap_or_default();
        log_in.dispatch((field("email"), field("password")));
    };
    view! {
        <form method="post" action="/api/auth/login" class="card form" novalidate on:submit=submit>
            <div class="error-summary" role="alert" tabindex="-1" hidden=move || error().is_none()>
                {move || error().map(|message| view! { <p>{message}</p> })}
            </div>
            <div class="field">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <div class="password-input">
                    <input
                        id="password"
                        name="password"
                        type=move || if visible.get() { "text" } else { "password" }
                        autocomplete="current-password"
                        required
                    />
                    <button
                        type="button"
                        class="button button--quiet js-only"
                        aria-controls="password"
                        aria-pressed=move || visible.get().to_string()
                        on:click=move |_| visible.update(|shown| *shown = !*shown)
                    >
                        {move || if visible.get() { "Hide" } else { "Show" }}
                        <span class="visually-hidden">" password"</span>
                    </button>
                </div>
            </div>
            <div class="field field--inline">
                <input id="remember" name="remember" type="checkbox" value="true"/>
                <label for="remember">"Remember me"</label>
            </div>
            <button type="submit" class="button" disabled=move || log_in.pending().get()>
                {move || if log_in.pending().get() { "Logging in…" } else { "Log in" }}
            </button>
        </form>
    }
}

#[component]
fn LoginPage() -> impl IntoView {
    view! {
        <section class="container narrow">
            <h1>"Log in"</h1>
            <LogInForm/>
            <p><a href="/forgot-password">"Forgot your password?"</a></p>
            <p>"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    view! {
        <section class="hero container">
            <h1>"Accounts, done properly"</h1>
            <p class="actions">
                <a href="/signup" class="button">"Create an account"</a>
                <a href="/login" class="button button--secondary">"Log in"</a>
            </p>
        </section>
    }
}

/// Rendered by the server only; in the browser the islands router fetches
/// the next page and swaps its HTML in.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="site-header">
                <div class="container site-header__inner">
                    <a href="/" class="brand">"Leptos Accounts"</a>
                    <nav aria-label="Main">
                        <ul class="nav-links">
                            <li><a href="/">"Home"</a></li>
                            <li><a href="/signup">"Sign up"</a></li>
                            <li><a href="/login">"Log in"</a></li>
                        </ul>
                    </nav>
                </div>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=|| "Page not found">
                    <Route path=path!("") view=HomePage/>
                    <Route path=path!("login") view=LoginPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}

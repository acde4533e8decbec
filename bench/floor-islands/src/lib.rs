//! The floor's page in islands mode: the server renders the router and the
//! page; only the form, an island, is hydrated in the browser.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

#[server]
pub async fn greet(name: String) -> Result<String, ServerFnError> {
    Ok(format!("Hello, {name}"))
}

/// The one interactive part of the page.
#[island]
fn Greeter() -> impl IntoView {
    let greet = ServerAction::<Greet>::new();
    view! {
        <ActionForm action=greet>
            <input name="name"/>
            <button type="submit">"Greet"</button>
        </ActionForm>
        <p>{move || greet.value().get().and_then(Result::ok)}</p>
    }
}

#[component]
fn Home() -> impl IntoView {
    view! { <Greeter/> }
}

/// Rendered by the server only; in the browser the islands router swaps
/// the page's HTML on navigation.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=|| "Not found">
                <Route path=path!("") view=Home/>
            </Routes>
        </Router>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}

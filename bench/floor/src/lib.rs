//! One page with one form that calls one server function, routed and
//! hydrated the idiomatic way (`ActionForm`, `hydrate_body`): what a Leptos
//! app with a form starts from before its own code.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

#[server]
pub async fn greet(name: String) -> Result<String, ServerFnError> {
    Ok(format!("Hello, {name}"))
}

#[component]
fn Home() -> impl IntoView {
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
fn App() -> impl IntoView {
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
    leptos::mount::hydrate_body(App);
}

//! Forms that submit to a server function, with or without JavaScript.

use leptos::{
    ev::SubmitEvent,
    prelude::*,
    server_fn::{codec::PostUrl, Http, ServerFn},
};

use crate::api::fields::{Fields, FromFields};

/// What a form of server function `S` dispatches: its arguments in, its
/// answer out.
pub type FormAction<S> = Action<S, Result<<S as ServerFn>::Output, <S as ServerFn>::Error>>;

/// A new action that calls server function `S` from the browser.
///
/// Leptos's `ServerAction` does the same, and also reads an error that its
/// own JavaScript-free protocol leaves in the URL; this app leaves it in a
/// cookie instead (`FormEcho`), so that reader (a base64 and JSON decoder in
/// every page's bundle) is left out.
pub fn form_action<S>() -> FormAction<S>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    Action::new(|input: &S| S::run_on_client(input.clone()))
}

/// [`form_action`], and `then` with the answer of each call that succeeds,
/// before the action's value shows it: what the page does next (update the
/// signed-in user, go to another page).
pub fn form_action_then<S>(then: impl Fn(&S::Output) + Send + Sync + 'static) -> FormAction<S>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    form_action_settled(move |answer: &Result<S::Output, S::Error>| {
        if let Ok(output) = answer {
            then(output);
        }
    })
}

/// [`form_action`], and `settled` with every answer, before the action's
/// value shows it: for a page whose next step may follow an error too (a
/// log-in that asks for a second factor). Cheaper than watching the value
/// with an effect.
pub fn form_action_settled<S>(
    settled: impl Fn(&Result<S::Output, S::Error>) + Send + Sync + 'static,
) -> FormAction<S>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let settled = std::sync::Arc::new(settled);
    Action::new(move |input: &S| {
        let answer = S::run_on_client(input.clone());
        let settled = settled.clone();
        async move {
            let answer = answer.await;
            settled(&answer);
            answer
        }
    })
}

/// A `<form>` that posts to `action`'s server function.
///
/// Until the page has hydrated (or without JavaScript at all) the browser
/// posts it itself and the server answers with a redirect. Once hydrated, a
/// submission reads the fields into the function's arguments and dispatches
/// `action`: the page stays, and shows progress and errors in place.
///
/// The browser's own validation pop-ups are off (`novalidate`): the
/// server's messages are more specific, and the same with or without
/// JavaScript.
///
/// This does what Leptos's `ActionForm` does, but reads the arguments with
/// [`FromFields`] instead of a generic query-string deserializer, which
/// alone was a tenth of the browser bundle.
#[component]
pub fn ServerForm<S, OutputProtocol>(
    action: FormAction<S>,
    class: &'static str,
    children: Children,
) -> impl IntoView
where
    // Form-encoded arguments: what a browser posts without JavaScript.
    S: ServerFn<Protocol = Http<PostUrl, OutputProtocol>>
        + FromFields
        + Clone
        + Send
        + Sync
        + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let submit = move |event: SubmitEvent| {
        // A button that posts elsewhere (`formaction`: confirming sudo mode
        // at an external provider) is left to the browser.
        let elsewhere = event
            .submitter()
            .is_some_and(|button| button.has_attribute("formaction"));
        if event.default_prevented() || elsewhere {
            return;
        }
        // If the fields cannot be read, the browser's own post still works.
        if let Some(fields) = Fields::submitted(&event) {
            event.prevent_default();
            action.dispatch(S::from_fields(&fields));
        }
    };
    view! {
        <form method="post" action=S::url() class=class novalidate on:submit=submit>
            {children()}
        </form>
    }
}

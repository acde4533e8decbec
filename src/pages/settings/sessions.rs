//! The settings page's sessions section: where the account is signed in,
//! and signing those browsers out.

use leptos::prelude::*;

use super::parts::{readable, returned_with, Pending, SudoPassword};
use crate::{
    api::{
        account::{account_sessions, EndOtherSessions, EndSession},
        FormEcho, FormId, SessionView,
    },
    components::{
        field::{form_error, ErrorSummary, SubmitButton},
        form::{form_action_then, ServerForm},
    },
    error::AppError,
    validation::Field,
};

#[component]
pub(super) fn SessionsSection() -> impl IntoView {
    let sessions = crate::page_data::resource(|| (), |_| account_sessions());
    // A JavaScript-free post that needed the password comes back with the
    // error and the session it was for.
    let echo = FormEcho::take(FormId::EndSession);
    let others_echo = FormEcho::take(FormId::EndOtherSessions);
    let ended = returned_with("ended");
    let status = RwSignal::new(match ended.as_deref() {
        Some("others") => Some("Every other browser was signed out."),
        Some(_) => Some("That browser was signed out."),
        None => None,
    });
    view! {
        <h2 id="sessions">"Where you are signed in"</h2>
        <p class="form-status" role="status">{move || status.get()}</p>
        <Transition>
            {move || {
                let echo = echo.clone();
                let others_echo = others_echo.clone();
                Suspend::new(async move {
                    let list = sessions.await.unwrap_or_default();
                    let has_others = list.iter().any(|session| !session.current);
                    view! {
                        <ul class="card sessions">
                            {list
                                .into_iter()
                                .map(|session| {
                                    let echo = echo
                                        .clone()
                                        .filter(|echo| echo.value(Field::Session) == Some(session.id.to_string()));
                                    view! { <SessionItem session echo sessions status/> }
                                })
                                .collect_view()}
                        </ul>
                        {has_others.then(|| view! { <EndOthers echo=others_echo sessions status/> })}
                    }
                })
            }}
        </Transition>
    }
}

type Sessions = Resource<Result<Vec<SessionView>, AppError>, crate::json::Json>;

#[component]
fn SessionItem(
    session: SessionView,
    echo: Option<FormEcho>,
    sessions: Sessions,
    status: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let pending = Pending::expect();
    let end = form_action_then::<EndSession>(move |()| {
        status.set(Some("That browser was signed out."));
        sessions.refetch();
        pending.refetch();
    });
    let error = form_error(move || end.value().get(), echo.map(|echo| echo.error));
    let label = format!("Sign out {}", session.device);
    view! {
        <li>
            <p>
                <strong>{session.device.clone()}</strong>
                {session.current.then(|| view! { " " <span class="badge">"This browser"</span> })}
            </p>
            <p class="muted">
                {format!("IP {} · signed in ", session.ip)}
                <time datetime=session.created.clone()>{readable(&session.created)}</time>
                " · last active "
                <time datetime=session.last_seen.clone()>{readable(&session.last_seen)}</time>
            </p>
            {(!session.current).then(|| view! {
                <ServerForm action=end class="form form--inline">
                    <ErrorSummary error/>
                    <input type="hidden" name="id" value=session.id.to_string()/>
                    <SudoPassword id=format!("session-{}-password", session.id) error/>
                    <button type="submit" class="button button--secondary" aria-label=label disabled=move || end.pending().get()>
                        "Sign out"
                    </button>
                </ServerForm>
            })}
        </li>
    }
}

#[component]
fn EndOthers(
    echo: Option<FormEcho>,
    sessions: Sessions,
    status: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let pending = Pending::expect();
    let end = form_action_then::<EndOtherSessions>(move |_| {
        status.set(Some("Every other browser was signed out."));
        sessions.refetch();
        pending.refetch();
    });
    let error = form_error(move || end.value().get(), echo.map(|echo| echo.error));
    view! {
        <ServerForm action=end class="card form">
            <ErrorSummary error/>
            <SudoPassword id="others-password".to_owned() error/>
            <SubmitButton label="Sign out everywhere else" pending_label="Signing out…" pending=end.pending() class="button button--secondary"/>
        </ServerForm>
    }
}

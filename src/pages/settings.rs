//! `/settings`: the signed-in user changes their password and email, sees
//! where they are signed in and ends those sessions, or deletes the
//! account. Every form works without JavaScript.
//!
//! Changing the email, ending sessions and deleting the account need the
//! password entered in the last few minutes. When the server asks for it
//! (403), the form shows a password field and keeps what was typed; the
//! same button then finishes the action.

use leptos::{either::Either, prelude::*};
use leptos_router::{
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

use crate::{
    api::{
        account::{
            account_sessions, ChangeEmail, ChangePassword, DeleteAccount, EndOtherSessions,
            EndSession,
        },
        FormEcho, FormId, SessionView,
    },
    components::{
        account::AccountState,
        field::{field_error, form_error, ErrorSummary, PasswordField, SubmitButton, TextField},
        form::ServerForm,
        head::PageHead,
    },
    error::AppError,
    pages::signup::PASSWORD_HINT,
    validation::{Field, EMAIL_MAX_CHARS},
};

const LOGIN_THEN_SETTINGS: &str = "/login?next=/settings";

#[component]
pub fn SettingsPage() -> impl IntoView {
    let account = AccountState::expect();
    let signed_in = Memo::new(move |_| account.user.with(Option::is_some));
    let navigate = use_navigate();
    // Set once the account is deleted: the browser goes home, not to log in.
    let deleted = Deleted(RwSignal::new(false));
    provide_context(deleted);
    Effect::new(move |_| {
        if !signed_in.get() && !deleted.0.get_untracked() {
            navigate(
                LOGIN_THEN_SETTINGS,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! {
        <PageHead title="Settings" description="Change your password and email, see where you are signed in, or delete your account."/>
        <section class="container narrow">
            <h1>"Settings"</h1>
            {move || if signed_in.get() {
                Either::Left(view! {
                    <PasswordSection/>
                    <EmailSection/>
                    <SessionsSection/>
                    <DeleteSection/>
                })
            } else {
                Either::Right(view! {
                    <p>"You are not signed in. " <a href=LOGIN_THEN_SETTINGS>"Log in"</a> " to change your settings."</p>
                })
            }}
        </section>
    }
}

/// Whether this page's account was just deleted.
#[derive(Clone, Copy)]
struct Deleted(RwSignal<bool>);

/// What a plain (JavaScript-free) form post that succeeded came back with:
/// `?changed=password`, `?sent=email`, `?ended=…`.
fn returned_with(key: &'static str) -> Option<String> {
    use_query_map().with_untracked(|query| query.get(key))
}

/// The password field a form shows once the server asked for it (sudo
/// mode had lapsed), and after a wrong one. Several forms may show one at
/// once, so each has its own element `id`.
#[component]
fn SudoPassword(id: String, #[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let asked = Memo::new(move |_| {
        error.with(|error| match error {
            Some(AppError::SudoRequired) => true,
            Some(error) => error.field_message(Field::CurrentPassword).is_some(),
            None => false,
        })
    });
    let message = field_error(error, Field::CurrentPassword);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || match message.get() {
            Some(_) => format!("{error_id} {hint_id}"),
            None => hint_id.clone(),
        }
    };
    view! {
        <Show when=move || asked.get()>
            <div class="field">
                <label for=id.clone()>"Your password"</label>
                <p class="field__hint" id=hint_id.clone()>
                    "For your security, enter your password again to continue. It is not asked again for the next few minutes."
                </p>
                {
                    let error_id = error_id.clone();
                    move || message.get().map(|text| view! {
                        <p class="field__error" id=error_id.clone()>
                            <span class="visually-hidden">"Error: "</span>
                            {text}
                        </p>
                    })
                }
                <input
                    id=id.clone()
                    name="current_password"
                    type="password"
                    autocomplete="current-password"
                    required
                    aria-invalid=move || message.get().map(|_| "true")
                    aria-describedby=described_by.clone()
                />
            </div>
        </Show>
    }
}

#[component]
fn PasswordSection() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let echo = FormEcho::take(FormId::ChangePassword);
    let error = form_error(
        move || change.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let changed_before = returned_with("changed").is_some();
    let changed = move || {
        matches!(change.value().get(), Some(Ok(())))
            || (changed_before && change.value().with(Option::is_none))
    };
    view! {
        <h2 id="password">"Password"</h2>
        <ServerForm action=change class="card form">
            <ErrorSummary error/>
            <p class="form-status" role="status">
                {move || changed().then_some("Your password was changed. Every other browser signed in to your account was signed out.")}
            </p>
            <PasswordField
                label="Current password"
                name="current_password"
                autocomplete="current-password"
                error=field_error(error, Field::CurrentPassword)
            />
            <PasswordField
                label="New password"
                name="new_password"
                autocomplete="new-password"
                hint=PASSWORD_HINT
                error=field_error(error, Field::Password)
            />
            <SubmitButton label="Change password" pending_label="Changing…" pending=change.pending()/>
        </ServerForm>
    }
}

#[component]
fn EmailSection() -> impl IntoView {
    let account = AccountState::expect();
    let change = ServerAction::<ChangeEmail>::new();
    let echo = FormEcho::take(FormId::ChangeEmail);
    let error = form_error(
        move || change.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let typed = echo.as_ref().and_then(|echo| echo.value(Field::Email));
    let sent_before = returned_with("sent").is_some();
    let sent = move || {
        matches!(change.value().get(), Some(Ok(())))
            || (sent_before && change.value().with(Option::is_none))
    };
    view! {
        <h2 id="email">"Email address"</h2>
        <ServerForm action=change class="card form">
            <ErrorSummary error/>
            <p>"Your email address is " <strong>{move || account.detail(|profile| &profile.email)}</strong> "."</p>
            <p class="form-status" role="status">
                {move || sent().then_some("We sent a link to the new address. Open it within 24 hours to finish the change; until then, your address stays as it is.")}
            </p>
            <TextField
                label="New email address"
                name="new_email"
                input_type="email"
                autocomplete="email"
                maxlength=EMAIL_MAX_CHARS
                value=typed
                error=field_error(error, Field::Email)
            />
            <SudoPassword id="email-password".to_owned() error/>
            <SubmitButton label="Send a confirmation link" pending_label="Sending…" pending=change.pending()/>
        </ServerForm>
    }
}

#[component]
fn SessionsSection() -> impl IntoView {
    let sessions = Resource::new(|| (), |_| account_sessions());
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

type Sessions = Resource<Result<Vec<SessionView>, AppError>>;

#[component]
fn SessionItem(
    session: SessionView,
    echo: Option<FormEcho>,
    sessions: Sessions,
    status: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let error = form_error(move || end.value().get(), echo.map(|echo| echo.error));
    Effect::new(move |_| {
        if let Some(Ok(())) = end.value().get() {
            status.set(Some("That browser was signed out."));
            sessions.refetch();
        }
    });
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
    let end = ServerAction::<EndOtherSessions>::new();
    let error = form_error(move || end.value().get(), echo.map(|echo| echo.error));
    Effect::new(move |_| {
        if let Some(Ok(_)) = end.value().get() {
            status.set(Some("Every other browser was signed out."));
            sessions.refetch();
        }
    });
    view! {
        <ServerForm action=end class="card form">
            <ErrorSummary error/>
            <SudoPassword id="others-password".to_owned() error/>
            <SubmitButton label="Sign out everywhere else" pending_label="Signing out…" pending=end.pending() class="button button--secondary"/>
        </ServerForm>
    }
}

/// `2026-11-24 09:30 UTC` from `2026-11-24T09:30:00Z`.
fn readable(rfc3339: &str) -> String {
    let minutes = rfc3339.get(..16).unwrap_or(rfc3339);
    format!("{} UTC", minutes.replacen('T', " ", 1))
}

#[component]
fn DeleteSection() -> impl IntoView {
    let account = AccountState::expect();
    let delete = ServerAction::<DeleteAccount>::new();
    let echo = FormEcho::take(FormId::DeleteAccount);
    let error = form_error(
        move || delete.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let typed = echo
        .as_ref()
        .and_then(|echo| echo.value(Field::ConfirmEmail));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            expect_context::<Deleted>().0.set(true);
            account.set_user(None);
            navigate("/?deleted=1", Default::default());
        }
    });
    let email = account.detail(|profile| &profile.email);
    view! {
        <h2 id="delete">"Delete your account"</h2>
        <ServerForm action=delete class="card form">
            <ErrorSummary error/>
            <p>
                "This deletes your account at once, with its sessions and its activity. "
                "It cannot be undone. We mail you a last message to confirm it."
            </p>
            <TextField
                label="Type your email address to confirm"
                name="confirm_email"
                input_type="email"
                autocomplete="off"
                hint="Exactly as your account has it."
                maxlength=EMAIL_MAX_CHARS
                value=typed
                error=field_error(error, Field::ConfirmEmail)
            />
            <p class="muted">"Your account's address: " {email}</p>
            <SudoPassword id="delete-password".to_owned() error/>
            <SubmitButton label="Delete my account" pending_label="Deleting…" pending=delete.pending() class="button button--danger"/>
        </ServerForm>
    }
}

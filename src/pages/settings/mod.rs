//! `/settings`: the signed-in user changes their password and email, sets
//! up two-step log-in and passkeys, sees where they are signed in and ends
//! those sessions, or deletes the account. Every form works without
//! JavaScript, except adding a passkey, which the browser itself makes.
//!
//! Changing the email, ending sessions and deleting the account need the
//! password entered in the last few minutes. When the server asks for it
//! (403), the form shows a password field and keeps what was typed; the
//! same button then finishes the action.

mod email;
mod parts;
mod passkeys;
mod sessions;
mod sign_ins;
mod two_factor;

use leptos::{either::Either, prelude::*};
use leptos_router::{hooks::use_navigate, NavigateOptions};

use crate::{
    api::{
        account::{ChangePassword, DeleteAccount},
        FormEcho, FormId,
    },
    components::{
        account::AccountState,
        field::{field_error, form_error, ErrorSummary, PasswordField, SubmitButton, TextField},
        form::{form_action_then, ServerForm},
        head::PageHead,
    },
    pages::signup::PASSWORD_HINT,
    validation::{Field, EMAIL_MAX_CHARS},
};
use email::EmailSection;
use parts::{returned_with, Passkeys, Pending, SignInList, SudoPassword};
use passkeys::PasskeysSection;
use sessions::SessionsSection;
use sign_ins::SignInsSection;
use two_factor::TwoFactorSection;

const LOGIN_THEN_SETTINGS: &str = "/login?next=/settings";

#[component]
pub fn SettingsPage() -> impl IntoView {
    let account = AccountState::expect();
    let signed_in = Memo::new(move |_| account.user.with(Option::is_some));
    let navigate = use_navigate();
    // Set once the account is deleted: the browser goes home, not to log in.
    let deleted = Deleted(RwSignal::new(false));
    provide_context(deleted);
    // Changing the password and ending sessions also cancel them.
    Pending::provide();
    // Their section lists them; password prompts offer them.
    Passkeys::provide();
    SignInList::provide();
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
            {(returned_with("identity").as_deref() == Some("confirmed")).then(|| view! {
                <p class="form-status" role="status">
                    "You confirmed it is you. For the next few minutes, changing your settings does not ask again."
                </p>
            })}
            {move || if signed_in.get() {
                Either::Left(view! {
                    <PasswordSection/>
                    <EmailSection/>
                    <TwoFactorSection/>
                    <PasskeysSection/>
                    <SignInsSection/>
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

#[component]
fn PasswordSection() -> impl IntoView {
    let pending = Pending::expect();
    let change = form_action_then::<ChangePassword>(move |()| pending.refetch());
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
fn DeleteSection() -> impl IntoView {
    let account = AccountState::expect();
    let navigate = use_navigate();
    let deleted = expect_context::<Deleted>().0;
    let delete = form_action_then::<DeleteAccount>(move |()| {
        deleted.set(true);
        account.set_user(None);
        navigate("/?deleted=1", Default::default());
    });
    let echo = FormEcho::take(FormId::DeleteAccount);
    let error = form_error(
        move || delete.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let typed = echo
        .as_ref()
        .and_then(|echo| echo.value(Field::ConfirmEmail));
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

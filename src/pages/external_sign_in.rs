//! `/external-sign-in`: where a sign-in through an external provider ends
//! when it did not simply sign in. It shows, in turn:
//! - `?failed=…`: what went wrong, and the other ways in;
//! - `?token=…`: the mailed link that links the provider's identity to
//!   the account that has its address (only in the browser holding it);
//! - otherwise, the identity waiting in this browser: a new account to
//!   accept, or an existing account to prove first.

use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{
        external::{
            pending_external_identity, ConfirmIdentityProof, CreateExternalAccount,
            LinkWaitingIdentity, MailIdentityProof, WaitingIdentity,
        },
        links::{link_is_live, LinkKind},
        FormEcho, FormId,
    },
    components::{
        account::{signed_in_to_profile, AccountState},
        field::{field_error, form_error, ErrorSummary, PasswordField, SubmitButton, TextField},
        form::{form_action, form_action_settled, form_action_then, ServerForm},
        head::PageHead,
    },
    error::AppError,
    validation::Field,
};

#[component]
pub fn ExternalSignInPage() -> impl IntoView {
    let (failed, token) =
        use_query_map().with_untracked(|query| (query.get("failed"), query.get("token")));
    view! {
        <PageHead title="Finish signing in" description="Finish signing in with another provider."/>
        <section class="container narrow">
            {match (failed, token) {
                (Some(reason), _) => EitherOf3::A(view! { <Failed reason/> }),
                (None, Some(token)) => EitherOf3::B(view! { <ProofLink token/> }),
                (None, None) => EitherOf3::C(view! { <Waiting/> }),
            }}
        </section>
    }
}

/// Why a provider's sign-in did not go through, and the other ways in.
#[component]
fn Failed(reason: String) -> impl IntoView {
    let message = match reason.as_str() {
        "denied" => "You did not allow the sign-in at the provider, so nothing happened.",
        "expired" => {
            "The sign-in took too long, was already used, or was started in another browser. \
             Start it again."
        }
        "unavailable" => {
            "The provider could not be reached. Try again in a few minutes, or use another way in."
        }
        "rejected" => {
            "The provider's answer could not be accepted, so you were not signed in. Try again, \
             or use another way in."
        }
        "no-email" => {
            "The provider did not share an email address we can use. Allow it to share your \
             address, or use another way in."
        }
        "taken" => "That sign-in already belongs to another account here.",
        "unverified" => {
            "The provider has not confirmed that this email address is yours, so no account \
             can be made with it. Confirm it at the provider, or sign up with your email here."
        }
        "not-linked" => {
            "That sign-in is not linked to your account, so it could not confirm it is you. \
             Use your password, or the provider you linked."
        }
        "too-many" => {
            "There were too many sign-ins from your network. Wait a minute and try again."
        }
        _ => "Something went wrong on our side. Try again in a moment.",
    };
    view! {
        <h1>"We could not sign you in"</h1>
        <div class="card">
            <p role="alert">{message}</p>
            <p>"Other ways in:"</p>
            <ul>
                <li><a href="/login">"Log in with your password or a passkey"</a></li>
                <li><a href="/login-link">"Email me a sign-in link"</a></li>
                <li><a href="/signup">"Create an account"</a></li>
            </ul>
        </div>
    }
}

/// The identity waiting in this browser, if any.
#[component]
fn Waiting() -> impl IntoView {
    let waiting = crate::page_data::resource(|| (), |_| pending_external_identity());
    let sent = use_query_map().with_untracked(|query| query.get("sent").is_some());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match waiting.await {
                    Ok(Some(identity)) => match identity.account.clone() {
                        None => EitherOf3::A(view! { <NewAccount identity/> }),
                        Some(account) => EitherOf3::B(view! { <ProveAccount identity account sent/> }),
                    },
                    _ => EitherOf3::C(view! { <NothingWaiting/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NothingWaiting() -> impl IntoView {
    view! {
        <h1>"Nothing to finish"</h1>
        <div class="card">
            <p role="alert">
                "No sign-in with another provider is waiting in this browser. One waits for 30 "
                "minutes: start again from the log-in page."
            </p>
            <p><a href="/login">"Go to log in"</a></p>
        </div>
    }
}

/// A new person: their account, from the provider's name and address.
#[component]
fn NewAccount(identity: WaitingIdentity) -> impl IntoView {
    let account = AccountState::expect();
    let navigate = use_navigate();
    let create = form_action_then::<CreateExternalAccount>(move |profile| {
        account.set_user(Some(profile.clone()));
        navigate("/profile", Default::default());
    });
    let echo = FormEcho::take(FormId::CreateExternalAccount);
    let error = form_error(
        move || create.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let name = echo
        .as_ref()
        .and_then(|echo| echo.value(Field::DisplayName))
        .unwrap_or_else(|| identity.display_name.clone());
    let WaitingIdentity {
        provider,
        email,
        email_verified,
        ..
    } = identity;
    view! {
        <h1>"Create your account"</h1>
        <ServerForm action=create class="card form">
            <ErrorSummary error/>
            <p>"You signed in with " {provider.clone()} " as " <strong>{email}</strong> ". This makes an account here with that address, which signs in with " {provider} "."</p>
            {(!email_verified).then(|| view! {
                <p>"The provider has not confirmed that this address is yours, so we will mail it a link to confirm it."</p>
            })}
            <TextField
                label="Display name (optional)"
                name="display_name"
                autocomplete="name"
                value=Some(name)
                error=field_error(error, Field::DisplayName)
            />
            <SubmitButton label="Create my account" pending_label="Creating…" pending=create.pending()/>
        </ServerForm>
        <p>"Not you, or not now? " <a href="/login">"Back to log in"</a></p>
    }
}

/// An account already has the identity's address: its owner proves it is
/// theirs before anything is linked.
#[component]
fn ProveAccount(identity: WaitingIdentity, account: String, sent: bool) -> impl IntoView {
    let provider = identity.provider.clone();
    if identity.signed_in_to_account {
        return Either::Left(view! { <LinkSignedIn provider/> });
    }
    let mail = form_action::<MailIdentityProof>();
    let echo = FormEcho::take(FormId::MailIdentityProof);
    let error = form_error(
        move || mail.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let sent = move || sent || matches!(mail.value().get(), Some(Ok(())));
    let masked = account.clone();
    Either::Right(view! {
        <h1>"This address already has an account"</h1>
        <div class="card">
            <p>"You signed in with " {provider.clone()} " as " <strong>{identity.email}</strong> ", and an account here (" {account.clone()} ") already uses that address."</p>
            <p>"Nothing is linked until you prove that this account is yours, in one of two ways:"</p>
            <ol>
                <li>
                    <a href="/login?next=/external-sign-in">"Log in to your account"</a>
                    " in this browser (with your password, a passkey or a sign-in link), then come back here to link " {provider.clone()} "."
                </li>
                <li>"Or open a link we mail to " {account} " in this browser."</li>
            </ol>
            <p class="form-status" role="status">
                {move || sent().then(|| format!(
                    "We sent a link to {masked}. Open it in this browser within 15 minutes."
                ))}
            </p>
            <ServerForm action=mail class="form form--inline">
                <ErrorSummary error/>
                <SubmitButton label="Email me the link" pending_label="Sending…" pending=mail.pending()/>
            </ServerForm>
        </div>
    })
}

/// Signed in to the account the identity's address belongs to: link it.
#[component]
fn LinkSignedIn(provider: String) -> impl IntoView {
    let navigate = use_navigate();
    let link = form_action_then::<LinkWaitingIdentity>(move |()| {
        navigate("/settings?identity=linked#sign-ins", Default::default());
    });
    let echo = FormEcho::take(FormId::LinkWaitingIdentity);
    let error = form_error(
        move || link.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    // Linking needs the password entered lately, as in settings.
    let asked = Memo::new(move |_| {
        error.with(|error| match error {
            Some(AppError::SudoRequired) => true,
            Some(error) => error.field_message(Field::CurrentPassword).is_some(),
            None => false,
        })
    });
    view! {
        <h1>"Link " {provider.clone()} " to your account"</h1>
        <ServerForm action=link class="card form">
            <ErrorSummary error/>
            <p>"You are signed in to the account with this address. Link them, and " {provider.clone()} " signs in to it from now on."</p>
            <Show when=move || asked.get()>
                <PasswordField
                    label="Your password"
                    name="current_password"
                    autocomplete="current-password"
                    hint="For your security, enter your password again to link a new way in."
                    error=field_error(error, Field::CurrentPassword)
                />
            </Show>
            <SubmitButton label="Link this sign-in" pending_label="Linking…" pending=link.pending()/>
        </ServerForm>
    }
}

/// The mailed link that proves the account is the person's.
#[component]
fn ProofLink(token: String) -> impl IntoView {
    let live = link_is_live(token.clone(), LinkKind::LinkIdentity);
    view! {
        <h1>"Link your sign-in"</h1>
        <Suspense>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    if live.await {
                        Either::Left(view! { <ProofForm token/> })
                    } else {
                        Either::Right(view! { <DeadProof/> })
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn ProofForm(token: String) -> impl IntoView {
    let confirm = form_action_settled::<ConfirmIdentityProof>(signed_in_to_profile());
    let echo = FormEcho::take(FormId::ConfirmIdentityProof);
    let error = form_error(
        move || confirm.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let dead = Memo::new(move |_| matches!(error.get(), Some(AppError::LinkInvalid)));
    view! {
        {move || if dead.get() {
            Either::Right(view! { <DeadProof/> })
        } else {
            let token = token.clone();
            Either::Left(view! {
                <ServerForm action=confirm class="card form">
                    <ErrorSummary error/>
                    <p>"Press the button to link the provider you signed in with in this browser to your account, and sign in."</p>
                    <input type="hidden" name="token" value=token/>
                    <SubmitButton label="Link and sign in" pending_label="Linking…" pending=confirm.pending()/>
                </ServerForm>
            })
        }}
    }
}

#[component]
fn DeadProof() -> impl IntoView {
    view! {
        <div class="card">
            <p role="alert">
                "This link has expired or was already used, or this is not the browser where you "
                "signed in with the provider. Nothing was linked."
            </p>
            <p><a href="/login">"Start again from the log-in page"</a></p>
        </div>
    }
}

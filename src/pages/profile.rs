//! `/profile`: the signed-in user's account. Anonymous visitors are sent to
//! the log-in page: by a 303 from the server on a first load, by a
//! client-side navigation after hydration.

use leptos::{either::Either, prelude::*};
use leptos_router::{hooks::use_navigate, NavigateOptions};

use crate::{
    api::{
        profile::{recent_activity, UpdateDisplayName},
        recovery::ResendVerification,
        FormEcho, FormId,
    },
    components::{
        account::AccountState,
        field::{field_error, form_error, ErrorSummary, SubmitButton, TextField},
        form::{form_action, form_action_then, ServerForm},
        head::PageHead,
    },
    validation::{check_display_name, Field, DISPLAY_NAME_MAX_CHARS},
};

const LOGIN_THEN_PROFILE: &str = "/login?next=/profile";

#[component]
pub fn ProfilePage() -> impl IntoView {
    let account = AccountState::expect();
    let signed_in = Memo::new(move |_| account.user.with(Option::is_some));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if !signed_in.get() {
            navigate(
                LOGIN_THEN_PROFILE,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    view! {
        <PageHead title="Profile" description="Your account details."/>
        <section class="container narrow">
            <h1>"Profile"</h1>
            {move || if signed_in.get() {
                Either::Left(view! { <ProfileDetails/> })
            } else {
                Either::Right(view! {
                    <p>"You are not signed in. " <a href=LOGIN_THEN_PROFILE>"Log in"</a> " to see your profile."</p>
                })
            }}
        </section>
    }
}

/// The account's details. They follow the signed-in user, so a new display
/// name shows at once while the form below keeps its state.
#[component]
fn ProfileDetails() -> impl IntoView {
    let account = AccountState::expect();
    let display_name = Memo::new(move |_| account.detail(|profile| &profile.display_name));
    let member_since = move || account.detail(|profile| &profile.member_since);
    view! {
        <dl class="card details">
            <div><dt>"Email"</dt><dd>{move || account.detail(|profile| &profile.email)}</dd></div>
            <div>
                <dt>"Display name"</dt>
                <dd>
                    {move || if display_name.with(String::is_empty) {
                        Either::Left(view! { <span class="muted">"Not set"</span> })
                    } else {
                        Either::Right(display_name.get())
                    }}
                </dd>
            </div>
            <div><dt>"Member since"</dt><dd><time datetime=member_since>{member_since}</time></dd></div>
        </dl>
        <Show when=move || account.user.with(|user| user.as_ref().is_some_and(|profile| !profile.email_verified))>
            <Unverified/>
        </Show>
        <p><a href="/settings">"Change your password or email, see where you are signed in, or delete your account"</a></p>
        <DisplayNameForm current=display_name.get_untracked()/>
        <RecentActivity/>
    }
}

/// Says that the address is not verified yet, and sends the link again.
#[component]
fn Unverified() -> impl IntoView {
    let resend = form_action::<ResendVerification>();
    let echo = FormEcho::take(FormId::ResendVerification);
    let error = form_error(
        move || resend.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    // A post without JavaScript comes back as `?verification=sent`.
    let sent_before = leptos_router::hooks::use_query_map()
        .with_untracked(|query| query.get("verification").as_deref() == Some("sent"));
    let sent = move || {
        matches!(resend.value().get(), Some(Ok(())))
            || (sent_before && resend.value().with(Option::is_none))
    };
    view! {
        <h2>"Confirm your email address"</h2>
        <ServerForm action=resend class="card form">
            <ErrorSummary error/>
            <p>"Your email address is not confirmed yet. We mailed you a link when you signed up: open it to confirm that the address is yours."</p>
            <p class="form-status" role="status">
                {move || sent().then_some("We sent a new link. It works for 24 hours.")}
            </p>
            <SubmitButton label="Send the link again" pending_label="Sending…" pending=resend.pending()/>
        </ServerForm>
    }
}

/// The user's latest security events, so they can spot what they did not do.
#[component]
fn RecentActivity() -> impl IntoView {
    let account = AccountState::expect();
    // Refreshed whenever the account changes (a new name, say).
    let activity = crate::page_data::resource(move || account.user.get(), |_| recent_activity());
    view! {
        <h2>"Recent activity"</h2>
        <Transition>
            {move || Suspend::new(async move {
                let entries = activity.await.unwrap_or_default();
                view! {
                    <ol class="card activity">
                        {entries
                            .into_iter()
                            .map(|entry| view! {
                                <li>
                                    <strong>{entry.what}</strong>
                                    <span class="muted">{format!(" · {} · {}", entry.at, entry.ip)}</span>
                                    <br/>
                                    <small class="muted">{entry.device}</small>
                                </li>
                            })
                            .collect_view()}
                    </ol>
                }
            })}
        </Transition>
    }
}

/// Changes the display name. The rules run in the browser as the user
/// types and again on the server: the same function, the same messages.
#[component]
fn DisplayNameForm(current: String) -> impl IntoView {
    let account = AccountState::expect();
    // Errors and values left by a JavaScript-free submission.
    let echo = FormEcho::take(FormId::DisplayName);
    let typed_problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let update = form_action_then::<UpdateDisplayName>(move |profile| {
        saved.set(true);
        account.set_user(Some(profile.clone()));
    });
    let error = form_error(
        move || update.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let from_server = field_error(error, Field::DisplayName);
    let message = Signal::derive(move || typed_problem.get().or_else(|| from_server.get()));
    let value = echo
        .as_ref()
        .and_then(|echo| echo.value(Field::DisplayName))
        .unwrap_or(current);

    view! {
        <h2>"Change your display name"</h2>
        <ServerForm action=update class="card form">
            <ErrorSummary error/>
            <p class="form-status" role="status">
                {move || saved.get().then_some("Your display name was saved.")}
            </p>
            <TextField
                label="Display name"
                name="display_name"
                autocomplete="nickname"
                hint="Shown in the navigation instead of your email. Leave empty to use your email."
                maxlength=DISPLAY_NAME_MAX_CHARS
                value=Some(value)
                error=message
                on_input=Callback::new(move |typed: String| {
                    saved.set(false);
                    typed_problem.set(check_display_name(&typed).err().map(|p| p.message()));
                })
            />
            <SubmitButton label="Save display name" pending_label="Saving…" pending=update.pending()/>
        </ServerForm>
    }
}

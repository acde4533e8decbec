//! `/login-code`: the second step of a log-in for an account with an
//! authenticator app: the code from the app, or one of the recovery codes.
//! Plain forms, so they work without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{auth::LogInSecondFactor, safe_next, FormEcho, FormId},
    components::{
        account::AccountState,
        field::{field_error, form_error, CodeField, ErrorSummary, SubmitButton},
        form::{form_action_then, ServerForm},
        head::PageHead,
    },
    validation::Field,
};

#[component]
pub fn LoginCodePage() -> impl IntoView {
    let account = AccountState::expect();
    let echo = FormEcho::take(FormId::SecondFactor);
    let query = use_query_map();
    let recovery = Memo::new(move |_| query.with(|query| query.get("recovery").is_some()));
    let next = query.with_untracked(|query| {
        query
            .get("next")
            .and_then(|next| safe_next(&next).map(str::to_owned))
    });
    let navigate = use_navigate();
    let target = next.clone();
    let finish = form_action_then::<LogInSecondFactor>(move |profile| {
        account.set_user(Some(profile.clone()));
        let location = if recovery.get_untracked() {
            "/settings?recovery=used#two-factor".to_owned()
        } else {
            target.clone().unwrap_or_else(|| "/profile".to_owned())
        };
        navigate(&location, Default::default());
    });
    let error = form_error(
        move || finish.value().get(),
        echo.as_ref().map(|echo| echo.error.clone()),
    );
    let with_next = move |recovery: bool| {
        let mut link = String::from("/login-code?");
        if let Some(next) = &next {
            link.push_str("next=");
            link.push_str(&query_encode(next));
            link.push('&');
        }
        if recovery {
            link.push_str("recovery=1");
        }
        link
    };
    let code_link = with_next(false);
    let recovery_link = with_next(true);
    let hidden_next = query
        .with_untracked(|query| query.get("next"))
        .map(|next| view! { <input type="hidden" name="next" value=next/> });

    view! {
        <PageHead title="Two-step log-in" description="Enter the code from your app."/>
        <section class="container narrow">
            <h1>"Two-step log-in"</h1>
            <ServerForm action=finish class="card form">
                <ErrorSummary error/>
                {move || if recovery.get() {
                    view! {
                        <CodeField
                            label="Recovery code"
                            name="recovery_code"
                            inputmode="text"
                            hint="Each one works once."
                            error=field_error(error, Field::RecoveryCode)
                        />
                    }.into_any()
                } else {
                    view! {
                        <CodeField
                            label="Enter the code from your app"
                            name="code"
                            inputmode="numeric"
                            hint="6 digits, from your authenticator app."
                            error=field_error(error, Field::Code)
                        />
                    }.into_any()
                }}
                {hidden_next}
                <SubmitButton label="Log in" pending_label="Checking…" pending=finish.pending()/>
            </ServerForm>
            {move || if recovery.get() {
                view! { <p><a href=code_link.clone()>"Use your app instead"</a></p> }
            } else {
                view! { <p><a href=recovery_link.clone()>"Use a recovery code"</a></p> }
            }}
            <p class="muted">"Lost both? Ask the site's operator."</p>
        </section>
    }
}

/// `value` percent-encoded for a query string.
fn query_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

//! The settings page's two-step log-in section: setting up an
//! authenticator app (a QR code the server draws, or the secret to type),
//! turning it on with a code, the recovery codes (shown once, to download
//! or copy), making new ones, and turning it off.

use leptos::prelude::*;

use super::parts::{returned_with, SudoPassword};
use crate::{
    api::{
        two_factor::{
            two_factor_status, DisableTwoFactor, EnableTotp, RegenerateRecoveryCodes, StartTotp,
            TotpStarted, TwoFactorView,
        },
        FormEcho, FormId,
    },
    components::{
        field::{field_error, form_error, CodeField, ErrorSummary, SubmitButton},
        form::{form_action_then, ServerForm},
    },
    error::AppError,
    validation::Field,
};

type Status = Resource<Result<TwoFactorView, AppError>, crate::json::Json>;

/// What JavaScript-free posts left for each form.
#[derive(Clone, Default)]
struct Echoes {
    start: Option<FormEcho>,
    enable: Option<FormEcho>,
    disable: Option<FormEcho>,
    regenerate: Option<FormEcho>,
}

#[component]
pub(super) fn TwoFactorSection() -> impl IntoView {
    let status: Status = crate::page_data::resource(|| (), |_| two_factor_status());
    // Codes an action just made (with JavaScript), shown once.
    let fresh = RwSignal::new(None::<Vec<String>>);
    let echoes = Echoes {
        start: FormEcho::take(FormId::StartTotp),
        enable: FormEcho::take(FormId::EnableTotp),
        disable: FormEcho::take(FormId::DisableTwoFactor),
        regenerate: FormEcho::take(FormId::RegenerateRecoveryCodes),
    };
    let used_code = returned_with("recovery").is_some();
    view! {
        <h2 id="two-factor">"Two-step log-in"</h2>
        // Outside the transition: showing the codes must not re-render the
        // form whose action made them while that action finishes.
        {move || fresh.get().map(|codes| view! { <FreshCodes codes/> })}
        <Transition>
            {move || {
                let echoes = echoes.clone();
                Suspend::new(async move {
                    match status.await {
                        Ok(view) => {
                            let codes = view.fresh_codes.clone();
                            view! {
                                {codes.map(|codes| view! { <FreshCodes codes/> })}
                                <Factor view echoes status fresh used_code/>
                            }
                            .into_any()
                        }
                        Err(_) => view! {
                            <p class="card">"Could not load this. Reload the page."</p>
                        }
                        .into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn Factor(
    view: TwoFactorView,
    echoes: Echoes,
    status: Status,
    fresh: RwSignal<Option<Vec<String>>>,
    used_code: bool,
) -> impl IntoView {
    if view.totp_on {
        let left = view.recovery_codes_left;
        view! {
            <div class="card">
                <p>"On: log-ins ask for a code from your app."</p>
                {used_code.then(|| view! {
                    <p class="form-status" role="status">"You used a recovery code."</p>
                })}
                <p>{format!("Recovery codes left: {left} of 10.")}</p>
            </div>
            <Regenerate echo=echoes.regenerate status fresh/>
            <Disable echo=echoes.disable status fresh/>
        }
        .into_any()
    } else if let Some(setup) = view.setup {
        view! { <Enable setup echo=echoes.enable status fresh/> }.into_any()
    } else {
        view! { <Start echo=echoes.start status/> }.into_any()
    }
}

#[component]
fn Start(echo: Option<FormEcho>, status: Status) -> impl IntoView {
    let start = form_action_then::<StartTotp>(move |_| status.refetch());
    let error = form_error(move || start.value().get(), echo.map(|echo| echo.error));
    view! {
        <ServerForm action=start class="card form">
            <ErrorSummary error/>
            <p>"Off. An authenticator app adds a code to your password at log-in."</p>
            <SudoPassword id="totp-start-password".to_owned() error/>
            <SubmitButton label="Set up an authenticator app" pending_label="Starting…" pending=start.pending()/>
        </ServerForm>
    }
}

#[component]
fn Enable(
    setup: TotpStarted,
    echo: Option<FormEcho>,
    status: Status,
    fresh: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let enable = form_action_then::<EnableTotp>(move |codes| {
        fresh.set(Some(codes.recovery_codes.clone()));
        status.refetch();
    });
    let error = form_error(move || enable.value().get(), echo.map(|echo| echo.error));
    view! {
        <ServerForm action=enable class="card form">
            <ErrorSummary error/>
            <p>"Scan this with your authenticator app:"</p>
            <div class="qr-code" inner_html=setup.qr_svg></div>
            <p>"Or type this key: " <code class="secret" id="totp-secret">{setup.secret}</code></p>
            <CodeField
                label="Code from the app"
                name="code"
                inputmode="numeric"
                error=field_error(error, Field::Code)
            />
            <SubmitButton label="Turn on" pending_label="Checking…" pending=enable.pending()/>
        </ServerForm>
    }
}

#[component]
fn Regenerate(
    echo: Option<FormEcho>,
    status: Status,
    fresh: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let regenerate = form_action_then::<RegenerateRecoveryCodes>(move |codes| {
        fresh.set(Some(codes.recovery_codes.clone()));
        status.refetch();
    });
    let error = form_error(
        move || regenerate.value().get(),
        echo.map(|echo| echo.error),
    );
    view! {
        <ServerForm action=regenerate class="card form">
            <ErrorSummary error/>
            <SudoPassword id="codes-password".to_owned() error/>
            <SubmitButton label="Make new recovery codes" pending_label="Making…" pending=regenerate.pending() class="button button--secondary"/>
        </ServerForm>
    }
}

#[component]
fn Disable(
    echo: Option<FormEcho>,
    status: Status,
    fresh: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let disable = form_action_then::<DisableTwoFactor>(move |()| {
        fresh.set(None);
        status.refetch();
    });
    let error = form_error(move || disable.value().get(), echo.map(|echo| echo.error));
    view! {
        <ServerForm action=disable class="card form">
            <ErrorSummary error/>
            <SudoPassword id="totp-off-password".to_owned() error/>
            <SubmitButton label="Turn off" pending_label="Turning off…" pending=disable.pending() class="button button--danger"/>
        </ServerForm>
    }
}

/// The recovery codes just made: shown this once, to save.
#[component]
fn FreshCodes(codes: Vec<String>) -> impl IntoView {
    let text = codes.join("\n") + "\n";
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        text.replace('\n', "%0A")
    );
    view! {
        <div class="card recovery-codes" role="region" aria-labelledby="recovery-codes-title">
            <h3 id="recovery-codes-title">"Your recovery codes"</h3>
            <p>"Save them now: they are shown once. Each logs you in once without your app."</p>
            <ul class="codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
            <p>
                <a class="button button--secondary" href=download download="recovery-codes.txt">"Download them"</a>
            </p>
        </div>
    }
}

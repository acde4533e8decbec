//! The settings page's section of sign-ins through external providers:
//! the ones linked to the account (each can be unlinked, unless it is the
//! last way in) and a button per configured provider to link it. Both
//! need sudo mode; both are plain forms that work without JavaScript.

use leptos::prelude::*;

use super::parts::{returned_with, SignInList, SudoPassword};
use crate::{
    api::{
        sign_ins::{LinkedSignIn, SetProviderCode, SignIns, StartSignInLink, UnlinkSignIn},
        FormEcho, FormId,
    },
    components::{
        field::{form_error, ErrorSummary},
        form::{form_action_then, ServerForm},
    },
    error::AppError,
    json::Json,
    validation::Field,
};

type List = Resource<Result<SignIns, AppError>, Json>;

/// Shown only when the site has providers, or the account has a linked
/// sign-in from a provider since removed from the configuration.
#[component]
pub(super) fn SignInsSection() -> impl IntoView {
    let list: List = SignInList::expect().0;
    let unlink_echo = FormEcho::take(FormId::UnlinkSignIn);
    let link_echo = FormEcho::take(FormId::StartSignInLink);
    let code_echo = FormEcho::take(FormId::SetProviderCode);
    let status = RwSignal::new(match returned_with("identity").as_deref() {
        Some("linked") => Some("The sign-in was linked. It now signs in to your account."),
        Some("unlinked") => {
            Some("The sign-in was unlinked. It no longer signs in to your account.")
        }
        Some("taken") => {
            Some("That sign-in already belongs to another account here, so it was not linked.")
        }
        _ => None,
    });
    view! {
        <Transition>
            {move || {
                let (unlink_echo, link_echo) = (unlink_echo.clone(), link_echo.clone());
                let code_echo = code_echo.clone();
                Suspend::new(async move {
                    let Ok(SignIns { linked, providers, has_second_factor, provider_asks_code }) = list.await else {
                        return None;
                    };
                    // Whether a provider's sign-in asks for the app's code:
                    // for an account with both.
                    let code = (has_second_factor && !linked.is_empty()).then(|| {
                        view! { <ProviderCode asks=provider_asks_code echo=code_echo list status/> }
                    });
                    if linked.is_empty() && providers.is_empty() {
                        return None;
                    }
                    Some(view! {
                        <h2 id="sign-ins">"Other sign-ins"</h2>
                        <p class="form-status" role="status">{move || status.get()}</p>
                        <p>"Providers linked here sign in to your account, as your password does."</p>
                        {linked.is_empty().then(|| view! { <p class="muted">"None is linked yet."</p> })}
                        <ul class="card passkeys">
                            {linked
                                .into_iter()
                                .map(|identity| {
                                    let echo = unlink_echo.clone().filter(|echo| {
                                        echo.value(Field::Identity) == Some(identity.id.to_string())
                                    });
                                    view! { <Linked identity echo list status/> }
                                })
                                .collect_view()}
                        </ul>
                        {code}
                        {providers
                            .into_iter()
                            .map(|(name, label)| {
                                let echo = link_echo
                                    .clone()
                                    .filter(|echo| echo.value(Field::Identity).as_ref() == Some(&name));
                                view! { <LinkProvider name label echo/> }
                            })
                            .collect_view()}
                    })
                })
            }}
        </Transition>
    }
}

#[component]
fn Linked(
    identity: LinkedSignIn,
    echo: Option<FormEcho>,
    list: List,
    status: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let unlink = form_action_then::<UnlinkSignIn>(move |()| {
        status.set(Some(
            "The sign-in was unlinked. It no longer signs in to your account.",
        ));
        list.refetch();
    });
    let error = form_error(move || unlink.value().get(), echo.map(|echo| echo.error));
    let id = identity.id;
    let used = identity.last_used.map_or_else(
        || "not used to sign in yet".to_owned(),
        |when| format!("last used {when}"),
    );
    let label = format!("Unlink {} ({})", identity.provider, identity.email);
    view! {
        <li>
            <p><strong>{identity.provider.clone()}</strong> " · " {identity.email.clone()}</p>
            <p class="muted">{format!("Linked {} · {used}", identity.added)}</p>
            <ServerForm action=unlink class="form form--inline">
                <ErrorSummary error/>
                <input type="hidden" name="identity" value=id.to_string()/>
                <SudoPassword id=format!("identity-{id}-password") error/>
                <button
                    type="submit"
                    class="button button--danger"
                    aria-label=label
                    disabled=move || unlink.pending().get()
                >
                    "Unlink"
                </button>
            </ServerForm>
        </li>
    }
}

/// "Link Acme ID": to the provider and back, then here again.
#[component]
fn LinkProvider(name: String, label: String, echo: Option<FormEcho>) -> impl IntoView {
    let link = form_action_then::<StartSignInLink>(move |url: &String| {
        // The provider is another site: the browser goes there.
        let _ = window().location().set_href(url);
    });
    let error = form_error(move || link.value().get(), echo.map(|echo| echo.error));
    let id = format!("link-{name}-password");
    view! {
        <ServerForm action=link class="form form--inline">
            <ErrorSummary error/>
            <input type="hidden" name="provider" value=name/>
            <SudoPassword id error/>
            <button type="submit" class="button button--secondary" disabled=move || link.pending().get()>
                "Link " {label}
            </button>
        </ServerForm>
    }
}

const ASKS: &str =
    "Signing in with a linked provider asks for your app's code, as your password does.";
const TRUSTS: &str = "Signing in with a linked provider no longer asks for your app's code: the provider's own sign-in counts for both steps.";

/// Whether a linked provider's sign-in asks for the authenticator app's
/// code (it does unless the person says otherwise).
#[component]
fn ProviderCode(
    asks: bool,
    echo: Option<FormEcho>,
    list: List,
    status: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let set = form_action_then::<SetProviderCode>(move |()| {
        status.set(Some(if asks { TRUSTS } else { ASKS }));
        list.refetch();
    });
    let error = form_error(move || set.value().get(), echo.map(|echo| echo.error));
    let (now, change, to) = if asks {
        (ASKS, "Stop asking for the code after a provider", "0")
    } else {
        (TRUSTS, "Ask for the code after a provider", "1")
    };
    view! {
        <ServerForm action=set class="form form--inline">
            <ErrorSummary error/>
            <p>{now}</p>
            <input type="hidden" name="ask" value=to/>
            <SudoPassword id="provider-code-password".to_owned() error/>
            <button type="submit" class="button button--secondary" disabled=move || set.pending().get()>
                {change}
            </button>
        </ServerForm>
    }
}

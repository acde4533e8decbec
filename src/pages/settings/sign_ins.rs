//! The settings page's section of sign-ins through external providers:
//! the ones linked to the account (each can be unlinked, unless it is the
//! last way in) and a button per configured provider to link it. Both
//! need sudo mode; both are plain forms that work without JavaScript.

use leptos::prelude::*;

use super::parts::{returned_with, SignInList, SudoPassword};
use crate::{
    api::{
        external::{LinkedSignIn, SignIns, StartSignInLink, UnlinkSignIn},
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
                Suspend::new(async move {
                    let Ok(SignIns { linked, providers }) = list.await else {
                        return None;
                    };
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

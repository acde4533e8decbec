//! The settings page's passkeys section: the account's passkeys (name,
//! when added, when last used), adding one (this needs JavaScript: the
//! browser makes the passkey), and renaming or removing one (plain forms,
//! with or without JavaScript).

use leptos::prelude::*;

use super::parts::{returned_with, Passkeys, SudoPassword};
use crate::{
    api::{
        fields::Fields,
        passkeys::{
            finish_adding_passkey, start_adding_passkey, PasskeyList, PasskeyView, RemovePasskey,
            RenamePasskey,
        },
        FormEcho, FormId,
    },
    components::{
        field::{field_error, form_error, ErrorSummary, FieldError, SubmitButton},
        form::{form_action_then, ServerForm},
        passkey::{create_passkey, Refusal},
    },
    error::AppError,
    json::Json,
    validation::{check_passkey_name, Field, PASSKEY_NAME_MAX_CHARS},
};

type List = Resource<Result<PasskeyList, AppError>, Json>;

/// What the section says after a change.
type Status = RwSignal<Option<&'static str>>;

#[component]
pub(super) fn PasskeysSection() -> impl IntoView {
    let list: List = Passkeys::expect().0;
    let rename_echo = FormEcho::take(FormId::RenamePasskey);
    let remove_echo = FormEcho::take(FormId::RemovePasskey);
    // A JavaScript-free post that worked comes back saying what it did.
    let status: Status = RwSignal::new(match returned_with("passkey").as_deref() {
        Some("renamed") => Some("The passkey was renamed."),
        Some("removed") => Some("The passkey was removed. It no longer signs you in."),
        _ => None,
    });
    view! {
        <h2 id="passkeys">"Passkeys"</h2>
        <p class="form-status" role="status">{move || status.get()}</p>
        <Transition>
            {move || {
                let (rename_echo, remove_echo) = (rename_echo.clone(), remove_echo.clone());
                Suspend::new(async move {
                    match list.await {
                        Ok(PasskeyList { available: false, .. }) => view! {
                            <p class="card">
                                "Passkeys cannot be used at this site's address: they need a name "
                                "such as example.com, not a number."
                            </p>
                        }
                        .into_any(),
                        Ok(PasskeyList { passkeys, .. }) => {
                            let about = |echo: &Option<FormEcho>, id: i64| {
                                echo.clone()
                                    .filter(|echo| echo.value(Field::Passkey) == Some(id.to_string()))
                            };
                            view! {
                                <p>
                                    "A passkey signs you in with your device's screen lock or "
                                    "security key, without your password or a code."
                                </p>
                                {passkeys.is_empty().then(|| view! { <p class="muted">"You have no passkey yet."</p> })}
                                <ul class="card passkeys">
                                    {passkeys
                                        .into_iter()
                                        .map(|passkey| {
                                            let rename_echo = about(&rename_echo, passkey.id);
                                            let remove_echo = about(&remove_echo, passkey.id);
                                            view! { <PasskeyItem passkey rename_echo remove_echo list status/> }
                                        })
                                        .collect_view()}
                                </ul>
                                <AddPasskey list status/>
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
fn PasskeyItem(
    passkey: PasskeyView,
    rename_echo: Option<FormEcho>,
    remove_echo: Option<FormEcho>,
    list: List,
    status: Status,
) -> impl IntoView {
    let rename = form_action_then::<RenamePasskey>(move |()| {
        status.set(Some("The passkey was renamed."));
        list.refetch();
    });
    let remove = form_action_then::<RemovePasskey>(move |()| {
        status.set(Some("The passkey was removed. It no longer signs you in."));
        list.refetch();
    });
    let typed = rename_echo
        .as_ref()
        .and_then(|echo| echo.value(Field::PasskeyName))
        .unwrap_or_else(|| passkey.name.clone());
    let rename_error = form_error(
        move || rename.value().get(),
        rename_echo.map(|echo| echo.error),
    );
    let remove_error = form_error(
        move || remove.value().get(),
        remove_echo.map(|echo| echo.error),
    );
    let name_error = field_error(rename_error, Field::PasskeyName);
    let id = passkey.id;
    let name_of = format!(" of the passkey {}", passkey.name);
    let rename_label = format!("Rename the passkey {}", passkey.name);
    let remove_label = format!("Remove the passkey {}", passkey.name);
    let input_id = format!("passkey-{id}-name");
    let error_id = format!("passkey-{id}-name-error");
    let used = passkey.last_used.map_or_else(
        || "never used".to_owned(),
        |when| format!("last used {when}"),
    );
    view! {
        <li>
            <p><strong>{passkey.name.clone()}</strong></p>
            <p class="muted">{format!("Added {} · {used}", passkey.added)}</p>
            <ServerForm action=rename class="form form--inline">
                <ErrorSummary error=rename_error/>
                <input type="hidden" name="id" value=id.to_string()/>
                <div class="field">
                    <label for=input_id.clone()>
                        "Name"
                        <span class="visually-hidden">{name_of}</span>
                    </label>
                    <FieldError id=error_id.clone() message=name_error/>
                    <input
                        id=input_id
                        name="name"
                        type="text"
                        autocomplete="off"
                        required
                        maxlength=PASSKEY_NAME_MAX_CHARS
                        value=typed
                        aria-invalid=move || name_error.get().map(|_| "true")
                        aria-describedby=move || name_error.get().map(|_| error_id.clone())
                    />
                </div>
                <SudoPassword id=format!("passkey-{id}-rename-password") error=rename_error/>
                <button
                    type="submit"
                    class="button button--secondary"
                    aria-label=rename_label
                    disabled=move || rename.pending().get()
                >
                    "Rename"
                </button>
            </ServerForm>
            <ServerForm action=remove class="form form--inline">
                <ErrorSummary error=remove_error/>
                <input type="hidden" name="id" value=id.to_string()/>
                <SudoPassword id=format!("passkey-{id}-remove-password") error=remove_error/>
                <button
                    type="submit"
                    class="button button--danger"
                    aria-label=remove_label
                    disabled=move || remove.pending().get()
                >
                    "Remove"
                </button>
            </ServerForm>
        </li>
    }
}

/// Adding a passkey: its name first, then the browser makes it.
#[component]
fn AddPasskey(list: List, status: Status) -> impl IntoView {
    let add = Action::new_local(|(name, password): &(String, Option<String>)| {
        add_passkey(name.clone(), password.clone())
    });
    let error = Signal::derive(move || match add.value().get() {
        Some(Err(Refusal::Server(error))) => Some(error),
        Some(Err(Refusal::AlreadyAdded)) => Some(AppError::invalid(
            crate::validation::Problem::PasskeyAlreadyAdded,
        )),
        _ => None,
    });
    let note = move || match add.value().get() {
        Some(Err(refusal @ (Refusal::Cancelled | Refusal::Unsupported))) => Some(refusal.message()),
        _ => None,
    };
    let name_error = field_error(error, Field::PasskeyName);
    let name = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            status.set(Some("Passkey added. You can sign in with it now."));
            if let Some(input) = name.get_untracked() {
                input.set_value("");
            }
            list.refetch();
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if let Some(fields) = Fields::submitted(&event) {
            add.dispatch((
                fields.text("name"),
                fields.optional(Field::CurrentPassword.name()),
            ));
        }
    };
    view! {
        <p class="no-js-only muted">"Adding a passkey needs JavaScript."</p>
        <form class="card form js-only" novalidate on:submit=submit>
            <ErrorSummary error/>
            <div class="field">
                <label for="passkey-name">"Name the new passkey"</label>
                <p class="field__hint" id="passkey-name-hint">"Say where it is, such as “Work laptop” or “Phone”."</p>
                <FieldError id="passkey-name-error".to_owned() message=name_error/>
                <input
                    id="passkey-name"
                    name="name"
                    type="text"
                    autocomplete="off"
                    required
                    maxlength=PASSKEY_NAME_MAX_CHARS
                    node_ref=name
                    aria-invalid=move || name_error.get().map(|_| "true")
                    aria-describedby=move || match name_error.get() {
                        Some(_) => "passkey-name-error passkey-name-hint",
                        None => "passkey-name-hint",
                    }
                />
            </div>
            <SudoPassword id="passkey-add-password".to_owned() error/>
            <p class="form-status" role="status">{note}</p>
            <SubmitButton label="Add a passkey" pending_label="Waiting for your device…" pending=add.pending()/>
        </form>
    }
}

/// The whole ceremony: the server's options, the browser's new passkey,
/// and the server keeping it under `name`.
async fn add_passkey(name: String, password: Option<String>) -> Result<PasskeyView, Refusal> {
    // Before the device is asked: a name the server would refuse would
    // leave a passkey on the device that this site does not know.
    check_passkey_name(&name).map_err(AppError::invalid)?;
    let started = start_adding_passkey(password).await?;
    let credential = create_passkey(&started.options).await?;
    Ok(finish_adding_passkey(started.ceremony, name, credential).await?)
}

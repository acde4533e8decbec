//! "Continue with …": the external providers the server offers, known to
//! the whole app from the first page it served.

use leptos::prelude::*;

/// The configured providers as `(name, label)`, in order (none by
/// default). The server sends them inside the first page; they do not
/// change while the app runs.
#[derive(Clone)]
pub struct SignInProviders(pub Vec<(String, String)>);

impl SignInProviders {
    pub fn provide() {
        let providers = crate::page_data::page_data(|| {
            #[cfg(feature = "ssr")]
            return crate::context::request::accounts()
                .map(|accounts| accounts.providers().labels())
                .unwrap_or_default();
            #[cfg(not(feature = "ssr"))]
            Vec::new()
        });
        provide_context(Self(providers));
    }
}

/// A link per provider, to its sign-in (a redirect to the provider and
/// back, so it works without JavaScript). Nothing when none is configured.
#[component]
pub fn ProviderButtons() -> impl IntoView {
    let providers = use_context::<SignInProviders>()
        .map(|providers| providers.0)
        .unwrap_or_default();
    (!providers.is_empty()).then(|| {
        view! {
            <ul class="providers" aria-label="Other ways to log in">
                {providers
                    .into_iter()
                    .map(|(name, label)| {
                        view! {
                            <li>
                                // Not a page of the app: the router leaves it to the browser.
                                <a class="button button--secondary" rel="external" href=format!("/auth/oidc/{name}/start")>
                                    "Continue with " {label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

//! "Continue with …": the external providers the server offers, known to
//! the whole app from the first page it served.

use leptos::prelude::*;

/// The log-in page's buttons for the configured providers, as HTML (empty
/// when none is configured). The server writes them into the first page;
/// they do not change while the app runs. One string, set as the list's
/// markup, costs the browser bundle far less than a view per provider
/// (about 5 KB of the log-in page's WASM).
#[derive(Clone)]
pub struct SignInProviders(String);

impl SignInProviders {
    pub fn provide() {
        let links = crate::page_data::page_data(|| {
            #[cfg(feature = "ssr")]
            return server::links();
            #[cfg(not(feature = "ssr"))]
            String::new()
        });
        provide_context(Self(links));
    }
}

/// A button per provider, whose plain form posts to its sign-in (answered
/// with a redirect to the provider, so it works the same without
/// JavaScript). Nothing when none is configured.
#[component]
pub fn ProviderButtons() -> impl IntoView {
    let links = use_context::<SignInProviders>()
        .map(|providers| providers.0)
        .unwrap_or_default();
    (!links.is_empty()).then(|| {
        view! { <ul class="providers" aria-label="Other ways to log in" inner_html=links></ul> }
    })
}

#[cfg(feature = "ssr")]
mod server {
    use crate::accounts::letters::escape;

    /// The providers' buttons, their labels escaped (they come from the
    /// operator's configuration, but are text, never markup).
    pub fn links() -> String {
        let Ok(accounts) = crate::context::request::accounts() else {
            return String::new();
        };
        accounts
            .providers()
            .labels()
            .into_iter()
            .map(|(name, label)| {
                format!(
                    "<li><form method=\"post\" action=\"/auth/oidc/{}/start\">\
                     <button type=\"submit\" class=\"button button--secondary\">\
                     Continue with {}</button></form></li>",
                    escape(&name),
                    escape(&label)
                )
            })
            .collect()
    }
}

//! Signing in through external OpenID Connect providers ("Continue with
//! …"): the providers the operator configured, found by discovery at
//! start-up ([`Providers::discover`]); the flow to a provider and back
//! ([`flow`]); and the identities it brings ([`identities`]), linked to an
//! account that has their address only once its owner has proven the
//! account is theirs ([`pending`]).
//!
//! The flow is the authorization code flow with PKCE (S256), `state` and
//! `nonce`, and the ID token is checked in full (signature, issuer,
//! audience, expiry, nonce) by the `openidconnect` crate. The client never
//! follows redirects from a provider's endpoints, so a provider cannot
//! point the server at another host.

pub mod flow;
pub mod identities;
pub mod pending;

use std::{
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::{Duration, Instant},
};

use crate::{accounts::SessionToken, error::AppError};
use openidconnect::{
    core::{CoreClient, CoreProviderMetadata},
    reqwest, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    RedirectUrl,
};

/// What a trip to a provider is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trip {
    /// Signing in (or up).
    SignIn,
    /// Linking the identity to this signed-in account, from settings.
    Link(i64),
    /// Confirming it is the person at this signed-in account, by signing
    /// in there again: sudo mode, as entering the password starts it.
    Confirm(i64),
}

/// A trip to a provider, started.
#[derive(Debug)]
pub struct Started {
    /// Where to send the browser.
    pub url: String,
    /// For this browser's cookie: the callback is accepted only with it.
    pub browser: SessionToken,
}

/// Why a trip to a provider did not end in an identity; each has its own
/// page (`/external-sign-in?failed=…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The person said no at the provider.
    Denied,
    /// Unknown, used or expired, or started in another browser.
    Expired,
    /// The provider could not be reached, or answered with a server error.
    Unavailable,
    /// The provider answered with an error, or with a token that failed
    /// the checks.
    Rejected,
    /// The provider shared no email address.
    NoEmail,
    /// The identity already signs in to another account.
    Taken,
    /// Too many sign-ins from this network.
    TooMany,
    /// The identity does not sign in to the account it was to confirm.
    NotLinked,
    /// The provider has not confirmed the address, which no account has:
    /// no account is made with it.
    Unverified,
    /// Something went wrong here.
    Internal,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Self::Denied => "denied",
            Self::Expired => "expired",
            Self::Unavailable => "unavailable",
            Self::Rejected => "rejected",
            Self::NoEmail => "no-email",
            Self::Taken => "taken",
            Self::TooMany => "too-many",
            Self::NotLinked => "not-linked",
            Self::Unverified => "unverified",
            Self::Internal => "internal",
        }
    }
}

impl Failure {
    /// The error a form that linked an identity answers with.
    pub fn into_error(self) -> AppError {
        match self {
            Self::Taken => AppError::invalid(crate::validation::Problem::IdentityTaken),
            Self::TooMany => AppError::TooManyAttempts { retry_after: 60 },
            _ => AppError::Internal,
        }
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        match error {
            AppError::TooManyAttempts { .. } | AppError::Busy { .. } => Self::TooMany,
            _ => Self::Internal,
        }
    }
}

/// One provider as the operator configured it (`OIDC_PROVIDERS` and the
/// `OIDC_<NAME>_*` variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSettings {
    /// Short name, in the callback's path and in the database: `[a-z0-9-]`.
    pub name: String,
    /// What the buttons say after "Continue with".
    pub label: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

/// The client for one provider: discovery gave its endpoints and keys.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointMaybeSet,
>;

/// A configured provider, ready to send people to.
pub struct Provider {
    pub name: String,
    pub label: String,
    settings: ProviderSettings,
    origin: String,
    /// Replaced when the provider's keys are read again ([`Self::refresh`]).
    client: RwLock<Arc<Client>>,
    /// When its keys were last read again, at most once a minute.
    refreshed: Mutex<Option<Instant>>,
}

impl Provider {
    fn client(&self) -> Arc<Client> {
        Arc::clone(&self.client.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the provider's discovery document and keys again, for an ID
    /// token signed with a key it did not have at start-up (providers
    /// rotate their keys). At most once a minute; whether it did.
    async fn refresh(&self, http: &reqwest::Client) -> bool {
        {
            let mut last = self
                .refreshed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < KEY_REFRESH_INTERVAL) {
                return false;
            }
            *last = Some(Instant::now());
        }
        match client_for(&self.settings, &self.origin, http).await {
            Ok(client) => {
                tracing::info!("external provider {}: keys read again", self.name);
                *self.client.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(client);
                true
            }
            Err(error) => {
                tracing::warn!("{error}");
                false
            }
        }
    }
}

/// The shortest time between two readings of a provider's keys.
const KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// The configured providers (none by default), and the HTTP client that
/// talks to them.
#[derive(Clone, Default)]
pub struct Providers {
    list: Arc<Vec<Provider>>,
    http: reqwest::Client,
    /// The origins of their authorization endpoints, space-separated, for
    /// the pages' `form-action`.
    form_targets: Arc<str>,
}

/// How long a provider may take to answer the server: a callback makes at
/// most four requests (the token, the user info, and the discovery
/// document and keys when they are read again), which stay well inside
/// the site's request timeout.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

impl Providers {
    /// Reads each provider's discovery document (`/.well-known/openid-configuration`
    /// under its issuer) and keys. Its callback is
    /// `{origin}/auth/oidc/{name}/callback`. Fails, naming the provider and
    /// saying why, when one is unreachable or unusable: the server should
    /// not start half-configured.
    pub async fn discover(settings: &[ProviderSettings], origin: &str) -> Result<Self, String> {
        let http = http_client().map_err(|error| format!("OpenID Connect: {error}"))?;
        let mut list = Vec::with_capacity(settings.len());
        let mut form_targets: Vec<String> = Vec::new();
        for provider in settings {
            let client = client_for(provider, origin, &http).await?;
            let target = client.auth_uri().url().origin().ascii_serialization();
            if !form_targets.contains(&target) {
                form_targets.push(target);
            }
            list.push(Provider {
                name: provider.name.clone(),
                label: provider.label.clone(),
                settings: provider.clone(),
                origin: origin.to_owned(),
                client: RwLock::new(Arc::new(client)),
                refreshed: Mutex::new(None),
            });
        }
        Ok(Self {
            list: Arc::new(list),
            http,
            form_targets: form_targets.join(" ").into(),
        })
    }

    /// Each provider's name and label, in the configured order.
    pub fn labels(&self) -> Vec<(String, String)> {
        self.list
            .iter()
            .map(|provider| (provider.name.clone(), provider.label.clone()))
            .collect()
    }

    /// The origins forms may post on to (see [`Self::discover`]).
    pub fn form_targets(&self) -> &str {
        &self.form_targets
    }

    /// The label of provider `name`, if it is configured.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.get(name).map(|provider| provider.label.as_str())
    }

    /// What to call provider `name` to people: its label, or its name
    /// when it is no longer configured.
    pub fn label_or_name(&self, name: &str) -> String {
        self.label(name).unwrap_or(name).to_owned()
    }

    fn get(&self, name: &str) -> Option<&Provider> {
        self.list.iter().find(|provider| provider.name == name)
    }
}

/// The client for `provider`, from its discovery document and keys; its
/// callback is `{origin}/auth/oidc/{name}/callback`.
async fn client_for(
    provider: &ProviderSettings,
    origin: &str,
    http: &reqwest::Client,
) -> Result<Client, String> {
    let name = &provider.name;
    let issuer = IssuerUrl::new(provider.issuer.clone())
        .map_err(|error| format!("OIDC_{}_ISSUER is not a URL: {error}", name.to_uppercase()))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|error| {
            format!(
                "OpenID provider {name}: discovery at {} failed: {}",
                provider.issuer,
                error_chain(&error)
            )
        })?;
    let token_url = metadata.token_endpoint().cloned().ok_or_else(|| {
        format!("OpenID provider {name}: its discovery document names no token endpoint")
    })?;
    // The token endpoint gets the client's secret, the code and the PKCE
    // verifier: every endpoint is https, as the issuer is (plain http only
    // for a provider on this machine).
    let loopback_issuer = provider.issuer.starts_with("http://");
    for (what, url) in [
        ("authorization", metadata.authorization_endpoint().url()),
        ("token", token_url.url()),
        ("keys", metadata.jwks_uri().url()),
    ]
    .into_iter()
    .chain(
        metadata
            .userinfo_endpoint()
            .map(|endpoint| ("user info", endpoint.url())),
    ) {
        let local =
            loopback_issuer && matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if url.scheme() != "https" && !local {
            return Err(format!(
                "OpenID provider {name}: its {what} endpoint {url} is not https"
            ));
        }
    }
    let redirect = RedirectUrl::new(format!("{origin}/auth/oidc/{name}/callback"))
        .map_err(|error| format!("OpenID provider {name}: callback URL: {error}"))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_token_uri(token_url)
    .set_redirect_uri(redirect))
}

/// HTTPS (or plain HTTP to a loopback issuer) with rustls, no redirects,
/// and a time limit.
fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .connect_timeout(PROVIDER_TIMEOUT)
        .build()
}

/// An error and its causes, on one line, for the operator.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

//! What every request handler and server function can reach.

use std::{ops::Deref, sync::Arc};

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::AnyPool;

use super::{assets::Assets, Config};
use crate::accounts::{
    external::Providers,
    mail::{Letters, Outbox},
    token::SessionToken,
    Accounts, DeviceKeys, PasswordHasher,
};

/// Shared state of the running server.
///
/// axum and leptos_axum clone the state for every middleware, page render
/// and server function call, several times a request: one shared pointer
/// keeps each clone to a reference count rather than copying settings,
/// pools and channels.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares; its fields read through it (`state.db`).
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: AnyPool,
    pub accounts: Accounts,
    /// The mail the accounts write, for the sender to deliver.
    pub outbox: Outbox,
    pub config: Arc<Config>,
    /// The names pages give the site's files, worked out at start-up.
    pub assets: Assets,
    /// The secret in the local mailbox's address (`/dev/mailbox?key=…`):
    /// new at every start and known only to whoever reads the start-up
    /// output, so a proxy that publishes the loopback listener does not
    /// publish the mailbox.
    pub mailbox_key: String,
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for AnyPool {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl AppState {
    /// The state for `config` on the opened database `db`, signing in
    /// through `providers` too (found by [`Providers::discover`]); reads
    /// (or on first start makes) the server's keys.
    pub async fn new(
        config: Config,
        db: AnyPool,
        providers: Providers,
    ) -> Result<Self, sqlx::Error> {
        let keys = DeviceKeys::load(&db).await?;
        let seal = config.seal_key.load()?;
        let outbox = Outbox::new(
            Letters::new(&config.public_origin),
            keys.clone(),
            &config.limits,
        );
        let accounts = Accounts::new(
            db.clone(),
            PasswordHasher::new(config.hash_concurrency, config.hash_queue),
            config.sessions,
            config.limits,
            keys,
            outbox.clone(),
            seal,
        )
        .with_signup_mode(config.signup_mode)
        .with_providers(providers)
        .with_passkeys(
            crate::accounts::passkeys::relying_party(&config.public_origin)
                .inspect_err(|why| tracing::warn!("{why}"))
                .ok(),
        );
        Ok(Self(Arc::new(Shared {
            assets: Assets::load(&config.leptos_options),
            leptos_options: config.leptos_options.clone(),
            db,
            accounts,
            outbox,
            config: Arc::new(config),
            mailbox_key: SessionToken::generate().as_str().to_owned(),
        })))
    }
}

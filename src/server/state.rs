//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::SqlitePool;

use super::{site::Assets, Config};
use crate::accounts::{
    mail::{Letters, Outbox},
    Accounts, DeviceKeys, PasswordHasher,
};

/// Shared state of the running server; cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: SqlitePool,
    pub accounts: Accounts,
    /// The mail the accounts write, for the sender to deliver.
    pub outbox: Outbox,
    pub config: Arc<Config>,
    /// The names pages give the site's files, worked out at start-up.
    pub assets: Arc<Assets>,
}

impl AppState {
    /// The state for `config` on the opened database `db`; reads (or on
    /// first start makes) the server's keys.
    pub async fn new(config: Config, db: SqlitePool) -> Result<Self, sqlx::Error> {
        let keys = DeviceKeys::load(&db).await?;
        let outbox = Outbox::new(Letters::new(&config.public_origin), keys.clone());
        let accounts = Accounts::new(
            db.clone(),
            PasswordHasher::new(config.hash_concurrency, config.hash_queue),
            config.sessions,
            config.limits,
            keys,
            outbox.clone(),
        )
        .with_signup_mode(config.signup_mode);
        Ok(Self {
            assets: Arc::new(Assets::load(&config.leptos_options)),
            leptos_options: config.leptos_options.clone(),
            db,
            accounts,
            outbox,
            config: Arc::new(config),
        })
    }
}

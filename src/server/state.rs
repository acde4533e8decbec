//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::SqlitePool;

use super::Config;
use crate::accounts::{Accounts, PasswordHasher};

/// Shared state of the running server; cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: SqlitePool,
    pub accounts: Accounts,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(config: Config, db: SqlitePool) -> Self {
        let accounts = Accounts::new(
            db.clone(),
            PasswordHasher::new(config.hash_concurrency),
            config.sessions,
            config.limits,
        );
        Self {
            leptos_options: config.leptos_options.clone(),
            db,
            accounts,
            config: Arc::new(config),
        }
    }
}

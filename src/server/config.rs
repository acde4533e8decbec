//! The one place that reads settings from the environment.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LEPTOS_SITE_ADDR` | `127.0.0.1:3000` | address and port to listen on (port 0 picks a free one) |
//! | `LEPTOS_SITE_ROOT` | `target/site` | directory holding the built site (`pkg/`, favicon) |
//! | `DATABASE_URL` | `sqlite://data/accounts.db` | SQLite database file, created on first start |
//! | `RUST_LOG` | `info` | log filter, e.g. `info,sqlx=warn` |

use std::fmt;

use leptos::prelude::{get_configuration, LeptosOptions};

/// The database used when `DATABASE_URL` is not set: a file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/accounts.db";

/// All settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    pub leptos_options: LeptosOptions,
    pub database_url: String,
}

/// A setting that is present but cannot be used.
#[derive(Debug)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the settings from the environment, falling back to the
    /// documented defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        let leptos_options = get_configuration(None)
            .map_err(|error| ConfigError(format!("invalid LEPTOS_* setting: {error}")))?
            .leptos_options;
        let database_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            Ok(_) | Err(std::env::VarError::NotPresent) => DEFAULT_DATABASE_URL.to_owned(),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(ConfigError("DATABASE_URL is not valid UTF-8".into()))
            }
        };
        Ok(Self {
            leptos_options,
            database_url,
        })
    }
}

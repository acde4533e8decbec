//! The one place that reads settings from the environment.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LEPTOS_SITE_ADDR` | `127.0.0.1:3000` | address and port to listen on (port 0 picks a free one) |
//! | `LEPTOS_SITE_ROOT` | `target/site` | directory holding the built site (`pkg/`, favicon) |
//! | `DATABASE_URL` | `sqlite://data/accounts.db` | SQLite database file, created on first start |
//! | `APP_ORIGIN` | `http://` + site address | the public origin users see; `https://…` makes cookies `Secure` and `__Host-` |
//! | `SESSION_IDLE_MINUTES` | `4320` (3 days) | a session ends after this long without a request |
//! | `SESSION_LIFETIME_DAYS` | `30` | a session ends this long after log-in, however active |
//! | `PASSWORD_HASH_CONCURRENCY` | number of CPUs | password hashes computed at once (each uses 19 MiB) |
//! | `RUST_LOG` | `info` | log filter, e.g. `info,sqlx=warn` |

use std::{fmt, str::FromStr, time::Duration};

use leptos::prelude::{get_configuration, LeptosOptions};

use crate::accounts::SessionPolicy;

/// The database used when `DATABASE_URL` is not set: a file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/accounts.db";

/// All settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    pub leptos_options: LeptosOptions,
    pub database_url: String,
    /// Scheme, host and port as users reach the site, without a trailing slash.
    pub public_origin: String,
    pub sessions: SessionPolicy,
    pub hash_concurrency: usize,
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
        let database_url = var("DATABASE_URL")?.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let public_origin = match var("APP_ORIGIN")? {
            Some(origin) => parse_origin(&origin)?,
            None => format!("http://{}", leptos_options.site_addr),
        };
        let defaults = SessionPolicy::default();
        let sessions = SessionPolicy {
            idle_timeout: number::<u64>("SESSION_IDLE_MINUTES")?
                .map_or(defaults.idle_timeout, |minutes| {
                    Duration::from_secs(minutes * 60)
                }),
            lifetime: number::<u64>("SESSION_LIFETIME_DAYS")?.map_or(defaults.lifetime, |days| {
                Duration::from_secs(days * 24 * 60 * 60)
            }),
        };
        let hash_concurrency =
            number::<usize>("PASSWORD_HASH_CONCURRENCY")?.unwrap_or_else(default_hash_concurrency);
        Ok(Self {
            leptos_options,
            database_url,
            public_origin,
            sessions,
            hash_concurrency,
        })
    }

    /// Settings for a server on `leptos_options` with database `database_url`
    /// and every other setting at its default.
    pub fn with_defaults(leptos_options: LeptosOptions, database_url: String) -> Self {
        Self {
            public_origin: format!("http://{}", leptos_options.site_addr),
            leptos_options,
            database_url,
            sessions: SessionPolicy::default(),
            hash_concurrency: default_hash_concurrency(),
        }
    }

    /// Cookies are `Secure` (and `__Host-` prefixed) when users reach the
    /// site over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin.starts_with("https://")
    }
}

fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

fn var(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(ConfigError(format!("{name} is not valid UTF-8")))
        }
    }
}

fn number<T: FromStr>(name: &str) -> Result<Option<T>, ConfigError> {
    var(name)?
        .map(|value| {
            value
                .parse::<T>()
                .map_err(|_| ConfigError(format!("{name} must be a whole number, not {value:?}")))
        })
        .transpose()
}

fn parse_origin(origin: &str) -> Result<String, ConfigError> {
    let origin = origin.trim_end_matches('/');
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') => Ok(origin.to_owned()),
        _ => Err(ConfigError(format!(
            "APP_ORIGIN must look like https://example.com (scheme and host, no path), not {origin:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            parse_origin("https://example.com/").unwrap(),
            "https://example.com"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(parse_origin("example.com").is_err());
        assert!(parse_origin("https://example.com/app").is_err());
        assert!(parse_origin("ftp://example.com").is_err());
    }
}

//! The one place that builds the settings from the environment ([`super::env`]
//! reads and parses each variable).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LEPTOS_SITE_ADDR` | `127.0.0.1:3000` | address and port to listen on (port 0 picks a free one) |
//! | `LEPTOS_SITE_ROOT` | `target/site` | development only: the built site (`pkg/`, favicon) for a server built without it (a release binary carries its site) |
//! | `DATABASE_URL` | `sqlite://data/accounts.db` | `sqlite://PATH`: an SQLite file, created on first start; `postgres://USER:PASSWORD@HOST:PORT/DB` (add `?sslmode=verify-full` for TLS): PostgreSQL, which several instances can share |
//! | `DATABASE_MAX_CONNECTIONS` | `8` (SQLite), `10` (PostgreSQL) | connections each instance keeps; on PostgreSQL, keep instances × this under the server's `max_connections` |
//! | `DATABASE_ACQUIRE_TIMEOUT_SECONDS` | `10` | a request that waits this long for a free connection fails (503 for health checks, a generic error for pages) |
//! | `DATABASE_IDLE_TIMEOUT_SECONDS` | `600` | PostgreSQL: a connection unused this long is closed |
//! | `APP_ORIGIN` | `http://localhost:` + site port; required off loopback | the public origin users see; `https://…` makes cookies `Secure` and `__Host-`; passkeys need its host to be a name |
//! | `SESSION_IDLE_MINUTES` | `4320` (3 days) | a session ends after this long without a request |
//! | `SESSION_LIFETIME_DAYS` | `30` | a session ends this long after log-in, however active |
//! | `SEAL_KEY` | a key file beside an SQLite database (`accounts.db.seal-key`); **required** with PostgreSQL | 64 hex digits (`openssl rand -hex 32`): the key that seals TOTP secrets; kept out of the database |
//! | `SUDO_MINUTES` | `10` | how long after entering their password a user may change their email, end sessions or delete the account without entering it again |
//! | `PASSWORD_HASH_CONCURRENCY` | number of CPUs | password hashes computed at once (each uses 19 MiB) |
//! | `PASSWORD_HASH_QUEUE` | 16 × concurrency | log-ins and sign-ups that may wait for a hashing thread; more get 503 |
//! | `TRUSTED_PROXY` | none | IP addresses (comma-separated) of reverse proxies; only their `X-Forwarded-For` is believed |
//! | `AUTH_RATE_BURST` | `20` | sign-up/log-in requests a client network may make at once |
//! | `AUTH_RATE_PER_MINUTE` | `20` | such requests a client network regains per minute |
//! | `MAIL_PER_NETWORK_PER_HOUR` | `20` | unsolicited mails (verification, reset, sign-up and email-change links, sign-up notices) one client network may cause per hour; beyond it they are not written. Security notices (password or email changed, account deleted) are never held back |
//! | `MAIL_PER_HOUR` | `1000` | unsolicited mails the whole site may write per hour |
//! | `LOGIN_FREE_FAILURES` | `5` | failed log-ins on one address, from browsers new to it, before back-off starts |
//! | `DEVICE_FREE_FAILURES` | `5` | failed log-ins from one trusted browser (device cookie) before its own back-off starts |
//! | `PROFILE_RATE_BURST` | `10` | profile changes an account may make at once |
//! | `PROFILE_RATE_PER_MINUTE` | `1` | such changes an account regains per minute |
//! | `AUDIT_RETENTION_DAYS` | `365` | audit events older than this are deleted |
//! | `LOGIN_ATTEMPT_RETENTION_DAYS` | `30` | a failure count is forgotten this long after its last failure |
//! | `RETENTION_INTERVAL_MINUTES` | `10` | how often the retention task runs |
//! | `LOGIN_BACKOFF_BASE_SECONDS` | `1` | first wait after the free failures; doubles with each further failure |
//! | `LOGIN_BACKOFF_MAX_SECONDS` | `900` | longest wait between attempts on one address |
//! | `SMTP_URL` | none: mail stays in the outbox, readable in the local mailbox (the address with its key is printed at start-up) on a developer's own loopback server | the mail server, e.g. `smtps://user:pass@smtp.example.com:465`, `smtp://smtp.example.com:587?tls=required`, `smtp://127.0.0.1:2525` |
//! | `MAIL_FROM` | `Leptos Accounts <no-reply@` + origin host `>` | the sender of every mail |
//! | `MAIL_RETRY_SECONDS` | `30` | wait before retrying a mail the server did not take; doubles with each failure, up to an hour apart, for 24 hours |
//! | `OIDC_PROVIDERS` | none | short names (comma-separated) of external OpenID Connect providers offered as "Continue with …"; each needs `OIDC_<NAME>_ISSUER` (https, or http on localhost), `OIDC_<NAME>_CLIENT_ID`, `OIDC_<NAME>_CLIENT_SECRET` and `OIDC_<NAME>_LABEL`; the callback is `APP_ORIGIN/auth/oidc/<name>/callback`; a provider whose discovery fails stops the server |
//! | `SIGNUP_MODE` | `open` | `open`: accounts start at once, addresses are verified by mail; `verify-first`: accounts start when the mailed link is used, and sign-up never tells whether an address is registered |
//! | `RUST_LOG` | `info` | log filter, e.g. `info,sqlx=warn` |
//! | `LOG_FORMAT` | `text` | `json`: one JSON object per log line, for log collectors |
//! | `METRICS_ADDR` | off | address of the Prometheus listener (`/metrics`), e.g. `127.0.0.1:9100`; never the site's own; loopback or private unless `METRICS_PUBLIC=1` |
//! | `METRICS_PUBLIC` | `0` | `1`: allow a `METRICS_ADDR` beyond loopback and private networks (behind a firewall) |

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use leptos::prelude::{get_configuration, LeptosOptions};

use crate::accounts::{
    external::ProviderSettings, hashing::QUEUE_PER_THREAD, retention::RetentionPolicy, RateLimits,
    SessionPolicy, SignUpMode,
};

pub use super::env::{ConfigError, SmtpUrl};
use super::{
    assets,
    database::{Backend, PoolSettings},
    env::{
        check_metrics_exposure, default_hash_concurrency, default_mail_from, flag, missing_origin,
        number, parse_mail_from, parse_metrics_addr, parse_origin, parse_proxies, parse_smtp_url,
        var,
    },
    seal_key::SealKeySource,
};

/// The default wait before the first retry of a mail the server did not
/// take (`MAIL_RETRY_SECONDS`); it doubles with each failure.
pub const FIRST_RETRY_SECS: u64 = 30;

/// The database used when `DATABASE_URL` is not set: a file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/accounts.db";

/// All settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    pub leptos_options: LeptosOptions,
    pub database_url: String,
    pub database_pool: PoolSettings,
    /// Scheme, host and port as users reach the site, without a trailing slash.
    pub public_origin: String,
    pub sessions: SessionPolicy,
    pub hash_concurrency: usize,
    /// Requests that may wait for a hashing thread.
    pub hash_queue: usize,
    pub limits: RateLimits,
    pub retention: RetentionPolicy,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where mail goes; without one, mail waits in the outbox and the
    /// local mailbox page shows it.
    pub smtp: Option<SmtpUrl>,
    /// The sender of every mail, `Name <address>`.
    pub mail_from: String,
    /// The wait before a failed mail is first retried.
    pub mail_retry: Duration,
    pub signup_mode: SignUpMode,
    /// A request still unanswered after this long gets 408 and is dropped:
    /// a client that sends its body slowly cannot hold a connection forever.
    pub request_timeout: Duration,
    /// Where Prometheus scrapes `/metrics`, if anywhere: a listener of its
    /// own, never the site's.
    pub metrics_addr: Option<SocketAddr>,
    /// Where the key that seals second-factor secrets comes from.
    pub seal_key: SealKeySource,
    /// The external OpenID Connect providers people may sign in with.
    pub external_providers: Vec<ProviderSettings>,
}

/// The default for [`Config::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The origin of a server on the loopback address `addr` when none is
/// set: `http://localhost:PORT`, a name rather than `127.0.0.1`, because
/// browsers offer passkeys only to a site reached by a name.
pub fn loopback_origin(addr: std::net::SocketAddr) -> String {
    format!("http://localhost:{}", addr.port())
}

impl Config {
    /// Reads the settings from the environment, falling back to the
    /// documented defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut leptos_options = get_configuration(None)
            .map_err(|error| ConfigError(format!("invalid LEPTOS_* setting: {error}")))?
            .leptos_options;
        // A release build carries its site with hashed names; a build
        // without it may leave hash.txt beside the binary, whose names carry
        // those hashes, so use them unless told otherwise.
        if assets::embedded() {
            leptos_options.hash_files = true;
        } else if var("LEPTOS_HASH_FILES")?.is_none() {
            leptos_options.hash_files = std::env::current_exe()
                .ok()
                .and_then(|exe| Some(exe.parent()?.join(&*leptos_options.hash_file)))
                .is_some_and(|path| path.exists());
        }
        let database_url = var("DATABASE_URL")?.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let public_origin = match var("APP_ORIGIN")? {
            Some(origin) => parse_origin(&origin)?,
            None if leptos_options.site_addr.ip().is_loopback() => {
                loopback_origin(leptos_options.site_addr)
            }
            None => return Err(ConfigError(missing_origin(leptos_options.site_addr))),
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
            sudo: number::<u64>("SUDO_MINUTES")?
                .map_or(defaults.sudo, |minutes| Duration::from_secs(minutes * 60)),
        };
        let hash_concurrency = number::<usize>("PASSWORD_HASH_CONCURRENCY")?
            .unwrap_or_else(default_hash_concurrency)
            .max(1);
        let hash_queue =
            number::<usize>("PASSWORD_HASH_QUEUE")?.unwrap_or(hash_concurrency * QUEUE_PER_THREAD);
        let default_limits = RateLimits::default();
        let limits = RateLimits {
            ip_burst: number("AUTH_RATE_BURST")?.unwrap_or(default_limits.ip_burst),
            ip_per_minute: number("AUTH_RATE_PER_MINUTE")?.unwrap_or(default_limits.ip_per_minute),
            free_failures: number("LOGIN_FREE_FAILURES")?.unwrap_or(default_limits.free_failures),
            device_free_failures: number("DEVICE_FREE_FAILURES")?
                .unwrap_or(default_limits.device_free_failures),
            backoff_base: number::<u64>("LOGIN_BACKOFF_BASE_SECONDS")?
                .map_or(default_limits.backoff_base, Duration::from_secs),
            backoff_max: number::<u64>("LOGIN_BACKOFF_MAX_SECONDS")?
                .map_or(default_limits.backoff_max, Duration::from_secs),
            profile_burst: number("PROFILE_RATE_BURST")?.unwrap_or(default_limits.profile_burst),
            profile_per_minute: number("PROFILE_RATE_PER_MINUTE")?
                .unwrap_or(default_limits.profile_per_minute),
            mail_per_network_per_hour: number("MAIL_PER_NETWORK_PER_HOUR")?
                .unwrap_or(default_limits.mail_per_network_per_hour),
            mail_per_hour: number("MAIL_PER_HOUR")?.unwrap_or(default_limits.mail_per_hour),
        };
        let default_retention = RetentionPolicy::default();
        let retention = RetentionPolicy {
            interval: match number::<u64>("RETENTION_INTERVAL_MINUTES")? {
                None => default_retention.interval,
                Some(0) => {
                    return Err(ConfigError(
                        "RETENTION_INTERVAL_MINUTES must be at least 1".to_owned(),
                    ))
                }
                Some(minutes) => Duration::from_secs(minutes * 60),
            },
            audit_days: number("AUDIT_RETENTION_DAYS")?.unwrap_or(default_retention.audit_days),
            attempt_days: number("LOGIN_ATTEMPT_RETENTION_DAYS")?
                .unwrap_or(default_retention.attempt_days),
        };
        let trusted_proxies = var("TRUSTED_PROXY")?
            .map(|value| parse_proxies(&value))
            .transpose()?
            .unwrap_or_default();
        let request_timeout = match number::<u64>("REQUEST_TIMEOUT_SECONDS")? {
            None => DEFAULT_REQUEST_TIMEOUT,
            Some(0) => {
                return Err(ConfigError(
                    "REQUEST_TIMEOUT_SECONDS must be at least 1".to_owned(),
                ))
            }
            Some(seconds) => Duration::from_secs(seconds),
        };
        let metrics_public = flag("METRICS_PUBLIC")?;
        let metrics_addr = var("METRICS_ADDR")?
            .map(|value| parse_metrics_addr(&value, leptos_options.site_addr))
            .transpose()?
            .map(|addr| check_metrics_exposure(addr, metrics_public))
            .transpose()?;
        let smtp = var("SMTP_URL")?.map(parse_smtp_url).transpose()?;
        let mail_from = match var("MAIL_FROM")? {
            Some(from) => parse_mail_from(&from)?,
            None => default_mail_from(&public_origin),
        };
        let signup_mode = match var("SIGNUP_MODE")?.as_deref() {
            None | Some("open") => SignUpMode::Open,
            Some("verify-first") => SignUpMode::VerifyFirst,
            Some(other) => {
                return Err(ConfigError(format!(
                    "SIGNUP_MODE must be open or verify-first, not {other:?}"
                )))
            }
        };
        let database_pool = PoolSettings {
            max_connections: number::<u32>("DATABASE_MAX_CONNECTIONS")?.map(|count| count.max(1)),
            acquire_timeout: number::<u64>("DATABASE_ACQUIRE_TIMEOUT_SECONDS")?
                .map(|secs| Duration::from_secs(secs.max(1))),
            idle_timeout: number::<u64>("DATABASE_IDLE_TIMEOUT_SECONDS")?.map(Duration::from_secs),
        };
        if Backend::of_url(&database_url).is_none() {
            return Err(ConfigError(
                "DATABASE_URL must start with sqlite:// (a file) or postgres:// (a server)".into(),
            ));
        }
        let seal_key = SealKeySource::from_env(&database_url)?;
        Ok(Self {
            external_providers: super::providers::from_env()?,
            seal_key,
            leptos_options,
            database_url,
            database_pool,
            smtp,
            mail_from,
            mail_retry: number::<u64>("MAIL_RETRY_SECONDS")?
                .map_or(Duration::from_secs(FIRST_RETRY_SECS), |secs| {
                    Duration::from_secs(secs.max(1))
                }),
            signup_mode,
            public_origin,
            sessions,
            hash_concurrency,
            hash_queue,
            limits,
            retention,
            trusted_proxies,
            request_timeout,
            metrics_addr,
        })
    }

    /// Settings for a server on `leptos_options` with database `database_url`
    /// and every other setting at its default.
    pub fn with_defaults(leptos_options: LeptosOptions, database_url: String) -> Self {
        let public_origin = loopback_origin(leptos_options.site_addr);
        Self {
            external_providers: Vec::new(),
            seal_key: SealKeySource::default_or_new(&database_url),
            smtp: None,
            mail_from: default_mail_from(&public_origin),
            mail_retry: Duration::from_secs(FIRST_RETRY_SECS),
            signup_mode: SignUpMode::Open,
            public_origin,
            leptos_options,
            database_url,
            database_pool: PoolSettings::default(),
            sessions: SessionPolicy::default(),
            hash_concurrency: default_hash_concurrency(),
            hash_queue: default_hash_concurrency() * QUEUE_PER_THREAD,
            limits: RateLimits::default(),
            retention: RetentionPolicy::default(),
            trusted_proxies: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            metrics_addr: None,
        }
    }

    /// Whether the origin is the default one for the loopback address
    /// `addr` (see [`loopback_origin`]).
    pub fn has_default_origin(&self, addr: std::net::SocketAddr) -> bool {
        self.public_origin == loopback_origin(addr)
    }

    /// Cookies are `Secure` (and `__Host-` prefixed) when users reach the
    /// site over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin.starts_with("https://")
    }
}

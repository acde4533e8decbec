//! Logs, request ids and shutdown signals.
//!
//! Every request gets an id: the one a trusted proxy sent in
//! `X-Request-Id` (nginx's `$request_id`), else a new random one. It is
//! returned in `X-Request-Id` and carried by every log line written while
//! the request is served, so a user's report, the proxy's access log and
//! this server's log meet on one value.
//!
//! Log lines name a request by its route pattern (`/reset-password`), never
//! its query string: links carry their token there.
//!
//! The server's request lines go out in batches ([`batch`]).

mod batch;
mod line;

use std::{
    io::{self, IsTerminal},
    net::{IpAddr, SocketAddr},
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use tracing::Instrument;
use tracing_subscriber::{
    filter::{LevelFilter, Targets},
    fmt,
    layer::SubscriberExt,
    util::SubscriberInitExt,
    EnvFilter, Layer, Registry,
};

pub use self::batch::flush;
use self::batch::{start_batching, BatchedStdout, REQUEST_LINES};
use super::{metrics as server_metrics, AppState};

/// The header that carries a request's id.
pub const REQUEST_ID: &str = "x-request-id";

/// How log lines are written (`LOG_FORMAT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event (the default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`: `text` (the default) or `json`.
    pub fn from_env() -> Result<Self, String> {
        Self::parse(std::env::var("LOG_FORMAT").ok().as_deref())
    }

    fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("" | "text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!(
                "LOG_FORMAT must be text or json, not {:?}",
                other.chars().take(40).collect::<String>()
            )),
        }
    }
}

/// Where log lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// The server's own output.
    Stdout,
    /// Beside a command's output, which scripts read from stdout.
    Stderr,
}

/// Sends `tracing` output to `target` in `format`, filtered by `RUST_LOG`
/// (else `default_filter`). On stdout, the server's, request lines go out
/// in batches (see the module's comment); call [`flush`] before exiting.
pub fn init(format: LogFormat, target: LogTarget, default_filter: &str) {
    if target == LogTarget::Stdout {
        start_batching();
    }
    JSON_LINES.store(format == LogFormat::Json, Ordering::Relaxed);
    let subscriber = tracing_subscriber::registry().with(filter(default_filter));
    let output = match (format, target) {
        (LogFormat::Text, LogTarget::Stdout) => {
            let terminal = io::stdout().is_terminal();
            if !terminal {
                line::write_plain();
            }
            fmt::layer()
                .with_ansi(terminal)
                .with_writer(BatchedStdout)
                .boxed()
        }
        (LogFormat::Text, LogTarget::Stderr) => fmt::layer()
            .with_ansi(io::stderr().is_terminal())
            .with_writer(io::stderr)
            .boxed(),
        (LogFormat::Json, LogTarget::Stdout) => json_layer().with_writer(BatchedStdout).boxed(),
        (LogFormat::Json, LogTarget::Stderr) => json_layer().with_writer(io::stderr).boxed(),
    };
    subscriber.with(output).init();
}

/// One JSON object per line, with the request's fields at the top level.
fn json_layer<S>() -> fmt::Layer<S, fmt::format::JsonFields, fmt::format::Format<fmt::format::Json>>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
}

/// What `RUST_LOG` (else `default`) lets through. A plain list of targets
/// and levels, which it nearly always is, becomes a [`Targets`] filter,
/// which costs nothing per span; anything else (span and field
/// directives, spaces, empty entries) is read by an [`EnvFilter`] as
/// before, which consults a table shared by every thread each time a
/// request's span is entered or left. A value neither can read is
/// ignored; an empty one counts as unset.
fn filter(default: &str) -> Box<dyn Layer<Registry> + Send + Sync> {
    let wanted = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.trim().is_empty());
    let spec = wanted.as_deref().unwrap_or(default);
    match plain_targets(spec) {
        Some(targets) => targets.boxed(),
        None => EnvFilter::try_new(spec)
            .unwrap_or_else(|_| EnvFilter::new(default))
            .boxed(),
    }
}

/// `spec` as a [`Targets`] filter when it is only comma-separated levels
/// and `target=level` pairs (targets of letters, digits, `_`, `-` and
/// `::`), which both filters read alike. `Targets` would take `[span]` or
/// ` target` for a target's name, and an empty entry for "everything at
/// trace".
fn plain_targets(spec: &str) -> Option<Targets> {
    let plain = spec.split(',').all(|directive| {
        let (target, level) = match directive.split_once('=') {
            Some((target, level)) => (target, Some(level)),
            None => (directive, None),
        };
        !target.is_empty()
            && target
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
            && level.is_none_or(|level| level.parse::<LevelFilter>().is_ok())
    });
    if plain {
        spec.parse().ok()
    } else {
        None
    }
}

/// Whether lines are JSON, whose request line carries every field apart;
/// a text line says them once, in its message.
static JSON_LINES: AtomicBool = AtomicBool::new(false);

/// The route a response was served by, as the router matched it.
#[derive(Clone, Debug)]
struct Route(MatchedPath);

/// Remembers, on the response, which route pattern served the request:
/// the router knows it only inside, [`log_request`] needs it outside.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(Route(matched));
    }
    response
}

/// Gives the request its id, serves it inside a span that carries the id,
/// returns the id in `X-Request-Id`, counts and times the request by route
/// and status class, and writes one log line: method, route, status and
/// time to the response head.
pub async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = request_id(&request, &state.config.trusted_proxies);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let route = response
        .extensions()
        .get::<Route>()
        .map(|route| route.0.as_str().to_owned());
    server_metrics::request_served(route.as_deref(), status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let millis = elapsed.as_secs_f64() * 1000.0;
    let status = status.as_u16();
    // Site files and unknown paths have no route: their path is logged,
    // without the query string.
    let matched = route.is_some();
    let route = route.unwrap_or_else(|| path.chars().take(200).collect());
    match (JSON_LINES.load(Ordering::Relaxed), matched) {
        (true, true) => tracing::info!(
            target: REQUEST_LINES,
            request_id = %id,
            method = %method,
            route = %route,
            status,
            ms = millis,
            "{method} {route} {status} {millis:.1}ms",
        ),
        (true, false) => tracing::info!(
            target: REQUEST_LINES,
            request_id = %id,
            method = %method,
            path = %route,
            status,
            ms = millis,
            "{method} {route} {status} {millis:.1}ms",
        ),
        (false, _) => {
            if !line::try_write(&id, method.as_str(), &route, status, millis) {
                tracing::info!(
                    target: REQUEST_LINES,
                    request_id = %id,
                    "{method} {route} {status} {millis:.1}ms",
                );
            }
        }
    }
    response
}

/// The id a trusted proxy gave the request, when it is a plausible one
/// (1 to 64 letters, digits, `-`, `_` or `.`), else a new random one: 32
/// hexadecimal digits, as nginx makes them. An id from anyone else is
/// ignored, so that a client cannot plant one in the logs.
fn request_id(request: &Request, trusted_proxies: &[IpAddr]) -> String {
    let from_proxy = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|peer| trusted_proxies.contains(&peer.0.ip().to_canonical()));
    if from_proxy {
        let given = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|id| is_plausible_id(id));
        if let Some(id) = given {
            return id.to_owned();
        }
    }
    new_request_id()
}

fn is_plausible_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// 128 random bits in hexadecimal. They come from the thread's generator
/// (ChaCha, seeded from the system): an id is not a secret, and a request
/// should not pay a system call and sixteen allocations for it.
pub fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_32_hex_digits_and_differ() {
        let first = new_request_id();
        assert_eq!(first.len(), 32);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(first, new_request_id());
    }

    #[test]
    fn only_plain_short_ids_are_taken_from_a_proxy() {
        assert!(is_plausible_id("9f1c2e7a0b3d4c5e6f708192a3b4c5d6"));
        assert!(is_plausible_id("req-42.a_b"));
        assert!(!is_plausible_id(""));
        assert!(!is_plausible_id(&"a".repeat(65)));
        assert!(!is_plausible_id("id with spaces"));
        assert!(!is_plausible_id("id\nforged log line"));
        assert!(!is_plausible_id("\"quoted\""));
    }

    #[test]
    fn only_plain_lists_of_targets_and_levels_skip_the_env_filter() {
        for plain in [
            "info",
            "DEBUG",
            "warn,leptos_accounts::server=info",
            "sqlx=debug,http=info,warn",
            "leptos_accounts",
            "off",
        ] {
            assert!(plain_targets(plain).is_some(), "{plain:?}");
        }
        for other in [
            "warn,",
            ",",
            "info,,sqlx=debug",
            "info, leptos_accounts=debug",
            "[request]=debug",
            "leptos_accounts[request]=trace",
            "[request{request_id}]=debug",
            "http=loud",
        ] {
            assert!(plain_targets(other).is_none(), "{other:?}");
        }
        // What falls through is read as before, empty entries and spaces
        // included, so a stray comma cannot switch on every crate's trace.
        for read in ["warn,", "[request]=debug"] {
            assert!(EnvFilter::try_new(read).is_ok(), "{read:?}");
        }
        // And what it cannot read is ignored for the default, as before.
        assert!(EnvFilter::try_new("info, leptos_accounts=debug").is_err());
        assert_eq!(
            EnvFilter::try_new("warn,").unwrap().max_level_hint(),
            Some(LevelFilter::WARN)
        );
    }

    #[test]
    fn log_format_is_text_unless_json_is_asked_for() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("text")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("json")), Ok(LogFormat::Json));
        assert!(LogFormat::parse(Some("JSON lines"))
            .unwrap_err()
            .contains("text or json"));
    }
}

//! Server-only pieces: configuration, the database, the axum router,
//! request logging and shutdown. Nothing here reaches the browser bundle.

pub mod cli;
mod closing;
pub mod document;
pub mod external;
pub mod files;
pub mod health;
pub mod mailbox;
pub mod mailer;
pub mod metrics;
pub mod middleware;
pub mod page_cache;
pub mod security;
pub mod telemetry;

use std::sync::OnceLock;

use axum::{
    http::StatusCode,
    routing::{get, post},
    Router,
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;

pub use crate::context::{config, database as db, AppState, Config, ServeError};
use crate::{
    accounts::{self, external::Providers, PasswordHasher},
    app::App,
};
use document::shell;

/// Largest request body accepted (413 beyond): forms here are a few fields.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Builds the whole HTTP surface of the product: pages, server functions,
/// static files, health check and the 404s.
pub fn router(state: AppState) -> Router {
    // leptos_axum hands `AppState` to every page render and server function
    // as context, so views and server functions can reach the database.
    let routes = route_list().to_vec();
    let mailbox = if mailbox::offered(&state.config) {
        mailbox::routes(&state)
    } else {
        Router::new()
    };
    let pages = std::sync::Arc::new(page_cache::PageCache::default());
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/auth/oidc/{name}/start", post(external::start))
        .route("/auth/oidc/{name}/callback", get(external::callback))
        .route("/auth/oidc/{name}/confirm", post(external::confirm))
        .merge(mailbox)
        // Unknown API paths get a plain 404, never the HTML app.
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .leptos_routes(&state, routes, shell)
        .route_layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ))
        .route_layer(axum::middleware::from_fn(telemetry::remember_route))
        // The site's files (embedded in a release binary, else from the
        // site root); anything else renders the not-found page with 404.
        .fallback(files::files_or_not_found)
        // Who is signed in, for the fallback too: the not-found page shows
        // it like every other page. Static files skip the lookup.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::resolve_session,
        ))
        // Public pages for visitors without cookies come from the render
        // kept the first time (`page_cache`), with a fresh nonce.
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let pages = pages.clone();
                async move { pages.serve(request, next).await }
            },
        ))
        .layer(axum::middleware::from_fn(
            middleware::without_trailing_slash,
        ))
        // Outermost last: log, time out, bound the body, add security
        // headers to every answer (refusals too), refuse cross-site writes.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::reject_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::security_headers,
        ))
        // Pages and API answers are compressed on the fly; static assets
        // are served precompressed and pass through untouched.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::log_request,
        ))
        .with_state(state)
}

/// The app's routes, worked out once per process.
///
/// Working them out renders the app with resource loading switched off for
/// the whole process (a process-wide flag in Leptos), so a page rendering
/// at that moment in another router of the same process would wait forever
/// for its data. Doing it once, before any router exists, rules that out.
fn route_list() -> &'static [AxumRouteListing] {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App))
}

async fn api_not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "Not found\n")
}

/// Opens the database, applies migrations and serves until a shutdown
/// signal arrives; in-flight requests are allowed to finish.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let db = db::connect_with(&config.database_url, &config.database_pool).await?;
    match db::Backend::of(&db) {
        db::Backend::Sqlite => tracing::info!("database: SQLite"),
        db::Backend::Postgres => tracing::info!("database: PostgreSQL"),
    }
    let addr = config.leptos_options.site_addr;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| ServeError::Bind(addr, error))?;
    let local_addr = listener.local_addr().map_err(ServeError::Io)?;
    let mut config = config;
    if config.has_default_origin(addr) {
        // The default origin is the port actually listened on (port 0
        // picks one only now).
        config.public_origin = crate::context::config::loopback_origin(local_addr);
    }
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some(metrics::bind(addr).await?),
        None => None,
    };
    let retention =
        accounts::retention::spawn(db.clone(), config.retention, config.sessions, config.limits);
    let providers = Providers::discover(&config.external_providers, &config.public_origin)
        .await
        .map_err(ServeError::Provider)?;
    for (name, _) in providers.labels() {
        tracing::info!("external sign-in: {name} is ready");
    }
    let state = AppState::new(config, db.clone(), providers)
        .await
        .map_err(ServeError::Database)?;
    // The first unknown-email log-in should not pay for the dummy hash.
    tokio::task::spawn_blocking(PasswordHasher::warm_up);
    let mail_sender = match &state.config.smtp {
        Some(smtp) => {
            let sender =
                mailer::Sender::new(smtp, &state.config.mail_from, state.config.mail_retry)
                    .map_err(ServeError::Mail)?;
            tracing::info!("sending mail as {}", state.config.mail_from);
            Some(mailer::spawn(db.clone(), sender, state.outbox.bell()))
        }
        None if mailbox::offered(&state.config) => {
            tracing::info!("Mail is not sent: read it at {}", mailbox::address(&state));
            None
        }
        None => {
            tracing::warn!(
                "no SMTP_URL: mail is kept in the outbox and not sent; set SMTP_URL to send it"
            );
            None
        }
    };

    let metrics_server = match metrics_listener {
        Some(listener) => {
            let handle = metrics::install().map_err(ServeError::Metrics)?;
            let addr = listener.local_addr().map_err(ServeError::Io)?;
            tracing::info!("metrics on http://{addr}/metrics");
            Some(metrics::spawn(listener, handle, state.clone()))
        }
        None => None,
    };

    tracing::info!("listening on http://{local_addr}");
    tracing::info!(
        "the site is at {origin}",
        origin = state.config.public_origin
    );
    let (listener, closer) = closing::closing(listener).map_err(ServeError::Io)?;
    // (`tap_io` only for the client's address, which axum reads from it.)
    let listener = axum::serve::ListenerExt::tap_io(listener, |_| ());
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        telemetry::shutdown_signal().await;
        closer.close().await;
    })
    .await
    .map_err(ServeError::Io)?;

    retention.abort();
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    if let Some(mail_sender) = mail_sender {
        mail_sender.abort();
    }
    // Closing the pool checkpoints the write-ahead log into the database file.
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

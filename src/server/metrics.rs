//! Prometheus metrics, served at `/metrics` on a listener of their own
//! (`METRICS_ADDR`), never on the public port.
//!
//! Counters and histograms are recorded where things happen (requests,
//! log-ins, sessions, mail); levels (the hashing queue, the outbox, the
//! database pool) are read when Prometheus scrapes. Without `METRICS_ADDR`
//! no recorder is installed and recording costs next to nothing.

use std::{net::SocketAddr, sync::OnceLock, time::Duration};

use axum::{
    extract::State,
    http::{header::CONTENT_TYPE, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use super::AppState;
use crate::time::now;

/// The request-time buckets, in seconds: page loads around a millisecond,
/// log-ins (argon2) around tens of milliseconds, time-outs at seconds.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed once.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder for this process (once; later calls
/// return the same handle).
pub fn install() -> Result<&'static PrometheusHandle, String> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle);
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|error| format!("metrics: {error}"))?;
    describe();
    start_counters_at_zero();
    Ok(HANDLE.get_or_init(|| handle))
}

/// Makes every counter series exist from the start, so that alerts on a
/// rate (log-ins turned away, mail given up on) see a zero rather than no
/// data until the first event.
fn start_counters_at_zero() {
    for outcome in crate::accounts::login::LOG_IN_OUTCOMES {
        counter!("login_attempts_total", "outcome" => outcome).absolute(0);
    }
    counter!("sessions_created_total").absolute(0);
    counter!("mail_sent_total").absolute(0);
    for outcome in ["retrying", "given_up"] {
        counter!("mail_send_failures_total", "outcome" => outcome).absolute(0);
    }
}

fn describe() {
    describe_counter!(
        "http_requests_total",
        "Requests answered, by route pattern and status class."
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to the response head, by route pattern and status class."
    );
    describe_counter!(
        "login_attempts_total",
        "Log-in attempts by outcome: success, bad_credentials, rate_limited, queue_full, \
         invalid or error."
    );
    describe_counter!(
        "sessions_created_total",
        "Sessions started (sign-ups and log-ins)."
    );
    describe_gauge!(
        "password_hash_queue_depth",
        "Password hashing jobs waiting for a hashing thread."
    );
    describe_gauge!(
        "password_hash_queue_capacity",
        "Jobs that may wait before log-ins are turned away (503)."
    );
    describe_gauge!(
        "mail_outbox_waiting",
        "Mail not yet delivered and still being tried (all instances)."
    );
    describe_gauge!(
        "mail_outbox_failed",
        "Mail given up on, waiting for `mail retry` (all instances)."
    );
    describe_gauge!(
        "mail_outbox_oldest_waiting_seconds",
        Unit::Seconds,
        "Age of the oldest mail still waiting; 0 when none waits."
    );
    describe_counter!("mail_sent_total", "Mail this instance delivered.");
    describe_counter!(
        "mail_send_failures_total",
        "Failed deliveries by this instance: retrying (will be tried again) or given_up."
    );
    describe_gauge!(
        "db_pool_connections",
        "This instance's database connections, by state: in_use or idle."
    );
    describe_gauge!(
        "db_pool_max_connections",
        "The most connections this instance opens (DATABASE_MAX_CONNECTIONS)."
    );
}

/// Counts and times one answered request. Requests no route matched are
/// site files (`site_file`, when answered with success) or `unmatched`,
/// so that arbitrary paths cannot multiply the series.
pub fn request_served(route: Option<&str>, status: StatusCode, elapsed: Duration) {
    if HANDLE.get().is_none() {
        return;
    }
    let route = match route {
        Some(route) => route.to_owned(),
        None if status.is_success() || status == StatusCode::NOT_MODIFIED => "site_file".into(),
        None => "unmatched".into(),
    };
    let class = match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    let labels = [("route", route), ("status", class.to_owned())];
    counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

/// Serves `/metrics` on `listener` until the server stops.
pub fn spawn(
    listener: TcpListener,
    handle: &'static PrometheusHandle,
    state: AppState,
) -> tokio::task::JoinHandle<()> {
    let upkeep = tokio::spawn(async move {
        // Folds recorded samples into the histograms between scrapes, so
        // that memory stays flat however long nobody scrapes.
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    });
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state((handle, state));
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!("metrics listener: {error}");
        }
        upkeep.abort();
    })
}

/// Binds the metrics listener.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, super::ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| super::ServeError::Bind(addr, error))
}

async fn scrape(State((handle, state)): State<(&'static PrometheusHandle, AppState)>) -> Response {
    read_levels(&state).await;
    handle.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
        .into_response()
}

/// Sets the gauges that are levels rather than events.
async fn read_levels(state: &AppState) {
    let hasher = state.accounts.hasher();
    gauge!("password_hash_queue_depth").set(hasher.queued() as f64);
    gauge!("password_hash_queue_capacity").set(state.config.hash_queue as f64);

    let pool = &state.db;
    let open = f64::from(pool.size());
    let idle = pool.num_idle() as f64;
    gauge!("db_pool_connections", "state" => "in_use").set((open - idle).max(0.0));
    gauge!("db_pool_connections", "state" => "idle").set(idle);
    gauge!("db_pool_max_connections").set(f64::from(pool.options().get_max_connections()));

    // One query on the outbox, bounded so that a stuck database cannot
    // stall the scrape: the gauges then keep their last values.
    let outbox = sqlx::query_as::<_, (i64, i64, Option<i64>)>(
        "SELECT \
         COALESCE(sum(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(sum(CASE WHEN sent_at IS NULL AND failed_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         min(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN created_at END) \
         FROM outbox",
    )
    .fetch_one(pool);
    match tokio::time::timeout(Duration::from_secs(2), outbox).await {
        Ok(Ok((waiting, failed, oldest))) => {
            gauge!("mail_outbox_waiting").set(waiting as f64);
            gauge!("mail_outbox_failed").set(failed as f64);
            let age = oldest.map_or(0, |created_at| (now() - created_at).max(0));
            gauge!("mail_outbox_oldest_waiting_seconds").set(age as f64);
        }
        Ok(Err(error)) => tracing::warn!("metrics: could not read the outbox: {error}"),
        Err(_) => tracing::warn!("metrics: reading the outbox took over 2 s"),
    }
}

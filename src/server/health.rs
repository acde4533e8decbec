//! `GET /healthz` for load balancers and orchestrators.

use std::time::Duration;

use axum::{extract::State, http::StatusCode};
use sqlx::AnyPool;

/// 200 when the database answers a query within a second, 503 otherwise.
pub async fn healthz(State(db): State<AnyPool>) -> (StatusCode, &'static str) {
    let probe = sqlx::query("SELECT 1").execute(&db);
    match tokio::time::timeout(Duration::from_secs(1), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok\n"),
        Ok(Err(error)) => {
            tracing::warn!("health check: database error: {error}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("health check: database timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

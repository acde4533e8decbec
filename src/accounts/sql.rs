//! The two SQL dialects the domain speaks. Queries are written once, in SQL
//! that SQLite and PostgreSQL both accept (`$1` parameters, `RETURNING`,
//! `ON CONFLICT`, integers for times and flags); the few statements that
//! must differ pick their text by [`Backend`], here or next to the code
//! that owns them.

use sqlx::AnyPool;

use crate::error::AppError;

/// Which database a pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `DATABASE_URL` names, if it is one this server speaks.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    /// The backend of an open pool.
    pub fn of(pool: &AnyPool) -> Self {
        Self::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Self::Sqlite)
    }

    /// The backend of an open connection (one inside a transaction).
    pub fn of_connection(connection: &sqlx::AnyConnection) -> Self {
        if connection.backend_name() == "PostgreSQL" {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// The advisory lock that account-changing transactions hold on
/// PostgreSQL (see [`begin_write`]).
const ACCOUNT_WRITE_LOCK: i64 = 0x6c65_7074_6f73_0001;

/// Starts a transaction that holds the write lock from its first
/// statement, so that account changes happen one at a time, as if alone.
/// Every transaction here reads and then writes.
///
/// SQLite: `BEGIN IMMEDIATE`. A deferred transaction would take the lock
/// only at its first write and fail at once (SQLITE_BUSY_SNAPSHOT, which
/// the busy timeout does not wait out) when another connection wrote in
/// between. PostgreSQL: a transaction-scoped advisory lock, the same one
/// on every instance, released at commit or rollback. Log-ins, rate
/// limits and page views do not take it: they are single statements.
pub async fn begin_write(db: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
    match Backend::of(db) {
        Backend::Sqlite => db
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|error| internal("begin", error)),
        Backend::Postgres => {
            let mut tx = db.begin().await.map_err(|error| internal("begin", error))?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(ACCOUNT_WRITE_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(|error| internal("take the write lock", error))?;
            Ok(tx)
        }
    }
}

/// Logs an unexpected database failure and hides it from the client.
pub fn internal(action: &str, error: impl std::fmt::Display) -> AppError {
    tracing::error!("accounts: {action}: {error}");
    AppError::Internal
}

//! The one place that opens the database: SQLite (a file, the default) or
//! PostgreSQL (several instances on one database), chosen by the scheme of
//! `DATABASE_URL`.
//!
//! Queries go through sqlx's `Any` driver; the dialects are the domain's
//! business ([`crate::accounts::sql`]).

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    any::AnyPoolOptions, migrate::Migrator, sqlite::SqliteConnectOptions, AnyPool, Executor,
};

use super::error::ServeError;
pub use crate::accounts::{
    email::{rekey_emails, Collision, EMAIL_KEY_VERSION},
    sql::Backend,
};

/// The migrations in `migrations/sqlite/`, embedded in the binary.
pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
/// The migrations in `migrations/postgres/`, embedded in the binary.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// How long a query waits for another connection's write lock before
/// failing (SQLite).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connection pool settings (`DATABASE_MAX_CONNECTIONS`,
/// `DATABASE_ACQUIRE_TIMEOUT_SECONDS`, `DATABASE_IDLE_TIMEOUT_SECONDS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections per server instance; `None` picks the backend's default.
    pub max_connections: Option<u32>,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Option<Duration>,
    /// An unused connection is closed after this long (PostgreSQL).
    pub idle_timeout: Option<Duration>,
}

impl PoolSettings {
    /// SQLite: eight connections measured best on two cores (each has its
    /// own thread in sqlx). PostgreSQL: ten per instance, so that several
    /// instances stay within the server's default of 100.
    pub fn max_connections(&self, backend: Backend) -> u32 {
        self.max_connections.unwrap_or(match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 10,
        })
    }

    pub fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout.unwrap_or(Duration::from_secs(10))
    }

    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout.unwrap_or(Duration::from_secs(600))
    }
}

/// Opens the database at `url` with the default pool settings; see
/// [`connect_with`].
pub async fn connect(url: &str) -> Result<AnyPool, ServeError> {
    connect_with(url, &PoolSettings::default()).await
}

/// Opens (for SQLite, creating if needed) the database at `url` and applies
/// any pending migrations (see [`open`] and [`migrate`]).
pub async fn connect_with(url: &str, settings: &PoolSettings) -> Result<AnyPool, ServeError> {
    let pool = open(url, settings).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// The file an `sqlite://` URL names (none for PostgreSQL or an
/// in-memory database).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if Backend::of_url(url)? != Backend::Sqlite {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty() && file != Path::new(":memory:")).then(|| file.to_path_buf())
}

/// Opens (for SQLite, creating if needed) the database at `url`, without
/// touching its schema.
///
/// SQLite: WAL journaling lets page reads run while a write is in progress;
/// `synchronous = NORMAL` is durable under WAL except for the last
/// transactions before a power loss; foreign keys must be switched on per
/// connection.
pub async fn open(url: &str, settings: &PoolSettings) -> Result<AnyPool, ServeError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url).ok_or_else(|| {
        ServeError::Database(sqlx::Error::Configuration(
            "DATABASE_URL must start with sqlite:// or postgres://".into(),
        ))
    })?;
    let mut url = url.to_owned();
    let mut options = AnyPoolOptions::new()
        .max_connections(settings.max_connections(backend))
        .acquire_timeout(settings.acquire_timeout());
    match backend {
        Backend::Sqlite => {
            let file = SqliteConnectOptions::from_str(&url).map_err(ServeError::Database)?;
            if let Some(dir) = Path::new(file.get_filename()).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(ServeError::Io)?;
                }
            }
            if !url.contains("mode=") {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str("mode=rwc");
            }
            // A connection is a file handle on this machine, not a socket
            // that a network can cut: sqlx's ping before handing one out
            // (one more trip to the connection's thread per query) finds
            // nothing to test.
            options = options
                .test_before_acquire(false)
                .after_connect(|connection, _| {
                    Box::pin(async move {
                        let pragmas = format!(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
                            BUSY_TIMEOUT.as_millis()
                        );
                        connection.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                        Ok(())
                    })
                });
        }
        Backend::Postgres => {
            options = options.idle_timeout(settings.idle_timeout());
        }
    }
    options.connect(&url).await.map_err(ServeError::Database)
}

/// A migration that [`migrate`] applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub description: String,
}

/// Applies the pending migrations of `pool`'s database and returns them
/// (none when it was up to date). Migrations take a lock (PostgreSQL: an
/// advisory lock), so instances starting at once apply each exactly once.
/// Then brings email keys made under an older rule up to date.
pub async fn migrate(pool: &AnyPool) -> Result<Vec<Applied>, ServeError> {
    let backend = Backend::of(pool);
    let before = applied_versions(pool).await;
    // SQLite has no lock that spans the migrator's transactions: instances
    // starting at once on one file take turns through a lock file beside it.
    let migration_lock = match backend {
        Backend::Sqlite => Some(lock_file(pool.connect_options().database_url.as_str()).await?),
        Backend::Postgres => None,
    };
    migrator(backend)
        .run(pool)
        .await
        .map_err(ServeError::Migrate)?;
    drop(migration_lock);
    let applied = migrator(backend)
        .iter()
        .filter(|migration| !before.contains(&migration.version))
        .map(|migration| Applied {
            version: migration.version,
            description: migration.description.to_string(),
        })
        .collect();
    let collisions = rekey_emails(pool).await.map_err(ServeError::Database)?;
    for collision in &collisions {
        tracing::error!(
            "accounts {} and {} have the same email address once normalised; account {} \
             keeps its old key until an operator merges or removes one of them",
            collision.kept,
            collision.unchanged,
            collision.unchanged
        );
    }
    Ok(applied)
}

/// The migrations of `backend`'s dialect.
fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    }
}

/// The versions of the migrations already applied (none on a new database).
async fn applied_versions(pool: &AnyPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .unwrap_or_default()
}

/// Waits for, then holds, the migration lock of the SQLite database at
/// `url`: an advisory lock on `<file>-migrate.lock`, released when the
/// returned file is dropped (or the process ends).
async fn lock_file(url: &str) -> Result<std::fs::File, ServeError> {
    let database = SqliteConnectOptions::from_str(url).map_err(ServeError::Database)?;
    let mut path = database.get_filename().as_os_str().to_owned();
    path.push("-migrate.lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|error| ServeError::Io(std::io::Error::other(error)))?
    .map_err(ServeError::Io)
}

//! The one place that opens the database: SQLite (a file, the default) or
//! PostgreSQL (several instances on one database), chosen by the scheme of
//! `DATABASE_URL`.
//!
//! Queries go through sqlx's `Any` driver and are written once, in SQL that
//! both databases accept: `$1` parameters, `RETURNING`, `ON CONFLICT`,
//! integers for times and flags. The few statements that must differ pick
//! their text by [`Backend`].

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    any::AnyPoolOptions, migrate::Migrator, sqlite::SqliteConnectOptions, AnyPool, Executor,
};

use super::ServeError;
use crate::accounts::email;

/// The rule that made a user's `email_key`: 2 is NFC, Unicode case
/// folding and IDNA domains (`accounts::email`); 1 was lower-casing.
pub const EMAIL_KEY_VERSION: i64 = 2;

/// The migrations in `migrations/sqlite/`, embedded in the binary.
pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
/// The migrations in `migrations/postgres/`, embedded in the binary.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// How long a query waits for another connection's write lock before
/// failing (SQLite).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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

    fn migrator(self) -> &'static Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATOR,
            Self::Postgres => &POSTGRES_MIGRATOR,
        }
    }
}

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
    backend
        .migrator()
        .run(pool)
        .await
        .map_err(ServeError::Migrate)?;
    drop(migration_lock);
    let applied = backend
        .migrator()
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

/// Two accounts whose addresses became the same under the current rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collision {
    /// The account that has the address under the current rule.
    pub kept: i64,
    /// The account left with its old key (and so reported at every start).
    pub unchanged: i64,
}

/// Brings the email addresses and keys of accounts made under an older
/// rule to the current one ([`EMAIL_KEY_VERSION`]), oldest account first,
/// and returns the accounts that would collide with another. Those keep
/// their old key and are reported: which of two look-alike accounts is
/// the real owner's is for a person to decide. Runs at every start; rows
/// already current cost nothing.
pub async fn rekey_emails(pool: &AnyPool) -> Result<Vec<Collision>, sqlx::Error> {
    let stale: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, email FROM users WHERE email_key_version < $1 ORDER BY id")
            .bind(EMAIL_KEY_VERSION)
            .fetch_all(pool)
            .await?;
    let mut collisions = Vec::new();
    for (id, stored) in stale {
        let Ok(normalised) = email::normalise(&stored) else {
            tracing::warn!(
                "account {id}: its stored email address does not pass today's rules; \
                 its old key is kept"
            );
            continue;
        };
        let updated = sqlx::query(
            "UPDATE users SET email = $1, email_key = $2, email_key_version = $3 WHERE id = $4",
        )
        .bind(&normalised.email)
        .bind(&normalised.key)
        .bind(EMAIL_KEY_VERSION)
        .bind(id)
        .execute(pool)
        .await;
        match updated {
            Ok(_) => {}
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                let kept: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email_key = $1")
                    .bind(&normalised.key)
                    .fetch_one(pool)
                    .await?;
                collisions.push(Collision {
                    kept,
                    unchanged: id,
                });
            }
            Err(error) => return Err(error),
        }
    }
    Ok(collisions)
}

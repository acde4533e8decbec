//! The one place that opens the database.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

use super::ServeError;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// How long a query waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens (creating if needed) the SQLite database at `url` and applies any
/// pending migrations.
///
/// WAL journaling lets page reads run while a write is in progress;
/// `synchronous = NORMAL` is durable under WAL except for the last
/// transactions before a power loss; foreign keys are off by default in
/// SQLite and must be switched on per connection.
pub async fn connect(url: &str) -> Result<SqlitePool, ServeError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(ServeError::Database)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);

    if let Some(dir) = Path::new(options.get_filename()).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(ServeError::Io)?;
        }
    }

    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(ServeError::Database)?;
    MIGRATOR.run(&pool).await.map_err(ServeError::Migrate)?;
    Ok(pool)
}

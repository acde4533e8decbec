//! The one place that opens the database.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

use super::ServeError;
use crate::accounts::email;

/// The rule that made a user's `email_key`: 2 is NFC, Unicode case
/// folding and IDNA domains (`accounts::email`); 1 was lower-casing.
pub const EMAIL_KEY_VERSION: i64 = 2;

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

    // A connection is a file handle on this machine, not a socket that a
    // network can cut: sqlx's ping before handing one out (one more trip
    // to the connection's thread per query) finds nothing to test.
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(ServeError::Database)?;
    MIGRATOR.run(&pool).await.map_err(ServeError::Migrate)?;
    let collisions = rekey_emails(&pool).await.map_err(ServeError::Database)?;
    for collision in &collisions {
        tracing::error!(
            "accounts {} and {} have the same email address once normalised; account {} \
             keeps its old key until an operator merges or removes one of them",
            collision.kept,
            collision.unchanged,
            collision.unchanged
        );
    }
    Ok(pool)
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
pub async fn rekey_emails(pool: &SqlitePool) -> Result<Vec<Collision>, sqlx::Error> {
    let stale: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, email FROM users WHERE email_key_version < ? ORDER BY id")
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
            "UPDATE users SET email = ?, email_key = ?, email_key_version = ? WHERE id = ?",
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
                let kept: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email_key = ?")
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

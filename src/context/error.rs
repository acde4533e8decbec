//! The one error of starting up: the database, the listeners and the mail
//! settings.

use std::fmt;

/// Why the server could not start (or stopped with an error), and why an
/// operator's command could not open the database.
#[derive(Debug)]
pub enum ServeError {
    Database(sqlx::Error),
    Migrate(sqlx::migrate::MigrateError),
    Bind(std::net::SocketAddr, std::io::Error),
    Io(std::io::Error),
    Mail(String),
    Metrics(String),
    Provider(String),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database(error) => write!(f, "could not open the database: {error}"),
            Self::Migrate(error) => write!(f, "could not apply database migrations: {error}"),
            Self::Bind(addr, error) => write!(f, "could not listen on {addr}: {error}"),
            Self::Io(error) => write!(f, "server error: {error}"),
            Self::Mail(error) => write!(f, "mail settings: {error}"),
            Self::Metrics(error) => f.write_str(error),
            Self::Provider(error) => write!(f, "external sign-in: {error}"),
        }
    }
}

impl std::error::Error for ServeError {}

//! What the server side of a request stands on: the shared state, the
//! settings, the database, the request itself (who is signed in, cookies)
//! and the site's built files. Server functions and pages reach the domain
//! through here; nothing here knows of them.

pub mod assets;
pub mod config;
pub mod database;
pub mod env;
pub mod error;
mod providers;
pub mod request;
pub mod seal_key;
pub mod state;

pub use config::Config;
pub use error::ServeError;
pub use state::AppState;

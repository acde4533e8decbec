//! The server: read the configuration, open the database, build the router,
//! serve until SIGINT or SIGTERM, then let in-flight requests finish.

/// Page rendering allocates and frees many small values per request, on
/// whichever thread runs it; mimalloc's per-thread free lists serve that
/// with far less locking and consolidation than glibc's malloc.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use leptos_accounts::server::{self, Config};

    server::telemetry::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("configuration: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match server::serve(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle starts at `leptos_accounts::hydrate`; this binary is
    // only meaningful with the `ssr` feature.
}

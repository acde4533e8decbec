//! The server: read the configuration, open the database, build the router,
//! serve until SIGINT or SIGTERM, then let in-flight requests finish. Or,
//! given a command (`users list`, `migrate`, …; see `--help`), operate on
//! the database the server uses.

/// Page rendering allocates and frees many small values per request, on
/// whichever thread runs it; mimalloc's per-thread free lists serve that
/// with far less locking and consolidation than glibc's malloc.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;
    use leptos_accounts::server::{
        self,
        cli::{Cli, Command},
        telemetry::{LogFormat, LogTarget},
        Config,
    };

    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Serve) => {}
        Some(command) => return server::cli::run(command, cli.json).await,
    }
    match LogFormat::from_env() {
        Ok(format) => server::telemetry::init(format, LogTarget::Stdout, "info"),
        Err(error) => {
            eprintln!("configuration: {error}");
            return std::process::ExitCode::FAILURE;
        }
    }
    let served = match Config::from_env() {
        Ok(config) => server::serve(config)
            .await
            .map_err(|error| error.to_string()),
        Err(error) => Err(format!("configuration: {error}")),
    };
    let code = match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            std::process::ExitCode::FAILURE
        }
    };
    // Request lines still waiting for their batch.
    server::telemetry::flush();
    code
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle starts at `leptos_accounts::hydrate`; this binary is
    // only meaningful with the `ssr` feature.
}

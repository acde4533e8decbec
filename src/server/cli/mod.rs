//! The server binary's command line: `serve` (the default) and the
//! operator's commands, which work on the database that `DATABASE_URL`
//! names, SQLite or PostgreSQL alike, while servers run on it.
//!
//! Each command prints text for people, or one JSON document with
//! `--json`; errors go to stderr with exit status 1 (2 for a command line
//! that cannot be read). What a command does is recorded in the audit trail
//! as done by the operator.

mod args;
mod commands;
mod output;
mod prompt;

use std::{io::Write, process::ExitCode};

pub use args::{Cli, Command, MailCommand, SessionsCommand, UsersCommand};
use output::Failure;

use super::telemetry::{self, LogFormat, LogTarget};

/// Runs an operator's command (anything but `serve`).
pub async fn run(command: Command, json: bool) -> ExitCode {
    let default_filter = "warn";
    match LogFormat::from_env() {
        Ok(format) => telemetry::init(format, LogTarget::Stderr, default_filter),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    }
    match commands::execute(command, json).await {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not the command's failure.
            let _ = stdout.write_all(output.as_bytes());
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

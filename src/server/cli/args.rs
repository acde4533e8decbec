//! The command line as clap reads it: `serve` and the operator's commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Sign-up, log-in, sessions and mail for your site: the server, and the
/// commands that operate it.
///
/// Every command reads the same settings as the server (DATABASE_URL
/// above all) and applies pending migrations first, as the server does.
#[derive(Debug, Parser)]
#[command(name = "leptos_accounts", version)]
pub struct Cli {
    /// Print one JSON document instead of text, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site (what runs when no command is given).
    Serve,
    /// Apply pending database migrations, then stop.
    Migrate,
    /// Find, unlock, verify, create and delete accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// End sessions.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// See what mail went out, and send again what did not.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Copy the SQLite database, while servers use it, to a new file.
    Backup {
        /// Where to write the copy; the file must not exist yet.
        path: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Accounts, newest first.
    List {
        /// Only accounts whose address is not verified.
        #[arg(long)]
        unverified: bool,
        /// Only accounts whose log-in is paused by failed attempts.
        #[arg(long)]
        locked: bool,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One account: its sessions, latest events and undelivered mail.
    Show { email: String },
    /// Forget failed log-ins on the account, so that log-in is no longer
    /// paused.
    Unlock { email: String },
    /// Mark the account's address as verified.
    Verify { email: String },
    /// The account's second factor (authenticator app, recovery codes).
    #[command(name = "two-factor", subcommand)]
    TwoFactor(TwoFactorCommand),
    /// Make an account. The password is read from a prompt, or from the
    /// first line of stdin when stdin is not a terminal; never from the
    /// command line, where other users of the machine could see it.
    Create {
        email: String,
        /// What the product calls the person.
        #[arg(long, default_value = "")]
        name: String,
        /// The address is known to be theirs: send no verification mail.
        #[arg(long)]
        verified: bool,
    },
    /// Delete the account and everything that names it, as the person's
    /// own deletion does (a farewell mail included).
    Delete {
        email: String,
        /// Do not ask: needed when stdin is not a terminal.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TwoFactorCommand {
    /// Remove the account's authenticator app and recovery codes, for a
    /// person who lost both (after checking who they are): log-ins then
    /// need only the password. The person is mailed a notice.
    Reset { email: String },
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Sign the account out everywhere: end every session it has.
    Revoke { email: String },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// The latest mail in the outbox, newest first, and how much waits,
    /// went out or was given up on.
    List {
        /// Only mail given up on.
        #[arg(long)]
        failed: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put an undelivered mail back in line, due now, with fresh attempts.
    Retry { id: i64 },
}

impl Cli {
    /// The command line's name for a command, as the audit trail keeps it.
    pub(super) fn command_name(command: &Command) -> &'static str {
        match command {
            Command::Serve => "serve",
            Command::Migrate => "migrate",
            Command::Users(UsersCommand::List { .. }) => "users list",
            Command::Users(UsersCommand::Show { .. }) => "users show",
            Command::Users(UsersCommand::Unlock { .. }) => "users unlock",
            Command::Users(UsersCommand::Verify { .. }) => "users verify",
            Command::Users(UsersCommand::TwoFactor(TwoFactorCommand::Reset { .. })) => {
                "users two-factor reset"
            }
            Command::Users(UsersCommand::Create { .. }) => "users create",
            Command::Users(UsersCommand::Delete { .. }) => "users delete",
            Command::Sessions(SessionsCommand::Revoke { .. }) => "sessions revoke",
            Command::Mail(MailCommand::List { .. }) => "mail list",
            Command::Mail(MailCommand::Retry { .. }) => "mail retry",
            Command::Backup { .. } => "backup",
        }
    }
}

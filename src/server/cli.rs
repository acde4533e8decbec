//! The server binary's command line: `serve` (the default) and the
//! operator's commands, which work on the database that `DATABASE_URL`
//! names, SQLite or PostgreSQL alike, while servers run on it.
//!
//! Each command prints text for people, or one JSON document with
//! `--json`; errors go to stderr with exit status 1 (2 for a command line
//! that cannot be read). What a command does is recorded in the audit trail
//! as done by the operator.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
    process::ExitCode,
};

use clap::{Parser, Subcommand};
use serde::Serialize;

use super::{
    db::{self, Backend},
    telemetry::{self, LogFormat, LogTarget},
    web::{rfc3339, utc_date_time},
    AppState, Config,
};
use crate::accounts::{
    admin::{AdminError, MailSummary, NewAccount, UserDetails, UserFilter, UserSummary},
    audit::Client,
    Accounts, Event,
};

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
    fn command_name(command: &Command) -> &'static str {
        match command {
            Command::Serve => "serve",
            Command::Migrate => "migrate",
            Command::Users(UsersCommand::List { .. }) => "users list",
            Command::Users(UsersCommand::Show { .. }) => "users show",
            Command::Users(UsersCommand::Unlock { .. }) => "users unlock",
            Command::Users(UsersCommand::Verify { .. }) => "users verify",
            Command::Users(UsersCommand::Create { .. }) => "users create",
            Command::Users(UsersCommand::Delete { .. }) => "users delete",
            Command::Sessions(SessionsCommand::Revoke { .. }) => "sessions revoke",
            Command::Mail(MailCommand::List { .. }) => "mail list",
            Command::Mail(MailCommand::Retry { .. }) => "mail retry",
            Command::Backup { .. } => "backup",
        }
    }
}

/// Why a command failed: said on stderr, exit status 1.
#[derive(Debug)]
struct Failure(String);

impl From<AdminError> for Failure {
    fn from(error: AdminError) -> Self {
        Self(error.to_string())
    }
}

impl From<super::ServeError> for Failure {
    fn from(error: super::ServeError) -> Self {
        Self(error.to_string())
    }
}

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
    match execute(command, json).await {
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

async fn execute(command: Command, json: bool) -> Result<String, Failure> {
    let config = Config::from_env().map_err(|error| Failure(error.to_string()))?;
    let operator = Client::operator(Cli::command_name(&command), &login_name());
    if let Command::Migrate = command {
        return migrate(&config, &operator, json).await;
    }
    // Confirm before connecting: nothing is touched when the answer is no.
    if let Command::Users(UsersCommand::Delete { email, yes: false }) = &command {
        confirm_deletion(email)?;
    }
    let password = match &command {
        Command::Users(UsersCommand::Create { email, .. }) => Some(read_password(email)?),
        _ => None,
    };
    // The server makes its SQLite file when it is missing; a command on a
    // mistyped path must not make an empty one and report "no accounts".
    if let Some(file) = db::sqlite_file(&config.database_url) {
        if !file.exists() {
            return Err(Failure(format!(
                "no database at {} (DATABASE_URL): check the path; the server or \
                 `leptos_accounts migrate` creates it",
                file.display()
            )));
        }
    }
    let db = db::connect_with(&config.database_url, &config.database_pool).await?;
    let state = AppState::new(config, db.clone())
        .await
        .map_err(|error| Failure(format!("could not open the database: {error}")))?;
    let accounts = &state.accounts;
    let output = match command {
        Command::Serve | Command::Migrate => unreachable!("handled above"),
        Command::Users(command) => users(accounts, command, password, &operator, json).await,
        Command::Sessions(SessionsCommand::Revoke { email }) => {
            let ended = accounts.revoke_sessions(&email, &operator).await?;
            Ok(emit(
                json,
                &serde_json::json!({ "email": email, "sessions_ended": ended }),
                || format!("{email}: {ended} {} ended\n", plural(ended, "session")),
            ))
        }
        Command::Mail(command) => mail(accounts, command, &operator, json).await,
        Command::Backup { path } => backup(&db, accounts, &path, &operator, json).await,
    };
    db.close().await;
    output
}

async fn migrate(config: &Config, operator: &Client, json: bool) -> Result<String, Failure> {
    let pool = db::open(&config.database_url, &config.database_pool).await?;
    let applied = db::migrate(&pool).await?;
    let latest: Option<(i64, String)> = sqlx::query_as(
        "SELECT version, description FROM _sqlx_migrations ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(&pool)
    .await
    .map_err(|error| Failure(format!("could not read the migrations: {error}")))?;
    crate::accounts::audit::record(&pool, Event::DatabaseMigrated, None, operator).await;
    pool.close().await;
    let versions: Vec<serde_json::Value> = applied
        .iter()
        .map(|migration| {
            serde_json::json!({ "version": migration.version, "description": migration.description })
        })
        .collect();
    Ok(emit(
        json,
        &serde_json::json!({ "applied": versions, "latest": latest.as_ref().map(|(v, _)| v) }),
        || {
            let mut text = String::new();
            for migration in &applied {
                text.push_str(&format!(
                    "applied {} {}\n",
                    migration.version, migration.description
                ));
            }
            match &latest {
                Some((version, description)) if applied.is_empty() => text.push_str(&format!(
                    "the database is up to date (migration {version} {description})\n"
                )),
                Some((version, _)) => {
                    text.push_str(&format!("the database is now at migration {version}\n"));
                }
                None => text.push_str("the database has no migrations\n"),
            }
            text
        },
    ))
}

async fn users(
    accounts: &Accounts,
    command: UsersCommand,
    password: Option<String>,
    operator: &Client,
    json: bool,
) -> Result<String, Failure> {
    match command {
        UsersCommand::List {
            unverified,
            locked,
            limit,
        } => {
            let filter = UserFilter {
                unverified,
                locked,
                limit: i64::from(limit),
            };
            let users = accounts.list_users(filter, operator).await?;
            Ok(emit(json, &users, || users_table(&users)))
        }
        UsersCommand::Show { email } => {
            let details = accounts.show_user(&email, operator).await?;
            Ok(emit(json, &details, || user_details(&details)))
        }
        UsersCommand::Unlock { email } => {
            let cleared = accounts.unlock(&email, operator).await?;
            Ok(emit(
                json,
                &serde_json::json!({ "email": email, "failure_counts_cleared": cleared }),
                || match cleared {
                    0 => format!("{email}: no failed log-ins were counted; nothing to unlock\n"),
                    _ => format!(
                        "{email}: unlocked ({cleared} failure {} cleared)\n",
                        plural(cleared, "count")
                    ),
                },
            ))
        }
        UsersCommand::Verify { email } => {
            let done = accounts.verify(&email, operator).await?;
            let withdrawn = done.mail_withdrawn;
            Ok(emit(
                json,
                &serde_json::json!({
                    "email": email,
                    "verified": true,
                    "changed": done.changed,
                    "mail_withdrawn": withdrawn,
                }),
                || {
                    let mut text = match done.changed {
                        true => format!("{email}: address verified\n"),
                        false => format!("{email}: the address was verified already\n"),
                    };
                    if withdrawn > 0 {
                        text.push_str(&format!(
                            "{withdrawn} unsent verification {} withdrawn from the outbox\n",
                            plural(withdrawn, "mail")
                        ));
                    }
                    text
                },
            ))
        }
        UsersCommand::Create {
            email,
            name,
            verified,
        } => {
            let password = password.unwrap_or_default();
            let new = NewAccount {
                email: &email,
                password: &password,
                display_name: &name,
                verified,
            };
            let user = accounts.create_user(&new, operator).await?;
            Ok(emit(json, &user, || {
                let mut text = format!("created account {} for {}\n", user.id, user.email);
                if !verified {
                    text.push_str("a link to verify the address is in the outbox\n");
                }
                text
            }))
        }
        UsersCommand::Delete { email, .. } => {
            accounts.delete_user(&email, operator).await?;
            Ok(emit(
                json,
                &serde_json::json!({ "email": email, "deleted": true }),
                || format!("{email}: account deleted; a farewell mail is in the outbox\n"),
            ))
        }
    }
}

async fn mail(
    accounts: &Accounts,
    command: MailCommand,
    operator: &Client,
    json: bool,
) -> Result<String, Failure> {
    match command {
        MailCommand::List { failed, limit } => {
            let (mail, counts) = accounts
                .list_mail(failed, i64::from(limit), operator)
                .await?;
            Ok(emit(
                json,
                &serde_json::json!({ "mail": mail, "counts": counts }),
                || {
                    let mut text = mail_table(&mail);
                    text.push_str(&format!(
                        "{} waiting, {} sent, {} failed\n",
                        counts.waiting, counts.sent, counts.failed
                    ));
                    text
                },
            ))
        }
        MailCommand::Retry { id } => {
            accounts.retry_mail(id, operator).await?;
            Ok(emit(
                json,
                &serde_json::json!({ "id": id, "retrying": true }),
                || format!("mail {id} is due now; a running server sends it within seconds\n"),
            ))
        }
    }
}

/// SQLite's `VACUUM INTO`: a consistent copy of the database while servers
/// keep writing, compacted, in a new file.
async fn backup(
    db: &sqlx::AnyPool,
    accounts: &Accounts,
    path: &std::path::Path,
    operator: &Client,
    json: bool,
) -> Result<String, Failure> {
    if Backend::of(db) == Backend::Postgres {
        return Err(Failure(
            "backup copies a SQLite database; for PostgreSQL use pg_dump \
             (README: Operating, Backup and restore)"
                .to_owned(),
        ));
    }
    if path.exists() {
        return Err(Failure(format!(
            "{} exists already: choose a new file",
            path.display()
        )));
    }
    let target = path
        .to_str()
        .ok_or_else(|| Failure("the backup path must be valid UTF-8".to_owned()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(db)
        .await
        .map_err(|error| Failure(format!("could not write {target}: {error}")))?;
    let bytes = std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0);
    accounts.record(Event::BackupMade, None, operator).await;
    Ok(emit(
        json,
        &serde_json::json!({ "path": target, "bytes": bytes }),
        || format!("backed up to {target} ({bytes} bytes)\n"),
    ))
}

/// `text` for people, or `value` as JSON.
fn emit<T: Serialize + ?Sized>(json: bool, value: &T, text: impl FnOnce() -> String) -> String {
    if json {
        let mut out = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
        out.push('\n');
        out
    } else {
        text()
    }
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}

fn date(unix_secs: Option<i64>) -> String {
    unix_secs.map_or_else(|| "-".to_owned(), utc_date_time)
}

/// When a log-in pause ends, to the second: pauses start at a second.
fn pause_end(unix_secs: Option<i64>) -> String {
    unix_secs.map_or_else(
        || "-".to_owned(),
        |at| {
            let time = rfc3339(at);
            time.replacen('T', " ", 1).replace('Z', " UTC")
        },
    )
}

fn users_table(users: &[UserSummary]) -> String {
    if users.is_empty() {
        return "no accounts\n".to_owned();
    }
    let mut text =
        String::from("ID\tEMAIL\tCREATED\tVERIFIED\tSESSIONS\tLAST SEEN\tLOCKED UNTIL\n");
    for user in users {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            user.id,
            user.email,
            utc_date_time(user.created_at),
            date(user.email_verified_at),
            user.sessions,
            date(user.last_seen_at),
            pause_end(user.locked_until),
        ));
    }
    text
}

fn user_details(details: &UserDetails) -> String {
    let user = &details.user;
    let mut text = format!(
        "account {}\nemail: {}\nname: {}\ncreated: {}\nverified: {}\nfailed log-ins: {}\n\
         locked until: {}\nundelivered mail: {}\n",
        user.id,
        user.email,
        user.display_name,
        utc_date_time(user.created_at),
        date(user.email_verified_at),
        user.failed_log_ins,
        pause_end(user.locked_until),
        details.undelivered_mail,
    );
    text.push_str(&format!("sessions: {}\n", details.live_sessions.len()));
    for session in &details.live_sessions {
        text.push_str(&format!(
            "  {}\tsince {}\tlast seen {}\t{}\t{}\n",
            session.id,
            utc_date_time(session.created_at),
            utc_date_time(session.last_seen_at),
            session.ip,
            crate::accounts::settings::describe_device(&session.user_agent),
        ));
    }
    text.push_str("recent events:\n");
    for event in &details.recent_events {
        let by = if event.actor == "operator" {
            "operator".to_owned()
        } else {
            event.ip.clone()
        };
        text.push_str(&format!(
            "  {}\t{}\t{}\n",
            utc_date_time(event.at),
            event.kind,
            by
        ));
    }
    text
}

fn mail_table(mail: &[MailSummary]) -> String {
    if mail.is_empty() {
        return "no mail\n".to_owned();
    }
    let mut text = String::from("ID\tKIND\tTO\tCREATED\tSTATUS\tATTEMPTS\tLAST ERROR\n");
    for one in mail {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            one.id,
            one.kind,
            one.recipient,
            utc_date_time(one.created_at),
            one.status.name(),
            one.attempts,
            one.last_error.as_deref().unwrap_or("-"),
        ));
    }
    text
}

/// Who runs the command, as the operating system calls them.
fn login_name() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The new account's password: asked twice at a terminal without echo,
/// else the first line of stdin.
fn read_password(email: &str) -> Result<String, Failure> {
    let unreadable =
        |error: std::io::Error| Failure(format!("could not read the password: {error}"));
    if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password(format!("Password for {email}: ")).map_err(unreadable)?;
        let again = rpassword::prompt_password("The same password again: ").map_err(unreadable)?;
        if first != again {
            return Err(Failure(
                "the two passwords differ; nothing was created".to_owned(),
            ));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(unreadable)?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_owned())
}

/// Asks at a terminal for the address again before a deletion; without a
/// terminal the operator must have said `--yes`.
fn confirm_deletion(email: &str) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure(
            "deleting an account cannot be undone: add --yes to delete without being asked"
                .to_owned(),
        ));
    }
    eprint!("Deleting cannot be undone. Type the address again to delete {email}: ");
    let _ = std::io::stderr().flush();
    let mut typed = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut typed)
        .map_err(|error| Failure(format!("could not read the answer: {error}")))?;
    if typed.trim() != email.trim() {
        return Err(Failure(
            "the addresses differ; nothing was deleted".to_owned(),
        ));
    }
    Ok(())
}

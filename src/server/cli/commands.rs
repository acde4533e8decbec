//! The operator's commands, each on the database that `DATABASE_URL`
//! names, through the same `Accounts` code the web server runs.

use super::{
    args::{Cli, Command, MailCommand, SessionsCommand, TwoFactorCommand, UsersCommand},
    output::{emit, mail_table, plural, user_details, users_table, Failure},
    prompt::{confirm_deletion, login_name, read_password},
};
use crate::{
    accounts::{
        admin::{NewAccount, UserFilter},
        audit::Client,
        Accounts, Event,
    },
    context::{
        database::{self as db, Backend},
        AppState, Config,
    },
};

pub(super) async fn execute(command: Command, json: bool) -> Result<String, Failure> {
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
    // The operator's commands never send anyone to a provider.
    let providers = crate::accounts::external::Providers::default();
    let state = AppState::new(config, db.clone(), providers)
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
        UsersCommand::TwoFactor(TwoFactorCommand::Reset { email }) => {
            let removed = accounts.reset_two_factor(&email, operator).await?;
            Ok(emit(
                json,
                &serde_json::json!({ "email": email, "two_factor_removed": removed }),
                || match removed {
                    true => format!(
                        "{email}: second factor removed; log-ins need only the password now \
                         (a notice was mailed)\n"
                    ),
                    false => format!("{email}: had no second factor; nothing changed\n"),
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

//! What the site's operator sees of accounts from the admin command line
//! (`leptos_accounts users …`, `sessions …`, `mail …`): finding people and
//! looking at mail, and the answers and errors of every command. What they
//! change (unlock, verify, create and remove accounts, end sessions, resend
//! mail) is in [`super::operator`]. Every action is recorded in the audit
//! trail as the operator's ([`Client::operator`]), and changes go through
//! the same rules and cascades as the web's: a created account meets the
//! password policy, a deleted one leaves nothing behind.

use std::fmt;

use serde::Serialize;

use super::{audit, email, sql::internal, Accounts, Client, Event};
use crate::{error::AppError, time::now, validation::Problem};

/// Why an operator's command could not be done.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminError {
    /// No account has this address.
    NoSuchAccount(String),
    /// The outbox has no mail with this id.
    NoSuchMail(i64),
    /// The mail was delivered already: there is nothing to retry.
    MailAlreadySent(i64),
    /// What was given breaks the same rules a sign-up does.
    Invalid(Vec<Problem>),
    /// The database failed; the details are in the log.
    Internal,
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchAccount(email) => write!(f, "no account has the address {email}"),
            Self::NoSuchMail(id) => write!(f, "the outbox has no mail {id}"),
            Self::MailAlreadySent(id) => write!(f, "mail {id} was delivered already"),
            Self::Invalid(problems) => {
                let messages: Vec<String> = problems.iter().map(|p| p.message()).collect();
                f.write_str(&messages.join("\n"))
            }
            Self::Internal => f.write_str("the database failed; see the log above"),
        }
    }
}

impl std::error::Error for AdminError {}

impl From<AppError> for AdminError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Invalid(problems) => Self::Invalid(problems),
            _ => Self::Internal,
        }
    }
}

pub(super) fn database(action: &str) -> impl FnOnce(sqlx::Error) -> AdminError + '_ {
    move |error| {
        internal(action, error);
        AdminError::Internal
    }
}

/// Which accounts `users list` shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct UserFilter {
    /// Only those whose address is not verified.
    pub unverified: bool,
    /// Only those whose log-in is paused by failed attempts.
    pub locked: bool,
    /// At most this many, newest first.
    pub limit: i64,
}

/// An account as `users list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub email_verified_at: Option<i64>,
    /// Live sessions.
    pub sessions: i64,
    /// The last request of any of its sessions.
    pub last_seen_at: Option<i64>,
    /// Consecutive failed log-ins on the address.
    pub failed_log_ins: i64,
    #[serde(skip)]
    last_failure_at: i64,
    /// Until when log-ins on the address are paused (Unix seconds), if
    /// they are.
    #[sqlx(skip)]
    pub locked_until: Option<i64>,
}

/// A live session, as `users show` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SessionSummary {
    pub id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub user_agent: String,
}

/// One audit event, as `users show` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EventSummary {
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub ip: String,
}

/// An account in full, as `users show` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserDetails {
    #[serde(flatten)]
    pub user: UserSummary,
    pub live_sessions: Vec<SessionSummary>,
    /// The latest events, newest first.
    pub recent_events: Vec<EventSummary>,
    /// Mail to the account not yet delivered (waiting or given up on).
    pub undelivered_mail: i64,
}

/// What `users verify` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verification {
    /// False when the address was verified already.
    pub changed: bool,
    /// How many unsent verification mails were taken out of the outbox.
    pub mail_withdrawn: u64,
}

/// A mail in the outbox, as `mail list` shows it (never its body: the
/// links in it are secrets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MailSummary {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub created_at: i64,
    pub attempts: i64,
    #[sqlx(skip)]
    pub status: MailStatus,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Where a mail stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailStatus {
    /// Not yet delivered; the sender tries again at `next_attempt_at`.
    #[default]
    Waiting,
    Sent,
    /// Given up on: it needs `mail retry`.
    Failed,
}

impl MailStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// How much mail is where, for `mail list`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MailCounts {
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
}

/// A new account by the operator.
#[derive(Clone, Debug)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub display_name: &'a str,
    /// The operator vouches for the address: no verification mail.
    pub verified: bool,
}

const USER_COLUMNS: &str = "SELECT u.id, u.email, u.display_name, u.created_at, \
     u.email_verified_at, \
     (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > $1) AS sessions, \
     (SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id) AS last_seen_at, \
     COALESCE(a.failures, 0) AS failed_log_ins, \
     COALESCE(a.last_failure_at, 0) AS last_failure_at \
     FROM users u LEFT JOIN login_attempts a ON a.key = 'address:' || u.email_key";

impl Accounts {
    /// Accounts newest first, as `filter` asks.
    pub async fn list_users(
        &self,
        filter: UserFilter,
        operator: &Client,
    ) -> Result<Vec<UserSummary>, AdminError> {
        let now = now();
        let mut sql = USER_COLUMNS.to_owned();
        let mut conditions = Vec::new();
        if filter.unverified {
            conditions.push("u.email_verified_at IS NULL");
        }
        if filter.locked {
            // The pause itself depends on the time of the last failure,
            // worked out below; only addresses past their free failures
            // can be paused.
            conditions.push("a.failures >= $2");
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY u.id DESC");
        let mut query = sqlx::query_as::<_, UserSummary>(sqlx::AssertSqlSafe(sql)).bind(now);
        if filter.locked {
            query = query.bind(i64::from(self.limits.free_failures));
        }
        let users = query
            .fetch_all(&self.db)
            .await
            .map_err(database("list users"))?;
        let users = users
            .into_iter()
            .map(|user| self.with_lock(user, now))
            .filter(|user| !filter.locked || user.locked_until.is_some())
            .take(usize::try_from(filter.limit).unwrap_or(usize::MAX))
            .collect();
        audit::record(&self.db, Event::UsersListed, None, operator).await;
        Ok(users)
    }

    /// The account with address `email`, its live sessions, latest events
    /// and undelivered mail.
    pub async fn show_user(
        &self,
        email: &str,
        operator: &Client,
    ) -> Result<UserDetails, AdminError> {
        let user = self.summary(email).await?;
        let live_sessions = sqlx::query_as::<_, SessionSummary>(
            "SELECT id, created_at, last_seen_at, ip, user_agent FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY id DESC",
        )
        .bind(user.id)
        .bind(now())
        .fetch_all(&self.db)
        .await
        .map_err(database("list sessions"))?;
        let recent_events = sqlx::query_as::<_, EventSummary>(
            "SELECT at, kind, actor, ip FROM audit_events WHERE user_id = $1 \
             ORDER BY id DESC LIMIT 20",
        )
        .bind(user.id)
        .fetch_all(&self.db)
        .await
        .map_err(database("list events"))?;
        let undelivered_mail = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE user_id = $1 AND sent_at IS NULL",
        )
        .bind(user.id)
        .fetch_one(&self.db)
        .await
        .map_err(database("count mail"))?;
        audit::record(&self.db, Event::AccountViewed, Some(user.id), operator).await;
        Ok(UserDetails {
            user,
            live_sessions,
            recent_events,
            undelivered_mail,
        })
    }

    /// The latest `limit` mails in the outbox (only those given up on when
    /// `failed`), newest first, and how much mail is where.
    pub async fn list_mail(
        &self,
        failed: bool,
        limit: i64,
        operator: &Client,
    ) -> Result<(Vec<MailSummary>, MailCounts), AdminError> {
        let sql = if failed {
            "SELECT id, kind, recipient, created_at, attempts, next_attempt_at, sent_at, \
             failed_at, last_error FROM outbox WHERE failed_at IS NOT NULL \
             ORDER BY id DESC LIMIT $1"
        } else {
            "SELECT id, kind, recipient, created_at, attempts, next_attempt_at, sent_at, \
             failed_at, last_error FROM outbox ORDER BY id DESC LIMIT $1"
        };
        let mut mail = sqlx::query_as::<_, MailSummary>(sql)
            .bind(limit)
            .fetch_all(&self.db)
            .await
            .map_err(database("list mail"))?;
        for one in &mut mail {
            one.status = match (one.sent_at, one.failed_at) {
                (Some(_), _) => MailStatus::Sent,
                (None, Some(_)) => MailStatus::Failed,
                (None, None) => MailStatus::Waiting,
            };
        }
        let counts = mail_counts(&self.db)
            .await
            .map_err(database("count mail"))?;
        audit::record(&self.db, Event::MailListed, None, operator).await;
        Ok((mail, counts))
    }

    /// The account's summary, found by address.
    pub(super) async fn summary(&self, email: &str) -> Result<UserSummary, AdminError> {
        let (user_id, _) = self.find(email).await?;
        let sql = format!("{USER_COLUMNS} WHERE u.id = $2");
        let user = sqlx::query_as::<_, UserSummary>(sqlx::AssertSqlSafe(sql))
            .bind(now())
            .bind(user_id)
            .fetch_one(&self.db)
            .await
            .map_err(database("read account"))?;
        Ok(self.with_lock(user, now()))
    }

    pub(super) fn with_lock(&self, mut user: UserSummary, now: i64) -> UserSummary {
        let wait = self
            .limits
            .account_wait(user.failed_log_ins, user.last_failure_at, now);
        user.locked_until = (wait > 0).then(|| now + i64::try_from(wait).unwrap_or(i64::MAX / 2));
        user
    }

    /// The id and key of the account with address `email`, matched as a
    /// log-in matches it (any case, any Unicode form).
    pub(super) async fn find(&self, email: &str) -> Result<(i64, String), AdminError> {
        let key = email::key_for_log_in(email.trim())
            .ok_or_else(|| AdminError::NoSuchAccount(email.to_owned()))?;
        let id = self
            .find_user_id(&key)
            .await?
            .ok_or_else(|| AdminError::NoSuchAccount(email.to_owned()))?;
        Ok((id, key))
    }
}

/// How much mail waits, went out and was given up on.
pub async fn mail_counts(db: &sqlx::AnyPool) -> Result<MailCounts, sqlx::Error> {
    sqlx::query_as::<_, MailCounts>(
        "SELECT \
         COALESCE(sum(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) \
           AS waiting, \
         COALESCE(sum(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
         COALESCE(sum(CASE WHEN failed_at IS NOT NULL AND sent_at IS NULL THEN 1 ELSE 0 END), 0) \
           AS failed \
         FROM outbox",
    )
    .fetch_one(db)
    .await
}

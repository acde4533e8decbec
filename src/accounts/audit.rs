//! The audit trail: who did what to an account, when and from where. Users
//! see their own as "Recent activity". Secrets never enter it: events name
//! what happened, not what was typed.

use sqlx::AnyPool;

/// Something that happened to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    SignUp,
    LogIn,
    LogInFailed,
    LogOut,
    ProfileChanged,
    RateLimited,
    PasswordResetRequested,
    PasswordReset,
    EmailVerified,
    Reauthenticated,
    SudoRequired,
    PasswordChanged,
    EmailChangeRequested,
    EmailChanged,
    EmailChangeCancelled,
    SessionEnded,
    OtherSessionsEnded,
    AccountDeleted,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    RecoveryCodeUsed,
    SecondFactorFailed,
    PasskeyAdded,
    PasskeyRemoved,
    PasskeyLogIn,
    PasskeyFailed,
    PasskeyReauthenticated,
    LoginLinkRequested,
    LinkLogIn,
    ExternalLogIn,
    IdentityLinked,
    IdentityUnlinked,
    IdentityProofRequested,
    ExternalReauthenticated,
    ProviderSecondFactorChanged,
    // Done by the site's operator through the admin command line.
    AccountUnlocked,
    SessionsRevoked,
    TwoFactorReset,
    AccountViewed,
    UsersListed,
    MailListed,
    MailRetried,
    DatabaseMigrated,
    BackupMade,
}

impl Event {
    fn code(self) -> &'static str {
        match self {
            Self::SignUp => "sign_up",
            Self::LogIn => "log_in",
            Self::LogInFailed => "log_in_failed",
            Self::LogOut => "log_out",
            Self::ProfileChanged => "profile_changed",
            Self::RateLimited => "rate_limited",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::EmailVerified => "email_verified",
            Self::Reauthenticated => "reauthenticated",
            Self::SudoRequired => "sudo_required",
            Self::PasswordChanged => "password_changed",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::EmailChangeCancelled => "email_change_cancelled",
            Self::SessionEnded => "session_ended",
            Self::OtherSessionsEnded => "other_sessions_ended",
            Self::AccountDeleted => "account_deleted",
            Self::TwoFactorEnabled => "two_factor_enabled",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::PasskeyLogIn => "passkey_log_in",
            Self::PasskeyFailed => "passkey_failed",
            Self::PasskeyReauthenticated => "passkey_reauthenticated",
            Self::LoginLinkRequested => "login_link_requested",
            Self::LinkLogIn => "link_log_in",
            Self::ExternalLogIn => "external_log_in",
            Self::IdentityLinked => "identity_linked",
            Self::IdentityUnlinked => "identity_unlinked",
            Self::IdentityProofRequested => "identity_proof_requested",
            Self::ExternalReauthenticated => "external_reauthenticated",
            Self::ProviderSecondFactorChanged => "provider_second_factor_changed",
            Self::TwoFactorReset => "two_factor_reset",
            Self::AccountUnlocked => "account_unlocked",
            Self::SessionsRevoked => "sessions_revoked",
            Self::AccountViewed => "account_viewed",
            Self::UsersListed => "users_listed",
            Self::MailListed => "mail_listed",
            Self::MailRetried => "mail_retried",
            Self::DatabaseMigrated => "database_migrated",
            Self::BackupMade => "backup_made",
        }
    }

    /// What the user reads for a stored event code.
    pub fn describe(code: &str) -> &'static str {
        match code {
            "sign_up" => "Account created",
            "log_in" => "Logged in",
            "log_in_failed" => "Failed log-in attempt",
            "log_out" => "Logged out",
            "profile_changed" => "Display name changed",
            "rate_limited" => "Attempts paused: too many tries",
            "password_reset_requested" => "Password reset link sent",
            "password_reset" => "Password changed with a reset link",
            "email_verified" => "Email address verified",
            "reauthenticated" => "Password entered again to change settings",
            "sudo_required" => "Asked for the password again to change settings",
            "password_changed" => "Password changed",
            "email_change_requested" => "Email change requested: link sent to the new address",
            "email_changed" => "Email address changed",
            "email_change_cancelled" => "Email change cancelled",
            "session_ended" => "Signed out another browser",
            "other_sessions_ended" => "Signed out everywhere else",
            "two_factor_enabled" => "Authenticator app turned on",
            "two_factor_disabled" => "Authenticator app turned off",
            "recovery_codes_regenerated" => "New recovery codes made",
            "recovery_code_used" => "Logged in with a recovery code",
            "second_factor_failed" => "Wrong code at log-in",
            "passkey_added" => "Passkey added",
            "passkey_removed" => "Passkey removed",
            "passkey_log_in" => "Logged in with a passkey",
            "passkey_failed" => "A passkey was not accepted",
            "passkey_reauthenticated" => "Passkey used to change settings",
            "login_link_requested" => "Sign-in link sent",
            "link_log_in" => "Sign-in link used",
            "external_log_in" => "Logged in through an external provider",
            "identity_linked" => "External sign-in linked",
            "identity_unlinked" => "External sign-in unlinked",
            "provider_second_factor_changed" => "Code after a provider's sign-in turned on or off",
            "external_reauthenticated" => "External provider used to change settings",
            "identity_proof_requested" => {
                "Link sent to prove the account is yours before linking an external sign-in"
            }
            "two_factor_reset" => "Second factor removed by the site's operator",
            "account_unlocked" => "Log-in attempts unpaused",
            "sessions_revoked" => "Signed out everywhere",
            "account_viewed" => "Account details looked up",
            "mail_retried" => "Mail to you sent again",
            _ => "Account activity",
        }
    }
}

/// Who acted: the person at a browser (signed in or not), or the site's
/// operator through the admin command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Actor {
    #[default]
    User,
    Operator,
}

impl Actor {
    pub fn code(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Operator => "operator",
        }
    }
}

/// Where a request came from, as the audit trail and rate limits see it.
#[derive(Clone, Debug)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
    pub actor: Actor,
}

impl Client {
    /// Longest user agent kept; the rest is noise and a way to bloat rows.
    const MAX_USER_AGENT_CHARS: usize = 256;

    pub fn new(ip: String, user_agent: &str) -> Self {
        Self {
            ip,
            user_agent: user_agent
                .chars()
                .filter(|c| !c.is_control())
                .take(Self::MAX_USER_AGENT_CHARS)
                .collect(),
            actor: Actor::User,
        }
    }

    /// The client's network, as rate limits count it
    /// ([`super::buckets::network_key`]).
    pub fn network(&self) -> String {
        self.ip
            .parse()
            .map(super::buckets::network_key)
            .unwrap_or_else(|_| self.ip.clone())
    }

    /// The site's operator running `command` of the admin command line, as
    /// the operating-system user `login`. There is no address: the audit
    /// trail keeps the command and who ran it in place of a user agent.
    pub fn operator(command: &str, login: &str) -> Self {
        Self {
            actor: Actor::Operator,
            ..Self::new(String::new(), &format!("{command} (run by {login})"))
        }
    }
}

/// One line of a user's recent activity.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Entry {
    pub at: i64,
    pub kind: String,
    pub ip: String,
    pub user_agent: String,
    /// [`Actor::code`]: who acted.
    pub actor: String,
}

/// Writes an event. A failure to write is logged, not passed on: the audit
/// trail must not turn a working log-in into an error page.
pub async fn record(db: &AnyPool, event: Event, user_id: Option<i64>, client: &Client) {
    let written = sqlx::query(
        "INSERT INTO audit_events (kind, user_id, ip, user_agent, actor) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event.code())
    .bind(user_id)
    .bind(&client.ip)
    .bind(&client.user_agent)
    .bind(client.actor.code())
    .execute(db)
    .await;
    if let Err(error) = written {
        tracing::error!("audit: could not record {}: {error}", event.code());
    }
    tracing::info!(
        target: "audit",
        event = event.code(),
        user_id,
        ip = %client.ip,
        actor = client.actor.code()
    );
}

/// The latest `limit` events of a user, newest first.
///
/// Every signed-in page reads these. SQLite plans a bare `LIMIT $2` with
/// the value bound at the time and so compiles the statement again each
/// time the value is bound, even to the same number; behind a cast the
/// limit is read when the statement runs, and the compiled statement is
/// kept.
pub async fn recent(db: &AnyPool, user_id: i64, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as::<_, Entry>(
        "SELECT at, kind, ip, user_agent, actor FROM audit_events WHERE user_id = $1 \
         ORDER BY id DESC LIMIT CAST($2 AS BIGINT)",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

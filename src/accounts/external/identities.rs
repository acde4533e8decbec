//! Identities from external providers, and the accounts they open.
//!
//! A known identity signs in to its account (which still asks for its
//! second factor, if it has one). A new identity waits in this browser
//! for its account ([`super::pending`]): it is never linked silently to
//! an account that has its address. Signed-in people link identities and
//! unlink them in settings (in sudo mode), but never the account's last
//! way to sign in.

use super::{Failure, Started, Trip};
use crate::{
    accounts::{
        audit, email::normalise, hashing::NO_PASSWORD, letters::second_factor::SecondFactorChange,
        second_step::LoggedIn, sql::internal, Accounts, Browser, Client, Current, Event,
        NewSession, SessionToken,
    },
    error::AppError,
    time::now,
    validation::{check_display_name, Problem},
};

/// How long an identity waits for its account.
pub const PENDING_SECONDS: i64 = 30 * 60;

/// What a provider said about the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub display_name: String,
}

/// Where a trip to a provider led.
#[derive(Debug)]
pub enum Outcome {
    /// A known identity: signed in, or asked for the second factor.
    LoggedIn(LoggedIn),
    /// A new identity, waiting in this browser (the token is its cookie):
    /// for the person to accept a new account (`existing` false), or to
    /// prove that the account with its address is theirs.
    Pending { token: SessionToken, existing: bool },
    /// Linked to the signed-in account that asked, from settings.
    Linked,
    /// The signed-in person confirmed it is them: their session is renewed
    /// (a new token) and in sudo mode.
    Confirmed(NewSession),
}

/// One linked identity, for the settings page.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkedIdentity {
    pub id: i64,
    /// The provider's short name.
    pub provider: String,
    /// Its label (its name, when it is no longer configured).
    #[sqlx(skip)]
    pub label: String,
    pub email: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl Accounts {
    /// What `identity`, brought back from a `trip`, leads to; `signed_in`
    /// is the browser's session, which a trip to link or confirm belongs
    /// to.
    pub(super) async fn after_external(
        &self,
        identity: Identity,
        trip: Trip,
        signed_in: Option<&Current>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Outcome, Failure> {
        let now = now();
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM external_identities WHERE provider = $1 AND subject = $2",
        )
        .bind(&identity.provider)
        .bind(&identity.subject)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find identity", error))?;
        match (trip, signed_in) {
            (Trip::SignIn, _) => {}
            (Trip::Link(user_id), _) => {
                return match owner {
                    Some(owner) if owner == user_id => Ok(Outcome::Linked),
                    Some(_) => Err(Failure::Taken),
                    None => {
                        self.link(&identity, user_id, client, now).await?;
                        Ok(Outcome::Linked)
                    }
                };
            }
            (Trip::Confirm(user_id), Some(current)) if owner == Some(user_id) => {
                let mut tx = self.begin().await?;
                let renewed = self.renew_session(&mut tx, current.session_id).await?;
                tx.commit()
                    .await
                    .map_err(|error| internal("commit confirmation", error))?;
                audit::record(
                    &self.db,
                    Event::ExternalReauthenticated,
                    Some(user_id),
                    client,
                )
                .await;
                return Ok(Outcome::Confirmed(renewed.session));
            }
            (Trip::Confirm(_), _) => return Err(Failure::NotLinked),
        }
        if let Some(user_id) = owner {
            sqlx::query(
                "UPDATE external_identities SET last_used_at = $1 \
                 WHERE provider = $2 AND subject = $3",
            )
            .bind(now)
            .bind(&identity.provider)
            .bind(&identity.subject)
            .execute(&self.db)
            .await
            .map_err(|error| internal("use identity", error))?;
            audit::record(&self.db, Event::ExternalLogIn, Some(user_id), client).await;
            // A provider proves who the person is there, not the second
            // factor here: an account with one still asks for it, unless
            // its owner chose to trust the provider's sign-in for both.
            let second_factor = self.has_second_factor(user_id).await?
                && self.provider_asks_second_factor(user_id).await?;
            let logged_in = self
                .after_password(user_id, second_factor, false, client, browser)
                .await?;
            return Ok(Outcome::LoggedIn(logged_in));
        }
        let address = normalise(&identity.email).map_err(|_| Failure::NoEmail)?;
        let account: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email_key = $1")
            .bind(&address.key)
            .fetch_optional(&self.db)
            .await
            .map_err(|error| internal("find account", error))?;
        // An address the provider has not confirmed starts no account: an
        // account made with someone else's address would wait for them,
        // with its maker's way in already linked.
        if account.is_none() && !identity.email_verified {
            return Err(Failure::Unverified);
        }
        let token = SessionToken::generate();
        sqlx::query(
            "INSERT INTO pending_identities (token_hash, provider, subject, email, email_verified, \
             display_name, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token.digest())
        .bind(&identity.provider)
        .bind(&identity.subject)
        .bind(&address.email)
        .bind(i64::from(identity.email_verified))
        .bind(check_display_name(&identity.display_name).unwrap_or_default())
        .bind(account)
        .bind(now)
        .bind(now + PENDING_SECONDS)
        .execute(&self.db)
        .await
        .map_err(|error| internal("keep identity", error))?;
        Ok(Outcome::Pending {
            token,
            existing: account.is_some(),
        })
    }

    /// Links `identity` to account `user_id`, audits it and mails the
    /// owner a notice.
    pub(super) async fn link(
        &self,
        identity: &Identity,
        user_id: i64,
        client: &Client,
        now: i64,
    ) -> Result<(), Failure> {
        let user = self.user(user_id).await?;
        let mut tx = self.begin().await?;
        insert_identity(
            &mut tx,
            &identity.provider,
            &identity.subject,
            &identity.email,
            user_id,
            now,
        )
        .await
        .map_err(|error| match error {
            AppError::Invalid(_) => Failure::Taken,
            other => other.into(),
        })?;
        let label = self.providers.label_or_name(&identity.provider);
        self.commit_with_notice(
            tx,
            &user,
            SecondFactorChange::IdentityLinked(&label),
            Event::IdentityLinked,
            client,
            now,
        )
        .await?;
        Ok(())
    }

    /// Starts linking provider `name` to the signed-in account (sudo):
    /// the trip, and the session the password renewed, if it did.
    pub async fn start_identity_link(
        &self,
        current: &Current,
        name: &str,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<(Started, Option<NewSession>), AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let started = self
            .start_external(name, Trip::Link(current.user.id), client)
            .await?;
        Ok((started, sudo.renewed))
    }

    /// Whether a sign-in through a linked provider asks account `user_id`
    /// for its second factor (the default).
    pub async fn provider_asks_second_factor(&self, user_id: i64) -> Result<bool, AppError> {
        let ask: i64 = sqlx::query_scalar("SELECT external_second_factor FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.db)
            .await
            .map_err(|error| internal("read provider second factor", error))?;
        Ok(ask != 0)
    }

    /// Sets whether a sign-in through a linked provider asks the signed-in
    /// account for its second factor (sudo). Audited, with a notice: not
    /// asking trusts the provider's own sign-in for both factors.
    pub async fn set_provider_second_factor(
        &self,
        current: &Current,
        ask: bool,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Option<NewSession>, AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let now = now();
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET external_second_factor = $1 WHERE id = $2")
            .bind(i64::from(ask))
            .bind(current.user.id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("set provider second factor", error))?;
        self.commit_with_notice(
            tx,
            &current.user,
            SecondFactorChange::ProviderSecondFactor { ask },
            Event::ProviderSecondFactorChanged,
            client,
            now,
        )
        .await?;
        Ok(sudo.renewed)
    }

    /// The identities that sign in to account `user_id`, oldest first.
    pub async fn identities(&self, user_id: i64) -> Result<Vec<LinkedIdentity>, AppError> {
        let mut list = sqlx::query_as::<_, LinkedIdentity>(
            "SELECT id, provider, email, created_at, last_used_at FROM external_identities \
             WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.db)
        .await
        .map_err(|error| internal("list identities", error))?;
        for identity in &mut list {
            identity.label = self.providers.label_or_name(&identity.provider);
        }
        Ok(list)
    }

    /// Unlinks identity `id` from the signed-in account (sudo), unless it
    /// is the account's last way to sign in (no password, no passkey, no
    /// other identity): 422 `LastWayToSignIn`. Audited, with a notice.
    pub async fn unlink_identity(
        &self,
        current: &Current,
        id: i64,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Option<NewSession>, AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let user_id = current.user.id;
        let now = now();
        let mut tx = self.begin().await?;
        let (has_password, passkeys, identities): (i64, i64, i64) = sqlx::query_as(
            "SELECT CASE WHEN password_hash = $2 THEN 0 ELSE 1 END, \
             (SELECT count(*) FROM passkeys WHERE user_id = $1), \
             (SELECT count(*) FROM external_identities WHERE user_id = $1) \
             FROM users WHERE id = $1",
        )
        .bind(user_id)
        .bind(NO_PASSWORD)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| internal("count ways in", error))?;
        let provider: Option<String> = sqlx::query_scalar(
            "DELETE FROM external_identities WHERE id = $1 AND user_id = $2 RETURNING provider",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("unlink identity", error))?;
        let provider = provider.ok_or(AppError::NotFound)?;
        if has_password == 0 && passkeys == 0 && identities <= 1 {
            return Err(AppError::invalid(Problem::LastWayToSignIn));
        }
        let label = self.providers.label_or_name(&provider);
        self.commit_with_notice(
            tx,
            &current.user,
            SecondFactorChange::IdentityUnlinked(&label),
            Event::IdentityUnlinked,
            client,
            now,
        )
        .await?;
        Ok(sudo.renewed)
    }
}

/// Writes the link of an identity to account `user_id` inside `tx`: 422
/// `IdentityTaken` when the identity already signs in to an account.
pub(super) async fn insert_identity(
    tx: &mut sqlx::AnyConnection,
    provider: &str,
    subject: &str,
    email: &str,
    user_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let inserted = sqlx::query(
        "INSERT INTO external_identities (user_id, provider, subject, email, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(provider)
    .bind(subject)
    .bind(email)
    .bind(now)
    .execute(tx)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(AppError::invalid(Problem::IdentityTaken))
        }
        Err(error) => Err(internal("link identity", error)),
    }
}

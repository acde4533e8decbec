//! An identity back from its provider that no account has yet, waiting in
//! this browser (`pending_identities`, named by a cookie, 30 minutes).
//!
//! If no account has its address, it becomes one once the person accepts
//! its name and address. If an account has it, it is **never linked
//! silently**: a provider that lets anyone claim an address would
//! otherwise hand the account to whoever claimed it. The owner proves the
//! account is theirs first, by signing in to it in the same browser, or by
//! a link mailed to its address that works only in the browser holding
//! the identity.

use super::{
    identities::{insert_identity, Identity},
    Failure,
};
use crate::{
    accounts::{
        audit,
        email::{mask_address, normalise},
        hashing::NO_PASSWORD,
        links::{mail_link, make_link, use_link, within_link_limit, Purpose},
        second_step::LoggedIn,
        signup::insert_user,
        sql::internal,
        Accounts, Browser, Client, Current, Event, NewSession, SessionToken, SignedIn,
    },
    error::AppError,
    time::now,
    validation::{check_display_name, Problem},
};

/// An identity waiting in this browser, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingIdentity {
    pub provider: String,
    pub email: String,
    pub email_verified: bool,
    pub display_name: String,
    /// The account whose address it claims, and that address partly hidden.
    pub account: Option<(i64, String)>,
}

#[derive(sqlx::FromRow)]
pub(super) struct PendingRow {
    provider: String,
    subject: String,
    email: String,
    email_verified: i64,
    display_name: String,
    user_id: Option<i64>,
    account_email: Option<String>,
}

impl Accounts {
    /// The identity waiting in the browser whose cookie is `token`.
    pub async fn pending_identity(&self, token: &str) -> Result<Option<PendingIdentity>, AppError> {
        let Some(row) = self.pending_row(token).await? else {
            return Ok(None);
        };
        Ok(Some(PendingIdentity {
            provider: self.providers.label_or_name(&row.provider),
            email: row.email,
            email_verified: row.email_verified != 0,
            display_name: row.display_name,
            account: row
                .user_id
                .zip(row.account_email.as_deref().map(mask_address)),
        }))
    }

    async fn pending_row(&self, token: &str) -> Result<Option<PendingRow>, AppError> {
        let Some(token) = SessionToken::parse(token) else {
            return Ok(None);
        };
        sqlx::query_as::<_, PendingRow>(
            "SELECT p.provider, p.subject, p.email, p.email_verified, p.display_name, p.user_id, \
             u.email AS account_email \
             FROM pending_identities p LEFT JOIN users u ON u.id = p.user_id \
             WHERE p.token_hash = $1 AND p.expires_at > $2",
        )
        .bind(token.digest())
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find pending identity", error))
    }

    /// Makes the account a new identity waiting in this browser (`token`)
    /// asked for, with `display_name` as the person accepted it, and signs
    /// in. The account has no password (a reset link sets one); its
    /// address counts as verified only when the provider said so, and is
    /// otherwise sent a verification link. 410 `LinkInvalid` when nothing
    /// waits (or it waits for an existing account's proof).
    pub async fn create_from_identity(
        &self,
        token: &str,
        display_name: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedIn, AppError> {
        let display_name = check_display_name(display_name).map_err(AppError::invalid)?;
        self.take_client_token(client).await?;
        let token = SessionToken::parse(token).ok_or(AppError::LinkInvalid)?;
        let now = now();
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, PendingRow>(
            "DELETE FROM pending_identities \
             WHERE token_hash = $1 AND expires_at > $2 AND user_id IS NULL \
             RETURNING provider, subject, email, email_verified, display_name, user_id, \
             NULL AS account_email",
        )
        .bind(token.digest())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("take pending identity", error))?
        .ok_or(AppError::LinkInvalid)?;
        let address = normalise(&row.email).map_err(AppError::invalid)?;
        let verified = row.email_verified != 0;
        let inserted = insert_user(
            &mut tx,
            (&address.email, &address.key),
            NO_PASSWORD,
            &display_name,
            verified.then_some(now),
        )
        .await;
        let user = match inserted {
            Ok(user) => user,
            // The address got an account meanwhile: the identity now waits
            // for its owner's proof (the page offers it), as it would have.
            Err(AppError::Invalid(problems)) if problems.contains(&Problem::EmailTaken) => {
                drop(tx);
                sqlx::query(
                    "UPDATE pending_identities \
                     SET user_id = (SELECT id FROM users WHERE email_key = $1) \
                     WHERE token_hash = $2",
                )
                .bind(&address.key)
                .bind(token.digest())
                .execute(&self.db)
                .await
                .map_err(|error| internal("wait for proof", error))?;
                return Err(AppError::invalid(Problem::EmailTaken));
            }
            Err(error) => return Err(error),
        };
        insert_identity(
            &mut tx,
            &row.provider,
            &row.subject,
            &row.email,
            user.id,
            now,
        )
        .await?;
        if !verified {
            mail_link(
                &mut tx,
                &self.outbox,
                Purpose::Verify,
                user.id,
                &user.email,
                now,
                None,
                |letters, token| letters.verify_email(&user.email, token),
            )
            .await
            .map_err(|error| internal("mail verification link", error))?;
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit external sign-up", error))?;
        self.outbox.ring();
        audit::record(&self.db, Event::SignUp, Some(user.id), client).await;
        audit::record(&self.db, Event::IdentityLinked, Some(user.id), client).await;
        self.sign_in(user, false, client, browser).await
    }

    /// Links the identity waiting in this browser (`token`) to the
    /// signed-in account, when it is the account whose address the
    /// identity claims: signing in to it was the proof. Sudo mode, as
    /// linking from settings: a session someone else holds must not add
    /// their way in. 410 `LinkInvalid` when nothing waits for this account.
    pub async fn link_pending_identity(
        &self,
        token: &str,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Option<NewSession>, AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let mut tx = self.begin().await?;
        let row = self
            .take_pending_in(&mut tx, token, current.user.id, None)
            .await?;
        tx.commit()
            .await
            .map_err(|error| internal("commit pending identity", error))?;
        self.link(&row.identity(), current.user.id, client, now())
            .await
            .map_err(Failure::into_error)?;
        Ok(sudo.renewed)
    }

    /// Mails the account whose address the identity waiting in this
    /// browser (`token`) claims a link that proves it is the person's
    /// (valid 15 minutes, only in this browser). 429 after 3 in an hour.
    pub async fn mail_identity_proof(&self, token: &str, client: &Client) -> Result<(), AppError> {
        self.take_client_token(client).await?;
        let row = self
            .pending_row(token)
            .await?
            .ok_or(AppError::LinkInvalid)?;
        let (Some(user_id), Some(to)) = (row.user_id, row.account_email) else {
            return Err(AppError::LinkInvalid);
        };
        let label = self.providers.label_or_name(&row.provider);
        let now = now();
        let mut tx = self.begin().await?;
        within_link_limit(&mut tx, Purpose::LinkIdentity, user_id, now).await?;
        let link = make_link(&mut tx, Purpose::LinkIdentity, user_id, &to, now)
            .await
            .map_err(|error| internal("make identity proof", error))?;
        // The link proves the account for this identity only.
        sqlx::query("UPDATE pending_identities SET proof_hash = $1 WHERE token_hash = $2")
            .bind(link.digest())
            .bind(token_digest(token)?)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("keep identity proof", error))?;
        let letter = self
            .outbox
            .letters
            .link_identity(&to, &label, link.as_str());
        self.outbox
            .enqueue(
                &mut tx,
                Some(user_id),
                &letter,
                now,
                Some(&client.network()),
            )
            .await
            .map_err(|error| internal("mail identity proof", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit identity proof", error))?;
        self.outbox.ring();
        audit::record(
            &self.db,
            Event::IdentityProofRequested,
            Some(user_id),
            client,
        )
        .await;
        Ok(())
    }

    /// Uses the mailed proof `link` in the browser holding the identity
    /// (`token`): links it to the account, then signs in as that account
    /// would (asking for its second factor, if it has one). 410 when the
    /// link is dead, or this browser holds no identity for its account.
    pub async fn confirm_identity_proof(
        &self,
        link: &str,
        token: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<LoggedIn, AppError> {
        self.take_client_token(client).await?;
        let link = SessionToken::parse(link).ok_or(AppError::LinkInvalid)?;
        let now = now();
        let mut tx = self.begin().await?;
        let (user_id, sent_to) = use_link(&mut tx, &link, Purpose::LinkIdentity, now).await?;
        let row = self
            .take_pending_in(&mut tx, token, user_id, Some(&link))
            .await?;
        let still: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND email = $2")
                .bind(user_id)
                .bind(&sent_to)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|error| internal("find account", error))?;
        still.ok_or(AppError::LinkInvalid)?;
        tx.commit()
            .await
            .map_err(|error| internal("commit identity proof", error))?;
        self.link(&row.identity(), user_id, client, now)
            .await
            .map_err(Failure::into_error)?;
        let second_factor = self.has_second_factor(user_id).await?;
        self.after_password(user_id, second_factor, false, client, browser)
            .await
    }

    /// Uses up the identity waiting in this browser (`token`) for account
    /// `user_id`, inside `tx`; with `proof`, only the identity that mailed
    /// link was asked for.
    async fn take_pending_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        token: &str,
        user_id: i64,
        proof: Option<&SessionToken>,
    ) -> Result<PendingRow, AppError> {
        let proof_hash = proof.map(SessionToken::digest).unwrap_or_default();
        sqlx::query_as::<_, PendingRow>(
            "DELETE FROM pending_identities \
             WHERE token_hash = $1 AND expires_at > $2 AND user_id = $3 \
               AND ($4 = 0 OR proof_hash = $5) \
             RETURNING provider, subject, email, email_verified, display_name, user_id, \
             NULL AS account_email",
        )
        .bind(token_digest(token)?)
        .bind(now())
        .bind(user_id)
        .bind(i64::from(proof.is_some()))
        .bind(proof_hash)
        .fetch_optional(tx)
        .await
        .map_err(|error| internal("take pending identity", error))?
        .ok_or(AppError::LinkInvalid)
    }
}

/// The digest of a waiting identity's cookie; 410 for one that cannot be.
fn token_digest(token: &str) -> Result<Vec<u8>, AppError> {
    SessionToken::parse(token)
        .map(|token| token.digest())
        .ok_or(AppError::LinkInvalid)
}

impl PendingRow {
    fn identity(&self) -> Identity {
        Identity {
            provider: self.provider.clone(),
            subject: self.subject.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified != 0,
            display_name: self.display_name.clone(),
        }
    }
}

//! Passkeys in settings: adding one (sudo mode), listing, renaming and
//! removing them. The log-in and sudo mode with a passkey are in
//! [`super::passkey_login`].
//!
//! The site is the WebAuthn relying party for the host of its public
//! origin (`APP_ORIGIN`), which must be a name: browsers refuse passkeys
//! for an IP address. Every passkey is a discoverable credential (it
//! names its account, by a random handle, so the log-in needs no email)
//! and requires user verification (a PIN or a fingerprint on the device),
//! so that one passkey is both factors of a log-in. Only public keys are
//! stored: a copy of the database signs nothing.

use std::time::Duration;

use sqlx::FromRow;
use webauthn_rs::prelude::{
    CredentialID, Passkey, PasskeyRegistration, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

use super::{
    ceremonies::{self, Ceremony, Purpose, CEREMONY_SECONDS},
    letters::second_factor::SecondFactorChange,
    sql::internal,
    Accounts, Browser, Client, Current, Event, NewSession,
};
use crate::{
    brand::SITE_NAME,
    error::AppError,
    time::now,
    validation::{check_passkey_name, Problem},
};

/// A passkey as its owner sees it in settings.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PasskeyEntry {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The relying party for the site at `origin`, or why passkeys cannot
/// work there.
pub fn relying_party(origin: &str) -> Result<Webauthn, String> {
    let url = Url::parse(origin).map_err(|error| format!("{origin} is not a URL: {error}"))?;
    let Some(host) = url.domain() else {
        return Err(format!(
            "passkeys are off: browsers offer them only to a site reached by a name, and \
             APP_ORIGIN {origin} is an IP address (use http://localhost:PORT, or the site's name)"
        ));
    };
    WebauthnBuilder::new(host, &url)
        .and_then(|builder| {
            builder
                .rp_name(SITE_NAME)
                .timeout(Duration::from_secs(CEREMONY_SECONDS.unsigned_abs()))
                .build()
        })
        .map_err(|error| format!("passkeys are off: {error}"))
}

/// Why a passkey was not accepted, for the log; the person is told only
/// that it was not.
pub(super) fn refused(action: &str, error: impl std::fmt::Display) -> AppError {
    tracing::info!("passkey {action} refused: {error}");
    AppError::invalid(Problem::PasskeyNotAccepted)
}

impl Accounts {
    /// Passkeys for the site at `origin` (see [`relying_party`]); without
    /// one, every passkey call answers 404.
    pub fn with_passkeys(mut self, relying_party: Option<Webauthn>) -> Self {
        self.passkeys = relying_party.map(std::sync::Arc::new);
        self
    }

    pub fn passkeys_on(&self) -> bool {
        self.passkeys.is_some()
    }

    pub(super) fn relying_party(&self) -> Result<&Webauthn, AppError> {
        self.passkeys.as_deref().ok_or(AppError::NotFound)
    }

    /// The user's passkeys, oldest first.
    pub async fn passkeys(&self, user_id: i64) -> Result<Vec<PasskeyEntry>, AppError> {
        sqlx::query_as::<_, PasskeyEntry>(
            "SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.db)
        .await
        .map_err(|error| internal("list passkeys", error))
    }

    /// Starts adding a passkey (sudo): the options for the browser's
    /// `navigator.credentials.create`, which exclude the passkeys the
    /// account has. The ceremony belongs to this session.
    pub async fn start_passkey_registration(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<(Ceremony, Option<NewSession>), AppError> {
        let relying_party = self.relying_party()?;
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let user = &current.user;
        let handle = self.passkey_handle(user.id).await?;
        let existing: Vec<CredentialID> =
            sqlx::query_scalar("SELECT credential_id FROM passkeys WHERE user_id = $1")
                .bind(user.id)
                .fetch_all(&self.db)
                .await
                .map_err(|error| internal("list credentials", error))?;
        let shown_name = if user.display_name.is_empty() {
            &user.email
        } else {
            &user.display_name
        };
        let (challenge, state) = relying_party
            .start_passkey_registration(handle, &user.email, shown_name, Some(existing))
            .map_err(|error| internal("start passkey registration", error))?;
        // webauthn-rs lets the authenticator choose whether the credential
        // is discoverable; the log-in without an email needs it to be.
        let mut options = serde_json::to_value(&challenge.public_key)
            .map_err(|error| internal("write registration options", error))?;
        if let Some(selection) = options.get_mut("authenticatorSelection") {
            selection["residentKey"] = "required".into();
            selection["requireResidentKey"] = true.into();
        }
        let ceremony = ceremonies::begin(
            &self.db,
            Purpose::Register,
            sudo.session_id,
            &state,
            options.to_string(),
            now(),
        )
        .await?;
        Ok((ceremony, sudo.renewed))
    }

    /// Finishes adding a passkey named `name` with the browser's answer
    /// (`credential`, the JSON of the new credential), audits it and
    /// mails a notice.
    pub async fn finish_passkey_registration(
        &self,
        current: &Current,
        ceremony: &str,
        name: &str,
        credential: &str,
        client: &Client,
    ) -> Result<PasskeyEntry, AppError> {
        let relying_party = self.relying_party()?;
        let name = check_passkey_name(name).map_err(AppError::invalid)?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|error| refused("registration", error))?;
        let now = now();
        let user = &current.user;
        let state: PasskeyRegistration = ceremonies::take(
            &self.db,
            ceremony,
            Purpose::Register,
            current.session_id,
            now,
        )
        .await?
        .ok_or_else(|| AppError::invalid(Problem::PasskeyNotAccepted))?;
        let passkey = relying_party
            .finish_passkey_registration(&answer, &state)
            .map_err(|error| refused("registration", error))?;
        let stored =
            serde_json::to_string(&passkey).map_err(|error| internal("keep passkey", error))?;
        let mut tx = self.begin().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM passkeys WHERE credential_id = $1")
                .bind(passkey.cred_id().as_slice())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|error| internal("find passkey", error))?;
        if taken.is_some() {
            return Err(AppError::invalid(Problem::PasskeyAlreadyAdded));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO passkeys (user_id, credential_id, name, credential, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.id)
        .bind(passkey.cred_id().as_slice())
        .bind(&name)
        .bind(stored)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| internal("add passkey", error))?;
        self.commit_with_notice(
            tx,
            user,
            SecondFactorChange::PasskeyAdded(&name),
            Event::PasskeyAdded,
            client,
            now,
        )
        .await?;
        Ok(PasskeyEntry {
            id,
            name,
            created_at: now,
            last_used_at: None,
        })
    }

    /// Gives the passkey `id` of this user a new name (sudo).
    pub async fn rename_passkey(
        &self,
        current: &Current,
        id: i64,
        name: &str,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Option<NewSession>, AppError> {
        let name = check_passkey_name(name).map_err(AppError::invalid)?;
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let renamed = sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3")
            .bind(&name)
            .bind(id)
            .bind(current.user.id)
            .execute(&self.db)
            .await
            .map_err(|error| internal("rename passkey", error))?;
        if renamed.rows_affected() == 0 {
            return Err(AppError::NotFound);
        }
        Ok(sudo.renewed)
    }

    /// Removes the passkey `id` of this user (sudo), audits it and mails a
    /// notice. The device may keep the credential, but it no longer opens
    /// the account.
    pub async fn remove_passkey(
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
        let now = now();
        let mut tx = self.begin().await?;
        let name: Option<String> = sqlx::query_scalar(
            "DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name",
        )
        .bind(id)
        .bind(current.user.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("remove passkey", error))?;
        let name = name.ok_or(AppError::NotFound)?;
        self.commit_with_notice(
            tx,
            &current.user,
            SecondFactorChange::PasskeyRemoved(&name),
            Event::PasskeyRemoved,
            client,
            now,
        )
        .await?;
        Ok(sudo.renewed)
    }

    /// The account's WebAuthn user handle, made on its first passkey.
    async fn passkey_handle(&self, user_id: i64) -> Result<Uuid, AppError> {
        let mut fresh = [0u8; 16];
        getrandom::fill(&mut fresh).map_err(|error| internal("draw a handle", error))?;
        sqlx::query(
            "INSERT INTO passkey_handles (user_id, handle) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(fresh.as_slice())
        .execute(&self.db)
        .await
        .map_err(|error| internal("keep handle", error))?;
        let handle: Vec<u8> =
            sqlx::query_scalar("SELECT handle FROM passkey_handles WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&self.db)
                .await
                .map_err(|error| internal("read handle", error))?;
        Uuid::from_slice(&handle).map_err(|error| internal("read handle", error))
    }
}

/// The stored form of a passkey, read back.
pub(super) fn stored(credential: &str) -> Result<Passkey, AppError> {
    serde_json::from_str(credential).map_err(|error| internal("read passkey", error))
}

//! Signing in with a passkey, and sudo mode with one.
//!
//! The log-in asks the browser for any passkey of this site (a
//! discoverable credential: the button, or the email field's autofill),
//! and the answer names its account by the handle the passkey carries. A
//! passkey verified its user (PIN or biometrics) and proved possession of
//! the device, so it is both factors: it signs in without the password and
//! without the authenticator app's code. It does not count against the
//! password's limits, nor do they hold it back: a locked-out password does
//! not lock out a passkey. Each check stores the passkey's new signature
//! counter in the transaction that read it, so a cloned authenticator
//! shows up as a counter that goes back.

use sqlx::AnyConnection;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PublicKeyCredential,
};

use super::{
    audit,
    ceremonies::{self, Ceremony, Purpose},
    passkeys::{refused, stored},
    sql::internal,
    Accounts, Browser, Client, Current, Event, Renewed, SignedIn,
};
use crate::{error::AppError, time::now, validation::Problem};

#[derive(sqlx::FromRow)]
struct Found {
    id: i64,
    user_id: i64,
    credential: String,
}

impl Accounts {
    /// Starts a passkey log-in: options for `navigator.credentials.get`
    /// that accept any passkey of this site. Counts against the client's
    /// bucket, as a log-in does.
    pub async fn start_passkey_log_in(&self, client: &Client) -> Result<Ceremony, AppError> {
        let relying_party = self.relying_party()?;
        self.take_ceremony_token(client).await?;
        let (challenge, state) = relying_party
            .start_discoverable_authentication()
            .map_err(|error| internal("start passkey log-in", error))?;
        let options = serde_json::to_string(&challenge.public_key)
            .map_err(|error| internal("write log-in options", error))?;
        ceremonies::begin(&self.db, Purpose::LogIn, 0, &state, options, now()).await
    }

    /// Signs this browser in with the passkey in `credential` (the JSON
    /// of the browser's answer) for the ceremony `ceremony`.
    pub async fn finish_passkey_log_in(
        &self,
        ceremony: &str,
        credential: &str,
        remember: bool,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedIn, AppError> {
        let relying_party = self.relying_party()?;
        self.take_client_token(client).await?;
        let answer: PublicKeyCredential =
            serde_json::from_str(credential).map_err(|error| refused("log-in", error))?;
        let (handle, credential_id) = relying_party
            .identify_discoverable_authentication(&answer)
            .map_err(|error| refused("log-in", error))?;
        let now = now();
        let state: DiscoverableAuthentication =
            ceremonies::take(&self.db, ceremony, Purpose::LogIn, 0, now)
                .await?
                .ok_or_else(|| AppError::invalid(Problem::PasskeyNotAccepted))?;
        let mut tx = self.begin().await?;
        let found = sqlx::query_as::<_, Found>(
            "SELECT p.id, p.user_id, p.credential FROM passkeys p \
             JOIN passkey_handles h ON h.user_id = p.user_id \
             WHERE p.credential_id = $1 AND h.handle = $2",
        )
        .bind(credential_id)
        .bind(handle.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("find passkey", error))?;
        let Some(found) = found else {
            drop(tx);
            tracing::info!("passkey log-in refused: a passkey this site does not know");
            return Err(AppError::invalid(Problem::PasskeyNotAccepted));
        };
        let mut passkey = stored(&found.credential)?;
        let checked = relying_party.finish_discoverable_authentication_v2(&answer, state, &passkey);
        let result = match checked {
            Ok(result) => result,
            Err(error) => {
                drop(tx);
                audit::record(&self.db, Event::PasskeyFailed, Some(found.user_id), client).await;
                return Err(refused("log-in", error));
            }
        };
        used(&mut tx, found.id, &mut passkey, &result, now).await?;
        tx.commit()
            .await
            .map_err(|error| internal("commit passkey log-in", error))?;
        let user = self.user(found.user_id).await?;
        let signed_in = self.sign_in(user, remember, client, browser).await?;
        audit::record(&self.db, Event::PasskeyLogIn, Some(found.user_id), client).await;
        Ok(signed_in)
    }

    /// Starts a sudo check with one of the signed-in user's passkeys.
    /// 422 `NoPasskey` when they have none.
    pub async fn start_passkey_sudo(
        &self,
        current: &Current,
        client: &Client,
    ) -> Result<Ceremony, AppError> {
        let relying_party = self.relying_party()?;
        self.take_client_token(client).await?;
        let credentials: Vec<String> =
            sqlx::query_scalar("SELECT credential FROM passkeys WHERE user_id = $1")
                .bind(current.user.id)
                .fetch_all(&self.db)
                .await
                .map_err(|error| internal("list passkeys", error))?;
        if credentials.is_empty() {
            return Err(AppError::invalid(Problem::NoPasskey));
        }
        let passkeys = credentials
            .iter()
            .map(|credential| stored(credential))
            .collect::<Result<Vec<Passkey>, _>>()?;
        let (challenge, state) = relying_party
            .start_passkey_authentication(&passkeys)
            .map_err(|error| internal("start passkey sudo", error))?;
        let options = serde_json::to_string(&challenge.public_key)
            .map_err(|error| internal("write sudo options", error))?;
        ceremonies::begin(
            &self.db,
            Purpose::Sudo,
            current.session_id,
            &state,
            options,
            now(),
        )
        .await
    }

    /// Finishes a sudo check with a passkey: as entering the password
    /// does, it renews the session and starts sudo mode in the new one.
    pub async fn finish_passkey_sudo(
        &self,
        current: &Current,
        ceremony: &str,
        credential: &str,
        client: &Client,
    ) -> Result<Renewed, AppError> {
        let relying_party = self.relying_party()?;
        self.take_client_token(client).await?;
        let answer: PublicKeyCredential =
            serde_json::from_str(credential).map_err(|error| refused("sudo", error))?;
        let now = now();
        let user_id = current.user.id;
        let state: PasskeyAuthentication =
            ceremonies::take(&self.db, ceremony, Purpose::Sudo, current.session_id, now)
                .await?
                .ok_or_else(|| AppError::invalid(Problem::PasskeyNotAccepted))?;
        let mut tx = self.begin().await?;
        let result = match relying_party.finish_passkey_authentication(&answer, &state) {
            Ok(result) => result,
            Err(error) => {
                drop(tx);
                audit::record(&self.db, Event::PasskeyFailed, Some(user_id), client).await;
                return Err(refused("sudo", error));
            }
        };
        let found = sqlx::query_as::<_, Found>(
            "SELECT id, user_id, credential FROM passkeys WHERE credential_id = $1 AND user_id = $2",
        )
        .bind(result.cred_id().as_slice())
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("find passkey", error))?
        .ok_or_else(|| AppError::invalid(Problem::PasskeyNotAccepted))?;
        let mut passkey = stored(&found.credential)?;
        used(&mut tx, found.id, &mut passkey, &result, now).await?;
        let renewed = self.renew_session(&mut tx, current.session_id).await?;
        tx.commit()
            .await
            .map_err(|error| internal("commit passkey sudo", error))?;
        audit::record(
            &self.db,
            Event::PasskeyReauthenticated,
            Some(user_id),
            client,
        )
        .await;
        Ok(renewed)
    }
}

/// Records a use of the passkey `id`: when, and its new counter and
/// backup state.
async fn used(
    tx: &mut AnyConnection,
    id: i64,
    passkey: &mut Passkey,
    result: &AuthenticationResult,
    now: i64,
) -> Result<(), AppError> {
    passkey.update_credential(result);
    let credential =
        serde_json::to_string(&passkey).map_err(|error| internal("keep passkey", error))?;
    sqlx::query("UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3")
        .bind(credential)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|error| internal("record passkey use", error))?;
    Ok(())
}

//! Setting up the second factor in settings: an authenticator app (TOTP)
//! and its recovery codes. Starting, turning off and regenerating codes
//! need sudo mode; turning on needs a code from the app, which proves it
//! was set up. Every change is audited and mailed as a notice. How log-in
//! asks for the factor is [`super::second_step`].

use sqlx::AnyConnection;

use super::{
    audit, letters::second_factor::SecondFactorChange, recovery_codes, sql::internal, totp,
    Accounts, Browser, Client, Current, Event, NewSession, User,
};
use crate::{
    error::AppError,
    time::{now, utc_date_time},
    validation::Problem,
};

/// How long recovery codes just made may be shown by the next page.
pub const FRESH_CODES_SECONDS: i64 = 60;

/// How long a started set-up waits for its first code.
pub const SETUP_SECONDS: i64 = 15 * 60;

/// What a person needs to add the account to their app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpSetup {
    /// The secret in base32, to type in.
    pub secret: String,
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, as SVG.
    pub qr_svg: String,
}

/// Where an account's second factor stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoFactorStatus {
    pub totp_on: bool,
    /// A set-up started in the last [`SETUP_SECONDS`], waiting for its code.
    pub setup: Option<TotpSetup>,
    pub recovery_codes_left: i64,
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    sealed_secret: Vec<u8>,
    created_at: i64,
    setup_session_id: Option<i64>,
    enabled_at: Option<i64>,
}

impl SecretRow {
    /// A set-up waiting for its first code, started by session
    /// `session_id` in the last [`SETUP_SECONDS`] before `now`: only that
    /// session may see its secret or turn it on, so a stolen session
    /// without sudo mode can neither read a secret being set up nor finish
    /// the set-up (and take the recovery codes).
    fn set_up_by(&self, session_id: i64, now: i64) -> bool {
        self.enabled_at.is_none()
            && self.setup_session_id == Some(session_id)
            && self.created_at + SETUP_SECONDS > now
    }
}

impl Accounts {
    /// Whether log-ins to `user_id` ask for a second factor.
    pub async fn has_second_factor(&self, user_id: i64) -> Result<bool, AppError> {
        let on: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM totp_secrets WHERE user_id = $1 AND enabled_at IS NOT NULL",
        )
        .bind(user_id)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("read second factor", error))?;
        Ok(on.is_some())
    }

    pub async fn two_factor_status(&self, current: &Current) -> Result<TwoFactorStatus, AppError> {
        let user = &current.user;
        let row = self.secret_row(user.id).await?;
        let left = recovery_codes::left(&self.db, user.id).await?;
        let totp_on = row.as_ref().is_some_and(|row| row.enabled_at.is_some());
        let setup = row
            .filter(|row| row.set_up_by(current.session_id, now()))
            .and_then(|row| self.open_secret(user.id, &row.sealed_secret))
            .map(|secret| setup_for(&secret, &user.email));
        Ok(TwoFactorStatus {
            totp_on,
            setup,
            recovery_codes_left: if totp_on { left } else { 0 },
        })
    }

    /// Starts setting up an authenticator app (sudo): a new secret, kept
    /// sealed until a code from the app turns it on. Starting again
    /// replaces a set-up not finished. Returns what the app needs, and the
    /// renewed session when the request carried the password.
    pub async fn start_totp(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<(TotpSetup, Option<NewSession>), AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let user_id = current.user.id;
        let secret = totp::new_secret();
        let sealed = self.seal.seal(&secret, &owner(user_id));
        let started = sqlx::query(
            "INSERT INTO totp_secrets (user_id, sealed_secret, created_at, setup_session_id) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, \
             created_at = excluded.created_at, setup_session_id = excluded.setup_session_id, \
             last_step = 0 \
             WHERE totp_secrets.enabled_at IS NULL",
        )
        .bind(user_id)
        .bind(&sealed)
        .bind(now())
        .bind(sudo.session_id)
        .execute(&self.db)
        .await
        .map_err(|error| internal("start totp", error))?;
        if started.rows_affected() == 0 {
            return Err(AppError::invalid(Problem::TwoFactorAlreadyOn));
        }
        Ok((setup_for(&secret, &current.user.email), sudo.renewed))
    }

    /// Turns the app on with its first `code`; returns the account's new
    /// recovery codes, shown this once.
    pub async fn enable_totp(
        &self,
        current: &Current,
        code: &str,
        client: &Client,
    ) -> Result<Vec<String>, AppError> {
        if code.trim().is_empty() {
            return Err(AppError::invalid(Problem::CodeMissing));
        }
        self.take_client_token(client).await?;
        let user_id = current.user.id;
        let now = now();
        let row = match self.secret_row(user_id).await? {
            Some(row) if row.enabled_at.is_some() => {
                return Err(AppError::invalid(Problem::TwoFactorAlreadyOn))
            }
            Some(row) if row.set_up_by(current.session_id, now) => row,
            _ => return Err(AppError::invalid(Problem::TwoFactorNotStarted)),
        };
        let secret = self
            .open_secret(user_id, &row.sealed_secret)
            .ok_or_else(|| AppError::invalid(Problem::TwoFactorNotStarted))?;
        let step = totp::check_code(&secret, code, now)
            .ok_or_else(|| AppError::invalid(Problem::CodeIncorrect))?;
        let mut tx = self.begin().await?;
        let enabled = sqlx::query(
            "UPDATE totp_secrets SET enabled_at = $1, last_step = $2 \
             WHERE user_id = $3 AND enabled_at IS NULL AND sealed_secret = $4",
        )
        .bind(now)
        .bind(step)
        .bind(user_id)
        .bind(&row.sealed_secret)
        .execute(&mut *tx)
        .await
        .map_err(|error| internal("enable totp", error))?;
        if enabled.rows_affected() == 0 {
            return Err(AppError::invalid(Problem::TwoFactorNotStarted));
        }
        let codes = recovery_codes::replace(&mut tx, user_id, now).await?;
        self.commit_with_notice(
            tx,
            &current.user,
            SecondFactorChange::Enabled,
            Event::TwoFactorEnabled,
            client,
            now,
        )
        .await?;
        Ok(codes)
    }

    /// Turns the second factor off (sudo): the app's secret, the recovery
    /// codes and log-ins waiting for a code are removed.
    pub async fn disable_two_factor(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<Option<NewSession>, AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let now = now();
        let mut tx = self.begin().await?;
        if remove_second_factor(&mut tx, current.user.id).await? {
            self.commit_with_notice(
                tx,
                &current.user,
                SecondFactorChange::Disabled,
                Event::TwoFactorDisabled,
                client,
                now,
            )
            .await?;
        } else {
            tx.commit()
                .await
                .map_err(|error| internal("commit totp off", error))?;
        }
        Ok(sudo.renewed)
    }

    /// New recovery codes (sudo); the old ones stop working.
    pub async fn regenerate_recovery_codes(
        &self,
        current: &Current,
        password: Option<&str>,
        client: &Client,
        browser: &Browser,
    ) -> Result<(Vec<String>, Option<NewSession>), AppError> {
        let sudo = self
            .require_sudo(current, password, client, browser)
            .await?;
        let user_id = current.user.id;
        if !self.has_second_factor(user_id).await? {
            return Err(AppError::invalid(Problem::TwoFactorNotStarted));
        }
        let now = now();
        let mut tx = self.begin().await?;
        let codes = recovery_codes::replace(&mut tx, user_id, now).await?;
        self.commit_with_notice(
            tx,
            &current.user,
            SecondFactorChange::CodesRegenerated,
            Event::RecoveryCodesRegenerated,
            client,
            now,
        )
        .await?;
        Ok((codes, sudo.renewed))
    }

    /// `codes` sealed for `user_id`'s browser, which a JavaScript-free
    /// form post carries for a minute to the page that shows them once.
    /// The sealed value holds when it was made, so a copy of the cookie
    /// is worthless after that minute too.
    pub fn seal_fresh_codes(&self, user_id: i64, codes: &[String]) -> String {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
        let text = format!("{} {}", now(), codes.join(" "));
        URL_SAFE_NO_PAD.encode(self.seal.seal(text.as_bytes(), &fresh(user_id)))
    }

    /// The codes [`Self::seal_fresh_codes`] sealed for `user_id` in the
    /// last minute.
    pub fn open_fresh_codes(&self, user_id: i64, sealed: &str) -> Option<Vec<String>> {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
        let sealed = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let text = String::from_utf8(self.seal.open(&sealed, &fresh(user_id))?).ok()?;
        let mut words = text.split(' ');
        let made: i64 = words.next()?.parse().ok()?;
        (now() - made <= FRESH_CODES_SECONDS).then(|| words.map(str::to_owned).collect())
    }

    async fn secret_row(&self, user_id: i64) -> Result<Option<SecretRow>, AppError> {
        sqlx::query_as::<_, SecretRow>(
            "SELECT sealed_secret, created_at, setup_session_id, enabled_at FROM totp_secrets \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("read totp", error))
    }

    /// The account's TOTP secret, if it opens with this server's key.
    pub(super) fn open_secret(&self, user_id: i64, sealed: &[u8]) -> Option<Vec<u8>> {
        let secret = self.seal.open(sealed, &owner(user_id));
        if secret.is_none() {
            tracing::error!(
                user_id,
                "a TOTP secret does not open with this server's seal key (SEAL_KEY changed?)"
            );
        }
        secret
    }

    /// Writes the notice of `change` to `user`'s address inside `tx`,
    /// commits it, wakes the mail sender and audits `event` for `user`: how
    /// every change to a second factor or a passkey ends.
    pub(super) async fn commit_with_notice(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        user: &User,
        change: SecondFactorChange<'_>,
        event: Event,
        client: &Client,
        now: i64,
    ) -> Result<(), AppError> {
        self.notify(&mut tx, user, change, now).await?;
        tx.commit()
            .await
            .map_err(|error| internal(&format!("commit {event:?}"), error))?;
        self.outbox.ring();
        audit::record(&self.db, event, Some(user.id), client).await;
        Ok(())
    }

    /// Writes the notice of `change` to `user`'s address inside `tx`.
    pub(super) async fn notify(
        &self,
        tx: &mut AnyConnection,
        user: &User,
        change: SecondFactorChange<'_>,
        now: i64,
    ) -> Result<(), AppError> {
        let notice =
            self.outbox
                .letters
                .second_factor_changed(&user.email, change, &utc_date_time(now));
        self.outbox
            .enqueue(tx, Some(user.id), &notice, now, None)
            .await
            .map(|_| ())
            .map_err(|error| internal("mail notice", error))
    }
}

/// What the seal binds an account's secret to.
pub(super) fn owner(user_id: i64) -> Vec<u8> {
    format!("totp:{user_id}").into_bytes()
}

fn fresh(user_id: i64) -> Vec<u8> {
    format!("fresh-codes:{user_id}").into_bytes()
}

fn setup_for(secret: &[u8], email: &str) -> TotpSetup {
    let otpauth_uri = totp::otpauth_uri(secret, email);
    TotpSetup {
        secret: totp::secret_base32(secret),
        qr_svg: totp::qr_svg(&otpauth_uri),
        otpauth_uri,
    }
}

/// Removes the account's app secret, recovery codes and waiting log-ins;
/// whether it had an app on.
pub(super) async fn remove_second_factor(
    tx: &mut AnyConnection,
    user_id: i64,
) -> Result<bool, AppError> {
    let removed: Option<Option<i64>> =
        sqlx::query_scalar("DELETE FROM totp_secrets WHERE user_id = $1 RETURNING enabled_at")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|error| internal("remove totp", error))?;
    for deletion in [
        "DELETE FROM recovery_codes WHERE user_id = $1",
        "DELETE FROM pending_logins WHERE user_id = $1",
    ] {
        sqlx::query(deletion)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("remove second factor", error))?;
    }
    // A set-up never turned on was no app.
    Ok(removed.flatten().is_some())
}

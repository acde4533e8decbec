//! Signing in without a password, by a link mailed to the account's
//! address: asked for from the log-in page, valid [15 minutes](Purpose::LogIn)
//! and once. The request answers alike for every address, as "forgot
//! password" does, under the same mail limits. Using the link proves the
//! inbox, as a reset link does: the address counts as verified, and an
//! account with a second factor still asks for it.

use super::{
    audit,
    letters::Letters,
    links::{use_link, Purpose},
    second_step::LoggedIn,
    sql::internal,
    Accounts, Browser, Client, Event, SessionToken,
};
use crate::{error::AppError, time::now};

impl Accounts {
    /// "Email me a sign-in link": mails one if `email` has an account.
    /// The answer is the same either way, after the same time.
    pub async fn request_login_link(&self, email: &str, client: &Client) -> Result<(), AppError> {
        self.mail_link_on_request(
            email,
            client,
            Purpose::LogIn,
            Event::LoginLinkRequested,
            Letters::login_link,
        )
        .await
    }

    /// Uses a sign-in link: signs this browser in to its account (kept
    /// signed in when `remember`), or, for an account with a second
    /// factor, leaves a pending log-in that asks for it. The address the
    /// link went to counts as verified, and the failures counted against
    /// it clear, as after a reset. A link whose account has changed its
    /// address since is refused.
    pub async fn log_in_with_link(
        &self,
        token: &str,
        remember: bool,
        client: &Client,
        browser: &Browser,
    ) -> Result<LoggedIn, AppError> {
        let token = SessionToken::parse(token).ok_or(AppError::LinkInvalid)?;
        self.take_client_token(client).await?;
        let now = now();
        let mut tx = self.begin().await?;
        let (user_id, sent_to) = use_link(&mut tx, &token, Purpose::LogIn, now).await?;
        let found: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT email_key, email_verified_at FROM users WHERE id = $1 AND email = $2",
        )
        .bind(user_id)
        .bind(&sent_to)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("find link's account", error))?;
        let Some((email_key, verified_at)) = found else {
            return Err(AppError::LinkInvalid);
        };
        if verified_at.is_none() {
            sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(|error| internal("verify email", error))?;
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit link log-in", error))?;
        if verified_at.is_none() {
            audit::record(&self.db, Event::EmailVerified, Some(user_id), client).await;
        }
        self.limits
            .clear_account(&self.db, &email_key, user_id)
            .await?;
        audit::record(&self.db, Event::LinkLogIn, Some(user_id), client).await;
        let second_factor = self.has_second_factor(user_id).await?;
        self.after_password(user_id, second_factor, remember, client, browser)
            .await
    }
}

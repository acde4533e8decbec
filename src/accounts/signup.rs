//! Sign-up: every field checked and every problem reported at once, then
//! either the account at once (the open mode) or a link that starts it
//! (verify-first, see [`SignUpMode`]). The operator's `users create` makes
//! accounts through the same path.

use super::{
    audit, buckets,
    email::{self, Normalised},
    limits::Subject,
    links::{self, Purpose, LINKS_PER_HOUR},
    password,
    sql::{internal, Backend},
    Accounts, Browser, Client, Event, SessionToken, SignUpMode, SignedIn, SignedUp, User, Verified,
};
use crate::{
    error::AppError,
    time::now,
    validation::{
        check_display_name, Problem, DISPLAY_NAME_MAX_CHARS, EMAIL_MAX_CHARS, PASSWORD_MAX_BYTES,
    },
};

impl Accounts {
    /// Signs up. Every field is checked and every problem reported at
    /// once, so the user fixes the form in one go. Then, in the open mode,
    /// the account is made and signed in; in the verify-first mode, a link
    /// that starts it is mailed (see [`SignUpMode`]).
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedUp, AppError> {
        let started = tokio::time::Instant::now();
        // Bounded before anything is written, so nothing oversized is kept.
        let too_long = length_problems(email, password, Some(display_name));
        if !too_long.is_empty() {
            return Err(AppError::Invalid(too_long));
        }
        self.take_client_token(client).await?;
        let mut problems = Vec::new();
        let email = email::normalise(email).map_err(|p| problems.push(p)).ok();
        let password = password::check_new(
            password,
            email.as_ref().map_or("", |email| email.email.as_str()),
        )
        .map_err(|p| problems.push(p))
        .ok();
        let display_name = check_display_name(display_name)
            .map_err(|p| problems.push(p))
            .ok();
        let (Some(email), Some(password), Some(display_name)) = (email, password, display_name)
        else {
            return Err(AppError::Invalid(problems));
        };
        match self.signup_mode {
            SignUpMode::Open => self
                .open_account(email, password, display_name, client, browser)
                .await
                .map(|signed_in| SignedUp::SignedIn(Box::new(signed_in))),
            SignUpMode::VerifyFirst => {
                let mailed = self
                    .mail_sign_up_link(email, password, display_name, client)
                    .await;
                tokio::time::sleep_until(started + links::UNIFORM_ANSWER).await;
                mailed.map(|()| SignedUp::CheckInbox)
            }
        }
    }

    /// Makes the account at once and signs it in, with a verification link
    /// in the outbox.
    async fn open_account(
        &self,
        email: email::Normalised,
        password: password::AcceptedPassword,
        display_name: String,
        client: &Client,
        browser: &Browser,
    ) -> Result<SignedIn, AppError> {
        let user = self
            .create_account(&email, &password, &display_name, None, Some(client))
            .await?;
        let signed_in = self.sign_in(user, false, client, browser).await?;
        audit::record(&self.db, Event::SignUp, Some(signed_in.user.id), client).await;
        Ok(signed_in)
    }

    /// Writes a new account, its password hashed, and (unless its address
    /// was proven at `verified_at`) the mail that verifies the address:
    /// one never exists without the other. Failed log-ins counted on the
    /// address before it had an account are forgotten: they are not the
    /// new owner's. Sign-up and the operator's `users create` both come
    /// here.
    pub(crate) async fn create_account(
        &self,
        email: &email::Normalised,
        password: &password::AcceptedPassword,
        display_name: &str,
        verified_at: Option<i64>,
        client: Option<&Client>,
    ) -> Result<User, AppError> {
        if self.find_user_id(&email.key).await?.is_some() {
            return Err(AppError::invalid(Problem::EmailTaken));
        }
        let password_hash = self.hasher.hash(password.as_bytes().to_vec()).await?;
        let mut tx = self.begin().await?;
        let user = insert_user(
            &mut tx,
            (&email.email, &email.key),
            &password_hash,
            display_name,
            verified_at,
        )
        .await?;
        if verified_at.is_none() {
            links::mail_link(
                &mut tx,
                &self.outbox,
                links::Purpose::Verify,
                user.id,
                &user.email,
                now(),
                client.map(Client::network).as_deref(),
                |letters, token| letters.verify_email(&user.email, token),
            )
            .await
            .map_err(|error| internal("mail verification link", error))?;
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit sign-up", error))?;
        self.outbox.ring();
        self.limits
            .clear(&self.db, &[Subject::Address(email.key.clone())])
            .await?;
        Ok(user)
    }

    /// Whether `token` is a live link that starts an account (a
    /// verify-first sign-up), whose page then asks for the password.
    pub async fn link_starts_account(&self, token: &str) -> Result<bool, AppError> {
        let Some(token) = SessionToken::parse(token) else {
            return Ok(false);
        };
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM pending_signups WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token.digest())
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("find sign-up link", error))?;
        Ok(pending.is_some())
    }

    /// Makes the account a verify-first sign-up asked for, verified, and
    /// signs this browser in.
    pub(super) async fn start_pending(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        pending: PendingSignUp,
        now: i64,
        client: &Client,
        browser: &Browser,
    ) -> Result<Verified, AppError> {
        let inserted = insert_user(
            &mut tx,
            (&pending.email, &pending.email_key),
            &pending.password_hash,
            &pending.display_name,
            Some(now),
        )
        .await;
        let user = match inserted {
            Ok(user) => user,
            // The address got an account through another link meanwhile.
            Err(AppError::Invalid(_)) => return Err(AppError::LinkInvalid),
            Err(error) => return Err(error),
        };
        // Other links for the same address are spent.
        sqlx::query("DELETE FROM pending_signups WHERE email_key = $1")
            .bind(&pending.email_key)
            .execute(&mut *tx)
            .await
            .map_err(|error| internal("spend sign-up links", error))?;
        tx.commit()
            .await
            .map_err(|error| internal("commit sign-up", error))?;
        self.limits
            .clear_account(&self.db, &pending.email_key, user.id)
            .await?;
        audit::record(&self.db, Event::SignUp, Some(user.id), client).await;
        audit::record(&self.db, Event::EmailVerified, Some(user.id), client).await;
        let signed_in = self.sign_in(user.clone(), false, client, browser).await?;
        Ok(Verified {
            user,
            signed_in: Some(signed_in),
        })
    }

    /// Verify-first sign-up: mails a link that starts the account, or, if
    /// the address has one, a notice to its owner. Hashes the password in
    /// both cases, so the work is alike. At most [`LINKS_PER_HOUR`] notices
    /// per account per hour, and as many links per address per hour from
    /// each client network: strangers signing up with someone's address
    /// spend their own network's allowance, never the owner's, and every
    /// link stays usable until one starts the account.
    pub(super) async fn mail_sign_up_link(
        &self,
        email: Normalised,
        password: password::AcceptedPassword,
        display_name: String,
        client: &Client,
    ) -> Result<(), AppError> {
        let password_hash = self.hasher.hash(password.as_bytes().to_vec()).await?;
        let now = now();
        let mut tx = self.begin().await?;
        let owner = sqlx::query_as::<_, User>(
            "SELECT id, email, display_name, created_at, email_verified_at \
             FROM users WHERE email_key = $1",
        )
        .bind(&email.key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| internal("find user", error))?;
        match owner {
            Some(owner) => {
                let notices: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM outbox \
                     WHERE user_id = $1 AND kind = 'sign_up_attempted' AND created_at > $2",
                )
                .bind(owner.id)
                .bind(now - 3600)
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| internal("count notices", error))?;
                if notices < LINKS_PER_HOUR {
                    let notice = self.outbox.letters.sign_up_attempted(&owner.email);
                    self.outbox
                        .enqueue(
                            &mut tx,
                            Some(owner.id),
                            &notice,
                            now,
                            Some(&client.network()),
                        )
                        .await
                        .map_err(|error| internal("mail notice", error))?;
                }
            }
            None => {
                let network = client.network();
                let address = self.devices.pseudonym("sign-up-link-v1", &email.key);
                let per_hour = LINKS_PER_HOUR as f64;
                let (_, allowed, _) = buckets::take_token(
                    &mut *tx,
                    Backend::of(&self.db),
                    &format!("sign-up-link:{address}|{network}"),
                    per_hour,
                    per_hour / 3600.0,
                    now as f64,
                )
                .await
                .map_err(|error| internal("count sign-up links", error))?;
                if allowed {
                    let token = SessionToken::generate();
                    sqlx::query(
                        "INSERT INTO pending_signups (token_hash, email, email_key, \
                         password_hash, display_name, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(token.digest())
                    .bind(&email.email)
                    .bind(&email.key)
                    .bind(&password_hash)
                    .bind(&display_name)
                    .bind(now)
                    .bind(now + i64::try_from(Purpose::Verify.lifetime().as_secs()).unwrap_or(0))
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| internal("keep sign-up", error))?;
                    let letter = self
                        .outbox
                        .letters
                        .confirm_sign_up(&email.email, token.as_str());
                    self.outbox
                        .enqueue(&mut tx, None, &letter, now, Some(&network))
                        .await
                        .map_err(|error| internal("mail sign-up link", error))?;
                }
            }
        }
        tx.commit()
            .await
            .map_err(|error| internal("commit sign-up", error))?;
        self.outbox.ring();
        Ok(())
    }
}

/// Writes a new account (its address and the address's key, as
/// [`email::normalise`] makes them; its password already hashed) inside
/// `tx`; `verified_at` is when its address was proven, if it has been. An
/// address already taken is [`Problem::EmailTaken`], however the race
/// with another sign-up went.
pub(super) async fn insert_user(
    tx: &mut sqlx::AnyConnection,
    (email, email_key): (&str, &str),
    password_hash: &str,
    display_name: &str,
    verified_at: Option<i64>,
) -> Result<User, AppError> {
    let inserted = sqlx::query_as::<_, User>(
        "INSERT INTO users (email, email_key, password_hash, display_name, email_key_version, \
         email_verified_at) VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, email, display_name, created_at, email_verified_at",
    )
    .bind(email)
    .bind(email_key)
    .bind(password_hash)
    .bind(display_name)
    .bind(super::email::EMAIL_KEY_VERSION)
    .bind(verified_at)
    .fetch_one(&mut *tx)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(AppError::invalid(Problem::EmailTaken))
        }
        Err(error) => Err(internal("create user", error)),
    }
}

/// Problems with the size of what was typed, checked before anything is
/// written or hashed.
pub(super) fn length_problems(
    email: &str,
    password: &str,
    display_name: Option<&str>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if email.trim().chars().count() > EMAIL_MAX_CHARS {
        problems.push(Problem::EmailTooLong);
    }
    if password.len() > PASSWORD_MAX_BYTES {
        problems.push(Problem::PasswordTooLong);
    }
    if let Some(chars) = display_name
        .map(|name| name.trim().chars().count())
        .filter(|&chars| chars > DISPLAY_NAME_MAX_CHARS)
    {
        problems.push(Problem::DisplayNameTooLong { chars });
    }
    problems
}

/// A sign-up waiting for its link.
#[derive(sqlx::FromRow)]
pub(super) struct PendingSignUp {
    email: String,
    email_key: String,
    password_hash: String,
    display_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked_before_anything_else() {
        let huge_email = format!("{}@example.com", "a".repeat(60_000));
        assert_eq!(
            length_problems(&huge_email, "x", None),
            [Problem::EmailTooLong]
        );
        assert_eq!(
            length_problems("ada@example.com", &"x".repeat(1025), Some(&"n".repeat(51))),
            [
                Problem::PasswordTooLong,
                Problem::DisplayNameTooLong { chars: 51 }
            ]
        );
        assert!(length_problems("ada@example.com", "short", Some("Ada")).is_empty());
    }
}

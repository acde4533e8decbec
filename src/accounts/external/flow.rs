//! The trip to an external provider and back: [`Accounts::start_external`]
//! sends the browser to the provider with a fresh `state`, `nonce` and
//! PKCE challenge, kept in `external_requests` for 10 minutes and bound to
//! this browser by a cookie; [`Accounts::finish_external`] takes the
//! provider's answer at the callback, uses the request up (once, from the
//! browser that started it), redeems the code and checks the ID token.

use openidconnect::{
    core::{CoreAuthenticationFlow, CoreGenderClaim, CoreUserInfoClaims},
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, CsrfToken, IdTokenClaims, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse, UserInfoError,
};

use super::{error_chain, identities::Identity, Failure, Provider, Started, Trip};
use crate::{
    accounts::{sql::internal, Accounts, Browser, Client, Current, SessionToken},
    error::AppError,
    time::now,
};

/// How long the provider has to send the browser back.
pub const REQUEST_SECONDS: i64 = 10 * 60;

/// The longest `sub` accepted (OpenID Connect caps it at 255 ASCII
/// characters).
const MAX_SUBJECT_BYTES: usize = 255;

/// What the provider sent back to the callback (its query).
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's error code, when it did not sign the person in.
    pub error: Option<String>,
}

/// A request that came back, as it was stored.
#[derive(sqlx::FromRow)]
struct Pending {
    nonce: String,
    pkce_verifier: String,
    user_id: Option<i64>,
    confirm: i64,
    expires_at: i64,
}

impl Pending {
    fn trip(&self) -> Trip {
        match (self.user_id, self.confirm) {
            (None, _) => Trip::SignIn,
            (Some(user_id), 0) => Trip::Link(user_id),
            (Some(user_id), _) => Trip::Confirm(user_id),
        }
    }
}

impl Accounts {
    /// Starts a `trip` to provider `name`. 404 for a provider that is not
    /// configured; 429 when this network asks too often.
    pub async fn start_external(
        &self,
        name: &str,
        trip: Trip,
        client: &Client,
    ) -> Result<Started, AppError> {
        let provider = self.providers.get(name).ok_or(AppError::NotFound)?;
        self.take_client_token(client).await?;
        let state = SessionToken::generate();
        let browser = SessionToken::generate();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state_value = state.as_str().to_owned();
        let (url, _, nonce) = provider
            .client()
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state_value),
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let now = now();
        sqlx::query(
            "INSERT INTO external_requests (state_hash, browser_hash, provider, nonce, \
             pkce_verifier, user_id, confirm, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(state.digest())
        .bind(browser.digest())
        .bind(name)
        .bind(nonce.secret())
        .bind(verifier.secret())
        .bind(match trip {
            Trip::SignIn => None,
            Trip::Link(user_id) | Trip::Confirm(user_id) => Some(user_id),
        })
        .bind(i64::from(matches!(trip, Trip::Confirm(_))))
        .bind(now)
        .bind(now + REQUEST_SECONDS)
        .execute(&self.db)
        .await
        .map_err(|error| internal("start external sign-in", error))?;
        Ok(Started {
            url: url.to_string(),
            browser,
        })
    }

    /// Finishes a trip to provider `name` at its callback, for the browser
    /// whose cookie is `browser_cookie` and which is signed in as
    /// `signed_in`, if at all: what the identity it brought leads to
    /// ([`super::identities`]), or why there is none. A trip to link or
    /// confirm from settings counts only while the same account is signed
    /// in.
    pub async fn finish_external(
        &self,
        name: &str,
        callback: &Callback,
        browser_cookie: Option<&str>,
        signed_in: Option<&Current>,
        client: &Client,
        browser: &Browser,
    ) -> Result<super::identities::Outcome, Failure> {
        let provider = self.providers.get(name).ok_or(Failure::Expired)?;
        self.take_client_token(client).await?;
        let pending = self
            .take_request(name, callback.state.as_deref(), browser_cookie)
            .await?;
        if pending.user_id.is_some() && pending.user_id != signed_in.map(|current| current.user.id)
        {
            return Err(Failure::Expired);
        }
        if let Some(error) = &callback.error {
            tracing::info!(provider = name, error = %truncate(error), "external sign-in refused by the provider");
            return Err(if error == "access_denied" {
                Failure::Denied
            } else {
                Failure::Rejected
            });
        }
        let code = callback.code.clone().ok_or(Failure::Rejected)?;
        let identity = self
            .redeem(provider, code, &pending)
            .await
            .inspect_err(|failure| {
                tracing::info!(provider = name, ?failure, "external sign-in failed");
            })?;
        self.after_external(identity, pending.trip(), signed_in, client, browser)
            .await
    }

    /// Uses up the request `state` names, if this browser started it and
    /// it has not expired.
    async fn take_request(
        &self,
        name: &str,
        state: Option<&str>,
        browser_cookie: Option<&str>,
    ) -> Result<Pending, Failure> {
        let state = state
            .and_then(SessionToken::parse)
            .ok_or(Failure::Expired)?;
        let cookie = browser_cookie
            .and_then(SessionToken::parse)
            .ok_or(Failure::Expired)?;
        let pending = sqlx::query_as::<_, Pending>(
            "DELETE FROM external_requests \
             WHERE state_hash = $1 AND browser_hash = $2 AND provider = $3 \
             RETURNING nonce, pkce_verifier, user_id, confirm, expires_at",
        )
        .bind(state.digest())
        .bind(cookie.digest())
        .bind(name)
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("take external request", error))?
        .ok_or(Failure::Expired)?;
        if pending.expires_at <= now() {
            return Err(Failure::Expired);
        }
        Ok(pending)
    }

    /// Redeems the code (with the PKCE verifier), checks the ID token, and
    /// reads the person's address and name from it or, when it carries
    /// none, from the provider's user info (for the same subject).
    async fn redeem(
        &self,
        provider: &Provider,
        code: String,
        pending: &Pending,
    ) -> Result<Identity, Failure> {
        let http = &self.providers.http;
        let mut client = provider.client();
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(http)
            .await
            .map_err(|error| match error {
                RequestTokenError::Request(error) => {
                    tracing::warn!(
                        "external provider {}: {}",
                        provider.name,
                        error_chain(&error)
                    );
                    Failure::Unavailable
                }
                RequestTokenError::ServerResponse(response) => {
                    tracing::info!(
                        "external provider {}: token refused: {}",
                        provider.name,
                        response.error()
                    );
                    Failure::Rejected
                }
                other => {
                    tracing::warn!(
                        "external provider {}: {}",
                        provider.name,
                        error_chain(&other)
                    );
                    Failure::Rejected
                }
            })?;
        let id_token = tokens.id_token().ok_or(Failure::Rejected)?;
        let nonce = Nonce::new(pending.nonce.clone());
        // Signed with a key the provider did not have when it was read:
        // it rotated its keys, so read them again (once).
        let unknown_key = matches!(
            id_token.claims(&client.id_token_verifier(), &nonce),
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey
            ))
        );
        if unknown_key && provider.refresh(http).await {
            client = provider.client();
        }
        let verifier = client.id_token_verifier();
        let claims = id_token.claims(&verifier, &nonce).map_err(|error| {
            tracing::info!(
                "external provider {}: ID token refused: {}",
                provider.name,
                error_chain(&error)
            );
            Failure::Rejected
        })?;
        if let Some(expected) = claims.access_token_hash() {
            let signing = id_token
                .signing_alg()
                .and_then(|alg| Ok((alg, id_token.signing_key(&verifier)?)))
                .map_err(|_| Failure::Rejected)?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), signing.0, signing.1)
                .map_err(|_| Failure::Rejected)?;
            if actual != *expected {
                return Err(Failure::Rejected);
            }
        }
        let mut identity = identity_from(&provider.name, claims);
        if identity.subject.len() > MAX_SUBJECT_BYTES {
            return Err(Failure::Rejected);
        }
        if identity.email.is_empty() {
            if let Ok(request) = client.user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            ) {
                let info: CoreUserInfoClaims =
                    request.request_async(http).await.map_err(|error| {
                        tracing::warn!(
                            "external provider {}: user info: {}",
                            provider.name,
                            error_chain(&error)
                        );
                        // Unreachable, or an answer that fails its checks
                        // (another subject's, say).
                        match error {
                            UserInfoError::Request(_) => Failure::Unavailable,
                            _ => Failure::Rejected,
                        }
                    })?;
                identity.email = info
                    .email()
                    .map(|email| email.to_string())
                    .unwrap_or_default();
                identity.email_verified = info.email_verified().unwrap_or(false);
                if identity.display_name.is_empty() {
                    identity.display_name = info
                        .name()
                        .and_then(|name| name.get(None))
                        .map(|name| name.to_string())
                        .unwrap_or_default();
                }
            }
        }
        if identity.email.is_empty() {
            return Err(Failure::NoEmail);
        }
        Ok(identity)
    }
}

/// The identity an ID token names.
fn identity_from(
    provider: &str,
    claims: &IdTokenClaims<openidconnect::EmptyAdditionalClaims, CoreGenderClaim>,
) -> Identity {
    Identity {
        provider: provider.to_owned(),
        subject: claims.subject().to_string(),
        email: claims
            .email()
            .map(|email| email.to_string())
            .unwrap_or_default(),
        email_verified: claims.email_verified().unwrap_or(false),
        display_name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.to_string())
            .unwrap_or_default(),
    }
}

/// A provider's error code, bounded for the log.
fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

//! A small OpenID provider for the HTTP tests: discovery, keys, a token
//! endpoint that checks the client's secret and the PKCE verifier and
//! signs real RS256 ID tokens, and user info. The test plays the person at
//! the provider: [`Issuer::approve`] reads the authorization request the
//! app sent the browser to and answers with the callback address, as a
//! provider's consent would. [`Misbehave`] makes it answer wrongly.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Form, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use leptos_accounts::accounts::external::ProviderSettings;
use openidconnect::{
    core::{CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey},
    JsonWebKeyId, PrivateSigningKey,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "accounts-app";
const CLIENT_SECRET: &str = "issuer test secret";

/// The person signed in at the provider.
#[derive(Clone, Debug)]
pub struct Person {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: String,
}

impl Person {
    pub fn new(subject: &str, email: &str) -> Self {
        Self {
            subject: subject.to_owned(),
            email: Some(email.to_owned()),
            email_verified: true,
            name: "Ada Lovelace".to_owned(),
        }
    }
}

/// What the provider gets wrong, for the failure tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Misbehave {
    #[default]
    Nothing,
    /// The ID token carries another nonce.
    WrongNonce,
    /// The ID token is for another client.
    WrongAudience,
    /// The ID token expired an hour ago.
    Expired,
    /// Another issuer signed it (the `iss` differs).
    WrongIssuer,
    /// The signature does not match.
    BadSignature,
    /// The address is only in the user info, not in the ID token.
    EmailOnlyInUserInfo,
    /// The provider rotated its keys: it signs with a new one, which its
    /// key set lists from now on.
    NewKey,
}

/// An authorization the person gave, waiting for the app to redeem it.
struct Grant {
    person: Person,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

#[derive(Default)]
struct Shared {
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, Person>,
    misbehave: Misbehave,
}

#[derive(Clone)]
struct Provider {
    url: String,
    key: Arc<CoreRsaPrivateSigningKey>,
    new_key: Arc<CoreRsaPrivateSigningKey>,
    shared: Arc<Mutex<Shared>>,
}

pub struct Issuer {
    pub url: String,
    provider: Provider,
    server: tokio::task::JoinHandle<()>,
}

impl Issuer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr: SocketAddr = listener.local_addr().unwrap();
        let url = format!("http://127.0.0.1:{}", addr.port());
        let key = CoreRsaPrivateSigningKey::from_pem(
            include_str!("issuer-key.pem"),
            Some(JsonWebKeyId::new("test-key".to_owned())),
        )
        .expect("the test key");
        let new_key = CoreRsaPrivateSigningKey::from_pem(
            include_str!("issuer-key-2.pem"),
            Some(JsonWebKeyId::new("test-key-2".to_owned())),
        )
        .expect("the second test key");
        let provider = Provider {
            url: url.clone(),
            key: Arc::new(key),
            new_key: Arc::new(new_key),
            shared: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(provider.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            provider,
            server,
        }
    }

    /// The app's settings for this provider, as `test`.
    pub fn settings(&self) -> ProviderSettings {
        ProviderSettings {
            name: "test".to_owned(),
            label: "Test ID".to_owned(),
            issuer: self.url.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
        }
    }

    pub fn misbehave(&self, how: Misbehave) {
        self.provider.shared.lock().unwrap().misbehave = how;
    }

    /// Stops answering: connections are refused from now on.
    pub fn go_down(&self) {
        self.server.abort();
    }

    /// `person` agrees to the authorization request at `authorize` (the
    /// address the app sent the browser to): returns the callback address
    /// the provider sends the browser back to, as a path on the app.
    pub fn approve(&self, authorize: &str, person: Person) -> String {
        let query = query_of(authorize);
        assert!(
            authorize.starts_with(&format!("{}/authorize?", self.url)),
            "{authorize}"
        );
        assert_eq!(query["client_id"], CLIENT_ID);
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["code_challenge_method"], "S256");
        let scopes: Vec<&str> = query["scope"].split(' ').collect();
        assert!(
            scopes.contains(&"openid") && scopes.contains(&"email"),
            "{scopes:?}"
        );
        let code = random();
        self.provider.shared.lock().unwrap().grants.insert(
            code.clone(),
            Grant {
                person,
                nonce: query["nonce"].clone(),
                challenge: query["code_challenge"].clone(),
                redirect_uri: query["redirect_uri"].clone(),
            },
        );
        callback_path(
            &query["redirect_uri"],
            &format!(
                "code={code}&state={}&iss={}",
                query["state"],
                encode(&self.url)
            ),
        )
    }

    /// The provider says no (the person declined, or another `error`).
    pub fn refuse(&self, authorize: &str, error: &str) -> String {
        let query = query_of(authorize);
        callback_path(
            &query["redirect_uri"],
            &format!("error={error}&state={}", query["state"]),
        )
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The path and query of `redirect_uri` on the app, with `query`.
fn callback_path(redirect_uri: &str, query: &str) -> String {
    let path = redirect_uri
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .expect("a callback path");
    format!("{path}?{query}")
}

async fn discovery(State(provider): State<Provider>) -> Json<Value> {
    let url = &provider.url;
    Json(json!({
        "issuer": url,
        "authorization_endpoint": format!("{url}/authorize"),
        "token_endpoint": format!("{url}/token"),
        "userinfo_endpoint": format!("{url}/userinfo"),
        "jwks_uri": format!("{url}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
}

async fn jwks(State(provider): State<Provider>) -> Json<Value> {
    if provider.shared.lock().unwrap().misbehave == Misbehave::NewKey {
        return Json(json!({
            "keys": [provider.key.as_verification_key(), provider.new_key.as_verification_key()]
        }));
    }
    Json(json!({ "keys": [provider.key.as_verification_key()] }))
}

async fn token(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let refuse =
        |error: &str| (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(CLIENT_ID),
            encode(CLIENT_SECRET)
        ))
    );
    if headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        != Some(&basic)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let mut shared = provider.shared.lock().unwrap();
    // A code works once.
    let Some(grant) = shared.grants.remove(&field("code")) else {
        return refuse("invalid_grant");
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if field("grant_type") != "authorization_code"
        || challenge != grant.challenge
        || field("redirect_uri") != grant.redirect_uri
    {
        return refuse("invalid_grant");
    }
    let misbehave = shared.misbehave;
    let now = crate::support::now();
    let mut claims = json!({
        "iss": if misbehave == Misbehave::WrongIssuer { "http://127.0.0.1:1" } else { &provider.url },
        "aud": if misbehave == Misbehave::WrongAudience { "another-app" } else { CLIENT_ID },
        "sub": grant.person.subject,
        "iat": now,
        "exp": if misbehave == Misbehave::Expired { now - 3600 } else { now + 600 },
        "nonce": if misbehave == Misbehave::WrongNonce { "another nonce".to_owned() } else { grant.nonce.clone() },
        "name": grant.person.name,
    });
    if misbehave != Misbehave::EmailOnlyInUserInfo {
        if let Some(email) = &grant.person.email {
            claims["email"] = json!(email);
            claims["email_verified"] = json!(grant.person.email_verified);
        }
    }
    let access_token = random();
    shared.tokens.insert(access_token.clone(), grant.person);
    drop(shared);
    let (key, kid) = match misbehave {
        Misbehave::NewKey => (&provider.new_key, "test-key-2"),
        _ => (&provider.key, "test-key"),
    };
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{kid}"}}"#));
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{body}");
    let mut signature = key
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            signed.as_bytes(),
        )
        .expect("signing");
    if misbehave == Misbehave::BadSignature {
        signature[0] ^= 1;
    }
    let id_token = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature));
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 600,
        "id_token": id_token,
    }))
    .into_response()
}

async fn userinfo(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let shared = provider.shared.lock().unwrap();
    let Some(person) = shared.tokens.get(token) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut claims = json!({ "sub": person.subject, "name": person.name });
    if let Some(email) = &person.email {
        claims["email"] = json!(email);
        claims["email_verified"] = json!(person.email_verified);
    }
    Json(claims).into_response()
}

fn random() -> String {
    leptos_accounts::accounts::SessionToken::generate()
        .as_str()
        .to_owned()
}

/// The query of `url`, decoded.
pub fn query_of(url: &str) -> HashMap<String, String> {
    url.split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Form-encodes `text` (as `application/x-www-form-urlencoded`).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (byte as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

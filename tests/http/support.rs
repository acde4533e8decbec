//! Starts the app for a test and talks to it over real HTTP.

use std::net::SocketAddr;

use leptos::prelude::LeptosOptions;
use leptos_accounts::accounts::external::Providers;
use leptos_accounts::server::db::Backend;
use leptos_accounts::server::{self, AppState, Config};
use sqlx::{AnyPool, Connection};
use tempfile::TempDir;

/// A running server with its own database; both go away when dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: AnyPool,
    /// The server's password hashing pool, to see what it did.
    pub hasher: leptos_accounts::accounts::PasswordHasher,
    pub database_url: String,
    /// The key in the local mailbox's address, as the server prints it.
    pub mailbox_key: String,
    origin: String,
    _dir: TempDir,
}

/// The database the suite runs on: PostgreSQL when `TEST_DATABASE_URL`
/// names a server (`make test` runs the suite once on each), else SQLite.
pub fn backend() -> Backend {
    if postgres_server().is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The PostgreSQL server the suite runs on, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
}

/// A new, empty database for one test: a file in `dir` on SQLite, a new
/// database on the PostgreSQL server (dropped with the throwaway cluster).
pub async fn fresh_database(dir: &TempDir) -> String {
    let Some(server) = postgres_server() else {
        return format!("sqlite://{}/accounts.db", dir.path().display());
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "accounts_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&server)
        .await
        .expect("PostgreSQL server");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

/// Now, in Unix seconds, as the server counts it.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64
}

/// What the server answered.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The `Set-Cookie` header for cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value.as_str())
            .find(|value| value.starts_with(&format!("{name}=")))
    }

    /// `name=value` of cookie `name`, ready for a `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookie(name)
            .map(|value| value.split(';').next().unwrap_or_default().to_owned())
    }
}

/// A request to send.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<Vec<u8>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app after `configure` has adjusted its settings.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("free port");
        let addr = listener.local_addr().expect("local address");
        Self::spawn_on(listener, addr, configure).await
    }

    /// Starts the app on a dual-stack listener (`[::]`), reached over IPv4
    /// loopback: the server sees its peers as `::ffff:127.0.0.1`, as a
    /// server listening on every address does.
    pub async fn spawn_dual_stack_with(configure: impl FnOnce(&mut Config)) -> Self {
        let listener = tokio::net::TcpListener::bind("[::]:0")
            .await
            .expect("free port");
        let port = listener.local_addr().expect("local address").port();
        Self::spawn_on(
            listener,
            SocketAddr::from(([127, 0, 0, 1], port)),
            configure,
        )
        .await
    }

    async fn spawn_on(
        listener: tokio::net::TcpListener,
        addr: SocketAddr,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = fresh_database(&dir).await;
        let db = server::db::connect(&database_url).await.expect("database");
        let mut config = Config::with_defaults(
            LeptosOptions::builder()
                .output_name("leptos_accounts")
                .site_root("target/site")
                .site_addr(addr)
                .build(),
            database_url.clone(),
        );
        // A first back-off longer than any test takes, so that a busy
        // machine cannot let an attempt through that a test expects to wait.
        config.limits.backoff_base = std::time::Duration::from_secs(60);
        configure(&mut config);
        let origin = config.public_origin.clone();
        let providers = Providers::discover(&config.external_providers, &origin)
            .await
            .expect("the providers' discovery");
        let state = AppState::new(config, db.clone(), providers)
            .await
            .expect("state");
        let hasher = state.accounts.hasher().clone();
        let mailbox_key = state.mailbox_key.clone();
        let app = server::router(state);
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        Self {
            addr,
            db,
            hasher,
            database_url,
            mailbox_key,
            origin,
            _dir: dir,
        }
    }

    /// The public origin the app was configured with, as browsers send it.
    pub fn origin(&self) -> String {
        self.origin.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Call {
            method: "GET",
            path,
            headers: vec![],
            body: None,
        })
        .await
    }

    /// GET with a `Cookie` header.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> Reply {
        self.send(Call {
            method: "GET",
            path,
            headers: vec![("cookie", cookie.to_owned())],
            body: None,
        })
        .await
    }

    /// POSTs a form the way a script or API client does (JSON answers).
    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Reply {
        self.post(path, fields, cookie, "application/json", None)
            .await
    }

    /// POSTs a form the way a browser without JavaScript does.
    pub async fn post_plain_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Reply {
        self.post(
            path,
            fields,
            cookie,
            "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
            None,
        )
        .await
    }

    async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
        accept: &str,
        forwarded_for: Option<&str>,
    ) -> Reply {
        let mut headers = vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", accept.to_owned()),
            ("origin", self.origin()),
        ];
        headers.extend(cookie.map(|cookie| ("cookie", cookie.to_owned())));
        headers.extend(forwarded_for.map(|ip| ("x-forwarded-for", ip.to_owned())));
        self.send(Call {
            method: "POST",
            path,
            headers,
            body: Some(encode_form(fields).into_bytes()),
        })
        .await
    }

    pub async fn send(&self, call: Call<'_>) -> Reply {
        let url = self.url(call.path);
        let method = call.method.to_owned();
        let headers: Vec<(String, String)> = call
            .headers
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        let body = call.body;
        tokio::task::spawn_blocking(move || send_blocking(&method, &url, &headers, body))
            .await
            .expect("request thread")
    }

    /// Logs in the way an API client does.
    pub async fn log_in(&self, email: &str, password: &str) -> Reply {
        self.post_form(
            "/api/auth/login",
            &[("email", email), ("password", password)],
            None,
        )
        .await
    }

    /// Logs in from a browser that sends `cookie` (its session and device
    /// cookies, say) and, if given, comes through a proxy as `forwarded_for`.
    pub async fn log_in_as_browser(
        &self,
        email: &str,
        password: &str,
        cookie: Option<&str>,
        forwarded_for: Option<&str>,
    ) -> Reply {
        let fields = [("email", email), ("password", password)];
        let accept = "application/json";
        self.post("/api/auth/login", &fields, cookie, accept, forwarded_for)
            .await
    }

    /// Signs up with the test password from a client the trusted proxy
    /// names as `forwarded_for`.
    /// Posts a form as an API client behind the trusted proxy, which says
    /// it forwards for `forwarded_for`.
    pub async fn post_form_from(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        forwarded_for: &str,
    ) -> Reply {
        self.post(path, fields, None, "application/json", Some(forwarded_for))
            .await
    }

    pub async fn sign_up_from(&self, email: &str, forwarded_for: &str) -> Reply {
        let fields = [("email", email), ("password", PASSWORD)];
        let accept = "application/json";
        self.post(
            "/api/auth/signup",
            &fields,
            None,
            accept,
            Some(forwarded_for),
        )
        .await
    }

    /// Tries to sign up `email` with `password`, as an API client.
    pub async fn try_sign_up(&self, email: &str, password: &str) -> Reply {
        self.post_form(
            "/api/auth/signup",
            &[("email", email), ("password", password)],
            None,
        )
        .await
    }

    /// The number of rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.db)
            .await
            .expect("count rows")
    }

    /// Signs up `email` with a valid password and returns the session cookie.
    pub async fn sign_up(&self, email: &str) -> String {
        self.sign_up_reply(email)
            .await
            .cookie("session")
            .expect("session cookie")
    }

    /// Signs up `email` with a valid password and returns the answer.
    pub async fn sign_up_reply(&self, email: &str) -> Reply {
        let reply = self
            .post_form(
                "/api/auth/signup",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("display_name", ""),
                ],
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "sign-up: {}", reply.body);
        reply
    }
}

/// A password that meets the policy, used by tests that need an account.
pub const PASSWORD: &str = "violet kettle marching north";

pub fn encode_form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Sends one request and reads the whole answer, on this thread.
pub fn send_blocking(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<Vec<u8>>,
) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        // A request the server never finishes fails its test instead of
        // hanging the whole run.
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let result = match body {
        Some(body) => agent.run(request.body(body).expect("request")),
        None => agent.run(request.body(()).expect("request")),
    };
    let mut response = result.expect("response");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(10 * 1024 * 1024)
        .read_to_string()
        .expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

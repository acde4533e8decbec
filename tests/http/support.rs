//! Starts the app for a test and talks to it over real HTTP.

use std::net::SocketAddr;

use leptos::prelude::LeptosOptions;
use leptos_accounts::server::{self, AppState, Config};
use sqlx::SqlitePool;
use tempfile::TempDir;

/// A running server with its own database; both go away when dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: SqlitePool,
    pub database_url: String,
    _dir: TempDir,
}

/// What the server answered.
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
}

impl TestApp {
    pub async fn spawn() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = format!("sqlite://{}/accounts.db", dir.path().display());
        let db = server::db::connect(&database_url).await.expect("database");
        let config = Config {
            leptos_options: LeptosOptions::builder()
                .output_name("leptos_accounts")
                .site_root("target/site")
                .build(),
            database_url: database_url.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("free port");
        let addr = listener.local_addr().expect("local address");
        let app = server::router(AppState::new(config, db.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            db,
            database_url,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> Reply {
        let url = self.url(path);
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into();
            let mut response = agent.get(&url).call().expect("request");
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
            let body = response.body_mut().read_to_string().expect("body");
            Reply {
                status,
                headers,
                body,
            }
        })
        .await
        .expect("request thread")
    }
}

//! Brute-force limits and the audit trail.

use leptos_accounts::server::{db::Backend, Config};
use std::net::IpAddr;

use crate::support::{Reply, TestApp, PASSWORD};

const LOGIN: &str = "/api/auth/login";

async fn wrong_password(app: &TestApp, email: &str) -> Reply {
    app.post_form(
        LOGIN,
        &[("email", email), ("password", "not the password at all")],
        None,
    )
    .await
}

#[tokio::test]
async fn the_sixth_rapid_wrong_password_is_refused_with_retry_after() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    for attempt in 1..=5 {
        assert_eq!(
            wrong_password(&app, "ada@example.com").await.status,
            401,
            "attempt {attempt}"
        );
    }
    let sixth = wrong_password(&app, "ada@example.com").await;
    assert_eq!(sixth.status, 429, "{}", sixth.body);
    assert!(sixth.body.contains("LogInLocked"), "{}", sixth.body);
    let retry_after: u64 = sixth
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    // Even the right password waits: nothing is evaluated during back-off.
    let right = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(right.status, 429);
}

#[tokio::test]
async fn unknown_addresses_back_off_exactly_like_real_ones() {
    let app = TestApp::spawn().await;
    for _ in 1..=5 {
        assert_eq!(wrong_password(&app, "nobody@example.com").await.status, 401);
    }
    assert_eq!(wrong_password(&app, "nobody@example.com").await.status, 429);
}

#[tokio::test]
async fn a_successful_log_in_after_the_back_off_resets_the_count() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    for _ in 1..=5 {
        wrong_password(&app, "ada@example.com").await;
    }
    // As if the back-off had been waited out.
    sqlx::query("UPDATE login_attempts SET last_failure_at = last_failure_at - 3600")
        .execute(&app.db)
        .await
        .unwrap();
    let reply = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let rows = app.count("login_attempts").await;
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn after_100_consecutive_failures_no_password_is_evaluated() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    sqlx::query("INSERT INTO login_attempts (key, failures, last_failure_at) VALUES ('address:ada@example.com', 100, 0)")
        .execute(&app.db)
        .await
        .unwrap();
    let reply = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(reply.status, 429);
}

#[tokio::test]
async fn a_client_ip_that_floods_the_auth_endpoints_gets_429() {
    let app = TestApp::spawn_with(|config| {
        config.limits.ip_burst = 3;
        config.limits.ip_per_minute = 1;
    })
    .await;
    // Without a trusted proxy, X-Forwarded-For is the client's own claim.
    for (n, forwarded) in ["1.1.1.1", "2.2.2.2", "3.3.3.3"].into_iter().enumerate() {
        let reply = app
            .sign_up_from(&format!("user{n}@example.com"), forwarded)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let reply = app.sign_up_from("user9@example.com", "4.4.4.4").await;
    assert_eq!(reply.status, 429, "rotating X-Forwarded-For gains nothing");
    let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let login = wrong_password(&app, "user0@example.com").await;
    assert_eq!(login.status, 429, "log-in shares the bucket");
}

/// One request a minute per client, behind a proxy on 127.0.0.1.
fn behind_a_loopback_proxy(config: &mut Config) {
    config.limits.ip_burst = 1;
    config.limits.ip_per_minute = 1;
    config.trusted_proxies = vec!["127.0.0.1".parse::<IpAddr>().unwrap()];
}

/// The client addresses the audit trail recorded, each once.
async fn audited_addresses(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT DISTINCT ip FROM audit_events ORDER BY ip")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = TestApp::spawn_with(behind_a_loopback_proxy).await;
    assert_eq!(
        app.sign_up_from("a@example.com", "10.0.0.1").await.status,
        200
    );
    assert_eq!(
        app.sign_up_from("b@example.com", "10.0.0.2").await.status,
        200
    );
    assert_eq!(
        app.sign_up_from("c@example.com", "10.0.0.1").await.status,
        429
    );
    // A client's own entries come first; the proxy appends the real one.
    assert_eq!(
        app.sign_up_from("d@example.com", "10.0.0.99, 10.0.0.2")
            .await
            .status,
        429
    );
    assert_eq!(audited_addresses(&app).await, ["10.0.0.1", "10.0.0.2"]);
}

/// On a dual-stack listener an IPv4 proxy's address arrives mapped
/// (`::ffff:127.0.0.1`); it is still the trusted proxy, so each client
/// behind it keeps its own bucket instead of all sharing the proxy's.
#[tokio::test]
async fn a_trusted_proxy_is_recognised_on_a_dual_stack_listener() {
    let app = TestApp::spawn_dual_stack_with(behind_a_loopback_proxy).await;
    assert_eq!(
        app.sign_up_from("a@example.com", "10.0.0.1").await.status,
        200
    );
    assert_eq!(
        app.sign_up_from("b@example.com", "10.0.0.2").await.status,
        200,
        "another client behind the proxy has its own bucket"
    );
    assert_eq!(audited_addresses(&app).await, ["10.0.0.1", "10.0.0.2"]);
}

#[tokio::test]
async fn every_account_event_is_audited_without_secrets() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    app.post_form(
        "/api/profile/display-name",
        &[("display_name", "Ada")],
        Some(&cookie),
    )
    .await;
    app.post_form("/api/auth/logout", &[], Some(&cookie)).await;
    for _ in 1..=6 {
        wrong_password(&app, "ada@example.com").await;
    }
    let rows: Vec<(String, Option<i64>, String, String)> =
        sqlx::query_as("SELECT kind, user_id, ip, user_agent FROM audit_events ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let kinds: Vec<&str> = rows.iter().map(|row| row.0.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "sign_up",
            "profile_changed",
            "log_out",
            "log_in_failed",
            "log_in_failed",
            "log_in_failed",
            "log_in_failed",
            "log_in_failed",
            "rate_limited"
        ]
    );
    assert!(
        rows.iter().all(|row| row.1 == Some(1)),
        "all about Ada: {rows:?}"
    );
    assert!(rows.iter().all(|row| row.2 == "127.0.0.1"));
    assert!(rows.iter().all(|row| row.3.starts_with("ureq")));
    let token = cookie.split_once('=').unwrap().1;
    let dump: String = sqlx::query_scalar(match crate::support::backend() {
        Backend::Sqlite => "SELECT group_concat(kind || ip || user_agent, '|') FROM audit_events",
        Backend::Postgres => "SELECT string_agg(kind || ip || user_agent, '|') FROM audit_events",
    })
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        !dump.contains(PASSWORD) && !dump.contains("not the password") && !dump.contains(token)
    );

    // The user sees it as "Recent activity", newest first, at most ten.
    let login = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(login.status, 429, "still backing off");
    sqlx::query("DELETE FROM login_attempts")
        .execute(&app.db)
        .await
        .unwrap();
    let cookie = app
        .log_in("ada@example.com", PASSWORD)
        .await
        .cookie("session")
        .unwrap();
    let activity = app
        .post_form("/api/profile/activity", &[], Some(&cookie))
        .await;
    assert_eq!(activity.status, 200, "{}", activity.body);
    assert!(activity.body.starts_with(r#"[{"at":"#), "{}", activity.body);
    assert!(activity.body.contains("Logged in") && activity.body.contains("Failed log-in attempt"));
    assert_eq!(activity.body.matches(r#""what""#).count(), 10);
    let page = app.get_with_cookie("/profile", &cookie).await;
    assert!(page.body.contains("Recent activity") && page.body.contains("Failed log-in attempt"));
    assert_eq!(
        app.post_form("/api/profile/activity", &[], None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn without_javascript_the_limit_is_explained_on_the_page() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let mut last = None;
    for _ in 1..=6 {
        last = Some(
            app.post_plain_form(
                LOGIN,
                &[
                    ("email", "ada@example.com"),
                    ("password", "wrong wrong wrong"),
                ],
                None,
            )
            .await,
        );
    }
    let last = last.unwrap();
    assert_eq!(last.status, 303);
    let page = app
        .get_with_cookie("/login", &last.cookie("form").unwrap())
        .await;
    assert!(
        page.body
            .contains("Too many failed log-ins for this email address: try again in"),
        "{}",
        page.body
    );
}

/// A client that starts a request and then sends its body too slowly is
/// answered 408 once the request timeout passes, and its connection closed:
/// it cannot hold a server task forever.
#[tokio::test]
async fn a_request_whose_body_never_finishes_gets_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn_with(|config| {
        config.request_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a",
        app.addr,
        app.origin()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(15),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the server answers and closes the connection")
    .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
}

#[tokio::test]
async fn a_log_in_with_a_nul_in_the_address_is_an_unknown_address_on_every_database() {
    let app = TestApp::spawn().await;
    for email in ["a\0b@example.com", "\0", "ada@exa\0mple.com"] {
        let reply = wrong_password(&app, email).await;
        assert_eq!(reply.status, 401, "{email:?}: {}", reply.body);
        assert_eq!(reply.body, "\"InvalidCredentials\"");
    }
}

//! The real server binary as an operator starts it: settings that would
//! make an unsafe deployment are refused, and the retention task runs.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use leptos_accounts::server::db;

/// Starts the binary with `env`; returns it with a channel of its log lines.
fn start(env: &[(&str, String)]) -> (Child, mpsc::Receiver<String>) {
    start_with(env, false)
}

fn start_with(env: &[(&str, String)], without_seal_key: bool) -> (Child, mpsc::Receiver<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leptos_accounts"));
    if without_seal_key {
        command.env_remove("SEAL_KEY");
    }
    command
        .env_remove("APP_ORIGIN")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut server = command.spawn().expect("start the server binary");
    let (lines, received) = mpsc::channel();
    for output in [
        Box::new(server.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(server.stderr.take().unwrap()),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
    }
    (server, received)
}

fn wait_for_exit(server: &mut Child) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(status) = server.try_wait().expect("server status") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// The first log line within 20 seconds that contains `needle`.
fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            if line.contains(needle) {
                return Some(line);
            }
        }
    }
    None
}

#[test]
fn listening_beyond_loopback_without_app_origin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, lines) = start(&[
        ("LEPTOS_SITE_ADDR", "0.0.0.0:0".into()),
        ("LEPTOS_SITE_ROOT", dir.path().display().to_string()),
        (
            "DATABASE_URL",
            format!("sqlite://{}/accounts.db", dir.path().display()),
        ),
    ]);
    let status = wait_for_exit(&mut server);
    if status.is_none() {
        let _ = server.kill();
    }
    let output: Vec<String> = lines.try_iter().collect();
    let status = status.expect("the server refuses to start");
    assert!(!status.success());
    let output = output.join("\n");
    assert!(
        output.contains("set APP_ORIGIN") && output.contains("TRUSTED_PROXY"),
        "{output}"
    );
    assert!(!output.contains("listening on"), "{output}");
}

#[test]
fn postgres_needs_a_seal_key_and_a_bad_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (url, key, says) in [
        (
            "postgres://accounts:secret@127.0.0.1:1/accounts".to_owned(),
            None,
            "SEAL_KEY is required with PostgreSQL",
        ),
        (
            format!("sqlite://{}/accounts.db", dir.path().display()),
            Some("not hex"),
            "SEAL_KEY must be 64 hexadecimal digits",
        ),
    ] {
        let mut env = vec![
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned()),
            ("LEPTOS_SITE_ROOT", dir.path().display().to_string()),
            ("DATABASE_URL", url),
        ];
        env.extend(key.map(|key| ("SEAL_KEY", key.to_owned())));
        let (mut server, lines) = start_without_seal_key(&env);
        let status = wait_for_exit(&mut server);
        if status.is_none() {
            let _ = server.kill();
        }
        let output: Vec<String> = lines.try_iter().collect();
        assert!(!status.expect("the server refuses to start").success());
        let output = output.join("\n");
        assert!(output.contains(says), "{output}");
        assert!(
            !output.contains("not hex"),
            "the value is not echoed: {output}"
        );
    }
}

#[test]
fn sqlite_makes_its_seal_key_file_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, lines) = start_without_seal_key(&[
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".into()),
        ("LEPTOS_SITE_ROOT", dir.path().display().to_string()),
        (
            "DATABASE_URL",
            format!("sqlite://{}/data/accounts.db", dir.path().display()),
        ),
    ]);
    let listening = wait_for_line(&lines, "listening on");
    let _ = server.kill();
    let _ = server.wait();
    assert!(listening.is_some(), "the server starts");
    let key = std::fs::read_to_string(dir.path().join("data/accounts.db.seal-key")).unwrap();
    assert_eq!(key.len(), 64);
    assert!(key.bytes().all(|byte| byte.is_ascii_hexdigit()));
}

/// [`start`], without the `SEAL_KEY` a PostgreSQL test run sets for its
/// servers.
fn start_without_seal_key(env: &[(&str, String)]) -> (Child, mpsc::Receiver<String>) {
    start_with(env, true)
}

#[test]
fn with_app_origin_it_starts_on_any_address() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, lines) = start(&[
        ("LEPTOS_SITE_ADDR", "0.0.0.0:0".into()),
        ("APP_ORIGIN", "https://accounts.example".into()),
        ("LEPTOS_SITE_ROOT", dir.path().display().to_string()),
        (
            "DATABASE_URL",
            format!("sqlite://{}/accounts.db", dir.path().display()),
        ),
    ]);
    let started = wait_for_line(&lines, "listening on");
    let _ = server.kill();
    let _ = server.wait();
    assert!(started.is_some(), "the server starts");
}

/// Metrics tell when accounts sign up and mail goes out, so a stranger
/// who can scrape them around a "forgot password" request learns whether
/// an address is registered: a listener beyond loopback and private
/// networks needs METRICS_PUBLIC=1.
#[test]
fn metrics_beyond_private_networks_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = |public: bool| {
        let mut settings = vec![
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned()),
            ("METRICS_ADDR", "0.0.0.0:0".to_owned()),
            ("LEPTOS_SITE_ROOT", dir.path().display().to_string()),
            (
                "DATABASE_URL",
                format!("sqlite://{}/accounts.db", dir.path().display()),
            ),
        ];
        if public {
            settings.push(("METRICS_PUBLIC", "1".to_owned()));
        }
        settings
    };

    let (mut server, lines) = start(&settings(false));
    let status = wait_for_exit(&mut server);
    if status.is_none() {
        let _ = server.kill();
    }
    let output = lines.try_iter().collect::<Vec<_>>().join("\n");
    assert!(!status.expect("the server refuses to start").success());
    assert!(
        output.contains("METRICS_ADDR (0.0.0.0:0)") && output.contains("METRICS_PUBLIC=1"),
        "{output}"
    );
    assert!(!output.contains("listening on"), "{output}");

    let (mut server, lines) = start(&settings(true));
    let metrics = wait_for_line(&lines, "metrics on");
    let _ = server.kill();
    let _ = server.wait();
    assert!(metrics.is_some(), "allowed, the metrics listener opens");
}

#[tokio::test]
async fn the_server_deletes_what_is_past_its_retention_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::fresh_database(&dir).await;
    let pool = db::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO users (email, email_key, password_hash) VALUES ('a@example.com', 'a@example.com', 'x')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, persistent, created_at, last_seen_at, expires_at) \
         VALUES ($1, 1, 0, 0, 0, 1)",
    )
    .bind(vec![0u8; 32])
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO audit_events (at, kind, user_id, ip, user_agent) \
         VALUES ($1 - 400 * 86400, 'log_in', 1, '', '')",
    )
    .bind(crate::support::now())
    .execute(&pool)
    .await
    .unwrap();

    let (mut server, lines) = start(&[
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".into()),
        ("LEPTOS_SITE_ROOT", dir.path().display().to_string()),
        ("DATABASE_URL", url.clone()),
        ("AUDIT_RETENTION_DAYS", "365".into()),
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut gone = false;
    while Instant::now() < deadline && !gone {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let left: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM audit_events)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        gone = left == 0;
    }
    let _ = server.kill();
    let _ = server.wait();
    let log: Vec<String> = lines.try_iter().collect();
    assert!(gone, "rows past their retention are still there: {log:?}");
    assert!(
        log.iter().any(|line| line.contains("past their retention")),
        "{log:?}"
    );
}

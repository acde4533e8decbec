//! Abuse resistance: limits hold under parallel requests, nobody can lock
//! an owner out of a browser they have used, and nothing a stranger sends
//! grows storage without bound.

use std::{
    net::IpAddr,
    time::{Duration, Instant},
};

use tokio::io::AsyncWriteExt;

use crate::support::{encode_form, Reply, TestApp, PASSWORD};

const WRONG: &str = "not the password at all";

/// An app behind a trusted proxy on 127.0.0.1, so that each request can
/// come from its own client address.
async fn behind_proxy(configure: impl FnOnce(&mut leptos_accounts::server::Config)) -> TestApp {
    TestApp::spawn_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse::<IpAddr>().unwrap()];
        configure(config);
    })
    .await
}

fn retry_after(reply: &Reply) -> u64 {
    reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds")
}

async fn audited(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

// ---- 1. Counted atomically before hashing ----------------------------------

#[tokio::test]
async fn parallel_wrong_passwords_check_at_most_the_free_allowance() {
    let app = std::sync::Arc::new(behind_proxy(|_| {}).await);
    app.sign_up("ada@example.com").await;
    let attempts: Vec<_> = (1..=20)
        .map(|n| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move {
                let ip = format!("203.0.113.{n}");
                app.log_in_as_browser("ada@example.com", WRONG, None, Some(&ip))
                    .await
            })
        })
        .collect();
    let mut checked = 0;
    let mut refused = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        match reply.status {
            401 => checked += 1,
            429 => {
                assert!(retry_after(&reply) >= 1);
                assert!(reply.body.contains("LogInLocked"), "{}", reply.body);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    println!("20 parallel wrong passwords: {checked} checked, {refused} refused");
    assert!(
        (5..=6).contains(&checked),
        "{checked} of 20 were checked: only the free allowance may be"
    );
    assert_eq!(checked + refused, 20);
    assert_eq!(audited(&app, "log_in_failed").await, checked);
}

#[tokio::test]
async fn a_sign_up_clears_failures_counted_on_its_address() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        assert_eq!(app.log_in("zoe@example.com", WRONG).await.status, 401);
    }
    assert_eq!(app.log_in("zoe@example.com", WRONG).await.status, 429);
    app.sign_up("zoe@example.com").await;
    assert_eq!(app.count("login_attempts").await, 0);
    let reply = app.log_in("zoe@example.com", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

// ---- 2. Device cookies -----------------------------------------------------

/// The `device=…` cookie a sign-in handed the browser.
fn device_cookie(reply: &Reply) -> String {
    reply.cookie("device").expect("device cookie")
}

#[tokio::test]
async fn signing_in_gives_the_browser_a_long_lived_signed_device_cookie() {
    let app = TestApp::spawn().await;
    let reply = app.sign_up_reply("ada@example.com").await;
    let cookie = reply.set_cookie("device").expect("device cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=31536000"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    let login = app.log_in("ada@example.com", PASSWORD).await;
    assert!(login.set_cookie("device").is_some());

    let https = TestApp::spawn_with(|config| {
        config.public_origin = "https://accounts.example".into();
    })
    .await;
    let reply = https.sign_up_reply("ada@example.com").await;
    let cookie = reply.set_cookie("__Host-device").expect("__Host-device");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn strangers_guessing_never_lock_the_owner_out_of_a_browser_they_used() {
    let app = behind_proxy(|_| {}).await;
    let device = device_cookie(&app.sign_up_reply("ada@example.com").await);
    // Strangers use up the address's allowance...
    for n in 1..=8 {
        let ip = format!("198.51.100.{n}");
        app.log_in_as_browser("ada@example.com", WRONG, None, Some(&ip))
            .await;
    }
    let stranger = app
        .log_in_as_browser("ada@example.com", PASSWORD, None, Some("198.51.100.99"))
        .await;
    assert_eq!(stranger.status, 429, "even the right password waits");
    // ...and then the cap: no password is checked from new browsers.
    sqlx::query("UPDATE login_attempts SET failures = 100 WHERE key = 'address:ada@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let capped = app
        .log_in_as_browser("ada@example.com", PASSWORD, None, Some("198.51.100.98"))
        .await;
    assert_eq!(capped.status, 429);
    assert!(capped.body.contains(r#""capped":true"#), "{}", capped.body);

    // The owner's browser is not held back at all.
    let owner = app
        .log_in_as_browser(
            "ada@example.com",
            PASSWORD,
            Some(&device),
            Some("192.0.2.1"),
        )
        .await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    // Its success does not reset the strangers' count.
    let stranger = app
        .log_in_as_browser("ada@example.com", PASSWORD, None, Some("198.51.100.97"))
        .await;
    assert_eq!(stranger.status, 429);
}

#[tokio::test]
async fn a_trusted_browser_has_its_own_small_allowance() {
    let app = behind_proxy(|_| {}).await;
    let device = device_cookie(&app.sign_up_reply("ada@example.com").await);
    for attempt in 1..=5 {
        let reply = app
            .log_in_as_browser("ada@example.com", WRONG, Some(&device), Some("192.0.2.1"))
            .await;
        assert_eq!(reply.status, 401, "attempt {attempt}");
    }
    let reply = app
        .log_in_as_browser(
            "ada@example.com",
            PASSWORD,
            Some(&device),
            Some("192.0.2.1"),
        )
        .await;
    assert_eq!(reply.status, 429, "the device backs off on its own");
    // Its failures were not the address's: a new browser still may try.
    let elsewhere = app
        .log_in_as_browser("ada@example.com", PASSWORD, None, Some("192.0.2.2"))
        .await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.body);
}

#[tokio::test]
async fn a_forged_or_foreign_device_cookie_counts_for_nothing() {
    let app = TestApp::spawn().await;
    let ada_device = device_cookie(&app.sign_up_reply("ada@example.com").await);
    app.sign_up("bob@example.com").await;
    sqlx::query(
        "INSERT INTO login_attempts (key, failures, last_failure_at) \
         VALUES ('address:bob@example.com', 100, 0)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // Ada's cookie is for Ada's account, not Bob's.
    let reply = app
        .log_in_as_browser("bob@example.com", PASSWORD, Some(&ada_device), None)
        .await;
    assert_eq!(reply.status, 429);
    // Re-labelled for Bob, the signature no longer matches.
    let (name, value) = ada_device.split_once('=').unwrap();
    let (_, rest) = value.split_once('.').unwrap();
    let forged = format!("{name}=2.{rest}");
    let reply = app
        .log_in_as_browser("bob@example.com", PASSWORD, Some(&forged), None)
        .await;
    assert_eq!(reply.status, 429);
}

// ---- 4. The hashing queue is bounded ---------------------------------------

#[tokio::test]
async fn past_the_hashing_queue_log_ins_get_503_with_retry_after_at_once() {
    let app = std::sync::Arc::new(
        TestApp::spawn_with(|config| {
            config.hash_concurrency = 1;
            config.hash_queue = 1;
            config.limits.ip_burst = 1000;
        })
        .await,
    );
    let attempts: Vec<_> = (0..12)
        .map(|n| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move { app.log_in(&format!("user{n}@example.com"), WRONG).await })
        })
        .collect();
    let mut busy = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        match reply.status {
            401 => {}
            503 => {
                busy += 1;
                assert!(retry_after(&reply) >= 1);
                assert!(reply.body.contains("Busy"), "{}", reply.body);
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert!(busy > 0, "a queue of one cannot take twelve at once");
    // An attempt turned away was not checked, so it is not counted.
    let counted: i64 =
        sqlx::query_scalar("SELECT CAST(coalesce(sum(failures), 0) AS BIGINT) FROM login_attempts")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(counted, 12 - busy);
}

#[tokio::test]
async fn a_flood_of_abandoned_log_ins_does_not_delay_the_next_one() {
    let app = TestApp::spawn_with(|config| {
        config.limits.ip_burst = 100_000;
        config.limits.ip_per_minute = 100_000;
    })
    .await;
    app.sign_up("ada@example.com").await;
    // 1,000 log-ins (unknown addresses, so each one costs a hash) whose
    // clients hang up as soon as they have sent them.
    for batch in 0..10 {
        let mut streams = Vec::new();
        for n in 0..100 {
            let body = encode_form(&[
                ("email", &format!("gone{batch}x{n}@example.com")),
                ("password", WRONG),
            ]);
            let request = format!(
                "POST /api/auth/login HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
                 Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {len}\r\n\r\n{body}",
                addr = app.addr,
                origin = app.origin(),
                len = body.len(),
            );
            let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            streams.push(stream);
        }
        drop(streams);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let reply = app.log_in("ada@example.com", PASSWORD).await;
    let took = started.elapsed();
    println!(
        "log-in after 1,000 abandoned log-ins: {took:?}; jobs skipped: {}",
        app.hasher.skipped()
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

// ---- 5. IPv6 clients are bucketed by /64 -----------------------------------

#[tokio::test]
async fn one_ipv6_host_gets_one_bucket_however_many_addresses_it_uses() {
    let app = behind_proxy(|config| {
        config.limits.ip_burst = 2;
        config.limits.ip_per_minute = 1;
    })
    .await;
    // Proxies write IPv6 clients with or without brackets and ports.
    assert_eq!(
        app.sign_up_from("user1@example.com", "2001:db8:1:2::1")
            .await
            .status,
        200
    );
    assert_eq!(
        app.sign_up_from("user2@example.com", "[2001:db8:1:2:aaaa::2]:41234")
            .await
            .status,
        200
    );
    let third = app
        .sign_up_from("user3@example.com", "2001:db8:1:2:ffff:ffff:ffff:ffff")
        .await;
    assert_eq!(third.status, 429, "same /64: {}", third.body);
    assert_eq!(
        app.sign_up_from("user4@example.com", "2001:db8:1:3::1")
            .await
            .status,
        200
    );
    // IPv4 with a port, as some proxies write it.
    assert_eq!(
        app.sign_up_from("user5@example.com", "203.0.113.9:5555")
            .await
            .status,
        200
    );
    let ips: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT ip FROM audit_events WHERE kind = 'sign_up' ORDER BY ip",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        ips,
        [
            "2001:db8:1:2::1",
            "2001:db8:1:2:aaaa::2",
            "2001:db8:1:3::1",
            "203.0.113.9"
        ]
    );
}

// ---- 6. Storage growth -----------------------------------------------------

#[tokio::test]
async fn an_oversized_email_is_refused_before_anything_is_written() {
    let app = TestApp::spawn().await;
    let huge = format!("{}@example.com", "a".repeat(60_000));
    let login = app.log_in(&huge, WRONG).await;
    assert_eq!(login.status, 422, "{}", login.body);
    assert!(login.body.contains("EmailTooLong"));
    let signup = app.try_sign_up(&huge, PASSWORD).await;
    assert_eq!(signup.status, 422);
    for table in ["login_attempts", "rate_buckets", "audit_events", "users"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn a_flood_of_refused_requests_is_audited_once_per_window() {
    let app = TestApp::spawn_with(|config| {
        config.limits.ip_burst = 10;
        config.limits.ip_per_minute = 1;
    })
    .await;
    // The address backs off after five failures; 4 more are refused.
    for _ in 0..9 {
        app.log_in("ada@example.com", WRONG).await;
    }
    assert_eq!(audited(&app, "log_in_failed").await, 5);
    assert_eq!(audited(&app, "rate_limited").await, 1);
    // The network's bucket runs dry at the tenth; 20 more are refused.
    for n in 0..21 {
        let reply = app.log_in(&format!("u{n}@example.com"), WRONG).await;
        assert!(n == 0 || reply.status == 429, "{n}: {}", reply.status);
    }
    assert_eq!(audited(&app, "rate_limited").await, 2);
}

#[tokio::test]
async fn profile_changes_are_throttled_per_account() {
    let app = TestApp::spawn_with(|config| {
        config.limits.profile_burst = 3;
        config.limits.profile_per_minute = 1;
    })
    .await;
    let cookie = app.sign_up("ada@example.com").await;
    for n in 0..3 {
        let reply = app
            .post_form(
                "/api/profile/display-name",
                &[("display_name", &format!("Ada {n}"))],
                Some(&cookie),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    for _ in 0..5 {
        let reply = app
            .post_form(
                "/api/profile/display-name",
                &[("display_name", "Ada again")],
                Some(&cookie),
            )
            .await;
        assert_eq!(reply.status, 429);
        assert!(retry_after(&reply) >= 1);
    }
    assert_eq!(audited(&app, "profile_changed").await, 3);
    assert_eq!(audited(&app, "rate_limited").await, 1);
}

#[tokio::test]
async fn retention_deletes_exactly_what_is_past_its_time() {
    use leptos_accounts::accounts::{
        retention::{sweep, RetentionPolicy, Swept},
        RateLimits, SessionPolicy,
    };

    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let now = crate::support::now();
    let day = 24 * 60 * 60;
    for (token, created, last_seen, expires) in [
        (1u8, now - 40 * day, now - 39 * day, now - day), // past its lifetime
        (2, now - 5 * day, now - 4 * day, now + 25 * day), // idle too long
        (3, now - day, now - 60, now + 29 * day),         // live
    ] {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, persistent, created_at, last_seen_at, expires_at) \
             VALUES ($1, 1, 0, $2, $3, $4)",
        )
        .bind(vec![token; 32])
        .bind(created)
        .bind(last_seen)
        .bind(expires)
        .execute(&app.db)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO audit_events (at, kind, user_id, ip, user_agent) VALUES \
         ($1 - 366 * 86400, 'log_in', 1, '', ''), ($1 - 364 * 86400, 'log_in', 1, '', '')",
    )
    .bind(now)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO login_attempts (key, failures, last_failure_at) VALUES \
         ('address:old@example.com', 100, $1 - 31 * 86400), \
         ('address:new@example.com', 100, $1 - 29 * 86400)",
    )
    .bind(now)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO rate_buckets (key, tokens, updated_at, last_allowed, refusals) VALUES \
         ('ip:192.0.2.1', 0, $1 - 7200, 0, 3), ('ip:192.0.2.2', 0, $1 - 5, 0, 1)",
    )
    .bind(now as f64)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, expires_at) \
         VALUES ($2, 'reset', 1, 'a@example.com', $1 - 7200, $1 - 3600)",
    )
    .bind(now)
    .bind(vec![1u8])
    .execute(&app.db)
    .await
    .unwrap();
    // Sent 8 days ago (goes), sent a day ago (stays), written 8 days ago
    // and never sent (goes: long past the sender's retries, or no sender).
    sqlx::query(
        "INSERT INTO outbox (kind, recipient, subject, text_body, html_body, created_at, \
         next_attempt_at, sent_at, failed_at) VALUES \
         ('reset_password', 'a@example.com', '', '', '', $1 - 8 * 86400, 0, $1 - 8 * 86400, NULL), \
         ('reset_password', 'a@example.com', '', '', '', $1 - 86400, 0, $1 - 86400, NULL), \
         ('reset_password', 'a@example.com', '', '', '', $1 - 8 * 86400, 0, NULL, NULL)",
    )
    .bind(now)
    .execute(&app.db)
    .await
    .unwrap();

    let swept = sweep(
        &app.db,
        &RetentionPolicy::default(),
        &SessionPolicy::default(),
        &RateLimits::default(),
        now,
    )
    .await
    .unwrap();
    assert_eq!(
        swept,
        Swept {
            sessions: 2,
            audit_events: 1,
            login_attempts: 1,
            rate_buckets: 1,
            email_tokens: 1,
            mails: 2,
        }
    );
    // The sign-up's verification link and mail stay, with the newer mails.
    assert_eq!(app.count("email_tokens").await, 1);
    assert_eq!(app.count("outbox").await, 2);
    // The sign-up's own session, the live one, and the recent rows stay.
    assert_eq!(app.count("sessions").await, 2);
    assert_eq!(app.count("login_attempts").await, 1);
    // The sign-up's network bucket, its link's inbox, network and site
    // mail budgets, and the recent one.
    assert_eq!(app.count("rate_buckets").await, 5);
}

// ---- 8. A new sign-in ends the browser's previous session ------------------

#[tokio::test]
async fn logging_in_again_ends_the_session_the_browser_had() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    app.sign_up("bob@example.com").await;
    let me = |cookie: String| {
        let app = &app;
        async move { app.post_form("/api/auth/me", &[], Some(&cookie)).await.body }
    };
    assert!(me(ada.clone()).await.contains("ada@example.com"));

    // Someone else logs in to another account in the same browser.
    let bob = app
        .log_in_as_browser("bob@example.com", PASSWORD, Some(&ada), None)
        .await;
    assert_eq!(bob.status, 200);
    let bob = bob.cookie("session").unwrap();
    assert_eq!(me(ada.clone()).await, "null", "Ada's session ended");
    assert!(me(bob.clone()).await.contains("bob@example.com"));

    // The same person logging in again gets a new session; the old one ends.
    let again = app
        .log_in_as_browser("bob@example.com", PASSWORD, Some(&bob), None)
        .await
        .cookie("session")
        .unwrap();
    assert_ne!(again, bob);
    assert_eq!(me(bob).await, "null");
    assert!(me(again).await.contains("bob@example.com"));
    // Bob's sign-up session (another browser) and the latest one.
    assert_eq!(app.count("sessions").await, 2);
}

// ---- 9. Email addresses are normalised -------------------------------------

#[tokio::test]
async fn look_alike_addresses_are_one_account() {
    let app = TestApp::spawn().await;
    let nfc = "zo\u{00eb}@example.com";
    let nfd = "zoe\u{0308}@example.com";
    app.sign_up(nfc).await;
    let twin = app.try_sign_up(nfd, PASSWORD).await;
    assert_eq!(twin.status, 409, "{}", twin.body);
    for typed in [nfd, "ZOË@EXAMPLE.COM", "zoë@Example.Com"] {
        let reply = app.log_in(typed, PASSWORD).await;
        assert_eq!(reply.status, 200, "{typed}: {}", reply.body);
    }
    let stored: String = sqlx::query_scalar("SELECT email FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, nfc);

    app.sign_up("STRASSE@example.com").await;
    let folded = app.try_sign_up("straße@example.com", PASSWORD).await;
    assert_eq!(folded.status, 409, "{}", folded.body);
}

#[tokio::test]
async fn invisible_characters_in_an_address_are_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    for email in ["ada\u{200b}@example.com", "\u{202e}ada@example.com"] {
        let reply = app.try_sign_up(email, PASSWORD).await;
        assert_eq!(reply.status, 422);
        assert!(
            reply.body.contains("EmailInvisibleCharacters"),
            "{}",
            reply.body
        );
    }
    assert_eq!(app.count("users").await, 0);
}

// ---- 3. Password strength --------------------------------------------------

#[tokio::test]
async fn guessable_long_passwords_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    for (password, problem) in [
        ("passwordpassword", "Password"),
        ("password1234567", "Password"),
        ("123456789012345", "Password"),
        ("zxcvbnm,./asdfghjkl", "PasswordKeyboardPattern"),
        ("2019 2020 2021 2022", "PasswordDates"),
    ] {
        let reply = app.try_sign_up("ada@example.com", password).await;
        assert_eq!(reply.status, 422, "{password}: {}", reply.body);
        assert!(reply.body.contains(problem), "{password}: {}", reply.body);
    }
    assert_eq!(app.count("users").await, 0);
}

// ---- 11. ?next= that the router cannot reach -------------------------------

#[tokio::test]
async fn a_next_path_that_is_not_clean_is_ignored() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    for next in ["/.//evil.example", "/%2e%2e/evil", "//evil.example"] {
        let reply = app
            .post_plain_form(
                "/api/auth/login",
                &[
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
                None,
            )
            .await;
        assert_eq!(reply.status, 303);
        assert_eq!(reply.header("location"), Some("/profile"), "{next}");
    }
}

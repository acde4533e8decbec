//! Signing in by a link mailed to the account's address: the request's
//! uniform answer and limits, the page the link opens (which changes
//! nothing), single use, expiry, the link's binding to its purpose and
//! address, and the second factor it still asks for.

use std::time::{Duration, Instant};

use crate::{
    email::{last_mail, token_in},
    support::{now, Reply, TestApp, PASSWORD},
    two_factor::with_app,
};

const REQUEST: &str = "/api/auth/login-link/request";
const CONFIRM: &str = "/api/auth/login-link/confirm";

/// Asks for a sign-in link for `email` and returns its token.
async fn mailed_link(app: &TestApp, email: &str) -> String {
    let reply = app.post_form(REQUEST, &[("email", email)], None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (to, text) = last_mail(app, "login_link").await;
    assert_eq!(to, email);
    token_in(&text, &app.origin(), "/login-link")
}

async fn confirm(app: &TestApp, token: &str) -> Reply {
    app.post_form(CONFIRM, &[("token", token)], None).await
}

async fn links_mailed(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'login_link'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn events(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_request_answers_alike_for_known_and_unknown_addresses() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;

    let started = Instant::now();
    let known = app
        .post_form(REQUEST, &[("email", " ADA@example.com ")], None)
        .await;
    let known_took = started.elapsed();
    let started = Instant::now();
    let unknown = app
        .post_form(REQUEST, &[("email", "nobody@example.com")], None)
        .await;
    let unknown_took = started.elapsed();
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(known.status, 200);
    for took in [known_took, unknown_took] {
        assert!(took >= Duration::from_millis(300), "{took:?}");
    }
    assert_eq!(links_mailed(&app).await, 1);
    let (to, text) = last_mail(&app, "login_link").await;
    assert_eq!(to, "ada@example.com");
    assert!(text.contains("within 15 minutes"), "{text}");
    assert_eq!(events(&app, "login_link_requested").await, 1);

    // Without JavaScript: the same 303 either way, and the page says so.
    let known = app
        .post_plain_form(REQUEST, &[("email", "ada@example.com")], None)
        .await;
    let unknown = app
        .post_plain_form(REQUEST, &[("email", "nobody@example.com")], None)
        .await;
    assert_eq!(known.status, 303);
    assert_eq!(
        (known.header("location"), known.body.as_str()),
        (unknown.header("location"), unknown.body.as_str())
    );
    assert_eq!(known.header("location"), Some("/login-link?sent=1"));
    let page = app.get("/login-link?sent=1").await;
    assert!(page
        .body
        .contains("If an account exists for that address, we have sent it a link"));

    // A third link this hour, then no more: the same answer, no mail.
    for _ in 0..3 {
        let reply = app
            .post_form(REQUEST, &[("email", "ada@example.com")], None)
            .await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(links_mailed(&app).await, 3);
    // Reset links count apart.
    let reset = app
        .post_form(
            "/api/auth/password-reset/request",
            &[("email", "ada@example.com")],
            None,
        )
        .await;
    assert_eq!(reset.status, 200);
    last_mail(&app, "reset_password").await;

    let empty = app.post_form(REQUEST, &[("email", "  ")], None).await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("EmailMissing"), "{}", empty.body);
    let huge = "a".repeat(60_000) + "@example.com";
    let huge = app.post_form(REQUEST, &[("email", &huge)], None).await;
    assert_eq!(huge.status, 422);
    // A plain post keeps what was typed.
    let empty = app.post_plain_form(REQUEST, &[("email", "")], None).await;
    assert_eq!(empty.header("location"), Some("/login-link"));
    let echo = empty.cookie("form").expect("the error travels back");
    let page = app.get_with_cookie("/login-link", &echo).await;
    assert!(
        page.body.contains("Enter your email address"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_link_signs_in_once_verifies_the_address_and_clears_the_lock() {
    let app = TestApp::spawn_with(|config| {
        config.limits.backoff_base = Duration::from_secs(3600);
    })
    .await;
    let old_session = app.sign_up("ada@example.com").await;
    // A stranger locks the address.
    for _ in 0..8 {
        app.log_in("ada@example.com", "somebody guessing wrong")
            .await;
    }
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 429);
    let token = mailed_link(&app, "ada@example.com").await;

    // Opening the page changes nothing, and nothing of it is kept.
    for _ in 0..2 {
        let page = app.get(&format!("/login-link?token={token}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Press the button to sign in"));
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
    }

    let signed_in = app
        .post_form(
            CONFIRM,
            &[("token", token.as_str()), ("remember", "true")],
            None,
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert!(signed_in.body.contains("\"email_verified\":true"));
    let session = signed_in.cookie("session").expect("signed in");
    let set = signed_in.set_cookie("session").unwrap();
    assert!(set.contains("Max-Age="), "remembered: {set}");
    assert!(
        signed_in.cookie("device").is_some(),
        "a trusted browser now"
    );
    let me = app.post_form("/api/auth/me", &[], Some(&session)).await;
    assert!(me.body.contains("ada@example.com"), "{}", me.body);
    // Other browsers stay signed in: this is a sign-in, not a reset.
    let me = app.post_form("/api/auth/me", &[], Some(&old_session)).await;
    assert!(me.body.contains("ada@example.com"), "{}", me.body);
    assert_eq!(events(&app, "link_log_in").await, 1);
    assert_eq!(events(&app, "email_verified").await, 1);
    // The owner is back in: the lock is gone.
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 200);

    // Once only.
    let again = confirm(&app, &token).await;
    assert_eq!(again.status, 410);
    assert!(again.cookie("session").is_none());
    let page = app.get(&format!("/login-link?token={token}")).await;
    assert!(page
        .body
        .contains("This sign-in link has expired or was already used"));
    assert!(page.body.contains("href=\"/login-link\""));
}

#[tokio::test]
async fn a_link_works_without_javascript() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let token = mailed_link(&app, "ada@example.com").await;

    let signed_in = app
        .post_plain_form(CONFIRM, &[("token", token.as_str())], None)
        .await;
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.header("location"), Some("/profile"));
    let set = signed_in.set_cookie("session").expect("signed in");
    assert!(!set.contains("Max-Age="), "not remembered: {set}");

    let again = app
        .post_plain_form(CONFIRM, &[("token", token.as_str())], None)
        .await;
    assert_eq!(again.status, 303);
    let back = again.header("location").unwrap();
    assert_eq!(back, format!("/login-link?token={token}"));
    let echo = again.cookie("form").expect("the error travels back");
    let page = app.get_with_cookie(back, &echo).await;
    assert!(page
        .body
        .contains("This sign-in link has expired or was already used"));
}

#[tokio::test]
async fn expired_foreign_and_outdated_links_are_refused() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;

    let expired = mailed_link(&app, "ada@example.com").await;
    sqlx::query("UPDATE email_tokens SET expires_at = $1 - 1 WHERE purpose = 'login'")
        .bind(now())
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(confirm(&app, &expired).await.status, 410);
    let page = app.get(&format!("/login-link?token={expired}")).await;
    assert!(page.body.contains("This sign-in link has expired"));

    // A link lives 15 minutes.
    let fresh = mailed_link(&app, "ada@example.com").await;
    let lifetime: i64 = sqlx::query_scalar(
        "SELECT expires_at - created_at FROM email_tokens WHERE purpose = 'login' \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(lifetime, 15 * 60);

    // A link is bound to its purpose, both ways.
    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let (_, text) = last_mail(&app, "reset_password").await;
    let reset = token_in(&text, &app.origin(), "/reset-password");
    assert_eq!(confirm(&app, &reset).await.status, 410);
    let wrong = app
        .post_form(
            "/api/auth/password-reset/confirm",
            &[
                ("token", fresh.as_str()),
                ("password", "copper lantern under seven hills"),
            ],
            None,
        )
        .await;
    assert_eq!(wrong.status, 410);

    // Made-up tokens: refused, never a server error.
    for token in [
        "",
        "x",
        "'; DROP TABLE users; --",
        &"A".repeat(5000),
        &fresh[1..],
    ] {
        let reply = confirm(&app, token).await;
        assert_eq!(reply.status, 410, "{token:.20}: {}", reply.body);
        assert!(!reply.body.contains("sql"), "{}", reply.body);
        let page = app
            .get(&format!("/login-link?token={}", urlencoding(token)))
            .await;
        assert_eq!(page.status, 200);
    }

    // The account's address changed since the link went out.
    sqlx::query("UPDATE users SET email = 'ada@example.org' WHERE email = 'ada@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(confirm(&app, &fresh).await.status, 410);
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_new_password_spends_the_links_asked_for_before_it() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let token = mailed_link(&app, "ada@example.com").await;
    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let (_, text) = last_mail(&app, "reset_password").await;
    let reset = token_in(&text, &app.origin(), "/reset-password");
    let reset = app
        .post_form(
            "/api/auth/password-reset/confirm",
            &[
                ("token", reset.as_str()),
                ("password", "copper lantern under seven hills"),
            ],
            None,
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(confirm(&app, &token).await.status, 410);
}

#[tokio::test]
async fn an_account_with_a_second_factor_still_asks_for_it() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = with_app(&app, "ada@example.com").await;
    let token = mailed_link(&app, "ada@example.com").await;

    let first = confirm(&app, &token).await;
    assert_eq!(first.status, 401, "{}", first.body);
    assert_eq!(first.body, r#""SecondFactorRequired""#);
    assert!(first.cookie("session").is_none(), "no session yet");
    let pending = first.cookie("login").expect("pending log-in cookie");
    let done = app
        .post_form(
            "/api/auth/login/second-factor",
            // The code after the one that turned the app on: each works once.
            &[("code", &phone.code_at(now() + 30))],
            Some(&pending),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.cookie("session").is_some());

    // Without JavaScript the browser goes on to the code's page.
    let token = mailed_link(&app, "ada@example.com").await;
    let plain = app
        .post_plain_form(CONFIRM, &[("token", token.as_str())], None)
        .await;
    assert_eq!(plain.status, 303);
    assert_eq!(plain.header("location"), Some("/login-code?next=/profile"));
    assert!(plain.cookie("login").is_some());
    assert!(plain.cookie("session").is_none());
}
